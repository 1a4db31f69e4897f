"""The conditions of a capture, established while it runs and stated in its manifest's environment.

The network checks (public egress address, clock against NTP) start in the background when the capture
opens (:class:`ConditionChecks`) and are collected when it is sealed; both are bounded in time, so the
crawl never waits on them more than a few seconds, and never fails because of them: what went wrong is
stated. :func:`capture_conditions` assembles every section (``models.conditions``) at sealing, from the
settings the capture ran with and what its components recorded into the session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from evidence_crawler.cleanstate import clean_state
from evidence_crawler.clockcheck import BUDGET_S as CLOCK_BUDGET_S
from evidence_crawler.clockcheck import check_clock
from evidence_crawler.machine import machine
from evidence_crawler.models import BrowserEnvironment, ClockCheck, PublicIp, RobotsPolicy
from evidence_crawler.publicip import BUDGET_S as IP_BUDGET_S
from evidence_crawler.publicip import public_ip
from evidence_crawler.resolvers import resolvers_from
from evidence_crawler.timeutil import iso
from evidence_crawler.toolfiles import tool_files

JOIN_SLACK_S = 2.0  # beyond the checks' own budgets, before a check still running is stated as unfinished
BROWSER_ROUTING = ("every request the page made was answered by the crawler (Playwright routing) through the "
                   "same destination guard, robots rules and WARC recorder as the crawl; nothing listens on the "
                   "proxy, so what the browser would open on its own goes nowhere")


def setting_list(value: Any) -> list[str]:
    """A comma-separated setting (or a list) as a list of its non-empty items."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [str(i).strip() for i in items if str(i).strip()]


class _Background:
    def __init__(self, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name="capture-conditions")

    def _run(self, work) -> None:
        try:
            self.result = work()
        except BaseException as exc:  # noqa: BLE001 - stated in the manifest, never raised into the crawl
            self.error = exc

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


class ConditionChecks:
    """The public-IP and clock checks of one capture, run concurrently with the crawl's start."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        urls = setting_list(settings.get("EVIDENCE_PUBLIC_IP_URLS"))
        servers = setting_list(settings.get("EVIDENCE_NTP_SERVERS"))
        allow_private = bool(settings.get("EVIDENCE_ALLOW_PRIVATE"))
        agent = settings.get("USER_AGENT") or "evidence-crawler"
        self._ip = _Background(lambda: public_ip(urls, allow_private, agent))
        self._clock = _Background(lambda: check_clock(servers))

    def start(self) -> ConditionChecks:
        self._ip.start()
        self._clock.start()
        return self

    def public_ip(self) -> PublicIp:
        if not self._ip.join(IP_BUDGET_S + JOIN_SLACK_S):
            return PublicIp(checked_at=iso(), error="not determined: the check did not finish in time")
        if self._ip.error is not None:
            exc = self._ip.error
            return PublicIp(checked_at=iso(), error=f"not determined: {type(exc).__name__}: {exc}")
        return self._ip.result

    def clock(self) -> ClockCheck:
        if not self._clock.join(CLOCK_BUDGET_S + JOIN_SLACK_S):
            return ClockCheck(system_utc=iso(), checked=False, error="unchecked: the check did not finish in time")
        if self._clock.error is not None:
            return ClockCheck(system_utc=iso(), checked=False,
                              error=f"unchecked: {type(self._clock.error).__name__}: {self._clock.error}")
        return self._clock.result


def browser_environment(section: Mapping[str, Any] | None) -> BrowserEnvironment | None:
    """From the manifest's ``browser`` section (what the launched browser reported); None: no browser used."""
    if not section or not section.get("version"):
        return None
    proxy = next((a.split("=", 1)[1] for a in section.get("launch_args") or []
                  if str(a).startswith("--proxy-server=")), None)
    return BrowserEnvironment(name=section.get("name"), version=section.get("version"),
                              executable=section.get("executable"), proxy=proxy,
                              routing=BROWSER_ROUTING if proxy else None)


def static_conditions(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What this process states about itself whatever it ran: machine, tool files, DNS resolvers, robots."""
    obeyed = settings.get("ROBOTSTXT_OBEY")
    return {"machine": machine(), "tool_files": tool_files(),
            "dns_resolvers": resolvers_from(setting_list(settings.get("EVIDENCE_DNS_RESOLVERS"))),
            "robots": RobotsPolicy(obeyed=bool(not settings.get("EVIDENCE_IGNORE_ROBOTS") if obeyed is None
                                               else obeyed), user_agent=settings.get("USER_AGENT") or "")}


def capture_conditions(settings: Mapping[str, Any], checks: ConditionChecks | None, cookies_in: int | None,
                       browser_section: Mapping[str, Any] | None, browser_clean_state: str | None) -> dict[str, Any]:
    """The environment sections of ``models.conditions``, for ``environment.environment_statement``."""
    browser = browser_environment(browser_section)
    out: dict[str, Any] = {**static_conditions(settings), "browser": browser}
    if checks is not None:
        out.update(public_ip=checks.public_ip(), clock=checks.clock())
    out["clean_state"] = clean_state(settings, cookies_in, browser_clean_state if browser else None)
    return out
