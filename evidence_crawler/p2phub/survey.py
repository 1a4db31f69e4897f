"""Entry point for a hub survey, and what its result becomes: items and WARC records.

The capture core (phase 2) calls ``survey_hub``, then writes ``warc_records(result)`` with its WARC writer
and adds ``items(result)`` to the capture; nothing here knows about stores, sealing or Scrapy.

WARC choice: one ``resource`` record per connection (the hub, and each peer a file list came from)
holding the transcript with a timestamp per message, plus one ``resource`` record per raw file list.
DC is not request/response: user lists, search results and chat arrive interleaved and unprompted, so
pairing them into request/response records would invent a structure the hub never had. The record's
date is the connection's first message, its WARC-Target-URI the hub URL (every connection was made
because of that hub); the peer's address is in ``WARC-Evidence-Channel``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evidence_crawler.p2phub.adc_survey import AdcSurvey
from evidence_crawler.p2phub.nmdc_survey import NmdcSurvey
from evidence_crawler.p2phub.records import Frozen, SurveyRequest, SurveyResult
from evidence_crawler.p2phub.transcript import CONTENT_TYPE, channels, serialise


class WarcRecordSpec(Frozen):
    """A record for the capture core's WARC writer: ``resource`` type, payload exactly as given."""

    target_uri: str
    date: datetime
    content_type: str
    payload: bytes
    headers: dict[str, str]


def survey_hub(request: SurveyRequest) -> SurveyResult:
    """Never raises for anything the hub does: every end is a typed ``SurveyEnd`` in the result."""
    return (AdcSurvey(request) if request.url.protocol == "adc" else NmdcSurvey(request)).run()


def warc_records(result: SurveyResult) -> list[WarcRecordSpec]:
    specs = []
    for channel in channels(result.transcript):
        first = next(m.at for m in result.transcript if m.channel == channel)
        specs.append(WarcRecordSpec(target_uri=result.hub.url, date=first, content_type=CONTENT_TYPE,
                                    payload=serialise(result.transcript, channel),
                                    headers={"WARC-Evidence-Channel": channel,
                                             "WARC-Evidence-Protocol": result.hub.protocol,
                                             "WARC-IP-Address": _ip(channel, result.hub.address)}))
    for listing in result.filelists:
        at = next((m.at for m in reversed(result.transcript) if m.channel == listing.channel), result.ended_at)
        specs.append(WarcRecordSpec(target_uri=result.hub.url, date=at, content_type="application/x-bzip2",
                                    payload=listing.raw_bz2,
                                    headers={"WARC-Evidence-Channel": listing.channel or "",
                                             "WARC-Evidence-User": listing.user,
                                             "WARC-Evidence-Filename": "files.xml.bz2"}))
    return specs


def _ip(channel: str, hub_address: str) -> str:
    return hub_address if channel == "hub" else channel.split(":", 1)[1].rsplit(":", 1)[0]


def items(result: SurveyResult) -> list[dict[str, Any]]:
    """Item dicts (``kind`` ``p2p_hub`` and ``p2p_share``) ready for ``models.Item`` once the capture core
    adds ``page_sha256``/``record_id`` of the transcript record."""
    hub = result.hub
    facts = hub.model_dump(mode="json", exclude={"tls_certificate_der"})
    facts.update(users=len(result.users), total_share=result.total_share, searches=result.searches,
                 end=result.end.model_dump(), started_at=result.started_at.isoformat(),
                 ended_at=result.ended_at.isoformat(), filelist_notes=result.filelist_notes,
                 user_list=[u.model_dump(mode="json") for u in result.users])
    out = [{"kind": "p2p_hub", "url": hub.url, "key": hub.url, "fields": facts, "source": "survey"}]
    shares = [h.model_dump(mode="json") for h in result.hits]
    for listing in result.filelists:
        shares += [{"user": listing.user, "path": e.path, "size": e.size, "tth": e.tth, "term": None,
                    "work": None, "source": "filelist", "filelist_sha256": listing.sha256}
                   for e in listing.entries]
    for share in shares:
        out.append({"kind": "p2p_share", "url": hub.url, "source": "survey", "fields": share,
                    "key": f"{share['user']}|{share['path']}|{share['tth'] or ''}|{share['term'] or ''}"})
    return out
