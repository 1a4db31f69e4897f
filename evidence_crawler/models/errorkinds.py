"""Which recorded errors are failures and which are policy stops: the one classification every output uses.

``errors.jsonl`` lists everything the capture did not fetch or keep whole. Most of it, on a normal crawl,
is the crawler obeying its rules (robots.txt, the depth and page budgets, the trap guard, the address
guard, links off the site): requests deliberately not made. Calling those "errors" tells a reader the
capture went wrong. A kind not listed here counts as a failure: an unknown kind must never look benign.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from evidence_crawler.models.base import Frozen

POLICY_KINDS = frozenset({
    "robots",  # robots.txt disallows it (and --ignore-robots was not given)
    "depth_limit", "page_limit",  # the profile's limits.max_depth / max_pages
    "trap_guard",  # more pages match one pattern than the profile allows (calendars, faceted search)
    "off_site_redirect",  # a redirect leaving allowed_domains, not followed
    "refused_private",  # the destination guard: a private, reserved or metadata address
    "redirect_limit",  # more redirects than allowed for one request
    "websocket_blocked",  # a page's WebSocket, refused by the capture browser's route
})


def is_policy_stop(kind: str) -> bool:
    return kind in POLICY_KINDS


def kind_label(kind: str) -> str:
    """``trap_guard`` -> ``trap guard``: how a kind reads in a sentence."""
    return kind.replace("_", " ")


class ErrorTally(Frozen):
    """Counts by kind, failures and policy stops apart (kinds sorted by count, then name)."""

    failures: dict[str, int]
    policy_stops: dict[str, int]

    @classmethod
    def of(cls, errors: Iterable[Mapping[str, Any]]) -> ErrorTally:
        counts = Counter(str(e.get("kind", "other")) for e in errors)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls(failures={k: n for k, n in ordered if not is_policy_stop(k)},
                   policy_stops={k: n for k, n in ordered if is_policy_stop(k)})

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def stopped(self) -> int:
        return sum(self.policy_stops.values())

    def text(self) -> str:
        """``0 failed, 54 not followed by policy: robots 52, trap guard 1, depth limit 1`` (and the
        failures by kind when there are any)."""
        def by_kind(counts: dict[str, int]) -> str:
            return ", ".join(f"{kind_label(k)} {n}" for k, n in counts.items())

        failed = f"{self.failed} failed" + (f" ({by_kind(self.failures)})" if self.failures else "")
        stopped = f"{self.stopped} not followed by policy" + (f": {by_kind(self.policy_stops)}"
                                                              if self.policy_stops else "")
        return f"{failed}, {stopped}"

    def json_fields(self) -> dict[str, dict[str, int]]:
        """What ``--json`` outputs gain next to ``errors``."""
        return {"failures": dict(self.failures), "policy_stops": dict(self.policy_stops)}
