"""The foreground scheduler (``schedule run``): one per store, runs each schedule at its cron slots.

Rules, each chosen so an unattended scheduler never produces a surprising capture:

- *One scheduler per store*: ``schedules/scheduler.lock``; a second one refuses with the first one's pid.
- *Coalescing*: after downtime (or a long sleep) the missed slots of a schedule become one run, and
  the run record says how many slots it stands for (``coalesced``).
- *No slot twice*: a slot is claimed in ``schedules.json`` before its run starts and only slots later
  than the last claimed one are due, so neither a restart nor a clock jumping backwards repeats a run.
- *No overlap*: runs go on their own threads; a slot that comes due while the previous run of the same
  schedule is still going is recorded as ``skipped`` (the job lock, :mod:`scheduled_run`).
- *Failures are data*: a failed run is recorded with its reason and the loop goes on.
- *SIGTERM/SIGINT*: stop claiming slots, forward SIGTERM to running crawls, wait for them to finish or
  mark their captures interrupted, release the locks, return 0.

Time comes from the injected ``now``/``sleep`` callables so tests can drive the clock. Schedules are
re-read from the store on every tick, so ``schedule add``/``remove`` take effect without a restart.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_crawler.cron import latest_slot, next_slot, slots_between
from evidence_crawler.durable import HeldLock, LockHeld, try_lock
from evidence_crawler.services.scheduled_run import ScheduledRunner
from evidence_crawler.timeutil import iso, utcnow
from storage.schedules import Schedule, ScheduleBook

log = logging.getLogger("evidence_crawler.scheduler")

DEFAULT_TICK_S = 30.0  # longest sleep between looks at the store (new schedules, clock changes)


class SchedulerBusy(Exception):
    """Another ``schedule run`` holds this store."""


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def due_slot(schedule: Schedule, now: datetime) -> tuple[datetime, int] | None:
    """The slot to run now and how many slots it stands for, or None when nothing is due.

    Due = the latest slot at or before ``now`` that is later than both the schedule's creation and
    the last slot already claimed.
    """
    baseline = parse_iso(schedule.created_at)
    if schedule.last_slot is not None:
        baseline = max(baseline, parse_iso(schedule.last_slot))
    slot = latest_slot(schedule.cron, now)
    if slot <= baseline:
        return None
    return slot, slots_between(schedule.cron, baseline, slot)


def next_run(schedule: Schedule, now: datetime) -> datetime:
    """When the scheduler will next start this schedule (a due slot starts at once)."""
    due = due_slot(schedule, now)
    return now if due else next_slot(schedule.cron, max(now, parse_iso(schedule.last_slot or schedule.created_at)))


RunFn = Callable[..., dict[str, Any]]


class Scheduler:
    def __init__(self, store_root: Path, now: Callable[[], datetime] = utcnow,
                 sleep: Callable[[float], None] | None = None, tick_s: float = DEFAULT_TICK_S,
                 runner: ScheduledRunner | None = None, run: RunFn | None = None) -> None:
        self.root = Path(store_root).absolute()
        self.book = ScheduleBook(self.root)
        self.now = now
        self.tick_s = tick_s
        self.runner = runner or ScheduledRunner(self.root)
        self._run = run or self.runner.run
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self._threads: list[threading.Thread] = []
        self._lock: HeldLock | None = None
        self._clock_behind: set[str] = set()

    # --- lifecycle -------------------------------------------------------------------------------
    def acquire(self) -> None:
        try:
            self._lock = try_lock(self.book.scheduler_lock_path)
        except LockHeld as held:
            raise SchedulerBusy(f"another scheduler (pid {held.pid}) is running on this store "
                                f"{self.root}") from None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def stop(self, *_: object) -> None:
        """Signal-safe: stop claiming slots and ask running crawls to stop."""
        self._stop.set()
        self.runner.terminate()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_forever(self) -> int:
        """The ``schedule run`` loop; returns the exit code (0 after SIGTERM)."""
        self.acquire()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            log.info("scheduler started on %s (%d schedules)", self.root, len(self.book.all()))
            while not self.stopping:
                self.tick()
                if not self.stopping:
                    self.sleep(self.seconds_to_next())
            self.wait_idle()
            log.info("scheduler stopped")
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.release()

    # --- one look at the clock -------------------------------------------------------------------
    def tick(self) -> list[str]:
        """Start every due schedule; returns the names started (or skipped) on this tick."""
        self._threads = [t for t in self._threads if t.is_alive()]
        now = self.now()
        started = []
        for schedule in self.book.all():
            if self.stopping:
                break
            self._warn_if_clock_behind(schedule, now)
            due = due_slot(schedule, now)
            if due is None:
                continue
            slot, slots = due
            if not self.book.claim_slot(schedule.name, iso(slot)):
                continue  # claimed meanwhile (another writer): never twice
            if slots > 1:
                log.info("schedule %s: %d missed slots coalesced into one run at %s", schedule.name, slots,
                         iso(slot))
            thread = threading.Thread(target=self._run_safely, args=(schedule, iso(slot), slots - 1),
                                      name=f"schedule-{schedule.name}", daemon=False)
            thread.start()
            self._threads.append(thread)
            started.append(schedule.name)
        return started

    def _warn_if_clock_behind(self, schedule: Schedule, now: datetime) -> None:
        """A clock that went backwards holds the schedule until it passes the last slot run (logged once)."""
        behind = schedule.last_slot is not None and parse_iso(schedule.last_slot) > now
        if behind and schedule.name not in self._clock_behind:
            log.warning("schedule %s: the clock (%s) is behind the last slot run (%s); no run until it has "
                        "passed that slot, so no slot runs twice", schedule.name, iso(now), schedule.last_slot)
        (self._clock_behind.add if behind else self._clock_behind.discard)(schedule.name)

    def _run_safely(self, schedule: Schedule, slot: str, coalesced: int) -> None:
        try:
            self._run(schedule, trigger="cron", slot=slot, coalesced=coalesced)
        except Exception:  # noqa: BLE001 - the runner records its own failures; this only keeps the loop alive
            log.exception("schedule %s: run for slot %s broke", schedule.name, slot)

    def seconds_to_next(self) -> float:
        """Sleep until the earliest next slot, but at most ``tick_s`` (to notice changes in the store)."""
        now = self.now()
        wait = self.tick_s
        for schedule in self.book.all():
            wait = min(wait, (next_run(schedule, now) - now).total_seconds())
        return max(wait, 0.05)

    def wait_idle(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
