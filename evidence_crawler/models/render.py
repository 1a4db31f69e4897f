"""A line of ``renders.jsonl``: one browser render of a recorded document and the files it left."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from evidence_crawler.models.base import Frozen


class RenderFile(Frozen):
    """A file of the render, sealed as an artifact of the capture under ``name``."""

    name: str
    sha256: str
    size: int


class RenderRecord(Frozen):
    """The browser's observations (``browser/render.py`` ``RenderResult.summary``) and what was kept.

    The lists of requests, actions, dialogs... stay open dicts: they are what Playwright reported, in
    its terms; what the evidence relies on (which document, which files) is typed.
    """

    seq: int
    url: str
    final_url: str = ""
    user_agent: str = ""
    partial: bool = False
    partial_reasons: list[str] = Field(default_factory=list)
    actions: list[dict[str, Any]] = Field(default_factory=list)  # waits, scroll steps
    screenshot: dict[str, Any] = Field(default_factory=dict)  # how the full-page screenshot was taken
    requests: list[dict[str, Any]] = Field(default_factory=list)  # every request the browser made, and its answer
    dialogs: list[dict[str, Any]] = Field(default_factory=list)
    popups: list[dict[str, Any]] = Field(default_factory=list)
    downloads: list[dict[str, Any]] = Field(default_factory=list)
    page_errors: list[str] = Field(default_factory=list)
    websockets: list[dict[str, Any]] = Field(default_factory=list)  # refused, never connected
    webrtc: dict[str, Any] = Field(default_factory=dict)  # WebRTC APIs disabled, and the page's attempts
    rendered_at: str = ""
    timings: dict[str, float] = Field(default_factory=dict)
    attempt: int = 1
    document_record_id: str | None = None  # the response record of the document rendered
    document_sha256: str | None = None
    dom_record_id: str | None = None  # the WARC conversion record holding the rendered DOM
    artifacts: dict[str, RenderFile] = Field(default_factory=dict)  # by role: dom, screenshot, ..., pdf
    worker: str | None = None  # distributed captures: which worker rendered it

    def screenshot_name(self) -> str | None:
        """Name of the full-page screenshot artifact, when there is one."""
        shot = self.artifacts.get("screenshot")
        return shot.name if shot else None

    def dump(self) -> dict[str, Any]:
        """The line as written: the keys that were set, in this order."""
        return self.model_dump(mode="json", exclude_unset=True)
