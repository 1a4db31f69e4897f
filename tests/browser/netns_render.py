"""Render pages that try WebRTC, inside a network namespace of its own, and report what reached the network.

Run by ``test_webrtc.py`` as ``unshare -n python -m tests.browser.netns_render``: the namespace has only a
loopback interface, so nothing can leave the machine whatever the browser does, and every packet it sends
is seen. Listening on 127.0.0.1: the browser's dead proxy port (``locate.DEAD_PROXY``), a STUN server (UDP)
and a TURN server (TCP); and every packet on ``lo`` is counted (AF_PACKET). The page bytes come from the
``fetch`` callable (no HTTP server), so any packet at all is the browser going around the route.
Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from evidence_crawler.browser.locate import DEAD_PROXY, locate_chromium
from evidence_crawler.browser.options import RenderOptions
from evidence_crawler.browser.pool import BrowserPool
from evidence_crawler.browser.route import Fetched

ETH_P_ALL = 0x0003
LINGER_S = 4.0  # after the renders: ICE gathering retries and Chromium's background checks have had time


def page_script(stun: int, turn: int) -> str:
    servers = (f"[{{urls: 'stun:127.0.0.1:{stun}'}}, {{urls: 'turn:127.0.0.1:{turn}?transport=tcp', "
               f"username: 'u', credential: 'p'}}, {{urls: 'turn:127.0.0.1:{stun}?transport=udp', "
               f"username: 'u', credential: 'p'}}]")
    return f"""
async function tryRtc(win, label) {{
  try {{
    const Ctor = win.RTCPeerConnection || win.webkitRTCPeerConnection;
    const pc = new Ctor({{iceServers: {servers}}});
    pc.createDataChannel('leak');
    await pc.setLocalDescription(await pc.createOffer());
    return label + ': created';
  }} catch (e) {{ return label + ': blocked (' + e.name + ')'; }}
}}
(async () => {{
  const out = [await tryRtc(window, 'page')];
  const f = document.createElement('iframe');
  document.body.appendChild(f);
  out.push(await tryRtc(f.contentWindow, 'iframe'));
  document.getElementById('result').textContent = out.join('; ');
}})();
"""


def html(stun: int, turn: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>webrtc</title></head><body><p id=result>running</p>"
            f"<script>{page_script(stun, turn)}</script></body></html>").encode()


class Listeners:
    def __init__(self) -> None:
        proxy_port = urlsplit(DEAD_PROXY.split("=", 1)[1]).port
        self.proxy = socket.create_server(("127.0.0.1", proxy_port))
        self.turn = socket.create_server(("127.0.0.1", 0))
        self.stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stun.bind(("127.0.0.1", 0))
        self.sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sniff.bind(("lo", 0))
        self.seen: dict[str, list] = {"proxy_connections": [], "turn_connections": [], "stun_datagrams": [],
                                      "packets_on_lo": []}
        self.ports = {"proxy": proxy_port, "stun": self.stun.getsockname()[1], "turn": self.turn.getsockname()[1]}
        for sock, key in ((self.proxy, "proxy_connections"), (self.turn, "turn_connections")):
            threading.Thread(target=self._accept, args=(sock, key), daemon=True).start()
        threading.Thread(target=self._recv, args=(self.stun, "stun_datagrams"), daemon=True).start()
        threading.Thread(target=self._recv, args=(self.sniff, "packets_on_lo"), daemon=True).start()

    def _accept(self, sock, key) -> None:
        while True:
            conn, addr = sock.accept()
            conn.settimeout(1.0)
            try:
                first = conn.recv(300)
            except OSError:
                first = b""
            self.seen[key].append({"from": list(addr), "first_bytes": first.decode("latin-1")})
            conn.close()

    def _recv(self, sock, key) -> None:
        while True:
            data, addr = sock.recvfrom(65535)
            self.seen[key].append({"from": [str(a) for a in addr], "bytes": len(data)})


async def main() -> dict:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    listeners = Listeners()
    body = html(listeners.ports["stun"], listeners.ports["turn"])

    async def fetch(req) -> Fetched:
        return Fetched(200, [("Content-Type", "text/html; charset=utf-8")], body)

    pool = BrowserPool(locate_chromium(), RenderOptions(timeout_s=10, idle_s=2, scroll=False, pdf=False))
    renders = []
    try:
        for path in ("/webrtc", "/webrtc-again"):
            result = await pool.render(f"http://shop.test{path}", None, fetch)
            renders.append({"webrtc": result.summary().get("webrtc"), "dom": result.dom.decode()})
        await asyncio.sleep(LINGER_S)
    finally:
        await pool.close()
    time.sleep(0.2)
    return {"ports": listeners.ports, "seen": listeners.seen, "renders": renders,
            "launch_args": pool.binary.launch_kwargs()["args"]}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(main())) + "\n")
