"""Typed records of the repertoire package: what a catalogue row becomes and what a bad row is reported as."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from evidence_crawler.models.findings import Work as Work  # the record lives in models (the verifier reads it)

KNOWN_COLUMNS = ("artist", "title", "kind", "isrc", "upc", "label", "year", "rights_holder", "ref_price",
                 "ref_currency", "ref_store")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RowProblem(Frozen):
    file: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}"


class CatalogueLimits(Frozen):
    """Bounds for hostile or accidental input; the defaults fit any real catalogue with room to spare."""

    max_line_chars: int = 1 << 20  # one CSV line (a file without newlines is refused, not read whole)
    max_rows: int = 20_000_000
    max_columns: int = 512
    max_problems_kept: int = 1000  # bad rows listed one by one; beyond that only counted
    xlsx_max_unpacked_bytes: int = 2 << 30  # sum of the declared sizes of every zip member
    xlsx_max_ratio: int = 200  # declared size / compressed size, for members over 1 MiB
    xlsx_max_members: int = 10_000


class Catalogue(Frozen):
    """A catalogue read whole: its works, and the rows skipped when bad rows were allowed."""

    file: str
    sha256: str
    encoding: str | None  # CSV only: the codec used and why
    delimiter: str | None
    rows: int  # data rows seen (blank rows not counted)
    works: tuple[Work, ...]
    skipped: tuple[RowProblem, ...] = ()
    skipped_count: int = 0


class CatalogueError(ValueError):
    """The file as a whole cannot be read; the message is one line starting with the file name."""


class CatalogueRefused(CatalogueError):
    """Bad rows and no permission to skip them; ``problems`` holds each ``FILE:row: reason``."""

    def __init__(self, file: str, problems: list[RowProblem], count: int):
        self.problems = problems
        self.count = count
        more = f" (first {len(problems)} listed)" if count > len(problems) else ""
        super().__init__(f"{file}: {count} bad row{'s' if count != 1 else ''}{more}; nothing imported "
                         "(--skip-bad-rows imports the others)\n" + "\n".join(map(str, problems)))
