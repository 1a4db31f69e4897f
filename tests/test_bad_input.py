"""Hostile input, end to end: the real CLI against ``tests/servers/hostile.py``.

Every scenario checks the same three things: a clear one-line error of the documented ``kind``, a
record of what happened (pages, WARC records, errors), and that nothing was lost (the capture is
sealed, every WARC passes ``warcio check`` and ``captures verify`` exits 0).

Each test crawls one narrow profile (``follow: []`` unless the scenario is about following links),
with short timeouts and one retry, so the whole file runs in about a minute.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import Cli
from tests.servers.hostile import (
    CHARSET_PAGES,
    ED2K_LINK,
    MAGNET_LINK,
    PRIVATE_TARGET,
    HostileServer,
    gzip_bomb_bytes,
)

WARCIO = Path(sys.executable).parent / "warcio"

RETRY_TIMES = 1
TIMEOUT_S = 2
MAX_BODY = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10  # EvidenceConfig default
FAST = {
    "EVIDENCE_DOWNLOAD_TIMEOUT_S": str(TIMEOUT_S),
    "EVIDENCE_RETRY_TIMES": str(RETRY_TIMES),
    "EVIDENCE_MAX_BODY_BYTES": str(MAX_BODY),
    "EVIDENCE_AUTOTHROTTLE": "0",
}

pytestmark = pytest.mark.timeout(60)


# --- helpers ----------------------------------------------------------------------------------------


def profile(server: HostileServer, *paths: str, name: str = "hostile", follow: list[str] | None = None,
            item_pages: str | None = r"/(malformed|charset/)", limits: dict | None = None,
            allowed_domains: list[str] | None = None, offers: bool = True) -> str:
    """A narrow profile as YAML text (JSON is YAML): start at ``paths``, follow nothing by default."""
    data: dict = {"name": name, "start_urls": [server.url(p) for p in paths],
                  "follow": [] if follow is None else follow, "fields": {"title": "h1::text"},
                  "limits": {"max_pages": 50, "max_depth": 30, "max_per_pattern": 20, **(limits or {})}}
    if item_pages:
        data["item_pages"] = item_pages
    if offers:
        data["offers"] = {"selector": "body", "fields": {"price": "span.price::text"}, "currency": "USD"}
    if allowed_domains:
        data["allowed_domains"] = allowed_domains
    return json.dumps(data, ensure_ascii=False, indent=2)


def errors_of(summary: dict, kind: str, path: str | None = None) -> list[dict]:
    return [e for e in summary["errors"] if e["kind"] == kind and (path is None or path in e["url"])]


def assert_clear(errors: list[dict]) -> None:
    """Every error is one non-empty line, with the url, kind and time it happened."""
    for e in errors:
        assert set(e) >= {"url", "kind", "message", "at"}, e
        assert e["message"].strip() and "\n" not in e["message"], e


def show(cli, capture_id: str) -> dict:
    return cli.json("captures", "show", capture_id, "--json")


def pages_at(info: dict, path: str) -> list[dict]:
    return [p for p in info["pages"] if p["url"].split("://", 1)[1].split("/", 1)[-1] == path.lstrip("/")]


def assert_sound(cli, summary: dict) -> dict:
    """Sealed, listed, every WARC well-formed, and ``captures verify`` happy. Returns ``captures show``."""
    cid = summary["capture_id"]
    assert summary["state"] == "sealed", summary
    assert summary["warc_files"], summary
    assert_clear(summary["errors"])
    for warc in summary["warc_files"]:
        assert Path(warc).is_file(), warc
        check = subprocess.run([str(WARCIO), "check", "-v", warc], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, f"warcio check {warc}: {check.stdout[-2000:]}{check.stderr[-2000:]}"
    verify = cli.run("captures", "verify", cid)
    assert verify.returncode == 0, f"captures verify {cid}: {verify.stdout}{verify.stderr}"
    listed = {c["id"]: c for c in cli.json("captures", "list", "--json")}
    assert listed[cid]["state"] == "sealed"
    info = show(cli, cid)
    assert info["state"] == "sealed"
    assert len(info["pages"]) == summary["pages"]
    return info


def warc_record(page: dict, warc_files: list[str]):
    """(WARC headers, HTTP headers, raw payload bytes) of the response record a page points at."""
    path = next(w for w in warc_files if Path(w).name == page["warc_file"])
    with open(path, "rb") as fh:
        fh.seek(page["warc_offset"])
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == page["url"]
        return record.rec_headers, record.http_headers, record.raw_stream.read()


def fetch_raw(url: str) -> bytes:
    """The body exactly as served (urllib does no content decoding)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_MEASURE = ("import resource, subprocess, sys\n"
            "rc = subprocess.run(sys.argv[1:]).returncode\n"
            "sys.stderr.write('\\nMAXRSS_KIB=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(rc)\n")


def crawl_measured(cli, profile_path: Path, env: dict) -> tuple[dict, int]:
    """``crawl --json`` like ``cli.crawl``, plus the crawler process's peak RSS in bytes."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cli.command("crawl", str(profile_path), "--allow-private",
                                                                         "--json")],
                          capture_output=True, text=True, env=cli.environ(env), timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    rss = int(proc.stderr.rsplit("MAXRSS_KIB=", 1)[1].split()[0]) * 1024
    return json.loads(proc.stdout), rss


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory) -> int:
    """Peak RSS of a trivial crawl (one tiny page): what the crawler costs before any body."""
    tmp = tmp_path_factory.mktemp("baseline")
    with HostileServer() as server:
        path = tmp / "p.yaml"
        path.write_text(profile(server, "/malformed"), encoding="utf-8")
        _, rss = crawl_measured(Cli(tmp / "store"), path, FAST)
    return rss


# --- parsing --------------------------------------------------------------------------------------


def test_malformed_html_still_yields_the_item(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/malformed")), env=FAST)
    assert_sound(cli, summary)
    assert summary["errors"] == []
    (item,) = [i for i in cli.items(summary["capture_id"]) if i["kind"] == "product"]
    assert item["fields"]["title"] == "Broken Item"
    (offer,) = item["offers"]
    assert offer["amount"] == "9.99" and offer["currency"] == "USD"
    assert item["page_sha256"] == sha256(fetch_raw(hostile_server.url("/malformed")))


def test_lying_or_missing_charsets_decode_cyrillic_exactly_and_keep_bytes(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, *CHARSET_PAGES)), env=FAST)
    info = assert_sound(cli, summary)
    assert summary["errors"] == []
    items = {i["url"]: i for i in cli.items(summary["capture_id"])}
    expected_encoding = {"/charset/cp1251-labelled-utf8": ("cp1251", "header"),
                         "/charset/utf8-labelled-cp1251": ("utf-8", "header"),
                         "/charset/none": ("cp1251", "meta")}
    for path, (title, price, _enc, _ctype, _head) in CHARSET_PAGES.items():
        url = hostile_server.url(path)
        item = items[url]
        assert item["fields"]["title"] == title, (path, item)
        (offer,) = item["offers"]
        assert offer["price"] == price, (path, offer)
        assert offer["amount"] == price.split()[0].replace(",", "."), (path, offer)
        # the decision and its reason are recorded with the item
        enc, why = expected_encoding[path]
        assert item["encoding"].startswith(enc), (path, item["encoding"])
        assert why in item["encoding"].lower(), (path, item["encoding"])
        # evidence is the bytes as served, whatever the text decoding decided
        raw = fetch_raw(url)
        (page,) = pages_at(info, path)
        assert page["sha256"] == sha256(raw) == item["page_sha256"], path
        _, http_headers, payload = warc_record(page, summary["warc_files"])
        assert payload == raw, path
        assert http_headers.get_header("Content-Type") == CHARSET_PAGES[path][3]


def test_p2p_links_become_items(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/p2p", item_pages=None, offers=False)), env=FAST)
    assert_sound(cli, summary)
    assert summary["p2p"] == 2
    p2p = {i["fields"]["scheme"]: i for i in cli.items(summary["capture_id"]) if i["kind"] == "p2p"}
    assert set(p2p) == {"ed2k", "magnet"}
    ed2k, magnet = p2p["ed2k"]["fields"], p2p["magnet"]["fields"]
    assert ed2k["name"] == "Kino - Gruppa krovi.zip"
    assert ed2k["size"] == 104857600 and isinstance(ed2k["size"], int)
    assert ed2k["hash"].lower() == "0123456789abcdef0123456789abcdef"
    assert ed2k["link"] == ED2K_LINK
    assert magnet["name"] == "Zemfira - Vendetta"
    assert magnet["size"] == 73400320 and isinstance(magnet["size"], int)
    assert magnet["hash"].lower() == "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
    assert magnet["link"] == MAGNET_LINK
    for item in p2p.values():
        assert item["page_sha256"] == sha256(fetch_raw(hostile_server.url("/p2p")))


# --- bodies that try to exhaust memory ------------------------------------------------------------


@pytest.mark.slow
def test_gzip_bomb_is_refused_but_its_compressed_bytes_are_kept(cli, write_profile, hostile_server,
                                                                baseline_rss):
    summary, rss = crawl_measured(cli, write_profile(profile(hostile_server, "/gzip-bomb")), FAST)
    info = assert_sound(cli, summary)
    (err,) = errors_of(summary, "decompression_bomb")
    assert err["url"] == hostile_server.url("/gzip-bomb")
    assert summary["items"] == 0
    served = gzip_bomb_bytes(hostile_server.bomb_size)
    (page,) = pages_at(info, "/gzip-bomb")
    assert page["status"] == 200
    assert page["sha256"] == sha256(served), "page sha256 must be of the compressed bytes as received"
    assert page["size"] == len(served)
    _, http_headers, payload = warc_record(page, summary["warc_files"])
    assert http_headers.get_header("Content-Encoding") == "gzip"
    assert sha256(payload) == sha256(served)
    assert rss < baseline_rss + 64 * 1024 * 1024, f"peak RSS {rss >> 20} MiB vs baseline {baseline_rss >> 20} MiB"


@pytest.mark.parametrize("path", [
    "/oversize",
    "/oversize-chunked",
])
def test_oversize_body_is_refused_without_blowing_memory(cli, write_profile, hostile_server, baseline_rss, path):
    summary, rss = crawl_measured(cli, write_profile(profile(hostile_server, path)), FAST)
    info = assert_sound(cli, summary)
    # memory first: the 64 MiB body must not have been buffered (the cap is 4 MiB)
    assert rss < baseline_rss + 32 * 1024 * 1024, f"peak RSS {rss >> 20} MiB vs baseline {baseline_rss >> 20} MiB"
    assert not pages_at(info, path) or all(p["size"] <= MAX_BODY for p in pages_at(info, path))
    errs = errors_of(summary, "too_large", path)
    assert errs, summary["errors"]
    assert {e["url"] for e in errs} == {hostile_server.url(path)}
    assert summary["items"] == 0
    # a clear error names the cap the body ran into
    assert any(str(MAX_BODY) in e["message"] or "max size" in e["message"].lower() for e in errs), errs


# --- redirects, traps ------------------------------------------------------------------------------


def _hits(server: HostileServer, prefix: str) -> int:
    return sum(n for p, n in server.hits.items() if p.startswith(prefix))


def test_redirect_loop_is_detected_and_bounded(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/redirect-loop/a")), env=FAST)
    info = assert_sound(cli, summary)
    loops = errors_of(summary, "redirect_loop")
    assert loops, summary["errors"]
    assert all("/redirect-loop/" in e["url"] for e in loops)
    hits = _hits(hostile_server, "/redirect-loop/")
    assert 2 <= hits <= REDIRECT_MAX_TIMES + 1
    # every hop the server answered is in the record, with where it pointed
    hops = [p for p in info["pages"] if "/redirect-loop/" in p["url"]]
    assert len(hops) == hits
    assert all(p["status"] == 302 and "/redirect-loop/" in (p["redirect_to"] or "") for p in hops)


def test_redirect_chain_keeps_both_hops(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/redirect/chain")), env=FAST)
    info = assert_sound(cli, summary)
    assert summary["errors"] == []
    (first,) = pages_at(info, "/redirect/chain")
    (final,) = pages_at(info, "/redirect/final")
    assert first["status"] == 301 and first["redirect_to"] == hostile_server.url("/redirect/final")
    assert final["status"] == 200 and not final["redirect_to"]
    assert final["referrer"] == hostile_server.url("/redirect/chain")
    for page in (first, final):
        _, _, payload = warc_record(page, summary["warc_files"])
        assert sha256(payload) == page["sha256"]


def test_calendar_trap_is_cut_by_max_per_pattern(cli, write_profile, hostile_server):
    text = profile(hostile_server, "/trap/calendar?day=2024-01-01", follow=['a[href*="calendar"]'],
                   item_pages=None, limits={"max_per_pattern": 5})
    summary = cli.crawl(write_profile(text), env=FAST)
    info = assert_sound(cli, summary)
    (trap,) = errors_of(summary, "trap_guard")
    assert "/trap/calendar" in trap["url"] and "max_per_pattern" in trap["message"]
    assert hostile_server.hits["/trap/calendar"] <= 6
    assert len([p for p in info["pages"] if "/trap/calendar" in p["url"]]) == hostile_server.hits["/trap/calendar"]


def test_deep_trap_is_cut_by_max_depth(cli, write_profile, hostile_server):
    text = profile(hostile_server, "/trap/deep/1", follow=['a[href*="/trap/deep/"]'], item_pages=None,
                   limits={"max_depth": 3})
    summary = cli.crawl(write_profile(text), env=FAST)
    info = assert_sound(cli, summary)
    (deep,) = errors_of(summary, "depth_limit")
    assert "max_depth" in deep["message"]
    deep_pages = [p for p in info["pages"] if "/trap/deep/" in p["url"]]
    assert max(p["depth"] for p in deep_pages) == 3
    assert _hits(hostile_server, "/trap/deep/") == len(deep_pages) == 4  # depths 0, 1, 2, 3


# --- transport failures ----------------------------------------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.slow
def test_stalled_and_slow_servers_time_out_per_attempt(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/stall", "/slow?s=30")), env=FAST)
    assert_sound(cli, summary)
    for path in ("/stall", "/slow"):
        errs = errors_of(summary, "timeout", path)
        assert len(errs) == RETRY_TIMES + 1, summary["errors"]  # each attempt recorded
        assert hostile_server.hits[path] == RETRY_TIMES + 1
        assert all(f"{TIMEOUT_S}" in e["message"] for e in errs), errs
    assert {e["kind"] for e in summary["errors"]} == {"timeout"}


def test_connection_reset_is_a_connection_error_per_attempt(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/reset")), env=FAST)
    assert_sound(cli, summary)
    errs = errors_of(summary, "connection", "/reset")
    assert len(errs) == RETRY_TIMES + 1 == hostile_server.hits["/reset"], summary["errors"]
    assert {e["kind"] for e in summary["errors"]} == {"connection"}


def test_404_is_an_http_status_error_and_kept(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/status/404")), env=FAST)
    info = assert_sound(cli, summary)
    (err,) = errors_of(summary, "http_status", "/status/404")
    assert "404" in err["message"]
    assert hostile_server.hits["/status/404"] == 1  # 404 is not retried
    (page,) = pages_at(info, "/status/404")
    assert page["status"] == 404
    _, _, payload = warc_record(page, summary["warc_files"])
    assert sha256(payload) == page["sha256"] == sha256(b"".join(_raw_error_body(hostile_server, "/status/404")))


def _raw_error_body(server: HostileServer, path: str):
    try:
        urllib.request.urlopen(server.url(path), timeout=10)
    except urllib.error.HTTPError as exc:
        yield exc.read()


def test_503_is_retried_and_every_attempt_kept(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/status/503")), env=FAST)
    info = assert_sound(cli, summary)
    (err,) = errors_of(summary, "http_status", "/status/503")
    assert "503" in err["message"]
    assert hostile_server.hits["/status/503"] == RETRY_TIMES + 1
    pages = pages_at(info, "/status/503")
    assert len(pages) == RETRY_TIMES + 1 and {p["status"] for p in pages} == {503}
    assert len({p["warc_offset"] for p in pages}) == len(pages)  # distinct records, one per attempt


# --- where the crawler may go ----------------------------------------------------------------------


def test_private_start_url_needs_allow_private(cli, write_profile, hostile_server):
    path = write_profile(profile(hostile_server, "/p2p"))
    proc = cli.run("crawl", str(path), "--json", env=FAST)
    assert proc.returncode != 0
    assert proc.stdout.strip() == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "127.0.0.1" in lines[0] and "--allow-private" in lines[0]
    assert not hostile_server.requests, "nothing may be fetched, not even robots.txt"
    assert [c for c in cli.json("captures", "list", "--json") if c["state"] == "sealed"] == []


def test_non_http_start_url_is_refused(cli, write_profile, hostile_server):
    path = write_profile(profile(hostile_server, "/p2p"))
    proc = cli.run("crawl", str(path), "--allow-private", "--json", "--start-url", "ftp://x/", env=FAST)
    assert proc.returncode != 0
    assert proc.stdout.strip() == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "ftp://x/" in lines[0] and "http" in lines[0]
    assert not hostile_server.requests
    assert cli.json("captures", "list", "--json") == []


def test_redirect_to_link_local_metadata_is_refused_without_connecting(cli, write_profile, hostile_server):
    # Safety net: any request for 169.254.169.254 goes to the hostile server as an HTTP proxy instead of
    # the network, so a guard that lets it through is observed here and never reaches a real endpoint.
    env = {**FAST, "http_proxy": hostile_server.base_url, "https_proxy": hostile_server.base_url,
           "HTTP_PROXY": hostile_server.base_url, "HTTPS_PROXY": hostile_server.base_url,
           "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
    text = profile(hostile_server, "/private-redirect", allowed_domains=["127.0.0.1", "169.254.169.254"])
    summary = cli.crawl(write_profile(text), env=env)
    info = assert_sound(cli, summary)
    (redirect,) = pages_at(info, "/private-redirect")
    assert redirect["redirect_to"] == PRIVATE_TARGET
    refused = errors_of(summary, "refused_private")
    assert refused and all("169.254.169.254" in e["url"] for e in refused), summary["errors"]
    assert any("169.254.169.254" in e["message"] for e in refused)
    assert not [p for p in info["pages"] if "169.254" in p["url"]]
    assert not [r for r in hostile_server.requests if "169.254" in r], "a connection to 169.254 was attempted"


def test_ignore_robots_still_archives_robots_txt(cli, write_profile, hostile_server):
    summary = cli.crawl(write_profile(profile(hostile_server, "/")), "--ignore-robots", env=FAST)
    info = assert_sound(cli, summary)
    (robots,) = pages_at(info, "/robots.txt")
    assert robots["status"] == 200
    assert hostile_server.hits["/robots.txt"] == 1
    assert robots["sha256"] == sha256(fetch_raw(hostile_server.url("/robots.txt")))
    _, _, payload = warc_record(robots, summary["warc_files"])
    assert payload == b"User-agent: *\nAllow: /\n"
    manifest = json.loads(Path(summary["manifest"]).read_text(encoding="utf-8"))
    assert manifest["settings"]["EVIDENCE_IGNORE_ROBOTS"] is True
    assert manifest["settings"]["ROBOTSTXT_OBEY"] is False
