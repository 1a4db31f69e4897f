"""A start URL with ``user:password@`` is refused up front (exit 2) wherever a start URL is given."""

from __future__ import annotations

import pytest

from evidence_crawler.redact import CREDENTIALS_REFUSED
from tests.servers.tinyshop import PROFILE

PASSWORD = "pw-9f3c1e"
URL = f"http://buyer:{PASSWORD}@127.0.0.1:9/"


@pytest.mark.parametrize("how", ["crawl --start-url", "profile start_urls", "capture URL", "schedule --start-url",
                                 "schedule profile"])
def test_start_url_with_credentials_is_refused_naming_the_rule_not_the_password(cli, write_profile, how):
    good = write_profile(PROFILE.format(url="http://127.0.0.1:9/"), "good.yaml")
    bad = write_profile(PROFILE.format(url=URL), "bad.yaml")
    args = {"crawl --start-url": ("crawl", str(good), "--allow-private", "--start-url", URL),
            "profile start_urls": ("crawl", str(bad), "--allow-private", "--json"),
            "capture URL": ("capture", URL + "item/1", "--allow-private", "--json"),
            "schedule --start-url": ("schedule", "add", "s", "--profile", str(good), "--cron", "0 0 * * *",
                                     "--start-url", URL),
            "schedule profile": ("schedule", "add", "s", "--profile", str(bad), "--cron", "0 0 * * *")}[how]
    proc = cli.run(*args)
    assert proc.returncode == 2, proc.stderr
    assert CREDENTIALS_REFUSED in proc.stderr and "buyer:***@127.0.0.1:9" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr and proc.stdout == ""
    assert not list(cli.store.glob("captures/*")) and not list(cli.store.glob("schedules/*.json"))
