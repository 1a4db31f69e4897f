"""The human-readable report (``evidence/report.html``), English or French, from the bundle's data.

Jinja2 with autoescaping on: titles, URLs, prices and every other page-derived string are data and
render as text, never as markup; each goes through the ``shop`` filter (``bundle/shoptext.py``: cut at a
stated length, bidi controls shown, isolated). A Content-Security-Policy without ``script-src`` backs that up: even
if something slipped through, the browser that opens (or prints) the report would run no script.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.findings import strings as findings_strings
from evidence_crawler.bundle.hubreport import hub_sections
from evidence_crawler.bundle.intermediaries import strings as intermediaries_strings
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.pdf import html_to_pdf
from evidence_crawler.bundle.sealed import ExportedCapture
from evidence_crawler.bundle.shoptext import shop_filter
from evidence_crawler.bundle.strings import strings
from evidence_crawler.models import ErrorTally, EventKind
from evidence_crawler.models.errorkinds import kind_label

_env = Environment(loader=PackageLoader("evidence_crawler.bundle", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["shop"] = shop_filter
_env.filters["kind"] = kind_label


def offer_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per offer of each product item (duplicates skipped): item, format, price, amount, currency."""
    rows = []
    for item in items:
        if item.get("kind", "product") != "product" or item.get("duplicate_of"):
            continue
        fields = item.get("fields") or {}
        title = fields.get("title") or fields.get("name") or item.get("key") or item["url"]
        for offer in item.get("offers") or []:
            rows.append({"title": title, "url": item["url"], "format": offer.get("format", ""),
                         "price": offer.get("price", ""), "amount": offer.get("amount") or "",
                         "currency": offer.get("currency") or ""})
    return rows


def p2p_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": i["fields"].get("name") or i["key"], "size": i["fields"].get("size") or "",
             "hash": f"{i['fields'].get('hash_type', '')}:{i['fields'].get('hash', '')}", "url": i["url"]}
            for i in items if i.get("kind") == "p2p" and not i.get("duplicate_of")]


def render_report(lang: str, context: dict[str, Any]) -> bytes:
    """``context``: case, created, exporter, software, captures (with pages, environment), items,
    tokens, tsa_failures, timestamped, fingerprint, manifest_sha256, custody, items_only."""
    items = context.pop("items")
    context.setdefault("findings", [])
    context.setdefault("intermediaries", [])
    html = _env.get_template("report.html.j2").render(lang=lang, t=strings(lang), offers=offer_rows(items),
                                                      p2p=p2p_rows(items), p2p_hub=hub_sections(items, lang),
                                                      tf=findings_strings(lang), ti=intermediaries_strings(lang),
                                                      **context)
    return html.encode()


def report_capture(exported: ExportedCapture, root: Path) -> dict[str, Any]:
    """What the report shows of one capture; ``pages`` get ``screenshot_src`` (relative to the report)."""
    cap, m, summary = exported.sealed, exported.sealed.manifest, exported.summary
    shots = {a.name: a.member for a in summary.artifacts if a.role == "screenshot"}
    pages = [{**e, "screenshot_src": shots[e["screenshot"]].removeprefix("evidence/")
              if e.get("screenshot") in shots else None} for e in exported.entries]
    return {"id": cap.id, "profile": m.profile.name, "start_urls": m.profile.start_urls,
            "started_at": m.started_at, "finished_at": m.finished_at, "finish_reason": m.finish_reason,
            "counts": m.counts.model_dump(), "errors": ErrorTally.of(exported.errors),
            "manifest_sha256": summary.manifest.sha256,
            "sealed_seq": cap.sealed.seq, "sealed_hash": cap.sealed.hash, **seal_anchor(exported),
            "environment": m.environment.model_dump(mode="json"), "settings": m.settings, "pages": pages,
            "artifacts": [{**a.model_dump(), "path": root / s.path}
                          for a, s in zip(summary.artifacts, m.artifacts, strict=True)]}


def seal_anchor(exported: ExportedCapture) -> dict[str, Any]:
    """The earliest seal-time token (seconds after the capture ended) and the seal signer, for the report."""
    cap = exported.sealed
    tokens = sorted((e.data for e in cap.anchor if e.event == EventKind.CAPTURE_TIMESTAMPED),
                    key=lambda t: t["gen_time"])
    signed = [e.data["fingerprint"] for e in cap.anchor if e.event == EventKind.CAPTURE_SIGNED]
    stamp = None
    if tokens:
        # TSAs state genTime to the second (the local one truncates): compare whole seconds, not 0.4 s "before"
        ended = datetime.fromisoformat(cap.manifest.finished_at).replace(microsecond=0)
        seconds = int((datetime.fromisoformat(tokens[0]["gen_time"]) - ended).total_seconds())
        stamp = {"seconds": str(seconds), "gen_time": tokens[0]["gen_time"], "tsa": tokens[0]["tsa"]}
    return {"seal_stamp": stamp, "seal_signed": signed[0] if signed else None}


def add_report(w: WaczWriter, lang: str, context: dict[str, Any], chromium: str, tmp: Path) -> None:
    """``evidence/report.html``, then the same printed to ``evidence/report.pdf`` by Chromium, with the
    thumbnails next to it as they sit in ``evidence/`` (raises PdfError)."""
    html = render_report(lang, context)
    w.add_bytes(ev.REPORT_HTML, html)
    html_path, pdf_path = tmp / "report.html", tmp / "report.pdf"
    html_path.write_bytes(html)
    for capture in context["captures"]:
        for page in capture["pages"]:
            if page["screenshot_src"]:
                art = next(a for a in capture["artifacts"] if a["member"] == f"evidence/{page['screenshot_src']}")
                shutil.copyfile(art["path"], tmp / page["screenshot_src"])
    html_to_pdf(html_path, pdf_path, chromium)
    w.add_file(ev.REPORT_PDF, pdf_path)
