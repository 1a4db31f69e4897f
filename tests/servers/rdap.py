"""An RDAP server (RFC 9083 JSON) on 127.0.0.1, plus hostile routes named after what they break.

Well-behaved answers live under ``/rdap/``: the test domain ``allofmp3-demo.ru``, the network
``127.0.0.0/8`` and ``AS64500``; anything else there is a 404 with an RDAP error body. Hostile
prefixes each act the same for every object: ``/huge/`` (50 MB of JSON), ``/slow/`` (one byte every
0.1 s), ``/to-metadata/`` (redirect to 169.254.169.254), ``/to-name/<host>/`` (redirect to a name),
``/loop/`` (redirects to itself), ``/nested/`` (JSON nested 100,000 deep), ``/busy/`` (429),
``/garbage/`` (not HTTP at all).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOMAIN = "allofmp3-demo.ru"


def _vcard(fn: str, *, org: str | None = None, email: str | None = None, cc: str | None = None) -> list:
    props = [["version", {}, "text", "4.0"], ["fn", {}, "text", fn]]
    if org:
        props.append(["org", {}, "text", org])
    if email:
        props.append(["email", {}, "text", email])
    if cc:
        props.append(["adr", {"cc": cc}, "text", ["", "", "1 Demo St", "Moscow", "", "101000", "Russia"]])
    return ["vcard", props]


DOMAIN_JSON = {
    "rdapConformance": ["rdap_level_0"], "objectClassName": "domain", "handle": "DEMO-RU-1", "ldhName": DOMAIN,
    "status": ["active", "client transfer prohibited"],
    "events": [{"eventAction": "registration", "eventDate": "2004-03-01T00:00:00Z"},
               {"eventAction": "expiration", "eventDate": "2027-03-01T00:00:00Z"},
               {"eventAction": "last changed", "eventDate": "2026-01-15T10:00:00Z"}],
    "nameservers": [{"objectClassName": "nameserver", "ldhName": "ns1.dnshost-demo.net"},
                    {"objectClassName": "nameserver", "ldhName": "ns2.dnshost-demo.net"}],
    "entities": [
        {"objectClassName": "entity", "handle": "REG-DEMO", "roles": ["registrar"],
         "publicIds": [{"type": "IANA Registrar ID", "identifier": "9999"}],
         "vcardArray": _vcard("Demo Registrar LLC", cc="RU"),
         "entities": [{"objectClassName": "entity", "roles": ["abuse"],
                       "vcardArray": _vcard("Abuse desk", email="abuse@registrar-demo.ru")}]},
        {"objectClassName": "entity", "handle": "OP-DEMO", "roles": ["registrant"],
         "vcardArray": _vcard("Ivan Demo", org="Allofmp3 Demo Operator Ltd", email="owner@allofmp3-demo.ru",
                              cc="RU")},
    ],
}
NETWORK_JSON = {
    "rdapConformance": ["rdap_level_0", "cidr0"], "objectClassName": "ip network", "handle": "NET-127-0-0-0-1",
    "startAddress": "127.0.0.0", "endAddress": "127.255.255.255", "ipVersion": "v4", "name": "DEMO-HOSTING-NET",
    "type": "ASSIGNED PA", "country": "RU", "arin_originas0_originautnums": [64500],
    "entities": [
        {"objectClassName": "entity", "handle": "ORG-DH1", "roles": ["registrant"],
         "vcardArray": _vcard("Demo Hosting LLC", cc="RU")},
        {"objectClassName": "entity", "handle": "AB-DH1", "roles": ["abuse"],
         "vcardArray": _vcard("Abuse contact", email="abuse@hosting-demo.ru")},
    ],
}
AUTNUM_JSON = {
    "rdapConformance": ["rdap_level_0"], "objectClassName": "autnum", "handle": "AS64500", "startAutnum": 64500,
    "endAutnum": 64500, "name": "DEMO-HOSTING-AS", "country": "RU",
    "entities": [{"objectClassName": "entity", "roles": ["registrant"], "vcardArray": _vcard("Demo Hosting LLC")}],
}
OBJECTS = {f"domain/{DOMAIN}": DOMAIN_JSON, "ip/127.0.0.1": NETWORK_JSON, "autnum/64500": AUTNUM_JSON}


class RdapHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/rdap+json",
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        prefix, _, rest = self.path.lstrip("/").partition("/")
        try:
            getattr(self, f"route_{prefix.replace('-', '_')}", self.route_rdap)(rest)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_rdap(self, rest: str) -> None:
        doc = OBJECTS.get(rest)
        if doc is None:
            self._send(404, json.dumps({"errorCode": 404, "title": "Not Found"}).encode())
        else:
            self._send(200, json.dumps(doc).encode())

    def route_huge(self, rest: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rdap+json")
        self.send_header("Content-Length", str(50 * 1024 * 1024))
        self.end_headers()
        self.wfile.write(b'{"objectClassName": "domain", "remarks": ["')
        chunk = b"x" * 65536
        for _ in range(800):
            self.wfile.write(chunk)

    def route_slow(self, rest: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rdap+json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(600):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.1)

    def route_to_metadata(self, rest: str) -> None:
        self._send(302, b"", extra={"Location": "http://169.254.169.254/latest/meta-data/"})

    def route_to_name(self, rest: str) -> None:
        host = rest.split("/", 1)[0]
        self._send(302, b"", extra={"Location": f"http://{host}/rdap/{rest.split('/', 1)[1]}"})

    def route_loop(self, rest: str) -> None:
        self._send(302, b"", extra={"Location": self.path})

    def route_nested(self, rest: str) -> None:
        self._send(200, b"[" * 100_000 + b"]" * 100_000)

    def route_busy(self, rest: str) -> None:
        self._send(429, json.dumps({"errorCode": 429, "title": "Too Many Requests"}).encode(),
                   extra={"Retry-After": "3600"})

    def route_garbage(self, rest: str) -> None:
        self.wfile.write(b"\x00\x01\x02 this is not HTTP\r\n\r\n")
        self.close_connection = True


def rdap_server() -> Iterator[str]:
    """Yields ``http://127.0.0.1:PORT/``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RdapHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
