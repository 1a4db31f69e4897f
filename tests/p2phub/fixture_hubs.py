"""Small hub fixtures on 127.0.0.1: an NMDC hub (none is packaged in Debian) and hostile ADC hubs.

Each is a real TCP server in a thread, speaking just enough protocol for one behaviour, named after what
it does: ``flood``, ``giant``, ``malformed``, ``stall``, ``users`` (endless user list), ``redirect``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from evidence_crawler.p2phub.nmdc import lock_to_key

NMDC_HUB = "Fixture NMDC Hub"
NMDC_TOPIC = "Only the finest lossless rips"
NMDC_MOTD = "Welcome, please share"
NMDC_SHARE = [("Kino\\Gruppa krovi.mp3", 180000, "KND4PAISRXWKPFWNUC5NJDGCX2ON77YTRMEVWBQ")]


class FixtureHub:
    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.stopping = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopping = True
        try:  # wakes the accept() blocked in _serve: a plain close() leaves the port listening until it returns
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _read_until(conn: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise OSError("client left")
        data += chunk
    return data


def nmdc_hub(conn: socket.socket) -> None:
    lock = b"EXTENDEDPROTOCOL_fixture_lock_1234"
    conn.sendall(b"$Lock " + lock + b" Pk=fixture|$HubName " + NMDC_HUB.encode() + b"|")
    data = _read_until(conn, b"$ValidateNick ")
    data += _read_until(conn, b"|") if not data.rstrip().endswith(b"|") else b""
    if lock_to_key(lock) not in data:
        conn.sendall(b"<Hub> bad key|")
        return
    nick = data.split(b"$ValidateNick ", 1)[1].split(b"|", 1)[0]
    conn.sendall(b"$Hello " + nick + b"|")
    _read_until(conn, b"$MyINFO")
    conn.sendall(b"$HubTopic " + NMDC_TOPIC.encode() + b"|<Hub-Security> " + NMDC_MOTD.encode() + b"|"
                 b"$MyINFO $ALL alice music lover<++ V:0.868,M:A,H:1/0/0,S:3>$ $100\x01$a@b$180000$|"
                 b"$MyINFO $ALL " + nick + b" <evidence>$ $0\x01$$0$|$UserIP alice 192.0.2.7$$|")
    while True:
        data = _read_until(conn, b"|")
        if data.startswith(b"$Search"):
            for path, size, tth in NMDC_SHARE:
                conn.sendall(f"$SR alice {path}\x05{size} 3/3\x05TTH:{tth} (127.0.0.1:411)|".encode())


def _adc_login(conn: socket.socket) -> None:
    _read_until(conn, b"HSUP")
    conn.sendall(b"ISUP ADBASE ADTIGR\nISID AAAB\nIINF CT32 VEhostile/1 NIHostile\n")


def flood(conn: socket.socket) -> None:
    _adc_login(conn)
    line = b"IMSG spam\n" * 1000
    while True:
        conn.sendall(line)


def giant(conn: socket.socket) -> None:
    _adc_login(conn)
    conn.sendall(b"IMSG " + b"A" * (4 * 1024 * 1024))
    _read_until(conn, b"never")


def malformed(conn: socket.socket) -> None:
    _adc_login(conn)
    conn.sendall(b"\xff\xfe this is not ADC at all\n")
    _read_until(conn, b"never")


def stall(conn: socket.socket) -> None:
    _read_until(conn, b"never")


def users(conn: socket.socket) -> None:
    _adc_login(conn)
    for i in range(100000):
        conn.sendall(f"BINF U{i:03d} IDX NIuser{i} SS{i}\n".encode())


def redirect(conn: socket.socket) -> None:
    _adc_login(conn)
    conn.sendall(b"IQUI AAAB RDadc://elsewhere.example:411 MSgo\\saway\n")
    _read_until(conn, b"never")
