"""Screenshots of exhibits rendered at export **from the archived bytes only**.

A capture made without the browser has no screenshots; its exhibits still get one. One headless Chromium
(the crawl's launch flags, ``browser/locate.py``) opens each exhibit's URL in a fresh context whose every
request goes through ``route("**/*")``: a URL the capture archived is answered from its WARC record
(status, headers and body as archived, chunking and content-encoding undone by warcio), anything else is
aborted. Nothing reaches the network; a sub-resource that was not archived stays missing. Scripts are
off, so what is drawn is the archived HTML and what it references, not what a script would do at
export time. Each page has a bounded time; a page that does not render gets no screenshot (the report
says so) and never fails the export.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.browser.locate import LAUNCH_ARGS, _unwrapped
from evidence_crawler.bundle.pdf import PdfError

VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 1800  # CSS px kept of a long page: the top of it, where an exhibit's facts are
PAGE_TIMEOUT_S = 15.0
MAX_BODY = 32 << 20  # a single archived response served to the renderer, at most
DROP = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}


@dataclass(frozen=True)
class ArchivedAt:
    warc: Path
    offset: int


def read_response(at: ArchivedAt) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers (without transfer framing) and decoded body of the response record at ``at``."""
    with open(at.warc, "rb") as fh:
        fh.seek(at.offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or record.http_headers is None:
                return None
            status = int(record.http_headers.get_statuscode() or 0)
            headers = {k: v for k, v in record.http_headers.headers if k.lower() not in DROP}
            return status, headers, record.content_stream().read(MAX_BODY)
    return None


class ArchiveRenderer:
    """``with ArchiveRenderer(chromium) as r: png = r.render(url, index)``; index: URL -> ArchivedAt."""

    def __init__(self, chromium: str, timeout_s: float = PAGE_TIMEOUT_S) -> None:
        self.chromium, self.timeout_ms = _unwrapped(chromium, Path(chromium).name), timeout_s * 1000
        self._pw = self._browser = self._context = self._tab = None
        self._index: dict[str, ArchivedAt] = {}

    def __enter__(self) -> ArchiveRenderer:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=self.chromium, args=list(LAUNCH_ARGS),
                                                     headless=True, timeout=60_000)
        except PlaywrightError as exc:
            self._pw.stop()
            raise PdfError(f"Chromium could not start to render the exhibits: {str(exc).splitlines()[0]}") from None
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._context is not None:
                self._context.close()
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._pw is not None:
                self._pw.stop()

    def _page(self):
        """One context and page for all exhibits of an export (a new page costs ~0.6 s, the renders
        ~0.2 s): with scripts off, the only state a page can leave behind is a cookie (``Set-Cookie`` in
        an archived response), and ``render`` clears the cookies before each page, so every exhibit is
        still drawn from the archive alone. A page that failed is thrown away with its context."""
        if self._context is None:
            self._context = self._browser.new_context(viewport=VIEWPORT, java_script_enabled=False,
                                                      service_workers="block", accept_downloads=False)
            self._context.route("**/*", lambda route: _answer(route, self._index))
            self._tab = self._context.new_page()
            self._tab.set_default_timeout(self.timeout_ms)
        self._context.clear_cookies()
        return self._tab

    def render(self, url: str, index: dict[str, ArchivedAt]) -> bytes | None:
        """A PNG of ``url`` drawn from the archive (top ``MAX_HEIGHT`` px), or None if it did not render."""
        from playwright.sync_api import Error as PlaywrightError

        self._index = index
        try:
            page = self._page()
            page.goto(url, wait_until="load", timeout=self.timeout_ms)
            # the top MAX_HEIGHT px only: Chromium trims the clip to a shorter page, and never draws the rest
            png = page.screenshot(full_page=True, type="png", animations="disabled", timeout=self.timeout_ms,
                                  clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": MAX_HEIGHT})
        except PlaywrightError:
            self._discard()
            return None
        return crop(png, MAX_HEIGHT)

    def _discard(self) -> None:
        context, self._context, self._tab = self._context, None, None
        if context is not None:
            try:
                context.close()
            except Exception:  # noqa: BLE001 - a context that broke is gone either way
                pass


def _answer(route, index: dict[str, ArchivedAt]) -> None:
    at = index.get(route.request.url.split("#", 1)[0])
    answer = read_response(at) if at else None
    if answer is None:
        route.abort("blockedbyclient")
        return
    status, headers, body = answer
    route.fulfill(status=status, headers=headers, body=body)


def crop(png: bytes, max_height: int) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        if img.height <= max_height:
            return png
        out = io.BytesIO()
        img.crop((0, 0, img.width, max_height)).save(out, format="PNG", optimize=True)
        return out.getvalue()
