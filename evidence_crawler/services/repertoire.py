"""``repertoire import|list|show``: a rights holder's catalogue into the store, as evidence.

The file is read and checked first (``repertoire.catalogue``: a bad row refuses it, nothing written), then
copied into the store, re-hashed (a file changed while it was read is refused), kept as a read-only
content-addressed object and registered as the next version of its name (``storage/repertoires.py``), and a
``repertoire_imported`` custody event records what was taken: sha256, rows, works, skipped rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.custody import CustodyLedger
from evidence_crawler.hashing import digest_file
from evidence_crawler.models import EventKind, RepertoireVersion
from evidence_crawler.models.findings import SkippedRow
from evidence_crawler.repertoire.catalogue import load_catalogue
from evidence_crawler.repertoire.records import Catalogue, CatalogueError
from evidence_crawler.repertoire.xlsxsource import is_zip
from evidence_crawler.timeutil import iso
from storage.local import LocalStore
from storage.repertoires import RepertoireBook, UnknownRepertoire, check_name


class RepertoireUnusable(Exception):
    """Bad input (exit 2); the message is the line(s) the operator needs."""


def import_repertoire(store: LocalStore, operator: str, path: Path, name: str,
                      skip_bad_rows: bool = False) -> dict[str, Any]:
    try:
        check_name(name)
        catalogue = load_catalogue(path, skip_bad_rows=skip_bad_rows)
    except (CatalogueError, ValueError) as exc:
        raise RepertoireUnusable(str(exc)) from None
    book = RepertoireBook(store)
    staged = book.stage(path)
    try:
        digests = digest_file(staged)
        if digests.sha256 != catalogue.sha256:
            raise RepertoireUnusable(f"{path}: changed while it was being imported; nothing imported")
        record = book.add(staged, digests, **_fields(path, name, operator, catalogue))
    finally:
        staged.unlink(missing_ok=True)
    CustodyLedger(store.root).append(
        EventKind.REPERTOIRE_IMPORTED, None, name=record.name, version=record.version, file=record.file,
        sha256=record.sha256, blake3=record.blake3, size=record.size, object=record.object, rows=record.rows,
        works=record.works, skipped=record.skipped_count)
    return summary(record)


def _fields(path: Path, name: str, operator: str, catalogue: Catalogue) -> dict[str, Any]:
    return {"name": name, "file": path.name, "ext": "xlsx" if is_zip(path) else "csv", "imported_at": iso(),
            "imported_by": operator, "encoding": catalogue.encoding, "delimiter": catalogue.delimiter,
            "rows": catalogue.rows, "works": len(catalogue.works), "skipped_count": catalogue.skipped_count,
            "skipped": [SkippedRow(row=p.row, reason=p.reason) for p in catalogue.skipped]}


def summary(record: RepertoireVersion) -> dict[str, Any]:
    return record.model_dump(mode="json")


def list_repertoires(store: LocalStore) -> list[dict[str, Any]]:
    book = RepertoireBook(store)
    return [summary(book.get(name, v)) for name in book.names() for v in book.versions(name)]


def load_version(store: LocalStore, name: str, version: int | None = None) -> tuple[RepertoireVersion, Catalogue]:
    """A registered version and its works, read again from the stored object (the evidence itself)."""
    book = RepertoireBook(store)
    try:
        record = book.get(name, version)
    except UnknownRepertoire as exc:
        raise RepertoireUnusable(str(exc)) from None
    obj = book.object_path(record)
    if not obj.is_file() or digest_file(obj).sha256 != record.sha256:
        raise RepertoireUnusable(f"repertoire {name} v{record.version}: the stored file {obj} is missing or no "
                                 "longer matches its sha256 (the store is damaged)")
    try:
        return record, load_catalogue(obj, skip_bad_rows=record.skipped_count > 0)
    except CatalogueError as exc:  # it was read at import: only a changed reader can refuse it now
        raise RepertoireUnusable(f"repertoire {name} v{record.version}: its stored file no longer reads: "
                                 f"{exc}") from None


def show_repertoire(store: LocalStore, name: str, version: int | None = None) -> dict[str, Any]:
    record, catalogue = load_version(store, name, version)
    return {**summary(record), "versions": RepertoireBook(store).versions(name),
            "catalogue": [w.model_dump(mode="json") for w in catalogue.works]}
