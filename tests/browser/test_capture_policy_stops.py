"""``capture --json`` counts the refused link-local image of ``/page`` as a policy stop, not a failure."""

from __future__ import annotations

from evidence_crawler.models.errorkinds import ErrorTally
from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium


def test_capture_json_gains_failures_and_policy_stops(pages, capture):
    c = capture(f"{pages.url}/page")
    assert c.summary["policy_stops"].get("refused_private", 0) >= 1, c.summary["errors"]
    assert "refused_private" not in c.summary["failures"]
    assert ErrorTally.of(c.summary["errors"]).json_fields() == {
        "failures": c.summary["failures"], "policy_stops": c.summary["policy_stops"]}
