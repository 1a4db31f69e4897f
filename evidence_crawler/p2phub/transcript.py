"""The transcript of a survey: every message both ways, exact bytes, one UTC timestamp each.

Serialised form (one WARC ``resource`` record per connection, see docs/p2p-hub.md)::

    <ISO-8601 UTC time> <S|R> <length>\\n<length raw bytes>\\n

repeated. Text protocols stay readable with a pager, binary payloads (file lists) stay exact, and the
length prefix means no escaping is needed, so ``parse_transcript`` gives back exactly what was recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from evidence_crawler.p2phub.records import WireMessage
from evidence_crawler.timeutil import iso, utcnow

CONTENT_TYPE = "application/x-evidence-dc-transcript; version=1"
_HEADER = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) ([SR]) (\d{1,12})\n")


class TranscriptError(ValueError):
    pass


class Transcript:
    """Append-only recorder; ``size`` counts payload bytes so callers can bound it."""

    def __init__(self) -> None:
        self.messages: list[WireMessage] = []
        self.size = 0

    def record(self, direction: str, channel: str, data: bytes) -> WireMessage:
        message = WireMessage(at=utcnow(), direction=direction, channel=channel, data=data)
        self.messages.append(message)
        self.size += len(data)
        return message


def channels(messages: Iterable[WireMessage]) -> list[str]:
    return list(dict.fromkeys(m.channel for m in messages))


def serialise(messages: Iterable[WireMessage], channel: str) -> bytes:
    out = bytearray()
    for m in messages:
        if m.channel == channel:
            out += f"{iso(m.at)} {'S' if m.direction == 'sent' else 'R'} {len(m.data)}\n".encode("ascii")
            out += m.data + b"\n"
    return bytes(out)


def parse_transcript(payload: bytes, channel: str) -> list[WireMessage]:
    messages, pos = [], 0
    while pos < len(payload):
        head = _HEADER.match(payload, pos)
        if head is None:
            raise TranscriptError(f"transcript: bad header at byte {pos}")
        start = head.end()
        end = start + int(head.group(3))
        if end + 1 > len(payload) or payload[end:end + 1] != b"\n":
            raise TranscriptError(f"transcript: message at byte {pos} runs past the end")
        at = datetime.strptime(head.group(1).decode(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=utcnow().tzinfo)
        messages.append(WireMessage(at=at, direction="sent" if head.group(2) == b"S" else "received",
                                    channel=channel, data=payload[start:end]))
        pos = end + 1
    return messages
