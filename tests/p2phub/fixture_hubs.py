"""Small hub fixtures on 127.0.0.1: an NMDC hub (none is packaged in Debian) and hostile ADC hubs.

Each is a real TCP server in a thread, speaking just enough protocol for one behaviour, named after what
it does: ``flood``, ``giant``, ``malformed``, ``stall``, ``users`` (endless user list), ``redirect``.
"""

from __future__ import annotations

import bz2
import socket
import ssl
import threading
from collections.abc import Callable

from evidence_crawler.p2phub.nmdc import lock_to_key

NMDC_HUB = "Fixture NMDC Hub"
NMDC_TOPIC = "Only the finest lossless rips"
NMDC_MOTD = "Welcome, please share"
NMDC_SHARE = [("Kino\\Gruppa krovi.mp3", 180000, "KND4PAISRXWKPFWNUC5NJDGCX2ON77YTRMEVWBQ"),
              ("Zemfira\\Vendetta.flac", 420000, "3RQGHYBQLBCMKKIX4XIMSEW2TK5KYDDRZN5RN3A")]


class FixtureHub:
    def __init__(self, handler: Callable[[socket.socket], None], tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
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
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
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


def filelist_xml(share=NMDC_SHARE) -> bytes:
    """A DC file list of ``share`` (paths ``Dir\\name``), as a client would generate it."""
    dirs: dict[str, list[str]] = {}
    for path, size, tth in share:
        folder, _, name = path.rpartition("\\")
        dirs.setdefault(folder, []).append(f'<File Name="{name}" Size="{size}" TTH="{tth}"/>')
    body = "".join(f'<Directory Name="{d}">{"".join(files)}</Directory>' for d, files in dirs.items())
    return ('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<FileListing Version="1" '
            f'Generator="fixture" Base="/">{body}</FileListing>').encode()


def nmdc_peer(conn: socket.socket, behaviour: str = "ok") -> None:
    """The active user's side of an NMDC client-client connection, serving ``files.xml.bz2`` by $ADCGET.

    ``behaviour``: ``ok``; ``short`` announces more bytes than it sends, then stalls (a lying size);
    ``huge`` announces a list over any limit; ``refuse`` answers ``$MaxedOut``."""
    data = _read_until(conn, b"$Lock ")
    data += _read_until(conn, b"|") if data.count(b"|") < 2 else b""
    lock = data.split(b"$Lock ", 1)[1].split(b" ", 1)[0].split(b"|", 1)[0]
    own = b"EXTENDEDPROTOCOL_peer_fixture"
    conn.sendall(b"$MyNick alice|$Lock " + own + b" Pk=fixture|$Supports ADCGet XmlBZList TTHF |"
                 b"$Direction Upload 4|$Key " + lock_to_key(lock) + b"|")
    _read_until(conn, b"$ADCGET file files.xml.bz2 0 -1|")
    if behaviour == "refuse":
        conn.sendall(b"$MaxedOut|")
        _read_until(conn, b"never")
    raw = bz2.compress(filelist_xml())
    size = {"short": len(raw) + 1000, "huge": 10**12}.get(behaviour, len(raw))
    conn.sendall(f"$ADCSND file files.xml.bz2 0 {size}|".encode() + raw)
    _read_until(conn, b"never")


class NmdcFixture:
    """An NMDC hub (no NMDC hub is packaged in Debian) with one active user, ``alice``, sharing ``NMDC_SHARE``:
    searches are answered with the files whose path holds every word (``$SR`` with TTH), a ``$RevConnectToMe``
    to alice with her ``$ConnectToMe`` to a peer fixture serving her file list."""

    def __init__(self, peer: str = "ok", alice_mode: str = "A", tls: ssl.SSLContext | None = None) -> None:
        self.peer = FixtureHub(lambda conn: nmdc_peer(conn, peer))
        self.alice_mode = alice_mode
        self.searches: list[bytes] = []
        self.hub = FixtureHub(self.serve, tls)
        self.port = self.hub.port
        self.url = f"nmdc{'s' if tls else ''}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.hub.close()
        self.peer.close()

    def serve(self, conn: socket.socket) -> None:
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
        share = sum(size for _, size, _ in NMDC_SHARE)
        conn.sendall(b"$HubTopic " + NMDC_TOPIC.encode() + b"|<Hub-Security> " + NMDC_MOTD.encode() + b"|"
                     b"$MyINFO $ALL alice music lover<++ V:0.868,M:" + self.alice_mode.encode()
                     + b",H:1/0/0,S:3>$ $100\x01$a@b$" + str(share).encode() + b"$|"
                     b"$MyINFO $ALL " + nick + b" <evidence>$ $0\x01$$0$|$UserIP alice 192.0.2.7$$|")
        pending = b""
        while True:
            pending += _read_until(conn, b"|")
            *messages, pending = pending.split(b"|")
            for message in messages:
                self.answer(conn, nick, message)

    def answer(self, conn: socket.socket, nick: bytes, message: bytes) -> None:
        if message.startswith(b"$Search "):
            self.searches.append(message)
            words = message.rsplit(b"?", 1)[-1].decode().lower().split("$")
            for path, size, tth in NMDC_SHARE:
                if all(w in path.lower() for w in words):
                    conn.sendall(f"$SR alice {path}\x05{size} 3/3\x05TTH:{tth} (127.0.0.1:411)|".encode())
        elif message == b"$RevConnectToMe " + nick + b" alice":
            conn.sendall(b"$ConnectToMe " + nick + b" 127.0.0.1:" + str(self.peer.port).encode() + b"|")


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


LIE = 10**25  # a share size no one has: recorded as stated


def liar(conn: socket.socket) -> None:
    """Users and results whose sizes are lies or not numbers at all (``²``, 5,000 digits, ``-3``)."""
    _adc_login(conn)
    own = _read_until(conn, b"\n").split(b"\n")[0]  # our BINF: echoed, so the login completes
    conn.sendall(f"BINF AAAC IDX NIbig SS{LIE} SF1\nBINF AAAD IDY NIsquare SS\u00b2 SF-3\n"
                 f"BINF AAAE IDZ NIlong SS{'9' * 5000}\n".encode() + own + b"\n")
    _read_until(conn, b"BSCH")
    conn.sendall(f"DRES AAAC AAAB FN/a.mp3 SI{LIE} TRAAAA TOs0\nDRES AAAD AAAB FN/b.mp3 SI\u00b2 TOs0\n".encode())
    _read_until(conn, b"never")
