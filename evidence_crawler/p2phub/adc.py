"""ADC (Advanced Direct Connect) messages: framing, escaping, and the records they carry.

Pure functions over bytes, no sockets, so the same code reads the live stream and replays a stored
transcript. Message shape: ``<type><CMD> [sid [target]] positional... NAvalue...\\n`` where spaces,
newlines and backslashes in values are escaped as ``\\s``, ``\\n`` and ``\\\\``.
"""

from __future__ import annotations

import re

from evidence_crawler.p2phub.records import Frozen, HubUser, number

# Types whose first field is the sender's SID ("B", "D", "E", "F"), and those that then name a target.
_WITH_SID = set("BDEF")
_WITH_TARGET = set("DE")
_NAMED = re.compile(r"[A-Z][A-Z0-9]")


class AdcError(ValueError):
    """Not an ADC message; the survey ends as ``malformed`` with this text."""


class AdcMessage(Frozen):
    type: str
    command: str
    sid: str | None = None
    target: str | None = None
    fields: list[str]  # unescaped, after sid/target, in order (positional and named alike)

    def named(self, code: str) -> list[str]:
        return [f[2:] for f in self.fields if len(f) >= 2 and f[:2] == code]

    def first(self, code: str) -> str | None:
        found = self.named(code)
        return found[0] if found else None


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(" ", "\\s").replace("\n", "\\n")


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append({"s": " ", "n": "\n", "\\": "\\"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def encode(type_: str, command: str, *fields: str) -> bytes:
    """``fields`` are already positioned (sid first where the type needs one) and unescaped."""
    return (" ".join([type_ + command, *(escape(f) for f in fields)]) + "\n").encode("utf-8")


def parse(data: bytes) -> AdcMessage | None:
    """One message (terminator optional); None for the empty keep-alive line."""
    try:
        text = data.rstrip(b"\n").decode("utf-8")
    except UnicodeDecodeError:
        raise AdcError(f"ADC message is not UTF-8: {data[:60]!r}") from None
    if not text:
        return None
    parts = text.split(" ")
    head = parts.pop(0)
    if len(head) != 4 or head[0] not in "BCDEFHIU" or not head[1:].isalnum() or not head[1:].isupper():
        raise AdcError(f"not an ADC message: {text[:60]!r}")
    sid = target = None
    if head[0] in _WITH_SID or head[0] == "U":
        if not parts:
            raise AdcError(f"ADC {head} without a sender: {text[:60]!r}")
        sid = parts.pop(0)
    if head[0] in _WITH_TARGET:
        if not parts:
            raise AdcError(f"ADC {head} without a target: {text[:60]!r}")
        target = parts.pop(0)
    return AdcMessage(type=head[0], command=head[1:], sid=sid, target=target,
                      fields=[unescape(p) for p in parts if p])


def user_from_inf(message: AdcMessage, previous: HubUser | None = None) -> HubUser:
    """A BINF updates what we know of a user: later INFs carry only the fields that changed."""
    known = previous.model_dump() if previous else {"nick": message.first("NI") or message.sid or "?"}
    updates = {"sid": message.sid, "cid": message.first("ID"), "nick": message.first("NI"),
               "description": message.first("DE"), "share_size": number(message.first("SS")),
               "file_count": number(message.first("SF")), "ip": message.first("I4") or message.first("I6")}
    app, version = message.first("AP"), message.first("VE")
    if app or version:
        updates["client_tag"] = " ".join(v for v in (app, version) if v)
    features = message.first("SU")
    if features is not None:
        active = any(f in features.split(",") for f in ("TCP4", "TCP6"))
        updates["mode"] = "active" if active else "passive"
    kind = number(message.first("CT"))
    if kind is not None:
        updates["is_hub_or_bot"] = bool(kind & (1 | 32))
    known.update({k: v for k, v in updates.items() if v is not None})
    return HubUser(**known)
