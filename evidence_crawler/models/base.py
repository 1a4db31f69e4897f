"""The base of every record: frozen pydantic models, and the one way a JSON document is read and written.

``dump_bytes`` is the serialisation sealed files have always had (``json.dumps(indent=2,
ensure_ascii=False)`` plus a newline). It dumps the fields that were *set*, in declaration order: a
record read from disk writes back the keys it had, and an optional section that was never given
stays absent instead of turning into ``null``; so re-dumping a sealed document gives its bytes back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Open(BaseModel):
    """A section whose keys are not ours to fix (tool reports, settings snapshots): known keys typed,
    any other key kept as it was written."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)


class JsonDocument(Frozen):
    """A record that is a whole JSON file: one reader (``read``), one writer (``dump_bytes``)."""

    @classmethod
    def read(cls, source: bytes | str | Path) -> Self:
        """From the file's bytes or its path; raises ``pydantic.ValidationError`` (a ``ValueError``)."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        return cls.model_validate_json(data)

    def dump_bytes(self) -> bytes:
        return json.dumps(self.model_dump(mode="json", exclude_unset=True), indent=2,
                          ensure_ascii=False).encode() + b"\n"
