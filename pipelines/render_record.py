"""RenderEvidence: what one browser render leaves in the capture.

- the rendered DOM as a WARC ``conversion`` record whose ``WARC-Refers-To`` is the document's response
  record (the server's bytes stay the only thing labelled as received), and as a ``dom`` artifact;
- a full-page PNG (``screenshot``), a viewport PNG (``screenshot_viewport``) and a PDF (``pdf``), each a
  sealed artifact hashed into the manifest;
- one line in ``renders.jsonl`` (role ``renders``): the actions taken (waits, scroll steps), every request
  the browser made and how it was answered, dialogs, popups, downloads, page errors, and the artifact names;
- the manifest's ``browser`` section: browser name and version, user agent, viewport, device scale,
  locale, timezone, the render options, and the navigation path of every rendered page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence_crawler.capture.linefiles import JsonLines
from evidence_crawler.hashing import sha256_hex
from evidence_crawler.models import PageRef, RenderRecord

ARTIFACT_FILES = (("dom", "dom.html"), ("screenshot", "full.png"), ("screenshot_viewport", "viewport.png"),
                  ("pdf", "pdf"))


class RenderEvidence:
    def __init__(self, session, browser_info: dict[str, Any], options: dict[str, Any],
                 context: dict[str, Any]) -> None:
        self.session = session
        self.folder = session.work / "browser"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.renders = JsonLines(session.work / "renders.jsonl")
        session.extra_artifacts.append((self.renders.path, "renders"))
        self.seq = 0
        self.section: dict[str, Any] = {**browser_info, **context, "options": options,
                                        "renders": {"artifact": "renders.jsonl", "count": 0}, "navigation": []}
        session.extra_manifest["browser"] = self.section

    def update_browser(self, browser_info: dict[str, Any]) -> None:
        """After a relaunch (crash) the version could differ; the manifest lists every one used."""
        versions = self.section.setdefault("versions_used", [])
        if browser_info.get("version") not in versions:
            versions.append(browser_info.get("version"))
        self.section.update(browser_info)

    def keep(self, result, page: PageRef | None, attempt: int) -> dict[str, Any]:
        session = self.session
        self.seq += 1
        stem = f"render-{self.seq:05d}"
        dom_record = session.warc.write_conversion(result.url, result.dom, "text/html; charset=utf-8",
                                                   page.record_id if page else None,
                                                   page.fetched_at if page else None)
        files = {}
        for role, suffix in ARTIFACT_FILES:
            data = {"dom": result.dom, "screenshot": result.full_png, "screenshot_viewport": result.viewport_png,
                    "pdf": result.pdf}[role]
            if not data:
                continue
            path: Path = self.folder / f"{stem}.{suffix}"
            path.write_bytes(data)
            session.extra_artifacts.append((path, role))
            files[role] = {"name": path.name, "sha256": sha256_hex(data), "size": len(data)}
        line = RenderRecord(seq=self.seq, **result.summary(), attempt=attempt,
                            document_record_id=page.record_id if page else None,
                            document_sha256=page.sha256 if page else None, dom_record_id=dom_record,
                            artifacts=files).dump()
        session.append(self.renders, line)
        if not self.section.get("user_agent"):
            self.section["user_agent"] = result.user_agent
        self.section["renders"]["count"] = self.seq
        self.section["navigation"].append({"url": result.url, "final_url": result.final_url,
                                           "partial": bool(result.partial), "actions": result.actions})
        return line
