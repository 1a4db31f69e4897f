"""The human-readable report (``evidence/report.html``, printed to ``evidence/report.pdf``), English or
French, from the bundle's data. It reads as a capture report (procès-verbal de constat) does: a summary
page, the conditions of the capture as a checklist (``checklist.py``), the exhibits in navigation order
with their screenshots and hyperlink paths (``exhibitset.py``), the offers (``offertable.py``), then
integrity, verification and custody; the full page list and offers are annexes as CSV files
(``annexes.py``), cited by sha256.

Jinja2 with autoescaping on: titles, URLs, prices and every other page-derived string are data and
render as text, never as markup; each goes through the ``shop`` filter (``bundle/shoptext.py``: cut at a
stated length, bidi controls shown, isolated). A Content-Security-Policy without ``script-src`` backs that up: even
if something slipped through, the browser that opens (or prints) the report would run no script.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from evidence_crawler.bundle import evidence as ev
from evidence_crawler.bundle.checklist import checklist
from evidence_crawler.bundle.hubreport import hub_sections
from evidence_crawler.bundle.offertable import offer_groups, price_ranges, products
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.pdf import bands, print_pdf
from evidence_crawler.bundle.sealed import ExportedCapture
from evidence_crawler.bundle.shoptext import shop_filter
from evidence_crawler.bundle.strings import strings
from evidence_crawler.models import ErrorTally, EventKind
from evidence_crawler.models.errorkinds import kind_label

_env = Environment(loader=PackageLoader("evidence_crawler.bundle", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["shop"] = shop_filter
_env.filters["kind"] = kind_label


def p2p_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": i["fields"].get("name") or i["key"], "size": i["fields"].get("size") or "",
             "hash": f"{i['fields'].get('hash_type', '')}:{i['fields'].get('hash', '')}", "url": i["url"]}
            for i in items if i.get("kind") == "p2p" and not i.get("duplicate_of")]


def summary(context: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """Page one: sites, period, what was found, integrity."""
    caps = context["captures"]
    sites = sorted({urlsplit(u).netloc for c in caps for u in c["start_urls"]})
    return {"sites": sites, "start": min(c["started_at"] for c in caps), "end": max(c["finished_at"] for c in caps),
            "operators": sorted({c["environment"].get("operator") or "" for c in caps} - {""}),
            "items": len(products(items)), "offers": sum(len(i.get("offers") or []) for i in products(items)),
            "prices": price_ranges(items), "p2p": len(p2p_rows(items)),
            "hubs": sum(1 for i in items if i.get("kind") == "p2p_hub"),
            "works": sum(len(h["rows"]) for f in context.get("findings") or [] for h in f["holders"])}


def render_report(lang: str, context: dict[str, Any]) -> bytes:
    """``context``: case, created, exporter, software, captures (with pages, environment), items,
    tokens, tsa_failures, timestamped, fingerprint, manifest_sha256, custody, items_only, exhibits, annexes."""
    items = context.pop("items")
    context.setdefault("findings", [])
    context.setdefault("exhibits", [])
    context.setdefault("annexes", [])
    context.setdefault("intermediaries", [])
    context.setdefault("pdf_signer", None)
    for c in context["captures"]:
        c["checklist"] = checklist(c, lang)
    first = summary(context, items)
    html = _env.get_template("report.html.j2").render(
        lang=lang, t=strings(lang), offer_groups=offer_groups(items, set(first["sites"])), p2p=p2p_rows(items),
        p2p_hub=hub_sections(items, lang), tf=strings(lang, "findings"), ti=strings(lang, "intermediaries"),
        summary=first, **context)
    return html.encode()


def report_capture(exported: ExportedCapture) -> dict[str, Any]:
    """What the report shows of one capture (its pages are in the exhibits and in ``evidence/pages.csv``)."""
    cap, m = exported.sealed, exported.sealed.manifest
    return {"id": cap.id, "profile": m.profile.name, "start_urls": m.profile.start_urls,
            "started_at": m.started_at, "finished_at": m.finished_at, "finish_reason": m.finish_reason,
            "counts": m.counts.model_dump(), "errors": ErrorTally.of(exported.errors),
            "manifest_sha256": exported.summary.manifest.sha256,
            "sealed_seq": cap.sealed.seq, "sealed_hash": cap.sealed.hash, **seal_anchor(exported),
            "environment": m.environment.model_dump(mode="json"), "settings": m.settings}


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


def report_pdf(html: bytes, lang: str, context: dict[str, Any], chromium: str, tmp: Path) -> bytes:
    """The report printed by Chromium, with the exhibit images next to it as they sit in ``evidence/``,
    and the header/footer on every page (raises PdfError)."""
    html_path = tmp / "report.html"
    html_path.write_bytes(html)
    for ex in context.get("exhibits") or []:
        if ex.get("image_src") and Path(ex["image_file"]) != tmp / ex["image_src"]:
            shutil.copyfile(ex["image_file"], tmp / ex["image_src"])
    t = strings(lang)
    header, footer = bands(context["case"].get("reference") or "", context["manifest_sha256"], t["page"], t["of"],
                           t["manifest_digest"])
    return print_pdf(html_path, chromium, header, footer)


def add_report(w: WaczWriter, lang: str, context: dict[str, Any], chromium: str, tmp: Path,
               finish_pdf: Callable[[Path], Path] | None = None) -> None:
    """``evidence/report.html``, then the same printed to ``evidence/report.pdf`` (raises PdfError);
    ``finish_pdf`` (the PAdES signature, ``bundle/pdfsign.py``) turns the printed PDF into the file the
    bundle holds."""
    html = render_report(lang, context)
    w.add_bytes(ev.REPORT_HTML, html)
    pdf = report_pdf(html, lang, context, chromium, tmp)
    if finish_pdf is None:
        w.add_bytes(ev.REPORT_PDF, pdf)
        return
    printed = tmp / "report.printed.pdf"
    printed.write_bytes(pdf)
    w.add_file(ev.REPORT_PDF, finish_pdf(printed))
