"""A bounded, recorded connection: the only place survey code touches a socket.

A hub is hostile input. Every read here is bounded by the survey's deadline, an idle timeout, a cap on
one message's size and caps on the total messages and bytes; crossing any bound raises ``SurveyStop``
with the typed reason, and whatever was received up to then is already in the transcript.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import time

from cryptography import x509

from evidence_crawler.netguard import check_destination
from evidence_crawler.p2phub.records import EndReason, HubUrl, SurveyLimits
from evidence_crawler.p2phub.transcript import Transcript

# the ends that, on a peer connection (a file list), fail that peer only: noted, and the survey goes on
PEER_FAILURES = {"connect_failed", "hub_closed", "stalled", "malformed", "message_too_large"}


class SurveyStop(Exception):
    def __init__(self, reason: EndReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Budget:
    """What is left of the survey's limits, shared by every connection of one survey."""

    def __init__(self, limits: SurveyLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.duration
        self.messages = 0
        self.bytes = 0

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SurveyStop("duration", f"survey time budget of {self.limits.duration:g} s used up")
        return left

    def count(self, size: int) -> None:
        self.messages += 1
        self.bytes += size
        if self.messages > self.limits.max_messages:
            raise SurveyStop("message_limit", f"more than {self.limits.max_messages} messages received")
        if self.bytes > self.limits.max_bytes:
            raise SurveyStop("byte_limit", f"more than {self.limits.max_bytes} bytes received")


def open_guarded(host: str, port: int, allow_private: bool, budget: Budget) -> tuple[socket.socket, str]:
    """Connect to the first allowed address of ``host``; returns the socket and the IP connected to."""
    resolution = check_destination(host, port, allow_private=allow_private)
    if resolution.refused:
        raise SurveyStop("connect_failed", f"refused destination: {resolution.refused}")
    errors = []
    for addr in resolution.addresses:
        try:
            sock = socket.create_connection((addr, port), timeout=min(budget.limits.connect_timeout,
                                                                      budget.remaining()))
            return sock, addr
        except OSError as exc:
            errors.append(f"{addr}: {exc.strerror or exc}")
    raise SurveyStop("connect_failed", f"cannot connect to {host}:{port} ({'; '.join(errors)})")


def certificate_facts(der: bytes, digest: str) -> dict[str, str | bytes | None]:
    """The ``HubFacts`` fields of a presented certificate: DER, sha256, subject and issuer (RFC 4514 text).

    The names are read, not trusted: a certificate that does not parse keeps its DER and sha256."""
    facts: dict[str, str | bytes | None] = {"tls_certificate_der": der, "tls_certificate_sha256": digest}
    try:
        cert = x509.load_der_x509_certificate(der)
        facts.update(tls_certificate_subject=cert.subject.rfc4514_string(),
                     tls_certificate_issuer=cert.issuer.rfc4514_string())
    except ValueError:
        pass
    return facts


def wrap_tls(sock: socket.socket, host: str) -> tuple[ssl.SSLSocket, bytes, str]:
    """TLS without chain validation: DC hubs use self-signed certificates; the certificate itself is kept
    as evidence (DER and sha256) instead of being trusted."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ctx.wrap_socket(sock, server_hostname=host)
    der = tls.getpeercert(binary_form=True) or b""
    return tls, der, hashlib.sha256(der).hexdigest()


def connect_hub(url: HubUrl, allow_private: bool, budget: Budget) -> tuple[socket.socket, str, dict]:
    """The guarded connection to a hub (TLS for ``adcs://``/``nmdcs://``): socket, IP, certificate facts."""
    sock, address = open_guarded(url.host, url.port, allow_private, budget)
    if not url.tls:
        return sock, address, {}
    tls, der, digest = wrap_tls(sock, url.host)
    return tls, address, certificate_facts(der, digest)


class Link:
    """One recorded connection splitting the stream into messages ending with ``terminator``."""

    def __init__(self, sock: socket.socket, channel: str, terminator: bytes, transcript: Transcript,
                 budget: Budget) -> None:
        self.sock, self.channel, self.terminator = sock, channel, terminator
        self.transcript, self.budget = transcript, budget
        self.buffer = bytearray()
        self.closed = False

    def send(self, data: bytes) -> None:
        self.transcript.record("sent", self.channel, data)
        self.sock.settimeout(min(self.budget.limits.idle, self.budget.remaining()))
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise SurveyStop("hub_closed", f"{self.channel}: send failed ({exc})") from None

    def _fill(self, wait: float) -> bool:
        """Read once; False when nothing came within ``wait`` seconds."""
        self.sock.settimeout(max(0.001, min(wait, self.budget.remaining())))
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            return False
        except OSError as exc:
            raise SurveyStop("hub_closed", f"{self.channel}: connection lost ({exc})") from None
        if not chunk:
            self.closed = True
            raise SurveyStop("hub_closed", f"{self.channel}: closed by the other side")
        self.buffer += chunk
        return True

    def message(self, wait: float) -> bytes | None:
        """Next complete message (terminator included) or None when none completed within ``wait``."""
        end = time.monotonic() + wait
        while True:
            cut = self.buffer.find(self.terminator)
            if cut >= 0:
                data = bytes(self.buffer[:cut + 1])
                del self.buffer[:cut + 1]
                self._check_size(len(data))
                self.budget.count(len(data))
                self.transcript.record("received", self.channel, data)
                return data
            self._check_size(len(self.buffer))
            left = end - time.monotonic()
            if left <= 0 or not self._fill(left):
                return None

    def raw(self, size: int) -> bytes:
        """Exactly ``size`` bytes (a file list after its header), bounded like any other read."""
        while len(self.buffer) < size:
            if not self._fill(self.budget.limits.idle):
                raise SurveyStop("stalled", f"{self.channel}: {len(self.buffer)} of {size} bytes, then silence")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.budget.count(len(data))
        self.transcript.record("received", self.channel, data)
        return data

    def _check_size(self, size: int) -> None:
        if size > self.budget.limits.max_message_bytes:
            partial = bytes(self.buffer[:self.budget.limits.max_message_bytes])
            self.transcript.record("received", self.channel, partial)
            raise SurveyStop("message_too_large", f"{self.channel}: a message over "
                             f"{self.budget.limits.max_message_bytes} bytes (first bytes kept)")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
