"""Tables a user copies from: ids, keys and paths print whole on one line, whatever the terminal's width.

Rich fits a table to the terminal by wrapping or cutting cells ("20261202T025545…"), and even a folded
id breaks when pasted. Here the columns a user must copy are never wrapped nor cut; the other columns
fold to make room, and optional ones are dropped. When the copyable columns still do not fit, the table
becomes a list: each copyable value on a line of its own, the rest of the row indented under it.
Cells are plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

MIN_OTHER = 10  # narrowest a folded column may get before the table turns into a list


@dataclass(frozen=True)
class Col:
    header: str
    copy: bool = False  # an id, key or path a user copies: whole, on one line
    optional: bool = False  # dropped (last first) before the table turns into a list


def _width(text: str) -> int:
    return max((Text(line).cell_len for line in text.splitlines()), default=0)


def _naturals(columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max([_width(col.header), *(_width(r[i]) for r in rows)]) for i, col in enumerate(columns)]


def _share(naturals: list[int], room: int) -> list[int]:
    """Water-filling: narrow columns keep their width, the wide ones split what is left evenly."""
    widths = list(naturals)
    order = sorted(range(len(naturals)), key=naturals.__getitem__)
    for k, i in enumerate(order):
        widths[i] = min(naturals[i], room // (len(order) - k))
        room -= widths[i]
    return widths


def column_widths(columns: Sequence[Col], rows: Sequence[Sequence[str]], width: int) -> list[int] | None:
    """Each column's width in a table ``width`` cells wide, copyable ones whole; None if they cannot be."""
    naturals = _naturals(columns, rows)
    room = width - 1 - 3 * len(columns)  # the outer border, then each column's padding and right border
    room -= sum(n for n, c in zip(naturals, columns, strict=True) if c.copy)
    others = [i for i, c in enumerate(columns) if not c.copy]
    if room < sum(min(naturals[i], MIN_OTHER) for i in others):
        return None
    widths = list(naturals)
    for i, w in zip(others, _share([naturals[i] for i in others], room), strict=True):
        widths[i] = w
    return widths


def print_table(columns: Sequence[Col], rows: Sequence[Sequence[str]], *, title: str | None = None,
                console: Console | None = None) -> None:
    out = console or Console()
    shown = list(range(len(columns)))
    optional = [i for i, c in enumerate(columns) if c.optional]
    while (widths := column_widths([columns[i] for i in shown], [[r[i] for i in shown] for r in rows],
                                   out.width)) is None and optional:
        shown.remove(optional.pop())
    if widths is None:
        return _print_list(out, columns, rows, title)
    table = Table(*[columns[i].header for i in shown], title=title)
    for i, rich_col, w in zip(shown, table.columns, widths, strict=True):
        rich_col.width = w
        if columns[i].copy:
            rich_col.no_wrap, rich_col.overflow = True, "ignore"
        else:
            rich_col.overflow = "fold"
    for row in rows:
        table.add_row(*[Text(row[i]) for i in shown])
    out.print(table)


def _print_list(out: Console, columns: Sequence[Col], rows: Sequence[Sequence[str]], title: str | None) -> None:
    if title:
        out.print(Text(title, style="bold"), soft_wrap=True)
    for row in rows:
        for col, cell in zip(columns, row, strict=True):
            if col.copy and cell:
                out.print(Text(f"{col.header}: {cell}"), soft_wrap=True)
        rest = [f"{col.header}: {cell}" for col, cell in zip(columns, row, strict=True) if not col.copy and cell]
        if rest:
            out.print(Padding(Text("  ".join(rest), overflow="fold"), (0, 0, 0, 2)))
