"""The wire tap: per exchange, exactly the bytes written and the bytes of the response the parser consumed."""

from __future__ import annotations

from twisted.internet.testing import StringTransport
from twisted.web._newclient import Request
from twisted.web.http_headers import Headers

from pipelines.wire import WireTapProtocol


def _exchange(reply: bytes, body: bytes | None = None):
    proto = WireTapProtocol(lambda p: None)
    transport = StringTransport()
    proto.makeConnection(transport)
    responses = []
    producer = None
    if body is not None:
        from scrapy.core.downloader.handlers.http11 import _RequestBodyProducer
        producer = _RequestBodyProducer(body)
    proto.request(Request(b"POST" if body else b"GET", b"/p", Headers({b"Host": [b"shop.test"]}), producer,
                          persistent=True)).addCallback(responses.append)
    proto.dataReceived(reply)
    return responses[0]._evidence_wire, transport.value()


def test_bytes_after_the_end_of_a_response_are_not_in_its_record():
    head = b"HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\n"
    wire, _ = _exchange(head + b"hi" + b"HTTP/1.1 200 Unasked\r\n\r\n")
    assert bytes(wire.received) == head + b"hi" and wire.complete


def test_a_chunked_response_is_kept_with_its_framing_to_the_last_chunk():
    reply = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n0\r\n\r\n"
    wire, _ = _exchange(reply + b"junk")
    assert bytes(wire.received) == reply


def test_the_request_record_is_what_was_written_to_the_connection_body_included():
    wire, written = _exchange(b"HTTP/1.1 204 No\r\n\r\n", body=b"a=1&b=2")
    assert wire.request_bytes() == written and written.startswith(b"POST /p HTTP/1.1\r\n")
    assert written.endswith(b"\r\n\r\na=1&b=2")
