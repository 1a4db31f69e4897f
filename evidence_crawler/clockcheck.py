"""The system clock checked against NTP servers (``EVIDENCE_NTP_SERVERS``): one SNTP query (RFC 4330).

Servers are ``host[:port]`` (``[ipv6]:port``), port 123 unless stated, asked in order until one gives a
usable answer (a server reply, synchronised, stratum 1 to 15). The offset is NTP's
``((T2 - T1) + (T3 - T4)) / 2``: positive when the system clock is behind the server. The query is made
by ``ntplib`` (pinned); each server waits at most a few seconds and the whole check is bounded. Nothing
here raises: an unanswered check is stated (``checked: false`` and why).
"""

from __future__ import annotations

import time

import ntplib

from evidence_crawler.models import ClockCheck
from evidence_crawler.timeutil import iso

UNSET = "unchecked: EVIDENCE_NTP_SERVERS is not set"
NTP_PORT = 123
NTP_VERSION = 3
SERVER_TIMEOUT_S = 2.0
BUDGET_S = 4.0
ROUND = 6  # microseconds: the evidence's clock resolution


def split_server(text: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port``; ValueError for a bad port."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""  # a bare IPv6 address, or a name
    if not host or (port and not port.isdigit()) or not 0 < int(port or NTP_PORT) < 65536:
        raise ValueError(f"not host[:port]: {text!r}")
    return host, int(port or NTP_PORT)


def _usable(stats) -> str | None:
    """Why an answer cannot be used, or None (RFC 4330 section 5: the client's checks)."""
    if stats.mode not in (4, 5):
        return f"reply mode {stats.mode} is not a server's"
    if stats.leap == 3:
        return "server says its clock is not synchronised (leap indicator 3)"
    if not 1 <= stats.stratum <= 15:
        return f"stratum {stats.stratum} (0: kiss-o'-death or unsynchronised)"
    if stats.tx_timestamp == 0:
        return "no transmit timestamp"
    return None


def check_clock(servers: list[str], budget_s: float = BUDGET_S,
                server_timeout_s: float = SERVER_TIMEOUT_S) -> ClockCheck:
    system_utc = iso()
    if not servers:
        return ClockCheck(system_utc=system_utc, checked=False, error=UNSET)
    end = time.monotonic() + budget_s
    client, errors = ntplib.NTPClient(), []
    for spec in servers:
        left = end - time.monotonic()
        if left <= 0:
            errors.append(f"{spec}: not asked, the clock check's {budget_s:g} s ran out")
            continue
        try:
            host, port = split_server(spec)
            system_utc = iso()
            stats = client.request(host, version=NTP_VERSION, port=port, timeout=min(server_timeout_s, left))
        except ValueError as exc:
            errors.append(str(exc))
            continue
        except (ntplib.NTPException, OSError) as exc:
            errors.append(f"{spec}: {exc}")
            continue
        why = _usable(stats)
        if why:
            errors.append(f"{spec}: {why}")
            continue
        return ClockCheck(system_utc=system_utc, checked=True, server=f"{host}:{port}" if ":" not in host
                          else f"[{host}]:{port}", offset_s=round(stats.offset, ROUND),
                          round_trip_s=round(stats.delay, ROUND), stratum=stats.stratum, checked_at=iso())
    return ClockCheck(system_utc=system_utc, checked=False, checked_at=iso(),
                      error="unchecked: " + "; ".join(errors))
