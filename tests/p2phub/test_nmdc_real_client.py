"""NMDC with a real client: eiskaltdcpp joins the NMDC relay fixture hub (no NMDC hub is packaged in Debian)
and the survey's searches, TTHs and file list come from it, over the NMDC client-client protocol."""

from __future__ import annotations

import bz2
import os

import pytest

from evidence_crawler.p2phub.records import SearchTerm, SurveyLimits, SurveyRequest
from evidence_crawler.p2phub.survey import survey_hub
from evidence_crawler.p2phub.url import parse_hub_url
from tests.p2phub.dcbed import SHARER, Eiskalt
from tests.p2phub.nmdc_relay import RELAY_NAME, NmdcRelay
from tests.p2phub.test_adc_survey import FILES, rhash_tth


@pytest.mark.slow
def test_nmdc_survey_of_a_real_client_searches_and_fetches_its_file_list(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    for name, size in FILES.items():
        (share / name).write_bytes(os.urandom(size))
    hub = NmdcRelay()
    client = Eiskalt(tmp_path, SHARER, share)
    try:
        client.join(hub.url)
        request = SurveyRequest(url=parse_hub_url(hub.url), nick="surveyor", allow_private=True, filelists=1,
                                searches=[SearchTerm(term="Kino Gruppa")],
                                limits=SurveyLimits(search_wait=3, idle=8, duration=60))
        result = survey_hub(request)
    finally:
        client.stop()
        hub.close()
    assert result.end.reason == "completed", (result.end, result.filelist_notes)
    assert result.hub.name == RELAY_NAME
    sharer = next(u for u in result.users if u.nick == SHARER)
    assert sharer.share_size == sum(FILES.values()) and sharer.mode == "active"
    assert sharer.client_tag.startswith("EiskaltDC++")
    name = "Kino - Gruppa krovi.mp3"
    assert [(h.user, h.path, h.size, h.tth) for h in result.hits] == [
        (SHARER, f"Music\\{name}", FILES[name], rhash_tth(share / name))]
    assert result.filelist_notes == []
    [listing] = result.filelists
    assert listing.user == SHARER and listing.error is None
    assert listing.peer_certificate_sha256  # eiskaltdcpp requires TLS: its $ConnectToMe port ends in "S"
    sent = [m.data for m in result.transcript if m.channel == listing.channel and m.direction == "sent"]
    assert sent[-1] == b"$ADCGET file files.xml.bz2 0 -1|"
    assert bz2.decompress(listing.raw_bz2).startswith(b"<?xml")
    assert {(e.path, e.size, e.tth) for e in listing.entries} == {
        (f"/Music/{n}", s, rhash_tth(share / n)) for n, s in FILES.items()}
