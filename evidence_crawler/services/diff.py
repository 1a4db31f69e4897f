"""What changed on a storefront between two sealed captures: items, fields, offers, page bytes.

Items are matched on their ``key`` (the profile's ``key:`` field, else the URL; set by the spider),
so an album that moved to a new address under the same catalogue number is *changed* (its ``url``),
not removed and added. Only products count; an item flagged ``duplicate_of`` is the same product seen
again and is left out. Offers are matched within an item on the profile's ``offers.key`` field, else
``format``; an offer without that field is matched by its position (``#1``, ``#2``, ...). Amounts
are compared as decimals (``1.5`` equals ``1.50``); every other value as recorded.

Change names: ``title`` for an item field, ``url`` for a moved item, ``offers[<k>].<field>`` for an
offer field, ``offers[<k>]`` (before or after null) for an offer that appeared or disappeared.
Two surveys of a DC hub are compared by ``hubdiff`` instead (users and shares).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.models import CaptureManifest
from evidence_crawler.profile import ProfileError, parse_profile
from evidence_crawler.services.captures import capture_file, load_manifest, require_sealed
from evidence_crawler.services.hubdiff import diff_hub_surveys
from storage.local import LocalStore

DEFAULT_OFFER_KEY = "format"


class DiffUnusable(Exception):
    """The two captures cannot be compared; the message is the one line the operator needs."""


def _sealed(store: LocalStore, capture_id: str) -> CaptureManifest:
    require_sealed(store, capture_id, DiffUnusable, "only sealed captures can be compared")
    manifest = load_manifest(store, capture_id)
    if manifest is None:
        raise DiffUnusable(f"capture {capture_id}: manifest.json is missing")
    return manifest


def offer_key_of(store: LocalStore, capture_id: str) -> str | None:
    path = capture_file(store, capture_id, "profile.yaml")
    try:
        profile = parse_profile(path.read_text("utf-8"), str(path))
    except ProfileError as exc:
        raise DiffUnusable(f"capture {capture_id}: its profile.yaml no longer parses: {exc}") from None
    return profile.offers.key if profile.offers else None


def load_products(store: LocalStore, capture_id: str) -> dict[str, dict[str, Any]]:
    """Products by key (first occurrence wins); duplicates of another URL are not products of their own."""
    products: dict[str, dict[str, Any]] = {}
    for item in iter_jsonl(capture_file(store, capture_id, "items.jsonl")):
        if item.get("kind", "product") == "product" and not item.get("duplicate_of"):
            products.setdefault(item["key"], item)
    return products


def keyed_offers(offers: list[dict[str, Any]], key_field: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, offer in enumerate(offers, 1):
        value = offer.get(key_field)
        base = str(value) if value not in (None, "") else f"#{i}"
        key, n = base, 1
        while key in out:  # two rows with the same format: keep both, in page order
            n += 1
            key = f"{base}#{n}"
        out[key] = offer
    return out


def _same(field: str, before: Any, after: Any) -> bool:
    if field == "amount" and before is not None and after is not None:
        try:
            return Decimal(str(before)) == Decimal(str(after))
        except InvalidOperation:
            pass
    return before == after


def _union(first: dict, second: dict) -> list[str]:
    return list(first) + [k for k in second if k not in first]


def item_changes(old: dict[str, Any], new: dict[str, Any], offer_key: str) -> list[dict[str, Any]]:
    changes = []
    if old["url"] != new["url"]:
        changes.append({"field": "url", "before": old["url"], "after": new["url"]})
    for name in _union(new.get("fields", {}), old.get("fields", {})):
        before, after = old.get("fields", {}).get(name), new.get("fields", {}).get(name)
        if not _same(name, before, after):
            changes.append({"field": name, "before": before, "after": after})
    old_offers = keyed_offers(old.get("offers", []), offer_key)
    new_offers = keyed_offers(new.get("offers", []), offer_key)
    for k in _union(new_offers, old_offers):
        before, after = old_offers.get(k), new_offers.get(k)
        if before is None or after is None:
            changes.append({"field": f"offers[{k}]", "before": before, "after": after})
            continue
        for name in _union(after, before):
            if name != offer_key and not _same(name, before.get(name), after.get(name)):
                changes.append({"field": f"offers[{k}].{name}", "before": before.get(name),
                                "after": after.get(name)})
    return changes


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    return {"url": item["url"], "key": item["key"], "fields": item.get("fields", {}),
            "offers": item.get("offers", [])}


def page_digests(store: LocalStore, capture_id: str) -> dict[str, str]:
    """Body sha256 per URL; when a URL was fetched more than once (retries), the last answer counts."""
    return {p["url"]: p["sha256"] for p in iter_jsonl(capture_file(store, capture_id, "pages.jsonl"))}


def diff_captures(store: LocalStore, old_id: str, new_id: str, force: bool = False) -> dict[str, Any]:
    old_manifest, new_manifest = _sealed(store, old_id), _sealed(store, new_id)
    old_profile, new_profile = old_manifest.profile.name, new_manifest.profile.name
    if old_profile != new_profile and not force:
        raise DiffUnusable(f"captures {old_id} (profile {old_profile}) and {new_id} (profile {new_profile}) come "
                           "from different profiles; use --force to compare them anyway")
    if old_manifest.p2p_hub or new_manifest.p2p_hub:
        if not (old_manifest.p2p_hub and new_manifest.p2p_hub):
            raise DiffUnusable(f"captures {old_id} and {new_id}: a hub survey compares only with a hub survey")
        return diff_hub_surveys(store, old_id, new_id, [old_profile, new_profile])
    offer_key = offer_key_of(store, new_id) or offer_key_of(store, old_id) or DEFAULT_OFFER_KEY
    old_items, new_items = load_products(store, old_id), load_products(store, new_id)
    changed, unchanged = [], 0
    for key in sorted(old_items.keys() & new_items.keys()):
        changes = item_changes(old_items[key], new_items[key], offer_key)
        if changes:
            changed.append({"url": new_items[key]["url"], "key": key, "changes": changes})
        else:
            unchanged += 1
    old_pages, new_pages = page_digests(store, old_id), page_digests(store, new_id)
    return {
        "old": old_id, "new": new_id,
        "profiles": [old_profile, new_profile], "offer_key": offer_key,
        "added": [_entry(new_items[k]) for k in sorted(new_items.keys() - old_items.keys())],
        "removed": [_entry(old_items[k]) for k in sorted(old_items.keys() - new_items.keys())],
        "changed": changed,
        "unchanged": unchanged,
        "pages_changed": [{"url": url, "before": old_pages[url], "after": new_pages[url]}
                          for url in sorted(old_pages.keys() & new_pages.keys())
                          if old_pages[url] != new_pages[url]],
    }
