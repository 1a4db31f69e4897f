"""What checking one WARC found: records read, the payloads proven, and every bad record named once."""

from __future__ import annotations

from dataclasses import dataclass, field

# records a pages.jsonl line may point at: HTTP responses, and resource records (a DC hub survey's transcripts)
PAGE_RECORDS = frozenset({"response", "resource"})


@dataclass
class WarcFindings:
    records: int = 0
    record_bytes_hashed: int = 0  # inflated bytes through block + payload digests (gzip-per-record path)
    payloads: dict[int, str] = field(default_factory=dict)  # response/resource offset -> verified payload sha256 (hex)
    named: set[int] = field(default_factory=set)  # offsets of the records named in ``problems``
    problems: list[str] = field(default_factory=list)

    def record_problem(self, name: str, offset: int, uri: str | None, text: str) -> None:
        self.named.add(offset)
        self.problems.append(f"{name} record at offset {offset} ({uri or 'headers unreadable'}): {text}")
