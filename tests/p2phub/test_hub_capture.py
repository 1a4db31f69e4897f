"""``p2p hub`` as a user runs it: a survey sealed as a normal capture (verify, export, bundle verify, diff),
against the NMDC and hostile fixture hubs and against a real uhub + eiskaltdcpp test bed."""

from __future__ import annotations

import hashlib
import html
import os
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.demo.tsa import LocalTSA
from evidence_crawler.models import CaptureManifest
from evidence_crawler.services.scheduled_run import crawl_args
from storage.schedules import ScheduleBook
from tests.conftest import Cli
from tests.p2phub import fixture_hubs
from tests.p2phub.dcbed import CERT_CN, CERT_ISSUER_CN, HUB_NAME, SHARER, Eiskalt, Uhub, wait_for
from tests.p2phub.fixture_hubs import NMDC_HUB, NMDC_SHARE, FixtureHub, NmdcFixture
from tests.p2phub.test_adc_survey import FILES, rhash_tth
from tests.servers.ntpd import NtpResponder
from tests.servers.static import serve_folder


@pytest.fixture
def nmdc():
    server = NmdcFixture()
    yield server.url
    server.close()


def survey(cli: Cli, url: str, *args: str, expect: int = 0) -> dict:
    return cli.json("p2p", "hub", url, "--allow-private", "--json", "--duration", "10", *args, expect=expect)


def exported_and_verified(cli: Cli, tmp_path, *capture_ids: str) -> None:
    assert cli.run("keys", "init").returncode == 0
    with LocalTSA(tmp_path / "tsa") as tsa:
        out = tmp_path / "case.wacz"
        proc = cli.run("export", *capture_ids, "-o", str(out), env={"EVIDENCE_TSA_URLS": tsa.url})
        assert proc.returncode == 0, proc.stderr
    proc = cli.run("verify", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nmdc_survey_is_sealed_with_its_transcript_as_a_page_and_the_shares_as_items(cli, nmdc, tmp_path):
    summary = survey(cli, nmdc, "--search", "Kino")
    assert summary["state"] == "sealed" and summary["pages"] == 1 and summary["hub"]["name"] == NMDC_HUB
    items = cli.items(summary["capture_id"])
    [hub] = [i for i in items if i["kind"] == "p2p_hub"]
    shares = [(i["fields"]["path"], i["fields"]["size"], i["fields"]["tth"]) for i in items
              if i["kind"] == "p2p_share"]
    assert shares == NMDC_SHARE[:1] and hub["fields"]["users"] == 2
    assert {i["record_id"] for i in items} == {hub["record_id"]} and hub["source"] == "survey"
    verified = cli.run("captures", "verify", summary["capture_id"])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    manifest = CaptureManifest.read(summary["manifest"])
    assert manifest.p2p_hub.end.reason == "completed" and manifest.p2p_hub.counts.search_results == 1
    assert manifest.profile.start_urls == [nmdc] and manifest.p2p_hub.transcript_record_id == hub["record_id"]
    exported_and_verified(cli, tmp_path, summary["capture_id"])


def test_private_hub_is_refused_without_allow_private_and_nothing_is_created(cli, nmdc):
    proc = cli.run("p2p", "hub", nmdc, "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    line = " ".join(proc.stderr.split())
    assert "127.0.0.1" in line and "--allow-private" in line and "loopback" in line
    assert not (cli.store / "captures").exists() or not any((cli.store / "captures").iterdir())


def test_a_hub_survey_states_its_conditions_too(cli, nmdc):
    with NtpResponder(offset_s=-7) as ntp:
        summary = cli.json("p2p", "hub", nmdc, "--allow-private", "--json", "--duration", "5",
                           env={"EVIDENCE_NTP_SERVERS": ntp.address})
    env = CaptureManifest.read(summary["manifest"]).environment
    assert env.clock.checked and env.clock.offset_s == pytest.approx(-7, abs=1.0)
    assert env.public_ip.error == "not determined: EVIDENCE_PUBLIC_IP_URLS is not set"
    assert env.machine.cpu_count and env.tool_files.files > 100


@pytest.mark.parametrize(("name", "reason"), [("giant", "message_too_large"), ("malformed", "malformed"),
                                              ("flood", "message_limit"), ("stall", "stalled")])
def test_hostile_hub_ends_cleanly_and_what_was_recorded_is_sealed(cli, name, reason):
    server = FixtureHub(getattr(fixture_hubs, name))
    try:
        summary = survey(cli, f"adc://127.0.0.1:{server.port}")
    finally:
        server.close()
    assert summary["state"] == "sealed" and summary["hub"]["end"]["reason"] == reason
    assert [e["kind"] for e in summary["errors"]] == [f"hub_{reason}"]
    assert summary["pages"] == 1  # the transcript up to the bad message
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0


def test_survey_from_a_capture_without_hub_links_is_refused(cli, nmdc):
    first = survey(cli, nmdc)
    proc = cli.run("p2p", "hub", "--from", first["capture_id"], "--json")
    assert proc.returncode == 2 and "no DC hub link" in proc.stderr


@pytest.mark.slow
def test_shop_page_hub_links_are_items_and_p2p_hub_from_surveys_each_hub_as_a_sealed_capture(cli, nmdc, tmp_path,
                                                                                             write_profile):
    hub = Uhub(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        f'<html><body><a href="{hub.url}">our hub</a> <a href="{nmdc.replace("nmdc://", "dchub://")}">old hub</a>'
        f' <a href="{hub.url}/">again</a> <a href="ed2k://|server|127.0.0.1|4661|/">eD2k server</a>'
        '<a href="ed2k://|serverlist|http://127.0.0.1/server.met|/">server.met</a></body></html>')
    served = serve_folder(site)
    try:
        profile = write_profile(f"name: hubshop\nstart_urls: ['{next(served)}']\nlimits: {{max_pages: 3}}\n")
        shop = cli.crawl(profile)
        servers = [(i["fields"]["type"], i["fields"].get("hub_url") or i["fields"].get("host")
                    or i["fields"]["list_url"]) for i in cli.items(shop["capture_id"]) if i["kind"] == "p2p_server"]
        assert servers == [("hub", hub.url), ("hub", nmdc.replace("nmdc://", "dchub://")), ("hub", hub.url),
                           ("server", "127.0.0.1"), ("serverlist", "http://127.0.0.1/server.met")]
        result = cli.json("p2p", "hub", "--from", shop["capture_id"], "--allow-private", "--json", "--duration",
                          "20")
    finally:
        hub.stop()
        served.close()
    assert result["from"] == shop["capture_id"]
    assert result["hubs"] == [hub.url, nmdc.replace("nmdc://", "dchub://")]  # once each; eD2k is not surveyed
    assert [(s["state"], s["hub"]["url"], s["hub"]["name"], s["hub"]["end"]["reason"]) for s in result["surveys"]] \
        == [("sealed", hub.url, HUB_NAME, "completed"), ("sealed", result["hubs"][1], NMDC_HUB, "completed")]
    for s in result["surveys"]:
        assert cli.run("captures", "verify", s["capture_id"]).returncode == 0
        [facts] = [i["fields"] for i in cli.items(s["capture_id"]) if i["kind"] == "p2p_hub"]
        assert facts["url"] == s["hub"]["url"] and facts["users"] >= 1


def test_schedule_add_p2p_hub_runs_the_survey_command(cli, nmdc):
    proc = cli.run("schedule", "add", "hub-watch", "--p2p-hub", nmdc, "--search", "Kino", "--filelists", "2",
                   "--cron", "0 * * * *", "--allow-private")
    assert proc.returncode == 0, proc.stderr
    [schedule] = ScheduleBook(cli.store).all()
    assert crawl_args(schedule) == ["p2p", "hub", nmdc, "--json", "--filelists", "2", "--duration", "120.0",
                                    "--nick", "evidence-survey", "--search", "Kino", "--allow-private"]
    run = cli.json("schedule", "run-once", "hub-watch", "--json")
    assert run["result"] == "sealed" and run["capture_id"]
    assert cli.run("schedule", "add", "x", "--cron", "0 * * * *").returncode == 2
    proc = cli.run("schedule", "add", "works", "--p2p-hub", nmdc, "--repertoire", "rao", "--max-searches", "5",
                   "--cron", "0 * * * *")
    assert proc.returncode == 0, proc.stderr
    works = next(s for s in ScheduleBook(cli.store).all() if s.name == "works")
    assert crawl_args(works)[-4:] == ["--repertoire", "rao", "--max-searches", "5"]


@pytest.mark.slow
def test_real_hub_survey_seals_the_shared_files_and_diffs_a_newly_shared_one(cli, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    for name, size in FILES.items():
        (share / name).write_bytes(os.urandom(size))
    hub = Uhub(tmp_path)
    client = Eiskalt(tmp_path, SHARER, share)
    try:
        client.join(hub.url)
        first = survey(cli, hub.url, "--search", "Kino", "--filelists", "1")
        assert first["hub"]["name"] == HUB_NAME and first["hub"]["end"]["reason"] == "completed"
        listed = {(i["fields"]["path"], i["fields"]["size"], i["fields"]["tth"])
                  for i in cli.items(first["capture_id"])
                  if i["kind"] == "p2p_share" and i["fields"]["source"] == "filelist"}
        assert listed == {(f"/Music/{n}", s, rhash_tth(share / n)) for n, s in FILES.items()}
        assert cli.run("captures", "verify", first["capture_id"]).returncode == 0
        (share / "Kino - Zvezda.mp3").write_bytes(os.urandom(70_000))
        client.call("share.refresh")
        wait_for(client._hashed, 60, "the client to hash the new file")
        second = survey(cli, hub.url, "--search", "Kino", "--filelists", "1")
    finally:
        client.stop()
        hub.stop()
    diff = cli.json("diff", first["capture_id"], second["capture_id"], "--json")
    assert [a["fields"]["path"] for a in diff["added"]] == ["/Music/Kino - Zvezda.mp3"]
    assert diff["added"][0]["fields"]["tth"] == rhash_tth(share / "Kino - Zvezda.mp3")
    # the same users both times (the client re-announces its share size on its own schedule, so a
    # users.changed entry is not asserted)
    assert diff["removed"] == [] and diff["users"]["added"] == diff["users"]["removed"] == []
    exported_and_verified(cli, tmp_path, first["capture_id"], second["capture_id"])


@pytest.mark.slow
def test_adcs_hub_certificate_is_in_the_items_the_manifest_the_warc_and_the_report(cli, tmp_path):
    hub = Uhub(tmp_path, tls=True)
    try:
        summary = survey(cli, hub.url)
    finally:
        hub.stop()
    assert summary["state"] == "sealed" and summary["hub"]["end"]["reason"] == "completed", summary
    assert summary["hub"]["name"] == HUB_NAME and hub.url.startswith("adcs://")
    facts = {"sha256": hashlib.sha256(hub.der).hexdigest(), "subject": f"CN={CERT_CN},O=Evidence Tests",
             "issuer": f"CN={CERT_ISSUER_CN},O=Evidence Tests"}
    manifest = CaptureManifest.read(summary["manifest"])
    assert manifest.p2p_hub.tls_certificate.model_dump() == facts
    [item] = [i for i in cli.items(summary["capture_id"]) if i["kind"] == "p2p_hub"]
    assert {k: item["fields"][f"tls_certificate_{k}"] for k in facts} == facts
    warc = next((Path(summary["manifest"]).parent / "artifacts").glob("*.warc.gz"))
    with warc.open("rb") as fh:
        [cert] = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "metadata"
                  and r.rec_headers.get_header("Content-Type") == "application/pkix-cert"]
    assert cert == hub.der
    assert cli.run("captures", "verify", summary["capture_id"]).returncode == 0
    exported_and_verified(cli, tmp_path, summary["capture_id"])
    with zipfile.ZipFile(tmp_path / "case.wacz") as z:
        report = z.read("evidence/report.html").decode()
    assert all(html.escape(v) in report for v in facts.values())
