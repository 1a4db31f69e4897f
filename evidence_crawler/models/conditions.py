"""The conditions of a capture, recorded at capture time in the manifest's environment statement.

Each is one section of ``environment`` (``models.manifest.Environment``): the machine, the tool's own files,
the browser, the DNS resolvers configured, the public egress address, the clock check, the clean-state
facts and the robots.txt policy. How each value is established is in ``docs/environment.md``; a report
prints what is here and nothing else (older captures lack these sections: "not recorded").
"""

from __future__ import annotations

from typing import Any, Literal

from evidence_crawler.models.base import Frozen


class Stated(Frozen):
    """A condition writes every one of its fields, ``null`` included: "not determined" is stated, not left out
    (``JsonDocument.dump_bytes`` leaves out unset fields; these count as set)."""

    def model_post_init(self, context: Any) -> None:
        object.__setattr__(self, "__pydantic_fields_set__", set(type(self).model_fields))


class Machine(Stated):
    """The capturing machine's processor and memory, as the OS reports them (None where it does not say)."""

    cpu_model: str | None = None  # /proc/cpuinfo "model name" (or the platform's processor string)
    cpu_count: int | None = None  # os.cpu_count(): logical processors
    memory_bytes: int | None = None  # /proc/meminfo MemTotal, else SC_PHYS_PAGES * SC_PAGE_SIZE


class ToolFiles(Stated):
    """One sha256 over the tool's installed source files, so a modified tool shows (``toolfiles.py``)."""

    sha256: str
    files: int
    method: str  # how it was computed, in one line an expert can redo


class BrowserEnvironment(Stated):
    """The browser a capture used (render / capture URL); None in the manifest when none was used."""

    name: str | None = None
    version: str | None = None  # Playwright's browser.version
    executable: str | None = None
    proxy: str | None = None  # the --proxy-server the browser was launched with
    routing: str | None = None  # how the browser's requests actually reach the network (one sentence)


class DnsResolvers(Stated):
    """The DNS resolvers the capture's name lookups were configured to use (``resolvers.py``)."""

    source: Literal["system", "EVIDENCE_DNS_RESOLVERS"]
    servers: list[str]  # "ip:port" ("[ip]:port" for IPv6)
    config_file: str | None = None  # /etc/resolv.conf for "system"
    error: str | None = None  # the configuration could not be read


class PublicIp(Stated):
    """The public address the capture's traffic leaves from, as an echo service saw it (``publicip.py``)."""

    ip: str | None = None
    source_url: str | None = None  # the echo service that answered (secrets masked)
    checked_at: str | None = None
    error: str | None = None  # why it was not determined (every URL's failure), or None
    answer_sha256: str | None = None  # of the raw answer body the address was read from


class ClockCheck(Stated):
    """The system clock against an NTP server (``clockcheck.py``): SNTP, RFC 4330."""

    system_utc: str  # the system clock when the check was made
    checked: bool
    server: str | None = None  # host:port that answered
    offset_s: float | None = None  # server time - system time (positive: the system clock is behind)
    round_trip_s: float | None = None
    stratum: int | None = None
    checked_at: str | None = None
    error: str | None = None


class CleanState(Stated):
    """How the capture started with no cookie, cache, history or storage carried in (``cleanstate.py``)."""

    http: str
    browser: str | None = None  # None: no browser was used
    cookies_in: int | None = None  # cookies in Scrapy's jars when the crawl started (None: not counted)


class RobotsPolicy(Stated):
    obeyed: bool
    user_agent: str
