"""RenderOptions: every knob of a browser capture, with its default and unit, recorded in the manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RenderOptions:
    viewport_width: int = 1280  # CSS px
    viewport_height: int = 800  # CSS px
    device_scale_factor: float = 1.0  # 1: screenshot pixels == CSS px, so PNG height == scrollHeight
    locale: str = "en-US"
    timezone: str = "UTC"
    timeout_s: float = 30.0  # navigation + waiting for network idle; after it, what is there is kept (partial)
    idle_s: float = 5.0  # at most this long for network idle once the page has loaded
    idle_quiet_s: float = 0.25  # network idle = nothing in flight and nothing routed for this long (after load)
    script_timeout_s: float = 10.0  # a page call unanswered this long, page not answering: scripts terminated
    wait_selector: str | None = None  # also wait for this CSS selector (within timeout_s)
    scroll: bool = True  # bounded auto-scroll to reveal lazy content
    scroll_max_steps: int = 30  # viewport-heights scrolled at most
    scroll_max_s: float = 10.0  # and at most this long
    scroll_pause_s: float = 0.25  # after a step the page reacted to, and once at the bottom, for lazy loaders
    pdf: bool = True  # print to PDF (page.pdf)
    max_contexts: int = 4  # browser contexts (one per page being rendered) at once: PLAYWRIGHT_MAX_CONTEXTS

    @classmethod
    def from_settings(cls, settings) -> RenderOptions:
        """From Scrapy settings (``EVIDENCE_RENDER_*``, ``PLAYWRIGHT_MAX_CONTEXTS``); unset keys keep defaults."""
        d = cls()
        return cls(
            viewport_width=settings.getint("EVIDENCE_RENDER_VIEWPORT_WIDTH", d.viewport_width),
            viewport_height=settings.getint("EVIDENCE_RENDER_VIEWPORT_HEIGHT", d.viewport_height),
            locale=settings.get("EVIDENCE_RENDER_LOCALE") or d.locale,
            timezone=settings.get("EVIDENCE_RENDER_TIMEZONE") or d.timezone,
            timeout_s=settings.getfloat("EVIDENCE_RENDER_TIMEOUT_S", d.timeout_s),
            idle_s=settings.getfloat("EVIDENCE_RENDER_IDLE_S", d.idle_s),
            idle_quiet_s=settings.getfloat("EVIDENCE_RENDER_IDLE_QUIET_S", d.idle_quiet_s),
            script_timeout_s=settings.getfloat("EVIDENCE_RENDER_SCRIPT_TIMEOUT_S", d.script_timeout_s),
            wait_selector=settings.get("EVIDENCE_RENDER_WAIT") or None,
            scroll=settings.getbool("EVIDENCE_RENDER_SCROLL", d.scroll),
            scroll_max_steps=settings.getint("EVIDENCE_RENDER_SCROLL_MAX_STEPS", d.scroll_max_steps),
            scroll_max_s=settings.getfloat("EVIDENCE_RENDER_SCROLL_MAX_S", d.scroll_max_s),
            pdf=settings.getbool("EVIDENCE_RENDER_PDF", d.pdf),
            max_contexts=settings.getint("PLAYWRIGHT_MAX_CONTEXTS", d.max_contexts),
        )

    def as_dict(self) -> dict:
        return asdict(self)
