"""A real redis-server (Debian package) on a free loopback port, started and stopped by the tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server(folder: Path, password: str | None = None) -> Iterator[str]:
    """Yields ``redis://127.0.0.1:PORT/0``; with ``password``, the server requires it (``requirepass``)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server not installed (apt-get install redis-server; scripts/system-deps.sh does it as root)")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder), "--protected-mode", "yes",
                             *(["--requirepass", password] if password else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall((f"AUTH {password}\r\n" if password else "").encode() + b"PING\r\n")
                reply = b""
                while b"\r\n" not in reply.removeprefix(b"+OK\r\n" if password else b"") and len(reply) < 256:
                    reply += s.recv(64) or b"-closed\r\n"
                if reply.removeprefix(b"+OK\r\n" if password else b"").startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
