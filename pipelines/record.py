"""WarcRecorderMiddleware: every request/response pair to WARC, body exactly as the server sent it.

It sits at 950 in the downloader order. Scrapy calls ``process_response`` from the highest number down,
so this sees each redirect hop, each retried attempt and the still content-encoded body before
``HttpCompressionMiddleware`` (590) or ``RedirectMiddleware`` (600) touch it. The bytes of an HTTP/1.x
exchange as they crossed the connection come from :mod:`pipelines.wire` and are the records' blocks.
Transport failures are recorded here (each attempt); refusals and HTTP errors are recorded by the spider's errback.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from w3lib.url import canonicalize_url

from evidence_crawler.failures import classify
from evidence_crawler.linktext import META_KEY as LINK_TEXT
from evidence_crawler.models import PageRecord, PageRef
from evidence_crawler.timeutil import iso
from evidence_crawler.warc import Exchange, WrittenExchange
from pipelines.session import CaptureSessionExtension
from pipelines.wire import WIRE_META


class RedirectLoop(IgnoreRequest):
    evidence_kind = "redirect_loop"


def _header_list(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in headers.items() for v in vs]


class WarcRecorderMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.capture = crawler.get_extension(CaptureSessionExtension)
        self._certs_seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def session(self):
        return self.capture.session

    def process_request(self, request, spider=None):
        request.meta["evidence_fetched_at"] = iso()
        return None

    def process_response(self, request, response, spider=None):
        wire = request.meta.pop(WIRE_META, None)  # never carried on to a retry or redirect copy
        try:
            self.session.warc.check()
        except OSError as exc:
            self._failed(exc)
        if request.meta.get("evidence_replayed"):
            return response  # answered from this capture's own WARC on resume: already recorded
        if not self.session.writable:
            raise IgnoreRequest("capture already failed; response not recorded")
        try:
            self._record(request, response, wire)
            if "dataloss" in response.flags:  # kept as partial evidence; try again for the whole body
                retry = get_retry_request(request, spider=self.crawler.spider, reason="dataloss")
                if retry is not None:
                    return retry
        except RedirectLoop:
            raise  # recorded (both hops are in the WARC); the spider's errback lists it once
        except OSError as exc:
            self._failed(exc)
        return response

    def _failed(self, exc: OSError):
        """Disk full, I/O error: this capture cannot be trusted to be complete; stop and mark it failed."""
        if self.session.writable:
            self.session.fail(f"writing evidence failed: {exc}")
            self.session.on_failure()
        raise IgnoreRequest(f"evidence write failed: {exc}") from exc

    def _record(self, request, response, wire) -> None:
        session = self.session
        req_headers = _header_list(request.headers)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", response.url.split("/")[2]))
        ip = str(response.ip_address) if response.ip_address else None
        extra = {}
        cert_sha = None
        if response.certificate is not None:
            cert_sha = self._record_certificate(request.url, response.certificate)
            extra["WARC-X-TLS-Certificate-SHA256"] = cert_sha
        fetched_at = request.meta.get("evidence_fetched_at") or iso()
        location = response.headers.get(b"Location")
        redirect_to = (urljoin(response.url, location.decode("latin-1"))
                       if location is not None and 300 <= response.status < 400 else None)
        ctype = response.headers.get(b"Content-Type")
        cenc = response.headers.get(b"Content-Encoding")
        page = {
            "url": response.url, "method": request.method, "status": response.status, "fetched_at": fetched_at,
            "received_at": iso(), "ip": ip,
            "content_type": ctype.decode("latin-1") if ctype else None,
            "content_encoding": cenc.decode("latin-1") if cenc else None,
            "referrer": (request.headers.get(b"Referer") or b"").decode("latin-1") or None,
            "link_text": request.meta.get(LINK_TEXT),  # the text of the link the spider followed
            "depth": request.meta.get("depth", 0), "redirect_to": redirect_to, "tls_certificate_sha256": cert_sha,
            "robots": response.url.endswith("/robots.txt"), "partial": "dataloss" in response.flags,
        }

        def on_written(w: WrittenExchange) -> None:  # writer thread: the records are on disk now
            session.pages.append(PageRecord(
                **page, sha256=w.body.sha256, blake3=w.body.blake3, size=w.body.size, warc_file=w.warc_file,
                warc_offset=w.offset, warc_length=w.length, record_id=w.record_id,
                request_record_id=w.request_record_id).model_dump(exclude_none=True))

        record_id, body_sha256 = session.warc.write_exchange(Exchange(
            url=response.url, method=request.method, request_headers=req_headers, request_body=request.body,
            status=response.status, protocol=response.protocol or "HTTP/1.1",
            response_headers=_header_list(response.headers), body=response.body,
            fetched_at=fetched_at, ip=ip, extra_warc_headers=extra,
            response_wire=bytes(wire.received) if wire is not None else None,
            request_wire=wire.request_bytes() if wire is not None else None,
        ), on_written)
        request.meta["evidence_page"] = PageRef(sha256=body_sha256, record_id=record_id, fetched_at=fetched_at)
        if "dataloss" in response.flags:
            declared = response.headers.get(b"Content-Length", b"?").decode("latin-1")
            session.record_error(response.url, "connection", f"connection lost after {len(response.body)} of "
                                 f"{declared} bytes; the partial body is kept in the WARC, marked partial")
        if redirect_to:
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if canonicalize_url(redirect_to) in {canonicalize_url(u) for u in chain}:
                raise RedirectLoop(f"{request.url} redirects back to {redirect_to} "
                                   f"(chain: {' -> '.join(chain)}); not followed further")

    def _record_certificate(self, url: str, certificate) -> str:
        der = certificate.dump()
        sha = hashlib.sha256(der).hexdigest()
        if sha not in self._certs_seen:
            self._certs_seen.add(sha)
            self.session.warc.write_metadata(url, certificate.dumpPEM(), "application/x-pem-file", None)
        return sha

    def process_exception(self, request, exception, spider=None):
        request.meta.pop(WIRE_META, None)
        if isinstance(exception, IgnoreRequest):
            return None  # refusals are recorded by the spider's errback, once
        kind, message = classify(exception)
        if kind == "too_large" and "max size" not in message:
            limit = request.meta.get("download_maxsize") or self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            message = f"{message}: body larger than the download limit of {limit} bytes (EVIDENCE_MAX_BODY_BYTES)"
        self.session.record_error(request.url, kind, message)
        return None
