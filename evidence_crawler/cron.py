"""Cron expressions for scheduled captures, evaluated in UTC by croniter (no hand-written parser).

Five fields are the classic ``minute hour day month weekday``; a sixth field is seconds (croniter's
convention: ``* * * * * */10`` = every ten seconds), useful for tests and tight watch schedules. Slots
are computed in UTC, the one clock of the evidence, so a schedule never runs twice or skips an hour
when local time changes for daylight saving.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import croniter

MAX_COUNTED_MISSES = 10_000  # a schedule that was down for years is reported as ">= this many" missed


class CronError(ValueError):
    pass


def check_cron(expr: str) -> str:
    """The expression, or :class:`CronError` naming why it cannot be used."""
    expr = " ".join(expr.split())
    if len(expr.split(" ")) not in (1, 5, 6) or not croniter.is_valid(expr):
        raise CronError(f"bad cron expression {expr!r}: expected 'minute hour day month weekday' "
                        "(e.g. '0 */6 * * *'), optionally with a 6th seconds field")
    if not croniter.is_valid(expr, strict=True):
        raise CronError(f"bad cron expression {expr!r}: it names a day that never occurs in that month")
    try:
        croniter(expr, datetime(2000, 1, 1)).get_next(datetime)
    except Exception as exc:  # croniter raises CroniterBadDateError for dates that never come (31 Feb)
        raise CronError(f"bad cron expression {expr!r}: it never fires ({exc})") from None
    return expr


def next_slot(expr: str, after: datetime) -> datetime:
    """The first slot strictly after ``after``."""
    return croniter(expr, after).get_next(datetime)


def latest_slot(expr: str, now: datetime) -> datetime:
    """The last slot at or before ``now``."""
    it = croniter(expr, now + timedelta(seconds=1))
    slot = it.get_prev(datetime)
    while slot > now:  # croniter drops sub-second precision of the start time
        slot = it.get_prev(datetime)
    return slot


def slots_between(expr: str, after: datetime, until: datetime) -> int:
    """How many slots fall in ``(after, until]`` (capped at :data:`MAX_COUNTED_MISSES`)."""
    it = croniter(expr, after)
    count = 0
    while count < MAX_COUNTED_MISSES and it.get_next(datetime) <= until:
        count += 1
    return count
