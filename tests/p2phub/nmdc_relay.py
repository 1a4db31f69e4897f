"""A minimal NMDC relay hub on 127.0.0.1, good enough for a real NMDC client (eiskaltdcpp) to join.

No NMDC hub is packaged in Debian, so this fixture stands in for one: it logs clients in (lock/key, nick,
``$Hello``), lists users (``$MyINFO``, ``$NickList``), broadcasts searches and chat, and routes what NMDC
routes to one user (``$SR`` to the searcher, ``$RevConnectToMe`` and ``$ConnectToMe`` to their target).
Everything it relays is real client output: the results, TTHs and file lists come from eiskaltdcpp.
"""

from __future__ import annotations

import socket
import threading

from tests.p2phub.fixture_hubs import FixtureHub

RELAY_NAME = "Relay NMDC Hub"


class NmdcRelay:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[bytes, socket.socket] = {}
        self.infos: dict[bytes, bytes] = {}
        self.server = FixtureHub(self.serve)
        self.port = self.server.port
        self.url = f"dchub://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.close()
        with self.lock:
            for conn in self.clients.values():
                try:
                    conn.close()
                except OSError:
                    pass

    def send(self, nick: bytes, data: bytes) -> None:
        with self.lock:
            conn = self.clients.get(nick)
        if conn is not None:
            try:
                conn.sendall(data)
            except OSError:
                pass

    def broadcast(self, data: bytes, but: bytes | None = None) -> None:
        with self.lock:
            nicks = [n for n in self.clients if n != but]
        for nick in nicks:
            self.send(nick, data)

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(None)
        conn.sendall(b"$Lock EXTENDEDPROTOCOL_relay_fixture Pk=relay|$HubName " + RELAY_NAME.encode() + b"|")
        nick: bytes | None = None
        pending = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                pending += chunk
                *messages, pending = pending.split(b"|")
                for message in messages:
                    nick = self.handle(conn, nick, message) or nick
        finally:
            if nick is not None:
                with self.lock:
                    self.clients.pop(nick, None)
                    self.infos.pop(nick, None)
                self.broadcast(b"$Quit " + nick + b"|")

    def handle(self, conn: socket.socket, nick: bytes | None, message: bytes) -> bytes | None:
        command, _, rest = message.partition(b" ")
        if command == b"$ValidateNick":
            with self.lock:
                self.clients[rest] = conn
            conn.sendall(b"$Hello " + rest + b"|")
            return rest
        if nick is None:
            return None
        if command == b"$GetNickList":
            with self.lock:
                names, infos = list(self.infos), list(self.infos.values())
            conn.sendall(b"$NickList " + b"".join(n + b"$$" for n in names) + b"|" + b"".join(i + b"|" for i in infos))
        elif command == b"$MyINFO":
            with self.lock:
                self.infos[nick] = message
            self.broadcast(message + b"|")
        elif command == b"$Search" or message.startswith(b"<"):
            self.broadcast(message + b"|", but=nick if command == b"$Search" else None)
        elif command == b"$SR":
            body, _, target = message.rpartition(b"\x05")
            self.send(target, body + b"|")
        elif command == b"$RevConnectToMe":
            self.send(rest.split(b" ")[-1], message + b"|")
        elif command == b"$ConnectToMe":
            self.send(rest.split(b" ")[0], message + b"|")
        return None
