"""A tiny SNTP server (RFC 4330) on a free loopback UDP port, answering with a clock shifted by ``offset_s``.

The test knows the offset it injected, so the measured one can be compared with it. ``stratum`` 0 (a
kiss-o'-death), ``leap`` 3 (unsynchronised) and ``silent`` (never answers) are the answers a client must
not trust or must give up on.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

NTP_EPOCH_OFFSET = 2208988800  # 1900-01-01 to 1970-01-01, seconds


def ntp_timestamp(t: float) -> bytes:
    seconds = t + NTP_EPOCH_OFFSET
    whole = int(seconds)
    return struct.pack("!II", whole, int((seconds - whole) * 2**32) & 0xFFFFFFFF)


class NtpResponder:
    def __init__(self, offset_s: float = 0.0, stratum: int = 2, leap: int = 0, silent: bool = False) -> None:
        self.offset_s, self.stratum, self.leap, self.silent = offset_s, stratum, leap, silent
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reply(self, query: bytes) -> bytes:
        now = time.time() + self.offset_s
        version = (query[0] >> 3) & 0x7
        head = struct.pack("!BBbb", (self.leap << 6) | (version << 3) | 4, self.stratum, 6, -20)
        root = struct.pack("!II", 0, 0) + b"TEST"
        # originate = the client's transmit timestamp, echoed; receive and transmit = the shifted clock
        return head + root + ntp_timestamp(now - 1) + query[40:48] + ntp_timestamp(now) + ntp_timestamp(now)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1
            if len(query) >= 48 and not self.silent:
                self.sock.sendto(self.reply(query), peer)

    def __enter__(self) -> NtpResponder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
