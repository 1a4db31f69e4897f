"""``evidence-crawler diff OLD NEW`` and ``history NAME|PROFILE``: what changed on a shop, and when.

Exit codes: 0 ok; 2 unusable input (unknown or unsealed capture, captures of different profiles
without ``--force``, unknown schedule/profile), with one line on stderr.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evidence_crawler.commands.context import cli_context, fail, print_json


def _store(ctx: typer.Context):
    return cli_context(ctx).store


def _offer_text(offer: dict[str, Any] | None) -> str:
    if offer is None:
        return "-"
    return f"{offer.get('price', '')} ({offer.get('amount')} {offer.get('currency')})"


def _value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, dict):
        return _offer_text(v)
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def diff(ctx: typer.Context, old_id: str, new_id: str,
         as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
         force: Annotated[bool, typer.Option("--force", help="compare captures of different profiles")] = False
         ) -> None:
    """Items added, removed and changed (per field and per offer) between two sealed captures."""
    from evidence_crawler.services.diff import DiffUnusable, diff_captures

    try:
        result = diff_captures(_store(ctx), old_id, new_id, force=force)
    except DiffUnusable as exc:
        fail(str(exc))
    if as_json:
        return print_json(result)
    out = Console()
    out.print(f"[bold]{old_id}[/] → [bold]{new_id}[/]: [green]{len(result['added'])} added[/], "
              f"[red]{len(result['removed'])} removed[/], [yellow]{len(result['changed'])} changed[/], "
              f"{result['unchanged']} unchanged; {len(result['pages_changed'])} pages with different bytes")
    if "users" in result:  # two surveys of a DC hub: items are shares, the users come apart
        users = result["users"]
        out.print(f"users: [green]{escape(', '.join(users['added']) or '-')}[/] joined, "
                  f"[red]{escape(', '.join(users['removed']) or '-')}[/] left, "
                  f"{escape(', '.join(u['nick'] for u in users['changed']) or '-')} changed", highlight=False)
    if result["changed"]:
        table = Table("item", "field", "before", "after", title="changed")
        _fold(table, 0, 1)
        for item in result["changed"]:
            for i, change in enumerate(item["changes"]):
                table.add_row(escape(item["key"]) if i == 0 else "", escape(change["field"]),
                              escape(_value(change["before"])), escape(_value(change["after"])))
        out.print(table)
    for label, style in (("added", "green"), ("removed", "red")):
        if result[label]:
            table = Table("item", "fields", "offers", title=label, style=style)
            _fold(table, 0)
            for item in result[label]:
                table.add_row(escape(item["key"]), escape(", ".join(f"{k}: {v}" for k, v in item["fields"].items())),
                              escape("; ".join(f"{o.get('format', '')} {o.get('price', '')}" for o in item["offers"])))
            out.print(table)


def history(ctx: typer.Context, target: Annotated[str, typer.Argument(help="schedule name, profile name or "
                                                                      "profile YAML")],
            item: Annotated[str | None, typer.Option("--item", help="one item's offers over time (its key or URL)")]
            = None,
            repertoire: Annotated[str | None, typer.Option("--repertoire", metavar="NAME", help="per matched "
                                                           "work: first and last capture offering it, its price "
                                                           "in each")] = None,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Captures of a schedule or profile over time: items, offers and price statistics per currency."""
    from evidence_crawler.services.diff import DiffUnusable
    from evidence_crawler.services.history import HistoryUnusable
    from evidence_crawler.services.history import history as build_history

    if repertoire:
        return repertoire_history_cmd(ctx, target, repertoire, as_json)

    try:
        result = build_history(_store(ctx), target, item)
    except (HistoryUnusable, DiffUnusable) as exc:
        fail(str(exc))
    if as_json:
        return print_json(result)
    if item:
        table = Table("capture", "started (UTC)", "present", "url", "offers", title=f"{target}: {item}")
        _fold(table, 0, 1, 3)
        for r in result["rows"]:
            offers = "; ".join(f"{o['offer']} {o['price']} ({o['amount']} {o['currency']})"
                               for o in r.get("offers", []))
            table.add_row(r.get("capture_id") or "", r["started_at"], _presence(r), escape(r.get("url", "")),
                          escape(offers))
    else:
        table = Table("capture", "started (UTC)", "result", "items", "offers", "prices: n min..max mean median",
                      title=f"{result['kind']} {target}")
        _fold(table, 0, 1)
        for r in result["rows"]:
            prices = "\n".join(f"{cur} {s['n']}: {s['min']}..{s['max']} mean {s['mean']} median {s['median']}"
                               for cur, s in r.get("prices", {}).items())
            result_text = r["result"] + (f": {r['reason']}" if r.get("reason") else "")
            table.add_row(r.get("capture_id") or "", r["started_at"], escape(result_text), str(r.get("items", "")),
                          str(r.get("offers", "")), prices)
    Console().print(table)


def repertoire_history_cmd(ctx: typer.Context, target: str, repertoire: str, as_json: bool) -> None:
    from evidence_crawler.services.diff import DiffUnusable
    from evidence_crawler.services.history import HistoryUnusable
    from evidence_crawler.services.repertoire import RepertoireUnusable
    from evidence_crawler.services.repertoire_history import repertoire_history

    try:
        result = repertoire_history(_store(ctx), target, repertoire)
    except (HistoryUnusable, DiffUnusable, RepertoireUnusable) as exc:
        fail(str(exc))
    if as_json:
        return print_json(result)
    table = Table("work", "captures", "first (UTC)", "price", "last (UTC)", "price",
                  title=f"{target}: works of {repertoire} offered, over {len(result['captures'])} captures")
    _fold(table, 0, 2, 4)

    def price(c: dict[str, Any]) -> str:
        cheap = c["cheapest"]
        return escape(f"{cheap['amount']} {cheap['currency'] or ''}") if cheap else "-"
    for w in result["works"]:
        work = w["work"]
        table.add_row(escape(f"{work['row']}: {work['artist'] or ''} - {work['title'] or ''}")
                      + (" (review)" if w["review"] else ""), str(len(w["captures"])),
                      f"{w['first']['started_at']}\n{w['first']['capture_id']}", price(w["first"]),
                      f"{w['last']['started_at']}\n{w['last']['capture_id']}", price(w["last"]))
    Console().print(table)


def _fold(table: Table, *columns: int) -> None:
    """Ids, URLs and times are shown whole, wrapped if need be, never cut with an ellipsis."""
    for i in columns:
        table.columns[i].overflow = "fold"


def _presence(row: dict[str, Any]) -> str:
    if row["result"] != "sealed":
        return row["result"]
    return "yes" if row["present"] else "absent"
