"""NMDC (the original DC protocol): framing on ``|``, its escapes, the lock/key handshake, user and result
records. Pure functions, so the live survey and a transcript replay read messages the same way.

NMDC has no declared encoding; hubs use UTF-8 or a legacy code page. Text is decoded as UTF-8 and, when
that fails, as cp1252; the transcript keeps the bytes, so a reader can decode them differently later.
"""

from __future__ import annotations

import re

from evidence_crawler.p2phub.records import HubUser, number

_RESERVED = {0, 5, 36, 96, 124, 126}
_TAG = re.compile(r"<([^<>]*)>$")


class NmdcError(ValueError):
    pass


def decode(data: bytes) -> str:
    body = data[:-1] if data.endswith(b"|") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("$", "&#36;").replace("|", "&#124;")


def unescape(text: str) -> str:
    return text.replace("&#36;", "$").replace("&#124;", "|").replace("&amp;", "&")


def lock_to_key(lock: bytes) -> bytes:
    """The ``$Key`` answer to a ``$Lock`` challenge (protocol-defined, not a secret)."""
    if len(lock) < 3:
        raise NmdcError(f"$Lock too short: {lock!r}")
    key = bytearray(len(lock))
    for i in range(1, len(lock)):
        key[i] = lock[i] ^ lock[i - 1]
    key[0] = lock[0] ^ lock[-1] ^ lock[-2] ^ 5
    out = bytearray()
    for b in key:
        b = ((b << 4) | (b >> 4)) & 0xFF
        out += b"/%%DCN%03d%%/" % b if b in _RESERVED else bytes([b])
    return bytes(out)


def split(text: str) -> tuple[str, str]:
    """``$Command rest`` → (``$Command``, rest); chat lines (``<nick> text``) → ("", text)."""
    if not text.startswith("$"):
        return "", text
    command, _, rest = text.partition(" ")
    return command, rest


def lock_of(rest: str) -> bytes:
    return rest.split(" Pk=", 1)[0].split(" ", 1)[0].encode("latin-1", errors="replace")


def user_from_myinfo(rest: str) -> HubUser:
    """``$ALL nick description<tag>$ $connection<flag>$email$share$``."""
    if not rest.startswith("$ALL "):
        raise NmdcError(f"$MyINFO without $ALL: {rest[:60]!r}")
    nick, _, info = rest[5:].partition(" ")
    parts = info.split("$")
    if not nick or len(parts) < 5:
        raise NmdcError(f"$MyINFO with too few fields: {rest[:60]!r}")
    description, share = parts[0], parts[4]
    tag = _TAG.search(description)
    mode = None
    if tag:
        description = description[:tag.start()]
        fields = dict(f.split(":", 1) for f in tag.group(1).split(",") if ":" in f)
        mode = {"A": "active", "P": "passive", "5": "passive"}.get(fields.get("M", ""))
    return HubUser(nick=unescape(nick), description=unescape(description) or None,
                   share_size=number(share),
                   client_tag=tag.group(1) if tag else None, mode=mode)


def result_from_sr(rest: str) -> tuple[str, str, int | None, str | None]:
    """``nick path\x05size slots/total\x05TTH:xxx (hub)[\x05target]`` → (nick, path, size, tth).

    A directory result has no size field: ``nick path slots/total\x05hub``."""
    parts = rest.split("\x05")
    if len(parts) == 4:
        parts = parts[:3]  # the target nick, when the hub did not strip it
    if len(parts) == 3:
        head, size_text, hub_part = parts[0], parts[1].split(" ", 1)[0], parts[2]
    elif len(parts) == 2:
        head, size_text, hub_part = parts[0].rsplit(" ", 1)[0], "", parts[1]
    else:
        raise NmdcError(f"$SR with {len(parts)} fields: {rest[:60]!r}")
    nick, _, path = head.partition(" ")
    if not nick or not path:
        raise NmdcError(f"$SR without nick or path: {rest[:60]!r}")
    tth = hub_part.split(" ", 1)[0][4:] if hub_part.startswith("TTH:") else None
    return (unescape(nick), unescape(path), number(size_text),
            tth.upper() if tth else None)
