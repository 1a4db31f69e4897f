"""``p2p hub``: a DC hub survey sealed as a normal capture, through the Scrapy-free capture core.

The survey runs first (``p2phub.survey.survey_hub``, bounded, never raising for what the hub does), then
everything it recorded goes into a ``CaptureSession`` and is sealed like any capture: one ``resource``
record per connection (the timestamped transcript) and per raw file list, the hub's TLS certificate as a
``metadata`` record, items ``p2p_hub`` and ``p2p_share`` pointing at the record they come from, errors,
the ``p2p_hub`` manifest section, the environment statement, custody events. Each resource record has its
``pages.jsonl`` line (``record_type: resource``, ``method`` the protocol, ``status`` 0), so ``captures
verify`` and bundle ``verify`` hold the records, pages and items together as for any capture. A
destination refused by the guard is refused before any capture exists.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.capture.session import CONDITION_SETTINGS, CaptureSession
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.hashing import digest_bytes
from evidence_crawler.models import Digests, HubSurvey, Item, PageRecord
from evidence_crawler.models.manifest import HubCertificate, HubRepertoire
from evidence_crawler.netguard import REFUSAL_HINT, check_destination
from evidence_crawler.p2phub.profile import LoadedSurveyProfile
from evidence_crawler.p2phub.records import SurveyRequest, SurveyResult
from evidence_crawler.p2phub.survey import WarcRecordSpec, items, survey_hub, warc_records
from evidence_crawler.p2phub.url import HubUrlError, parse_hub_url
from evidence_crawler.services.capture import CaptureRefused
from evidence_crawler.services.captures import capture_file, require_sealed
from evidence_crawler.services.hub_repertoire import match_shares, repertoire_ref
from evidence_crawler.services.repertoire import RepertoireUnusable
from evidence_crawler.timeutil import iso
from storage.local import LocalStore

SETTINGS = ("EVIDENCE_OPERATOR", "EVIDENCE_STORE", "EVIDENCE_ALLOW_PRIVATE", "EVIDENCE_WARC_ROTATE_BYTES",
            "EVIDENCE_SCHEDULE", "EVIDENCE_S3_ALLOW_UNLOCKED")


def preflight(request: SurveyRequest) -> list[str]:
    """The hub's addresses, or CaptureRefused (one line naming the address and --allow-private)."""
    url = request.url
    try:
        res = check_destination(url.host, url.port, request.allow_private)
    except socket.gaierror as exc:
        raise CaptureRefused(f"hub {url.url}: cannot resolve {url.host}: {exc.strerror}") from None
    if res.refused:
        raise CaptureRefused(f"hub {url.url} refused: {res.refused}; {REFUSAL_HINT}")
    return res.addresses


def run_hub_survey(config: EvidenceConfig, loaded: LoadedSurveyProfile) -> dict[str, Any]:
    """Survey and seal; the summary has the shape of ``crawl --json`` plus ``hub``."""
    request = loaded.profile.request()
    if config.allow_private and not request.allow_private:
        request = request.model_copy(update={"allow_private": True})
    addresses = preflight(request)
    try:
        repertoire = repertoire_ref(LocalStore(config.store), loaded.profile.p2p_hub)
    except RepertoireUnusable as exc:
        raise CaptureRefused(str(exc)) from None
    wanted = config.scrapy_settings()
    settings = {k: wanted.get(k) for k in SETTINGS}
    settings["EVIDENCE_ALLOW_PRIVATE"] = request.allow_private
    settings.update({k: ",".join(wanted.get(k) or []) for k in CONDITION_SETTINGS})  # public IP, clock, DNS
    session = CaptureSession(LocalStore(config.store), loaded, settings)  # type: ignore[arg-type]
    session.open()
    session.record_dns(request.url.host, {"addresses": addresses})
    try:
        result = survey_hub(request)
        hub_record = _record(session, result, repertoire)
        seal_capture(session, finish_reason=_finish(session, result, request, hub_record, repertoire))
    except KeyboardInterrupt:
        session.interrupt("interrupted (SIGINT/SIGTERM)")
        raise
    except OSError as exc:
        if session.writable:
            session.fail(f"writing evidence failed: {exc}")
    summary = session.summary()
    if summary["state"] == "sealed":
        summary["hub"] = hub_summary(session)
    return summary


def _record(session: CaptureSession, result: SurveyResult, repertoire: HubRepertoire | None) -> tuple[str, str] | None:
    """Write every record and item; (record id, sha256) of the hub transcript, None when nothing was said."""
    hub_record = None
    by_sha: dict[str, str] = {}
    for spec in warc_records(result):
        digests = digest_bytes(spec.payload)
        rid = session.warc.write_resource(spec.target_uri, spec.payload, spec.content_type, iso(spec.date),
                                          spec.headers, _page_line(session, result, spec, digests))
        by_sha.setdefault(digests.sha256, rid)
        if spec.headers.get("WARC-Evidence-Channel") == "hub":
            hub_record = (rid, digests.sha256)
    if result.hub.tls_certificate_der and hub_record:
        session.warc.write_metadata(result.hub.url, result.hub.tls_certificate_der, "application/pkix-cert",
                                    hub_record[0])
    if hub_record is not None:
        found = []
        for data in items(result):
            sha = data["fields"].get("filelist_sha256") or hub_record[1]
            found.append(Item(**data, page_sha256=sha, record_id=by_sha.get(sha, hub_record[0]),
                              fetched_at=iso(result.started_at)))
        for item in match_shares(session.store, repertoire, found):
            session.record_item(item)
    if result.end.reason != "completed":
        session.record_error(result.hub.url, f"hub_{result.end.reason}", result.end.detail)
    for note in result.filelist_notes:
        session.record_error(result.hub.url, "hub_filelist", note)
    return hub_record


def _page_line(session: CaptureSession, result: SurveyResult, spec: WarcRecordSpec,
               digests: Digests) -> Callable[[str, str, int, int], None]:
    """The ``pages.jsonl`` line of one resource record, appended once the record is on disk."""
    channel = spec.headers.get("WARC-Evidence-Channel", "")
    last = next((m.at for m in reversed(result.transcript) if m.channel == channel), spec.date)
    ip = spec.headers.get("WARC-IP-Address") or (channel.split(":", 1)[1].rsplit(":", 1)[0] if ":" in channel
                                                  else None)

    def written(record_id: str, warc_file: str, offset: int, length: int) -> None:
        session.append(session.pages, PageRecord(
            url=spec.target_uri, method=result.hub.protocol.upper(), status=0, fetched_at=iso(spec.date),
            received_at=iso(max(last, spec.date)), ip=ip, sha256=digests.sha256, blake3=digests.blake3,
            size=digests.size, content_type=spec.content_type, warc_file=warc_file, warc_offset=offset,
            warc_length=length, record_id=record_id, request_record_id="", record_type="resource",
        ).model_dump(exclude_none=True))
    return written


def _finish(session: CaptureSession, result: SurveyResult, request: SurveyRequest,
            hub_record: tuple[str, str] | None, repertoire: HubRepertoire | None) -> str:
    """Put the ``p2p_hub`` section on the session; the finish reason."""
    hub = result.hub
    session.extra_manifest["p2p_hub"] = HubSurvey(
        url=hub.url, protocol=hub.protocol, address=hub.address, name=hub.name, searches=result.searches,
        filelists_asked=request.filelists, limits=request.limits.model_dump(), started_at=iso(result.started_at),
        ended_at=iso(result.ended_at), end=result.end.model_dump(),
        counts={"users": len(result.users), "total_share": result.total_share, "search_results": len(result.hits),
                "filelists": len(result.filelists),
                "filelist_entries": sum(len(f.entries) for f in result.filelists),
                "connections": len({m.channel for m in result.transcript})},
        transcript_record_id=hub_record[0] if hub_record else None,
        transcript_sha256=hub_record[1] if hub_record else None, filelist_notes=result.filelist_notes,
        tls_certificate=HubCertificate(sha256=hub.tls_certificate_sha256, subject=hub.tls_certificate_subject,
                                       issuer=hub.tls_certificate_issuer) if hub.tls_certificate_sha256 else None,
        repertoire=repertoire)
    return f"hub survey ended: {result.end.reason}: {result.end.detail}"


def hub_summary(session: CaptureSession) -> dict[str, Any]:
    section: HubSurvey = session.extra_manifest["p2p_hub"]
    return {"url": section.url, "name": section.name, "address": section.address,
            "users": section.counts.users, "shares": section.counts.search_results + section.counts.filelist_entries,
            "end": section.end.model_dump()}


def hub_links(store: LocalStore, capture_id: str) -> list[str]:
    """The DC hub URLs (``p2p_server`` items of type hub) found in a sealed capture, in order, once each."""
    require_sealed(store, capture_id, CaptureRefused, "only a sealed capture's links can be surveyed")
    found: list[str] = []
    for item in iter_jsonl(capture_file(store, capture_id, "items.jsonl")):
        fields = item.get("fields") or {}
        if item.get("kind") == "p2p_server" and fields.get("type") == "hub" and fields.get("hub_url"):
            try:
                url = parse_hub_url(fields["hub_url"]).url
            except HubUrlError:
                continue
            if url not in found:
                found.append(url)
    return found
