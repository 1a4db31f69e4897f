"""The intermediaries step of a capture, after the last page and before sealing (issue 18).

The crawl's WARC files are drained and read back (``captured_pages``); the library (``intermediaries.run``)
asks DNS and RDAP about the capture's hosts and server addresses and analyses the pages; every raw exchange
becomes a record of a new WARC file of the same capture (sealed, hashed and announced in custody like the
others), and the intermediary list goes into the manifest's ``intermediaries`` section, each piece of
evidence naming its record id, WARC file and offset. A failure of the step is recorded in the section and
never stops the seal. A distributed worker's part skips it: the coordinator runs it once at the merge
(:func:`run_for_merge`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from evidence_crawler.capture.captured_pages import read_captured_pages
from evidence_crawler.config import IANA_BOOTSTRAP, parse_resolvers
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.intermediaries.records import record_id_of, spec_bytes
from evidence_crawler.intermediaries.run import IntermediariesReport, IntermediariesRequest, run
from evidence_crawler.intermediaries.settings import IntermediariesSettings
from evidence_crawler.models import INTERMEDIARIES_FORMAT, IntermediariesSection
from evidence_crawler.timeutil import iso
from evidence_crawler.warc import RotatingWarcWriter

if TYPE_CHECKING:
    from evidence_crawler.capture.session import CaptureSession

WriteRaw = Callable[[bytes, Callable[[str, int, int], None] | None], None]


def step_settings(settings: dict[str, Any]) -> IntermediariesSettings:
    """The step's settings from the capture's settings snapshot (parsed once by ``EvidenceConfig``)."""
    return IntermediariesSettings(
        dns_resolvers=parse_resolvers(str(settings.get("EVIDENCE_DNS_RESOLVERS") or "")),
        rdap_bootstrap=str(settings.get("EVIDENCE_RDAP_BOOTSTRAP") or IANA_BOOTSTRAP),
        timeout_s=float(settings.get("EVIDENCE_INTERMEDIARIES_TIMEOUT_S") or 60.0),
        allow_private=bool(settings.get("EVIDENCE_ALLOW_PRIVATE")))


def enabled(settings: dict[str, Any]) -> bool:
    value = settings.get("EVIDENCE_INTERMEDIARIES", True)
    return value not in (False, 0, "0", "false", "False", "off", "no")


def lookups_of(report: IntermediariesReport) -> list[dict[str, Any]]:
    out = [{"kind": "dns", "query": f"{a.name} {a.rdtype}", "outcome": a.outcome, "error": a.error,
            "record_id": a.record_id or (a.exchanges[-1].record_id if a.exchanges else None)} for a in report.dns]
    out += [{"kind": "bootstrap", "query": f.name, "outcome": "no_bootstrap", "error": f.error}
            for f in report.bootstrap.files if f.error]
    out += [{"kind": lk.kind, "query": lk.query, "outcome": lk.outcome, "error": lk.error,
             "record_id": lk.record_id} for lk in report.rdap]
    return out


def _section(report: IntermediariesReport, hosts: list[str], analysed: int, skipped: int) -> dict[str, Any]:
    return {
        "format": INTERMEDIARIES_FORMAT, "started_at": report.started_at, "finished_at": report.finished_at,
        "settings": report.settings.model_dump(mode="json"), "resolvers": [s.label for s in report.resolvers],
        "registered_domains": list(report.registered_domains), "hosts": hosts, "pages_analysed": analysed,
        "pages_not_analysed": skipped, "budget_exhausted": report.budget_exhausted, "records": 0,
        "intermediaries": [i.model_dump(mode="json") for i in report.intermediaries],
        "lookups": lookups_of(report)}


def gather(settings: IntermediariesSettings | Callable[[], IntermediariesSettings], pages: list[dict[str, Any]],
           warcs: list[Path], renders: Path) -> tuple[dict[str, Any], IntermediariesReport | None]:
    """(the manifest section, the report whose exchanges still have to be written); never raises."""
    started_at, hosts, used = iso(), [], None
    try:
        used = settings() if callable(settings) else settings
        hosts = list(dict.fromkeys(h for p in pages if (h := urlsplit(p.get("url", "")).hostname)))
        ips = tuple(dict.fromkeys(p["ip"] for p in pages if p.get("ip")))
        captured, skipped = read_captured_pages(warcs, pages, renders)
        report = run(IntermediariesRequest(hosts=tuple(hosts), ips=ips, pages=captured), used)
    except Exception as exc:  # noqa: BLE001 - the step is evidence about the capture, never fatal to it
        return {"format": INTERMEDIARIES_FORMAT, "started_at": started_at, "finished_at": iso(),
                "settings": used.model_dump(mode="json") if used else {}, "resolvers": [], "registered_domains": [],
                "hosts": hosts, "pages_analysed": 0, "budget_exhausted": False, "records": 0, "intermediaries": [],
                "lookups": [], "error": f"{type(exc).__name__}: {exc}"}, None
    return _section(report, hosts, len(captured), skipped), report


def write_exchanges(write_raw: WriteRaw, report: IntermediariesReport, section: dict[str, Any]) -> None:
    """Queue every raw exchange as a WARC record; each evidence item citing one gets its file and offset
    when the record is on disk (before sealing reads the section)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for entry in section["intermediaries"]:
        for ev in entry["evidence"]:
            if ev.get("record_id"):
                by_id.setdefault(ev["record_id"], []).append(ev)
    specs = report.warc_records()
    for spec in specs:
        cited = by_id.get(record_id_of(spec), [])

        def placed(name: str, offset: int, _length: int, cited=cited) -> None:
            for ev in cited:
                ev.update(warc_file=name, warc_offset=offset)
        write_raw(spec_bytes(spec), placed if cited else None)
    section["records"] = len(specs)
    IntermediariesSection.model_validate(section)  # a bug here fails loudly now, not at sealing


def run_step(session: CaptureSession) -> None:
    """Look up, analyse, record; the result (or why it failed) is the manifest's ``intermediaries``."""
    if not enabled(session.settings) or session.part_of:
        return
    session.warc.close()  # every page record is on disk and listed in pages.jsonl
    try:
        section, report = gather(lambda: step_settings(session.settings), list(iter_jsonl(session.pages.path)),
                                 sorted((session.work / "warc").glob("*.warc.gz")), session.work / "renders.jsonl")
    finally:
        session.reopen_warc()
    if report is not None:
        try:
            write_exchanges(session.warc.write_raw, report, section)
        except ValueError as exc:  # a section that does not validate: say so rather than lose the seal
            section = {**section, "intermediaries": [], "lookups": [], "error": f"section not recorded: {exc}"}
    session.extra_manifest["intermediaries"] = section


def run_for_merge(settings: IntermediariesSettings, capture_id: str, work: Path, warcs: list[Path],
                  rotate_bytes: int, warcinfo: dict[str, str]) -> tuple[dict[str, Any], list[Path]]:
    """A distributed capture at the merge: (the section, the new WARC files to seal as role ``warc``)."""
    section, report = gather(settings, list(iter_jsonl(work / "pages.jsonl")), warcs, work / "renders.jsonl")
    if report is None:
        return section, []
    folder = work / "intermediaries-warc"
    writer = RotatingWarcWriter(folder, f"{capture_id}-intermediaries", rotate_bytes, warcinfo)
    try:
        write_exchanges(writer.write_raw, report, section)
    finally:
        writer.close()
    return section, sorted(folder.glob("*.warc.gz"))
