"""The public address a capture's traffic leaves from, asked of echo services (``EVIDENCE_PUBLIC_IP_URLS``).

Each URL is an echo service answering the caller's address as plain text (``203.0.113.7``) or as JSON
(``{"ip": "203.0.113.7"}``). They are tried in order and the first valid address wins. Each request goes
through the destination guard like any other (``intermediaries.http``: guarded address, no second
resolution), is bounded in size and time, and the whole check in time too; an answer that is not an IP
address is an error. Nothing here raises: what went wrong is stated in ``error``.
"""

from __future__ import annotations

import ipaddress
import json

from evidence_crawler.hashing import sha256_hex
from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.http import FetchLimits, fetch
from evidence_crawler.models import PublicIp
from evidence_crawler.redact import redact_url
from evidence_crawler.timeutil import iso

UNSET = "not determined: EVIDENCE_PUBLIC_IP_URLS is not set"
MAX_ANSWER_BYTES = 16 * 1024  # status line, headers and body: an address needs a few dozen
REQUEST_TIMEOUT_S = 3.0
BUDGET_S = 4.0  # every URL together
ACCEPT = "text/plain, application/json"


def address_in(body: bytes) -> str:
    """The IP address an echo service answered; ValueError (the reason) for anything else."""
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError("answer is not UTF-8 text") from None
    value = text
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("answer is not valid JSON") from None
        value = data.get("ip") if isinstance(data, dict) else None
        if not isinstance(value, str):
            raise ValueError('JSON answer has no "ip" string')
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"answer is not an IP address: {text[:80]!r}") from None


def public_ip(urls: list[str], allow_private: bool, user_agent: str = "evidence-crawler",
              budget_s: float = BUDGET_S, request_timeout_s: float = REQUEST_TIMEOUT_S) -> PublicIp:
    if not urls:
        return PublicIp(error=UNSET)
    deadline = Deadline(budget_s)
    limits = FetchLimits(max_bytes=MAX_ANSWER_BYTES, request_timeout_s=request_timeout_s, max_redirects=2,
                         allow_private=allow_private, user_agent=user_agent, accept=ACCEPT)
    errors = []
    for url in urls:
        shown = redact_url(url)
        hops = fetch(url, limits, deadline)
        answer, checked_at = hops[-1], iso()
        if answer.outcome != "ok":
            errors.append(f"{shown}: {answer.error or answer.outcome}")
        elif answer.status != 200:
            errors.append(f"{shown}: HTTP status {answer.status}")
        else:
            try:
                ip = address_in(answer.body)
            except ValueError as exc:
                errors.append(f"{shown}: {exc}")
                continue
            return PublicIp(ip=ip, source_url=shown, checked_at=checked_at, answer_sha256=sha256_hex(answer.body))
    return PublicIp(checked_at=iso(), error="not determined: " + "; ".join(errors))
