"""The HTTP/1.x download handler: Scrapy's, with each exchange's bytes tapped on the connection for the WARC.

A protocol wrapper rather than a proxy or a second parser: the connection's protocol (Scrapy's lenient
HTTP/1.1 client protocol) copies every byte handed to its parser (after TLS, before parsing) and every
byte the request writes, per request; Twisted then parses exactly as before, so extraction, redirects,
decompression and the charset logic see the same response. When the parser says the response is
complete, the bytes it did not use (``rest``) are cut off, so a kept-alive connection's next exchange
is not in this one's record; a response cut off (reset, timeout, lost connection) keeps what arrived.
The tap reaches the recorder as ``request.meta[WIRE_META]`` (:class:`Wire`), set when the headers
arrive. Scrapy's names used here are private; ``tests/test_wire.py`` fails if they change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.core.downloader.handlers import http11
from scrapy.utils.defer import maybe_deferred_to_future

WIRE_META = "evidence_wire"


@dataclass
class Wire:
    """One exchange as it crossed the connection: ``sent`` the request, ``received`` the response."""

    sent: list[bytes] = field(default_factory=list)
    received: bytearray = field(default_factory=bytearray)
    complete: bool = False  # the parser has the whole response; later bytes belong to no record

    def request_bytes(self) -> bytes:
        return b"".join(self.sent)


class _TeeTransport:
    """The transport as the request sees it while writing itself: every write is also kept in ``wire``."""

    def __init__(self, transport, wire: Wire) -> None:
        self._transport, self._wire = transport, wire

    def write(self, data: bytes) -> None:
        self._wire.sent.append(bytes(data))
        self._transport.write(data)

    def writeSequence(self, seq) -> None:  # noqa: N802 - Twisted's ITransport name
        seq = [bytes(d) for d in seq]
        self._wire.sent.extend(seq)
        self._transport.writeSequence(seq)

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class _TeeRequest:
    """Twisted's request, written through a :class:`_TeeTransport`; everything else is the request's."""

    def __init__(self, request, wire: Wire) -> None:
        self._request, self._wire = request, wire

    def writeTo(self, transport):  # noqa: N802 - Twisted's name
        return self._request.writeTo(_TeeTransport(transport, self._wire))

    def __getattr__(self, name: str):
        return getattr(self._request, name)


class WireTapProtocol(http11._LenientHTTP11ClientProtocol):
    _wire: Wire | None = None

    def request(self, request):
        self._wire = wire = Wire()
        d = super().request(_TeeRequest(request, wire))

        def attach(response):
            response._evidence_wire = wire
            return response

        return d.addCallback(attach)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        wire = self._wire
        if wire is not None and not wire.complete:
            wire.received += data
        super().dataReceived(data)

    def _finishResponse(self, rest: bytes) -> None:
        wire = self._wire
        if wire is not None and not wire.complete:
            wire.complete = True
            if rest:
                del wire.received[len(wire.received) - len(rest):]
        super()._finishResponse(rest)


class _WireTapFactory(http11._LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):  # noqa: N802 - Twisted's name
        return WireTapProtocol(self._quiescentCallback)


class _WireTapAgent(http11._ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        wire = getattr(txresponse, "_evidence_wire", None)
        if wire is not None:
            request.meta[WIRE_META] = wire
        return super()._cb_bodyready(txresponse, request)


class WireTapDownloadHandler(http11.HTTP11DownloadHandler):
    """``DOWNLOAD_HANDLERS`` for http and https: Scrapy's HTTP/1.1 handler on wire-tapping connections."""

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = _WireTapFactory

    async def download_request(self, request):
        # Scrapy's own, but with the agent that hands the tap on (Scrapy names its agent class inline)
        agent = _WireTapAgent(
            contextFactory=self._contextFactory, bindAddress=self._bind_address, pool=self._pool,
            maxsize=getattr(self._crawler.spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(self._crawler.spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss, crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging)
        try:
            with http11.wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except http11.ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                http11.logger.warning(http11.get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
