"""A small bounded HTTP/1.1 GET that keeps the exact bytes on the wire (RDAP, bootstrap files).

h11 does the protocol; we own the socket, so every byte sent and received is kept, the connection goes
to the address the destination guard approved (no second resolution to rebind), and every read waits at
most what is left of the step's budget. Redirect hops are separate exchanges, each re-checked by the
guard (a hostile RDAP server could point at the investigator's network or a metadata endpoint).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import h11

from evidence_crawler import netguard
from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.records import Frozen, HttpExchange
from evidence_crawler.timeutil import iso

Resolver = Callable[[str], list[str]]  # host -> addresses; raises OSError when it cannot
REDIRECTS = {301, 302, 303, 307, 308}
MAX_HEADER_BYTES = 64 * 1024


class FetchLimits(Frozen):
    max_bytes: int
    request_timeout_s: float
    max_redirects: int
    allow_private: bool
    user_agent: str
    accept: str = "application/rdap+json, application/json"


def system_resolve(host: str) -> list[str]:
    return netguard.resolve(host)


class _Refused(Exception):
    pass


def _destination(host: str, resolve: Resolver, allow_private: bool) -> str:
    try:
        addresses = [host.strip("[]")] if _is_ip(host) else resolve(host)
    except OSError as exc:
        raise ConnectionError(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise ConnectionError(f"cannot resolve {host}: no address")
    for addr in addresses:
        label = netguard.refusal(addr, allow_private)
        if label:
            hint = netguard.REFUSAL_HINT if label in netguard.ALLOWABLE else "never allowed"
            raise _Refused(f"{host} resolves to {addr} ({label}); {hint}")
    return addresses[0]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _one(url: str, limits: FetchLimits, deadline: Deadline, resolve: Resolver) -> HttpExchange:
    parts = urlsplit(url)
    sent_at, start = iso(), time.monotonic()
    base = {"url": url, "sent_at": sent_at}

    def done(**fields) -> HttpExchange:
        return HttpExchange(**base, duration_ms=round((time.monotonic() - start) * 1000, 3), **fields)

    if parts.scheme not in ("http", "https") or not parts.hostname:
        return done(outcome="refused", error=f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ip = _destination(parts.hostname, resolve, limits.allow_private)
    except _Refused as exc:
        return done(outcome="refused", error=str(exc))
    except ConnectionError as exc:
        return done(outcome="connection", error=str(exc))
    base.update(ip=ip, port=port)
    own_budget = Deadline(limits.request_timeout_s)

    def wait() -> float:
        return min(deadline.cap(limits.request_timeout_s), own_budget.cap(limits.request_timeout_s))

    host_header = parts.netloc.rpartition("@")[2]
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = conn.send(h11.Request(method="GET", target=target,
                                    headers=[("Host", host_header), ("User-Agent", limits.user_agent),
                                             ("Accept", limits.accept), ("Accept-Encoding", "identity"),
                                             ("Connection", "close")]))
    request += conn.send(h11.EndOfMessage())
    raw, body, status, headers = bytearray(), bytearray(), None, ()
    sent = b""
    try:
        sock = socket.create_connection((ip, port), timeout=wait())
    except TimeoutError:
        return done(outcome="timeout", error=f"connect to {ip}:{port} timed out")
    except OSError as exc:
        return done(outcome="connection", error=f"connect to {ip}:{port}: {exc}")
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        sock.settimeout(wait())
        sock.sendall(request)
        sent = request
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if deadline.expired or own_budget.expired:
                    raise TimeoutError
                sock.settimeout(wait())
                chunk = sock.recv(65536)
                if len(raw) + len(chunk) > limits.max_bytes:
                    raw += chunk[: limits.max_bytes - len(raw)]
                    return done(request_bytes=sent, response_bytes=bytes(raw), status=status, headers=headers,
                                body=bytes(body), truncated="length", outcome="too_large",
                                error=f"response larger than {limits.max_bytes} bytes; kept the first ones")
                raw += chunk
                conn.receive_data(chunk)
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    except TimeoutError:
        return done(request_bytes=sent, response_bytes=bytes(raw), status=status, headers=headers, body=bytes(body),
                    truncated="time" if raw else None, outcome="timeout",
                    error=f"no complete answer from {ip}:{port} in time ({len(raw)} bytes received)")
    except ssl.SSLError as exc:
        return done(request_bytes=sent, outcome="tls", error=f"TLS with {parts.hostname}: {exc}")
    except h11.RemoteProtocolError as exc:
        return done(request_bytes=sent, response_bytes=bytes(raw), status=status, headers=headers,
                    outcome="protocol", error=f"malformed HTTP from {ip}:{port}: {exc}")
    except OSError as exc:
        return done(request_bytes=sent, response_bytes=bytes(raw), status=status, headers=headers,
                    outcome="connection", error=f"{ip}:{port}: {exc}")
    finally:
        sock.close()
    location = dict((k.lower(), v) for k, v in headers).get("location")
    redirect_to = urljoin(url, location) if status in REDIRECTS and location else None
    return done(request_bytes=sent, response_bytes=bytes(raw), status=status, headers=headers, body=bytes(body),
                outcome="ok", redirect_to=redirect_to)


def fetch(url: str, limits: FetchLimits, deadline: Deadline, resolve: Resolver = system_resolve
          ) -> tuple[HttpExchange, ...]:
    """GET ``url``, following up to ``max_redirects`` hops; the last exchange is the answer.

    Never raises for what a server or the network does; the last exchange's ``outcome`` says what happened.
    """
    hops: list[HttpExchange] = []
    while True:
        if deadline.expired:
            hops.append(HttpExchange(url=url, sent_at=iso(), duration_ms=0.0, outcome="budget_exhausted",
                                     error="the intermediaries time budget ran out before this request"))
            return tuple(hops)
        hop = _one(url, limits, deadline, resolve)
        hops.append(hop)
        if hop.redirect_to is None:
            return tuple(hops)
        if len(hops) > limits.max_redirects:
            hops[-1] = hop.model_copy(update={"outcome": "redirect_limit",
                                              "error": f"more than {limits.max_redirects} redirects"})
            return tuple(hops)
        url = hop.redirect_to
