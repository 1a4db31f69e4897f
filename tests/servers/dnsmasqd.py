"""A real DNS server (Debian's dnsmasq) on a free loopback port, serving a zone the test writes.

dnsmasq answers authoritatively for ``auth-zone`` (NS and SOA included), which is what the
intermediaries step asks a resolver for. Only 127.0.0.1 is listened on; there are no upstream servers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import pytest


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (DNS falls back to TCP on truncation)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free UDP+TCP port on 127.0.0.1")


def dnsmasq(folder: Path, zone: str, lines: list[str]) -> Iterator[int]:
    """Start dnsmasq with ``lines`` (dnsmasq.conf syntax) for ``zone``; yields its port."""
    exe = shutil.which("dnsmasq") or ("/usr/sbin/dnsmasq" if Path("/usr/sbin/dnsmasq").exists() else None)
    if exe is None:
        pytest.skip("dnsmasq not installed (apt-get install dnsmasq-base; scripts/system-deps.sh does it as root)")
    port = free_port()
    conf = folder / "dnsmasq.conf"
    conf.write_text("\n".join([
        f"port={port}", "listen-address=127.0.0.1", "bind-interfaces", "no-resolv", "no-hosts", "no-poll",
        "keep-in-foreground", "pid-file=", "log-facility=-", "log-queries", "cache-size=0",
        *(["user=root"] if os.geteuid() == 0 else []),  # as root dnsmasq would drop to 'nobody' otherwise
        f"auth-zone={zone}", *lines, ""]))
    log = (folder / "dnsmasq.log").open("wb")
    proc = subprocess.Popen([exe, f"--conf-file={conf}"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=port, timeout=0.3)
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"dnsmasq did not start: {(folder / 'dnsmasq.log').read_text()[-2000:]}") from None
            time.sleep(0.05)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
