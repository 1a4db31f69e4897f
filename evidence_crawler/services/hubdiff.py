"""What changed on a DC hub between two surveys: users who came or left (or changed share), shares found.

The result has the shape of a storefront diff (``added``, ``removed``, ``changed``, ``unchanged``,
``pages_changed``), so ``diff``, its table output and ``export --diff`` need nothing new: shares are the
items, keyed ``user|path|TTH`` (the same file found by a search and in a file list counts once; the search
term is not part of the key, since a re-survey may search differently), and ``changed`` lists the hub's
own facts that changed (name, description, topic, software, version, users, total share). ``users`` adds
the user list: nicks added and removed, and per nick the share size, file count and client that changed.
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.durable import iter_jsonl
from evidence_crawler.services.captures import capture_file
from storage.local import LocalStore

HUB_FIELDS = ("name", "description", "topic", "software", "version", "users", "total_share")
USER_FIELDS = ("share_size", "file_count", "client_tag", "mode", "ip")


def _survey(store: LocalStore, capture_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(hub facts, shares by key) of one survey's items."""
    hub: dict[str, Any] = {}
    shares: dict[str, dict[str, Any]] = {}
    for item in iter_jsonl(capture_file(store, capture_id, "items.jsonl")):
        if item.get("kind") == "p2p_hub":
            hub = item["fields"]
        elif item.get("kind") == "p2p_share":
            f = item["fields"]
            key = f"{f['user']}|{f['path']}|{f.get('tth') or ''}"
            shares.setdefault(key, {"url": item["url"], "key": key, "offers": [],
                                    "fields": {k: f.get(k) for k in ("user", "path", "size", "tth")}})
    return hub, shares


def _changes(before: dict[str, Any], after: dict[str, Any], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"field": n, "before": before.get(n), "after": after.get(n)} for n in names
            if before.get(n) != after.get(n)]


def diff_hub_surveys(store: LocalStore, old_id: str, new_id: str, profiles: list[str]) -> dict[str, Any]:
    (old_hub, old_shares), (new_hub, new_shares) = _survey(store, old_id), _survey(store, new_id)
    old_users = {u["nick"]: u for u in old_hub.get("user_list", [])}
    new_users = {u["nick"]: u for u in new_hub.get("user_list", [])}
    hub_changes = _changes(old_hub, new_hub, HUB_FIELDS)
    url = new_hub.get("url") or old_hub.get("url") or ""
    return {
        "old": old_id, "new": new_id, "profiles": profiles, "offer_key": None, "hub": url,
        "added": [new_shares[k] for k in sorted(new_shares.keys() - old_shares.keys())],
        "removed": [old_shares[k] for k in sorted(old_shares.keys() - new_shares.keys())],
        "changed": [{"url": url, "key": url, "changes": hub_changes}] if hub_changes else [],
        "unchanged": len(old_shares.keys() & new_shares.keys()),
        "pages_changed": [],
        "users": {
            "added": sorted(new_users.keys() - old_users.keys()),
            "removed": sorted(old_users.keys() - new_users.keys()),
            "changed": [{"nick": n, "changes": c} for n in sorted(old_users.keys() & new_users.keys())
                        if (c := _changes(old_users[n], new_users[n], USER_FIELDS))],
        },
    }
