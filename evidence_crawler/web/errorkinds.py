"""Errors split as an investigator reads them: failures apart from pages not followed by policy."""

from __future__ import annotations

from collections import Counter
from typing import Any

POLICY_KINDS = frozenset({"robots", "trap_guard", "depth_limit", "page_limit", "off_site_redirect",
                          "refused_private"})


def split_errors(by_kind: Counter) -> dict[str, Any]:
    policy = {k: n for k, n in sorted(by_kind.items()) if k in POLICY_KINDS}
    failures = {k: n for k, n in sorted(by_kind.items()) if k not in POLICY_KINDS}
    return {"failures": failures, "policy_stops": policy, "failed": sum(failures.values()),
            "not_followed": sum(policy.values())}
