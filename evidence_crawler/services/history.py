"""A storefront over time: its sealed captures with item and offer counts and price statistics.

The target is a schedule name (captures whose manifest ``settings.EVIDENCE_SCHEDULE`` names it, plus
that schedule's runs that did not seal, with their reasons), else a profile name or profile YAML path
(every sealed capture made with that profile). Read from the captures themselves, not the derived
index, so the figures are those of the sealed evidence.
"""

from __future__ import annotations

import statistics
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.models import CaptureManifest
from evidence_crawler.profile import ProfileError, load_profile
from evidence_crawler.services.captures import capture_file, load_manifest, read_state
from evidence_crawler.services.diff import DEFAULT_OFFER_KEY, keyed_offers, offer_key_of
from storage.local import LocalStore
from storage.schedules import ScheduleBook


class HistoryUnusable(Exception):
    pass


def price_stats(amounts: list[Decimal]) -> dict[str, Any]:
    """n, min, max, mean and median of amounts in one currency (mean/median to the amounts' precision)."""
    exponent = min(a.as_tuple().exponent for a in amounts)
    quantum = Decimal(1).scaleb(exponent)
    mean = (sum(amounts, Decimal(0)) / len(amounts)).quantize(quantum)
    median = Decimal(statistics.median(amounts)).quantize(quantum)
    return {"n": len(amounts), "min": str(min(amounts)), "max": str(max(amounts)), "mean": str(mean),
            "median": str(median)}


def _amount(offer: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(offer["amount"])) if offer.get("amount") not in (None, "") else None
    except InvalidOperation:
        return None


def _products(store: LocalStore, capture_id: str):
    for item in iter_jsonl(capture_file(store, capture_id, "items.jsonl")):
        if item.get("kind", "product") == "product" and not item.get("duplicate_of"):
            yield item


def capture_summary(store: LocalStore, capture_id: str, manifest: CaptureManifest) -> dict[str, Any]:
    items = offers = 0
    by_currency: dict[str, list[Decimal]] = {}
    for item in _products(store, capture_id):
        items += 1
        for offer in item.get("offers", []):
            offers += 1
            amount = _amount(offer)
            if amount is not None:
                by_currency.setdefault(offer.get("currency") or "?", []).append(amount)
    return {"capture_id": capture_id, "started_at": manifest.started_at, "finished_at": manifest.finished_at,
            "result": "sealed", "schedule": manifest.settings.get("EVIDENCE_SCHEDULE") or None,
            "items": items, "offers": offers,
            "prices": {cur: price_stats(v) for cur, v in sorted(by_currency.items())}}


def item_summary(store: LocalStore, capture_id: str, manifest: CaptureManifest, key: str) -> dict[str, Any]:
    row: dict[str, Any] = {"capture_id": capture_id, "started_at": manifest.started_at, "result": "sealed",
                           "present": False}
    for item in _products(store, capture_id):
        if key in (item["key"], item["url"]):
            offers = keyed_offers(item.get("offers", []), offer_key_of(store, capture_id) or DEFAULT_OFFER_KEY)
            row.update(present=True, url=item["url"], key=item["key"], fields=item.get("fields", {}),
                       offers=[{"offer": k, "price": o.get("price"), "amount": o.get("amount"),
                                "currency": o.get("currency")} for k, o in offers.items()])
            break
    return row


def _sealed_captures(store: LocalStore):
    for cid in store.capture_ids():
        state = read_state(store, cid)
        if state["state"] == "sealed" and not state.get("part_of"):  # a worker's part is inside its capture
            manifest = load_manifest(store, cid)
            if manifest is not None:
                yield cid, manifest


def history(store: LocalStore, target: str, item: str | None = None) -> dict[str, Any]:
    """``{"target", "kind": "schedule"|"profile", "item", "rows": [...]}``, rows oldest first.

    Unknown target (no such schedule, no profile file, no sealed capture of that profile name):
    :class:`HistoryUnusable`. A known one with nothing captured yet has no rows.
    """
    book = ScheduleBook(store.root)
    schedules = {s.name for s in book.all()}
    runs = book.runs(target)  # a removed schedule keeps its history
    known = target in schedules or bool(runs)  # a schedule, or a profile file: known even with no capture yet
    if known:
        kind = "schedule"

        def wanted(m: CaptureManifest) -> bool:
            return m.settings.get("EVIDENCE_SCHEDULE") == target
    else:
        kind, name = "profile", target
        if Path(target).is_file():
            try:
                name = load_profile(target).profile.name
            except ProfileError as exc:
                raise HistoryUnusable(str(exc)) from None
            known = True

        def wanted(m: CaptureManifest) -> bool:
            return m.profile.name == name
    rows = []
    for cid, manifest in _sealed_captures(store):
        if wanted(manifest):
            rows.append(item_summary(store, cid, manifest, item) if item else capture_summary(store, cid, manifest))
    if not known and not rows:
        raise HistoryUnusable(f"no schedule, and no sealed capture of a profile, named {target!r} in {store.root}")
    for run in runs:
        if run.get("result") != "sealed":
            rows.append({"capture_id": run.get("capture_id"), "started_at": run["started_at"],
                         "result": run["result"], "reason": run.get("reason", ""), "schedule": target})
    rows.sort(key=lambda r: r["started_at"])
    return {"target": target, "kind": kind, "item": item, "rows": rows}
