"""A survey of a real ADC hub (uhub) where a real client (eiskaltdcpp) shares files the test made."""

from __future__ import annotations

import bz2
import os
import shutil
import subprocess
import time

import pytest
from defusedxml.ElementTree import fromstring

from evidence_crawler.p2phub.records import SearchTerm, SurveyLimits, SurveyRequest
from evidence_crawler.p2phub.replay import replay
from evidence_crawler.p2phub.survey import items, survey_hub, warc_records
from evidence_crawler.p2phub.transcript import parse_transcript
from evidence_crawler.p2phub.url import parse_hub_url
from tests.p2phub.dcbed import HUB_DESCRIPTION, HUB_NAME, MOTD, SHARER, Eiskalt, Uhub

FILES = {"Kino - Gruppa krovi.mp3": 180_000, "Zemfira - Vendetta.flac": 420_000, "notes.txt": 50}


def rhash_tth(path) -> str:
    """TTH computed outside the DC client (RHash's CLI), to check the client's value independently."""
    if shutil.which("rhash") is None:
        pytest.skip("rhash not installed (scripts/system-deps.sh installs it)")
    out = subprocess.run(["rhash", "--tth", "-p", "%{tth}", str(path)], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().upper()


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    root = tmp_path_factory.mktemp("dcbed")
    share = root / "share"
    share.mkdir()
    for name, size in FILES.items():
        (share / name).write_bytes(os.urandom(size))
    hub = Uhub(root)
    client = Eiskalt(root, SHARER, share)
    try:
        client.join(hub.url)
        yield hub, client, share
    finally:
        client.stop()
        hub.stop()


@pytest.fixture(scope="module")
def surveyed(bed):
    hub, _, _ = bed
    request = SurveyRequest(url=parse_hub_url(hub.url), nick="surveyor",
                            searches=[SearchTerm(term="Kino Gruppa", work="Kino - Gruppa krovi"),
                                      SearchTerm(term="Vendetta")],
                            filelists=1, allow_private=True, limits=SurveyLimits(search_wait=2, idle=8))
    return request, survey_hub(request)


def test_hub_identity_is_as_configured(surveyed):
    _, result = surveyed
    assert result.end.reason == "completed", result.end
    assert (result.hub.name, result.hub.description) == (HUB_NAME, HUB_DESCRIPTION)
    assert result.hub.software == "uhub" and result.hub.version.startswith("0.4")
    assert any(MOTD in line for line in result.hub.motd) and result.hub.address == "127.0.0.1"


def test_every_user_and_share_size_is_what_the_client_reports(bed, surveyed):
    hub, client, _ = bed
    _, result = surveyed
    users = {u.nick: u for u in result.users}
    assert set(users) == {SHARER, "surveyor"}
    # the real client learns that the surveyor left (the hub's QUI) a moment after the survey ends: wait for it
    deadline = time.monotonic() + 15
    while (seen := client.call("hub.getusers", huburl=hub.url, separator=";").strip(";").split(";")) != [SHARER] \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen == [SHARER]
    sharer = users[SHARER]
    own_list = sum(e.size for e in result.filelists[0].entries)  # the client's own account of its share
    assert sharer.share_size == sum(FILES.values()) == own_list and sharer.file_count == len(FILES)
    assert sharer.mode == "active" and sharer.ip == "127.0.0.1" and sharer.client_tag.startswith("EiskaltDC++")
    assert result.total_share == sum(FILES.values())


def test_search_results_are_the_shared_files_with_their_tth(bed, surveyed):
    _, _, share = bed
    _, result = surveyed
    found = {(h.term, h.path, h.size, h.tth) for h in result.hits}
    assert found == {("Kino Gruppa", "/Music/Kino - Gruppa krovi.mp3", 180_000,
                      rhash_tth(share / "Kino - Gruppa krovi.mp3")),
                     ("Vendetta", "/Music/Zemfira - Vendetta.flac", 420_000,
                      rhash_tth(share / "Zemfira - Vendetta.flac"))}
    assert {h.work for h in result.hits} == {"Kino - Gruppa krovi", None}
    assert all(h.user == SHARER and h.source == "search" for h in result.hits)


def test_file_list_is_fetched_raw_and_parsed_like_the_shared_folder(bed, surveyed):
    _, _, share = bed
    _, result = surveyed
    assert result.filelist_notes == [] and len(result.filelists) == 1
    listing = result.filelists[0]
    assert listing.user == SHARER and listing.error is None and listing.peer_certificate_sha256
    assert {(e.path, e.size, e.tth) for e in listing.entries} == {
        (f"/Music/{name}", size, rhash_tth(share / name)) for name, size in FILES.items()}
    root = fromstring(bz2.decompress(listing.raw_bz2))
    assert root.tag == "FileListing" and root.get("Generator", "").startswith("EiskaltDC++")


def test_transcript_record_parses_back_to_the_same_results(surveyed):
    request, result = surveyed
    specs = warc_records(result)
    hub_record = next(s for s in specs if s.headers["WARC-Evidence-Channel"] == "hub")
    assert hub_record.target_uri == request.url.url == "adc://127.0.0.1:" + str(request.url.port)
    messages = parse_transcript(hub_record.payload, "hub")
    assert messages == [m for m in result.transcript if m.channel == "hub"]
    again = replay(request, messages, hub_record.headers["WARC-IP-Address"])
    assert again.hub == result.hub
    assert again.users == result.users
    assert [(h.user, h.path, h.size, h.tth, h.term) for h in again.hits] == \
           [(h.user, h.path, h.size, h.tth, h.term) for h in result.hits]
    raw = next(s for s in specs if s.content_type == "application/x-bzip2")
    assert raw.payload == result.filelists[0].raw_bz2


def test_items_are_one_hub_and_the_shares(surveyed):
    _, result = surveyed
    found = items(result)
    assert [i["kind"] for i in found].count("p2p_hub") == 1
    hub = found[0]["fields"]
    assert hub["name"] == HUB_NAME and hub["users"] == 2 and hub["total_share"] == sum(FILES.values())
    shares = [i for i in found if i["kind"] == "p2p_share"]
    assert len(shares) == len(result.hits) + len(FILES)
    assert {s["fields"]["source"] for s in shares} == {"search", "filelist"}


def test_loopback_hub_is_refused_without_allow_private(bed):
    hub, _, _ = bed
    result = survey_hub(SurveyRequest(url=parse_hub_url(hub.url)))
    assert result.end.reason == "connect_failed" and "loopback" in result.end.detail
    assert result.transcript == []
