"""CaptureSessionExtension: the Scrapy side of the capture core (``evidence_crawler.capture``).

Opens the capture when the spider opens and seals it (or marks it failed, or leaves it resumable) when
the spider closes. Other components get the session through :func:`capture_session` (extensions are built
before the downloader and the pipelines); the spider reports errors as the ``capture_error`` signal and
never touches the session. ``capture_opened`` hands the session to whoever runs the crawl.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured

from evidence_crawler import signals as evidence_signals
from evidence_crawler.capture.anchor import SealAnchor
from evidence_crawler.capture.intermediaries import run_step as run_intermediaries
from evidence_crawler.capture.seal import seal_capture
from evidence_crawler.capture.session import CAPTURE_SETTINGS, CONDITION_SETTINGS, CaptureSession
from evidence_crawler.models import CaptureState
from storage.local import LocalStore


class CaptureSessionExtension:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.session: CaptureSession | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("EVIDENCE_STORE"):
            raise NotConfigured("EVIDENCE_STORE is not set")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.capture_error, signal=evidence_signals.capture_error)
        return ext

    def spider_opened(self, spider) -> None:
        import scrapy

        settings = {k: self.crawler.settings.get(k) for k in CAPTURE_SETTINGS}
        settings.update({k: self.crawler.settings.get(k) for k in ("EVIDENCE_OPERATOR", "EVIDENCE_STORE")})
        settings["RETRY_HTTP_CODES"] = list(self.crawler.settings.getlist("RETRY_HTTP_CODES"))
        settings.update({k: ",".join(self.crawler.settings.getlist(k)) for k in CONDITION_SETTINGS})
        settings["_SCRAPY_VERSION"] = scrapy.__version__
        resume = self.crawler.settings.get("EVIDENCE_RESUME_CAPTURE")
        session = CaptureSession(LocalStore(self.crawler.settings["EVIDENCE_STORE"]), spider.loaded_profile,
                                 settings, capture_id=resume or self.crawler.settings.get("EVIDENCE_CAPTURE_ID"),
                                 resuming=bool(resume))
        session.on_failure = lambda: self.crawler.engine.close_spider(spider, "evidence_write_failed")
        session.anchor = SealAnchor.from_settings(self.crawler.settings.get)
        session.cookies_in = cookies_at_start(self.crawler)
        session.open()
        self.session = session
        self.crawler.signals.send_catch_log(evidence_signals.capture_opened, session=session)
        spider.logger.info("evidence capture %s in %s", session.capture_id, session.dir)

    def capture_error(self, url: str, kind: str, message: str) -> None:
        if self.session is not None:
            self.session.record_error(url, kind, message)

    def spider_closed(self, spider, reason: str) -> None:
        session = self.session
        if session is None or session.state != CaptureState.CAPTURING:
            return  # never opened, or already failed (disk full): never seal a capture that lost data
        if reason == "shutdown":
            session.interrupt(reason)
            return
        try:
            run_intermediaries(session)  # DNS, RDAP, page analysis: recorded, never fatal
            seal_capture(session, finish_reason=reason)
        except OSError as exc:
            session.fail(f"writing evidence failed: {exc}")


def cookies_at_start(crawler) -> int:
    """Cookies the crawl starts with: those in the cookie middleware's jars, plus a ``Cookie`` default header's."""
    from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

    middlewares = crawler.engine.downloader.middleware.middlewares if crawler.engine else ()
    count = sum(len(jar) for mw in middlewares if isinstance(mw, CookiesMiddleware) for jar in mw.jars.values())
    headers = {str(k).lower(): v for k, v in (crawler.settings.getdict("DEFAULT_REQUEST_HEADERS") or {}).items()}
    header = str(headers.get("cookie") or "")
    return count + len([p for p in header.split(";") if p.strip()])


def capture_session(crawler) -> CaptureSession | None:
    """The capture this crawl writes; None before the spider opened, or with no store configured."""
    ext = crawler.get_extension(CaptureSessionExtension)
    return ext.session if ext is not None else None
