"""Hubs that misbehave end the survey cleanly, within bounds, with what was recorded; NMDC against a fixture
hub (no NMDC hub is packaged in Debian)."""

from __future__ import annotations

import bz2
import hashlib
import time

import pytest

from evidence_crawler.p2phub.records import SearchTerm, SurveyLimits, SurveyRequest
from evidence_crawler.p2phub.replay import replay
from evidence_crawler.p2phub.survey import survey_hub, warc_records
from evidence_crawler.p2phub.transcript import CONTENT_TYPE, parse_transcript
from evidence_crawler.p2phub.url import parse_hub_url
from tests.p2phub import fixture_hubs
from tests.p2phub.fixture_hubs import NMDC_HUB, NMDC_MOTD, NMDC_SHARE, NMDC_TOPIC, FixtureHub, NmdcFixture, filelist_xml
from tests.servers.tinyshop import self_signed_context

LIMITS = SurveyLimits(duration=10, idle=1.5, search_wait=0.5, max_messages=5000, max_users=200,
                      max_message_bytes=64 * 1024)


def survey(hub: FixtureHub, scheme: str = "adc", **kw):
    request = SurveyRequest(url=parse_hub_url(f"{scheme}://127.0.0.1:{hub.port}"), allow_private=True,
                            limits=kw.pop("limits", LIMITS), **kw)
    started = time.monotonic()
    result = survey_hub(request)
    return request, result, time.monotonic() - started


@pytest.fixture
def hub(request):
    server = FixtureHub(getattr(fixture_hubs, request.param))
    yield server
    server.close()


@pytest.mark.parametrize(("hub", "reason"), [("flood", "message_limit"), ("giant", "message_too_large"),
                                             ("malformed", "malformed"), ("stall", "stalled"),
                                             ("users", "user_limit"), ("redirect", "redirected")],
                         indirect=["hub"])
def test_hostile_hub_ends_the_survey_cleanly_with_what_was_recorded(hub, reason):
    _, result, took = survey(hub, searches=[SearchTerm(term="x")])
    assert result.end.reason == reason, result.end
    assert took < LIMITS.duration
    assert result.transcript[0].data == b"HSUP ADBASE ADTIGR\n"
    received = sum(len(m.data) for m in result.transcript if m.direction == "received")
    assert received <= LIMITS.max_messages * LIMITS.max_message_bytes
    if reason != "stalled":
        assert result.hub.name == "Hostile"
    if reason == "user_limit":
        assert len(result.users) == LIMITS.max_users
    if reason == "redirected":
        assert result.hub.redirects == ["adc://elsewhere.example:411"]


@pytest.mark.parametrize("hub", ["liar"], indirect=True)
def test_sizes_that_lie_or_are_not_numbers_are_recorded_as_stated_or_dropped(hub):
    _, result, _ = survey(hub, searches=[SearchTerm(term="x")])
    assert result.end.reason == "completed", result.end
    users = {u.nick: (u.share_size, u.file_count) for u in result.users}
    assert {k: users[k] for k in ("big", "square", "long")} == {"big": (fixture_hubs.LIE, 1), "square": (None, None),
                                                               "long": (None, None)}
    assert [(h.path, h.size) for h in result.hits] == [("/a.mp3", fixture_hubs.LIE), ("/b.mp3", None)]
    assert result.total_share == fixture_hubs.LIE


@pytest.mark.parametrize("hub", ["flood"], indirect=True)
def test_endless_hub_stops_at_the_duration_bound(hub):
    limits = LIMITS.model_copy(update={"duration": 1.0, "max_messages": 10**9, "max_bytes": 10**12})
    _, result, took = survey(hub, limits=limits, searches=[SearchTerm(term="x")])
    assert result.end.reason == "duration" and took < 2.5


@pytest.fixture
def nmdc_hub(request):
    server = NmdcFixture(**getattr(request, "param", {}))
    yield server
    server.close()


def test_nmdc_hub_survey_reads_hub_users_search_results_with_tth_and_the_file_list(nmdc_hub):
    request, result, _ = survey(nmdc_hub, "dchub", nick="surveyor", filelists=1,
                                searches=[SearchTerm(term="Gruppa krovi", work="Kino - Gruppa krovi")])
    assert result.end.reason == "completed", result.end
    assert nmdc_hub.searches == [b"$Search Hub:surveyor F?T?0?1?Gruppa$krovi"]
    assert (result.hub.name, result.hub.topic) == (NMDC_HUB, NMDC_TOPIC)
    assert any(NMDC_MOTD in line for line in result.hub.motd)
    alice = next(u for u in result.users if u.nick == "alice")
    assert (alice.share_size, alice.mode, alice.ip, alice.description) == (600000, "active", "192.0.2.7",
                                                                            "music lover")
    assert alice.client_tag == "++ V:0.868,M:A,H:1/0/0,S:3"
    [hit] = result.hits
    assert (hit.user, hit.path, hit.size, hit.tth, hit.term, hit.work) == (
        "alice", "Kino\\Gruppa krovi.mp3", 180000, "KND4PAISRXWKPFWNUC5NJDGCX2ON77YTRMEVWBQ", "Gruppa krovi",
        "Kino - Gruppa krovi")
    # the file list came over the NMDC client-client protocol, raw bz2 kept, parsed to (path, size, TTH)
    assert result.filelist_notes == []
    [listing] = result.filelists
    assert listing.user == "alice" and bz2.decompress(listing.raw_bz2) == filelist_xml()
    assert [(e.path, e.size, e.tth) for e in listing.entries] == [
        ("/" + p.replace("\\", "/"), size, tth) for p, size, tth in NMDC_SHARE]
    peer = [m for m in result.transcript if m.channel == listing.channel]
    assert listing.channel == f"peer:127.0.0.1:{nmdc_hub.peer.port}"
    assert peer[0].data.startswith(b"$MyNick surveyor|$Lock EXTENDEDPROTOCOL")
    assert b"$ADCGET file files.xml.bz2 0 -1|" in [m.data for m in peer if m.direction == "sent"]
    assert peer[-1].data == listing.raw_bz2
    records = warc_records(result)
    assert [r.content_type for r in records] == [CONTENT_TYPE, CONTENT_TYPE, "application/x-bzip2"]
    again = replay(request, parse_transcript(records[0].payload, "hub"), records[0].headers["WARC-IP-Address"])
    assert again.hub == result.hub and again.users == result.users
    assert [(h.path, h.tth, h.term) for h in again.hits] == [(h.path, h.tth, h.term) for h in result.hits]


@pytest.mark.parametrize(("nmdc_hub", "note"), [
    ({"peer": "short"}, "bytes, then silence"), ({"peer": "huge"}, "file list of 1000000000000 bytes"),
    ({"peer": "refuse"}, "peer refused: $MaxedOut"), ({"alice_mode": "P"}, "a passive survey cannot reach")],
    indirect=["nmdc_hub"])
def test_nmdc_peer_that_lies_refuses_or_cannot_be_reached_is_noted_and_the_survey_goes_on(nmdc_hub, note):
    _, result, took = survey(nmdc_hub, "nmdc", filelists=1, searches=[SearchTerm(term="Kino")])
    assert result.end.reason == "completed", result.end
    assert len(result.hits) == 1 and result.filelists == [] and took < LIMITS.duration
    [line] = result.filelist_notes
    assert line.startswith("user alice: ") and note in line


def test_nmdcs_hub_certificate_is_recorded(tmp_path):
    context, der = self_signed_context(tmp_path)
    server = NmdcFixture(tls=context)
    try:
        request = SurveyRequest(url=parse_hub_url(server.url), allow_private=True, limits=LIMITS)
        result = survey_hub(request)
    finally:
        server.close()
    assert result.end.reason == "completed" and result.hub.name == NMDC_HUB
    assert (result.hub.tls_certificate_der, result.hub.tls_certificate_sha256) == (der, hashlib.sha256(der).hexdigest())
    assert result.hub.tls_certificate_subject == result.hub.tls_certificate_issuer == "CN=127.0.0.1"


def test_nothing_listening_is_a_connect_failure_not_an_exception():
    server = FixtureHub(fixture_hubs.stall)
    server.close()
    _, result, _ = survey(server)
    assert result.end.reason == "connect_failed" and result.transcript == []
