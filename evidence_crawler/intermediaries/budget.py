"""One monotonic deadline shared by every lookup of a capture.

Each socket operation waits at most what is left, so a slow or trickling server can never hold the
capture past ``EVIDENCE_INTERMEDIARIES_TIMEOUT_S``: the budget is for the whole step, not per request.
"""

from __future__ import annotations

import time


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cap(self, seconds: float) -> float:
        """The smaller of ``seconds`` and what is left (never 0, which sockets read as non-blocking)."""
        return max(0.001, min(seconds, self.remaining()))
