"""The workbench's routes: pages (Jinja2, autoescaped) and the JSON API behind them.

Read routes call the same services as the CLI, so ``GET /api/captures`` is ``captures list --json``;
actions (export, verify an upload, run a schedule now) are POST forms with a CSRF token.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from evidence_crawler.bundle.shoptext import shop_html
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.services.captures import CaptureNotFound, iter_items, list_captures, show_capture
from evidence_crawler.services.diff import DiffUnusable, diff_captures
from evidence_crawler.web import readside
from evidence_crawler.web.chart import price_chart
from evidence_crawler.web.jobs import Jobs
from evidence_crawler.web.replay import MISSING, SANDBOX, ReplayOrigin
from evidence_crawler.web.safefiles import NotServable, artifact_response
from evidence_crawler.web.sealedcache import SealedReads
from evidence_crawler.web.search import SearchIndex
from evidence_crawler.web.security import Access, SecurityMiddleware
from storage.local import LocalStore
from storage.schedules import ScheduleBook

HERE = Path(__file__).parent
ITEMS_PER_PAGE = 100  # items per capture page (?p=N for the next ones): a 10,000-item capture stays fast
PAGES_SHOWN = 300  # exchanges listed on the capture page; every one is in the pages.jsonl artifact
MAX_UPLOAD = 4 << 30  # a bundle upload larger than this is refused (the verifier's own caps apply inside)


def replay_frame(request: Request, replay: ReplayOrigin | None, data: dict[str, Any]) -> dict[str, str]:
    """The item page's replay frame: its URL on the replay origin, or why there is none."""
    if data["page"] is None:
        return {"replay_note": "No recorded page for this item."}
    if replay is None or replay.assets is None:
        return {"replay_note": MISSING}
    if data["state"] != "sealed":
        return {"replay_note": f"This capture is {data['state']}: replay is offered once it is sealed."}
    return {"replay_src": replay.embed_url(request, data["capture_id"], data["page"]["url"],
                                           data["page"].get("fetched_at"))}


def create_app(config: EvidenceConfig, store: LocalStore, access: Access, replay: ReplayOrigin | None = None
               ) -> FastAPI:
    app = FastAPI(title="evidence-crawler workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityMiddleware, access=access, frame_src=replay.origin if replay else None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.autoescape = True  # select_autoescape() would leave "*.html.j2" unescaped: everything is escaped
    templates.env.filters["shop"] = lambda value, limit=2000: shop_html(  # the report's rendering of shop text
        value, limit, "…({n} characters, full text in {source})", "items.jsonl")
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, ensure_ascii=False, indent=2, default=str)
    operator = config.operator or access.token_name or ""
    jobs = Jobs(config.model_copy(update={"operator": operator}), store)
    index = SearchIndex(store)
    sealed = SealedReads(store)

    def read_capture(capture_id: str) -> dict[str, Any]:
        return sealed.get(capture_id, lambda: readside.capture(store, capture_id))

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"csrf": access.csrf, **context})

    def not_found(exc: Exception):
        raise HTTPException(404, str(exc))

    def check_csrf(request: Request, token: str | None) -> None:
        if not access.csrf_ok(request.url.path, token):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page")

    @app.get("/", response_class=HTMLResponse)
    def captures_page(request: Request, profile: str = "", schedule: str = "", state: str = ""):
        rows = readside.captures(store, profile, schedule, state)
        everything = readside.captures(store)
        return page(request, "captures.html.j2", rows=rows, filters={"profile": profile, "schedule": schedule,
                    "state": state}, profiles=sorted({r["profile"] or "" for r in everything}),
                    schedules=sorted({r["schedule"] for r in everything if r["schedule"]}),
                    states=sorted({r["state"] for r in everything}))

    @app.get("/captures/{capture_id}", response_class=HTMLResponse)
    def capture_page(request: Request, capture_id: str, q: str = "", sort: str = "", p: int = 1):
        try:
            data = read_capture(capture_id)
        except CaptureNotFound as exc:
            not_found(exc)
        items = data["items"]
        if q:
            needle = q.casefold()
            items = [i for i, text in zip(items, data["haystack"], strict=True) if needle in text]
        if sort in ("key", "url"):
            items = sorted(items, key=lambda i: str(i.get(sort, "")))
        pages = max(1, -(-len(items) // ITEMS_PER_PAGE))
        p = min(max(p, 1), pages)
        return page(request, "capture.html.j2", c=data, items=items[(p - 1) * ITEMS_PER_PAGE:p * ITEMS_PER_PAGE],
                    shown=len(items), q=q, sort=sort, p=p, last_page=pages, pages_shown=PAGES_SHOWN)

    @app.get("/captures/{capture_id}/items/{n}", response_class=HTMLResponse)
    def item_page(request: Request, capture_id: str, n: int):
        try:
            data = readside.item(store, capture_id, n, read_capture(capture_id))
        except CaptureNotFound as exc:
            not_found(exc)
        return page(request, "item.html.j2", d=data, chart=Markup(price_chart(data["history"])),
                    replay_sandbox=SANDBOX, **replay_frame(request, replay, data))

    @app.get("/captures/{capture_id}/artifacts/{name}")
    def artifact(capture_id: str, name: str, inline: bool = False):
        manifest = readside.load_manifest(store, capture_id) if capture_id in store.capture_ids() else None
        if manifest is None:
            raise HTTPException(404, "no sealed capture of that id")
        try:
            return artifact_response(Path(store.root), manifest, name, inline)
        except NotServable as exc:
            not_found(exc)

    @app.get("/search", response_class=HTMLResponse)
    def search_page(request: Request, q: str = ""):
        return page(request, "search.html.j2", q=q, results=index.search(q))

    @app.get("/diff", response_class=HTMLResponse)
    def diff_page(request: Request, old: str = "", new: str = ""):
        sealed = [c for c in readside.captures(store) if c["state"] == "sealed"]
        result, error = None, ""
        if old and new:
            try:
                result = diff_captures(store, old, new)
            except (DiffUnusable, CaptureNotFound) as exc:
                error = str(exc)
        return page(request, "diff.html.j2", captures=sealed, old=old, new=new, result=result, error=error)

    @app.get("/schedules", response_class=HTMLResponse)
    def schedules_page(request: Request, started: str = ""):
        from evidence_crawler.services.scheduler import next_run
        from evidence_crawler.timeutil import iso, utcnow

        book = ScheduleBook(store.root)
        rows = [{**s.model_dump(), "next_run": iso(next_run(s, utcnow())), "runs": book.runs(s.name)[-5:]}
                for s in book.all()]
        return page(request, "schedules.html.j2", rows=rows, started=started)

    @app.post("/schedules/{name}/run")
    def run_now(request: Request, name: str, csrf: str = Form("")):
        check_csrf(request, csrf)
        if name not in {s.name for s in ScheduleBook(store.root).all()}:
            not_found(KeyError(f"no schedule {name!r}"))
        jobs.run_schedule_now(name)
        return RedirectResponse(f"/schedules?started={name}", 303)

    @app.get("/export", response_class=HTMLResponse)
    def export_page(request: Request, job: str = ""):
        sealed = [c for c in readside.captures(store) if c["state"] == "sealed"]
        return page(request, "export.html.j2", captures=sealed, job=jobs.exports.get(job))

    @app.post("/export")
    def export_start(request: Request, capture: list[str] = Form(...), case_ref: str = Form(""),
                     lang: str = Form("en"), items_only: str = Form(""), no_timestamp: bool = Form(False),
                     csrf: str = Form("")):
        check_csrf(request, csrf)
        if lang not in ("en", "fr"):
            raise HTTPException(400, "lang must be en or fr")
        job = jobs.start_export(capture, case_ref, lang, items_only, not no_timestamp)
        return RedirectResponse(f"/export?job={job.id}", 303)

    @app.get("/export/{job_id}/bundle")
    def export_download(job_id: str):
        job = jobs.exports.get(job_id)
        if job is None or job.state != "done":
            raise HTTPException(404, "no finished export of that id")
        return Response(job.request.output.read_bytes(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{job.request.output.name}"'})

    @app.get("/verify", response_class=HTMLResponse)
    def verify_page(request: Request):
        return page(request, "verify.html.j2", report=None)

    @app.post("/verify", response_class=HTMLResponse)
    def verify_upload(request: Request, bundle: UploadFile = File(...), csrf: str = Form(""),
                      expect_key: str = Form(""), accept_untimestamped: str = Form("")):
        check_csrf(request, csrf)
        from evidence_crawler.bundle.verify import UnusableBundle, pins_for, verify_bundle

        with tempfile.TemporaryDirectory(prefix="evidence-ui-verify-") as tmp:
            path = Path(tmp) / "upload.wacz"
            with open(path, "wb") as out:
                copied = 0
                while chunk := bundle.file.read(1 << 20):
                    copied += len(chunk)
                    if copied > MAX_UPLOAD:
                        raise HTTPException(413, f"bundle larger than {MAX_UPLOAD >> 30} GiB")
                    out.write(chunk)
            try:  # pinned as the CLI pins: the keys typed in, else EVIDENCE_TRUSTED_KEYS of the app's process
                keys, source = pins_for(expect_key.replace(",", " ").split(), os.environ)
                report = verify_bundle(path, expect_keys=keys, pin_source=source,
                                       accept_untimestamped=bool(accept_untimestamped)).as_dict()
            except UnusableBundle as exc:  # not a bundle, or one that cannot be checked: said, never a 500
                report = {"valid": False, "unusable": True, "problems": [str(exc)], "warnings": [], "checked": {},
                          "signer_pinned": False}
        report["bundle"] = bundle.filename or "upload"
        return page(request, "verify.html.j2", report=report)

    @app.get("/api/captures")
    def api_captures():
        return list_captures(store)

    @app.get("/api/captures/{capture_id}")
    def api_capture(capture_id: str):
        try:
            return show_capture(store, capture_id)
        except CaptureNotFound as exc:
            not_found(exc)

    @app.get("/api/captures/{capture_id}/items")
    def api_items(capture_id: str):
        try:
            return JSONResponse(list(iter_items(store, capture_id)))
        except CaptureNotFound as exc:
            not_found(exc)

    @app.get("/api/search")
    def api_search(q: str = ""):
        return [{k: r[k] for k in ("capture_id", "url", "fields", "offers")} for r in index.search(q)]

    return app
