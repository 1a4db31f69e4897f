"""Failures and policy stops apart: crawl, capture and captures show say "0 failed, N not followed by policy",
and their ``--json`` keeps ``errors`` and gains ``failures`` and ``policy_stops`` (counts by kind)."""

from __future__ import annotations

import pytest

from evidence_crawler.models.errorkinds import ErrorTally
from tests.servers.tinyshop import TinyShop

PROFILE = """\
name: policy-shop
start_urls: [{url}]
follow: ["a.list", "a.item"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
limits: {{max_pages: 100}}
"""


class PolicyShop(TinyShop):
    """robots.txt disallows ``/item/2``; the index also links to ``/item/999``, which is a 404."""

    def page(self, path: str) -> tuple[bytes, int]:
        if path == "/robots.txt":
            return b"User-agent: *\nDisallow: /item/2\n", 200
        if path == "/":
            body, status = super().page(path)
            return body.replace(b"</body>", b'<a class="item" href="/item/999">gone</a></body>'), status
        return super().page(path)


def test_demo_like_errors_read_as_policy_stops_not_failures():
    errors = [{"kind": "robots"}] * 52 + [{"kind": "trap_guard"}, {"kind": "depth_limit"}]
    tally = ErrorTally.of(errors)
    assert tally.text() == "0 failed, 54 not followed by policy: robots 52, depth limit 1, trap guard 1"
    assert tally.json_fields() == {"failures": {}, "policy_stops": {"robots": 52, "depth_limit": 1, "trap_guard": 1}}


def test_an_unknown_kind_counts_as_a_failure():
    tally = ErrorTally.of([{"kind": "something_new"}, {"kind": "timeout"}, {"kind": "timeout"}, {"kind": "robots"}])
    assert tally.failures == {"timeout": 2, "something_new": 1}
    assert tally.text() == "3 failed (timeout 2, something new 1), 1 not followed by policy: robots 1"


@pytest.fixture
def policy_crawl(cli, write_profile):
    with PolicyShop(items=5) as shop:
        profile = write_profile(PROFILE.format(url=shop.base_url))
        human = cli.run("crawl", str(profile), "--allow-private")
        summary = cli.crawl(profile)
    return human, summary


def test_crawl_says_failed_and_not_followed_by_policy_apart(policy_crawl):
    human, summary = policy_crawl
    assert human.returncode == 0, human.stderr
    assert "1 failed (http status 1), 1 not followed by policy: robots 1" in human.stdout, human.stdout
    assert "errors by kind" not in human.stdout
    assert sorted(e["kind"] for e in summary["errors"]) == ["http_status", "robots"]  # errors kept as is
    assert summary["failures"] == {"http_status": 1}
    assert summary["policy_stops"] == {"robots": 1}


def test_captures_show_splits_failures_and_policy_stops(cli, policy_crawl):
    _, summary = policy_crawl
    info = cli.json("captures", "show", summary["capture_id"], "--json")
    assert len(info["errors"]) == 2
    assert (info["failures"], info["policy_stops"]) == ({"http_status": 1}, {"robots": 1})
    shown = cli.run("captures", "show", summary["capture_id"])
    assert shown.returncode == 0, shown.stderr
    assert "1 failed (http status 1), 1 not followed by policy: robots 1" in shown.stdout, shown.stdout
