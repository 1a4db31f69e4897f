"""Name what went wrong with a request, in words an investigator can put in a report."""

from __future__ import annotations

import re

TRANSPORT_KINDS = {"timeout", "connection", "dns", "too_large", "tls", "other"}


def classify(exc: BaseException) -> tuple[str, str]:
    """``(kind, message)`` for a download failure; kinds are stable strings used in ``errors``."""
    name = type(exc).__name__
    text = str(exc) or name
    low = text.lower()
    kind = "other"
    if getattr(exc, "evidence_kind", None):
        kind = exc.evidence_kind
    elif name == "HttpError":
        resp = getattr(exc, "response", None)
        kind, text = "http_status", f"HTTP {resp.status}" if resp is not None else text
    elif name == "IgnoreRequest":
        if "robots.txt" in low:
            kind = "robots"
        elif "redirect" in low:
            kind = "redirect_limit"
        elif "decompress" in low or "maxsize" in low or "max size" in low:
            kind = "decompression_bomb"
        else:
            kind = "ignored"
    elif "timeout" in name.lower() or "timed out" in low or "took longer than" in low:
        kind = "timeout"
    elif name in ("DNSLookupError",) or "dns" in low:
        kind = "dns"
    elif re.search(r"larger than (the )?download max ?size|maxsize|cancel", low):
        kind = "too_large"
    elif "ssl" in low or "tls" in low or "certificate" in low:
        kind = "tls"
    elif name in ("ConnectionRefusedError", "ConnectionLost", "ResponseFailed", "ResponseNeverReceived",
                  "ConnectionDone", "ConnectError", "TCPTimedOutError", "PotentialDataLoss",
                  "_DataLoss", "ConnectionResetError") or "connection" in low or "dataloss" in name.lower():
        kind = "connection"
    return kind, f"{name}: {text}" if name not in text else text
