"""The shape of the JSON documents verify reads before it trusts any of them: datapackage.json, its
digest and evidence/manifest.json. Each must be a JSON object whose fields, where present, have the type
the checks use (a list where a list is read, an object where fields are read). A document of another
shape (a list, a string, a number...) is not a bundle this tool wrote: ``UnusableBundle`` (exit 2),
naming the member and the field, never a traceback.

These are the verifier's lenient views of untrusted input (extra fields allowed, every field optional,
strict types), not the records the exporter writes (``models/bundle.py``): content problems (a hash that
differs) are reported as such by the checks, not here.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from evidence_crawler.bundle.safezip import UnusableBundle


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Resource(_Lenient):
    path: str | None = None
    name: str | None = None
    hash: str | None = None
    bytes: int | None = None


class PackageShape(_Lenient):
    created: str | None = None
    software: str | None = None
    resources: list[_Resource] = []


class _SignedData(_Lenient):
    hash: str | None = None
    signature: str | None = None
    publicKey: str | None = None  # noqa: N815 - the WACZ spec's name
    created: str | None = None
    software: str | None = None


class DigestShape(_Lenient):
    path: str | None = None
    hash: str | None = None
    signedData: _SignedData | None = None  # noqa: N815 - the WACZ spec's name


class _MemberDigests(_Lenient):
    sha256: str | None = None
    blake3: str | None = None
    size: int | None = None


class _KeyRef(_Lenient):
    fingerprint: str | None = None


class _Timestamps(_Lenient):
    disabled: bool | None = None


class ManifestShape(_Lenient):
    format: str | None = None
    created: str | None = None
    members: dict[str, _MemberDigests] = {}
    signing_key: _KeyRef | None = None
    timestamps: _Timestamps | None = None
    captures: list[dict[str, Any]] = []


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), "null")


def load_shaped(docs: dict[str, bytes], name: str, shape: type[_Lenient], problems: list[str]) -> dict | None:
    """Member ``name`` parsed and shape-checked: None when absent or not JSON (named in ``problems``);
    UnusableBundle when it is JSON of another shape (``null`` included)."""
    data = docs.get(name)
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError as exc:
        problems.append(f"{name}: not valid JSON ({exc})")
        return None
    return require_shape(name, value, shape)


def require_shape(member: str, value: Any, shape: type[_Lenient]) -> dict:
    """``value`` (parsed JSON of ``member``) as a dict when it has ``shape``; else UnusableBundle."""
    if not isinstance(value, dict):
        raise UnusableBundle(f"{member}: the document is {_kind(value)}, where a JSON object is expected: "
                             "not a bundle this tool wrote")
    try:
        shape.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UnusableBundle(f"{member}: field {where}: {err['msg'].lower()} (the document has an unexpected "
                             "shape: not a bundle this tool wrote)") from None
    return value
