"""Scheduled crawl jobs, persisted in the store so they survive restarts of the scheduler.

Layout::

    schedules/schedules.json         every schedule: its crawl options, last slot run, last result
    schedules/runs.jsonl             one line per finished (or skipped) run, append-only
    schedules/schedules.lock         flock guarding read-modify-write of the two files above
    schedules/scheduler.lock         held by the one ``schedule run`` of this store (pid inside)
    schedules/jobs/<name>.lock       held while a run of <name> is in progress (pid inside)
    schedules/logs/<run id>.log      stderr of the crawl a run started

``last_slot`` is written *before* a run starts (:meth:`ScheduleBook.claim_slot`), so a scheduler that
restarts, or a clock that jumps backwards, never runs a slot again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evidence_crawler.cron import check_cron
from evidence_crawler.durable import append_durably, exclusive_lock, write_json
from evidence_crawler.p2phub.profile import HubSurveySpec

FORMAT = "evidence-crawler/schedules/1"


class ScheduleError(KeyError):
    def __str__(self) -> str:
        return self.args[0]


class Schedule(BaseModel):
    """A crawl of one profile on a cron; the options are those of ``crawl``, recorded at ``schedule add``."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    cron: str
    profile: str = Field("", description="absolute path of the profile YAML (empty for a hub survey)")
    p2p_hub: HubSurveySpec | None = Field(None, description="a DC hub survey (p2p hub) instead of a crawl")
    start_urls: list[str] = Field(default_factory=list)
    max_pages: int | None = None
    allow_private: bool = False
    ignore_robots: bool = False
    render: bool = False
    intermediaries: bool = True  # False: crawl --no-intermediaries
    archive: bool = False
    export_to: str | None = None
    created_at: str
    last_slot: str | None = Field(None, description="latest cron slot started or skipped; never run again")
    last_run: dict[str, Any] | None = None
    running: dict[str, Any] | None = Field(None, description="pid, run_id, started_at of a run in progress")

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        return check_cron(v)


class ScheduleBook:
    def __init__(self, store_root: Path) -> None:
        self.dir = Path(store_root) / "schedules"
        self.path = self.dir / "schedules.json"
        self.runs_path = self.dir / "runs.jsonl"
        self.scheduler_lock_path = self.dir / "scheduler.lock"

    def job_lock_path(self, name: str) -> Path:
        return self.dir / "jobs" / f"{name}.lock"

    def log_path(self, run_id: str) -> Path:
        return self.dir / "logs" / f"{run_id}.log"

    def _locked(self):
        return exclusive_lock(self.dir / "schedules.lock")

    def _read(self) -> dict[str, Schedule]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_bytes())
        return {s["name"]: Schedule(**s) for s in data.get("schedules", [])}

    def _write(self, schedules: dict[str, Schedule]) -> None:
        write_json(self.path, {"format": FORMAT,
                               "schedules": [s.model_dump() for s in sorted(schedules.values(),
                                                                              key=lambda s: s.name)]})

    def all(self) -> list[Schedule]:
        with self._locked():
            return sorted(self._read().values(), key=lambda s: s.name)

    def get(self, name: str) -> Schedule:
        with self._locked():
            found = self._read().get(name)
        if found is None:
            raise ScheduleError(f"no schedule {name!r} in {self.dir.parent}")
        return found

    def add(self, schedule: Schedule) -> None:
        with self._locked():
            schedules = self._read()
            if schedule.name in schedules:
                raise ScheduleError(f"schedule {schedule.name!r} already exists; remove it first")
            schedules[schedule.name] = schedule
            self._write(schedules)

    def remove(self, name: str) -> Schedule:
        with self._locked():
            schedules = self._read()
            if name not in schedules:
                raise ScheduleError(f"no schedule {name!r} in {self.dir.parent}")
            removed = schedules.pop(name)
            self._write(schedules)
            return removed

    def update(self, name: str, **changes: Any) -> Schedule | None:
        """Change fields of a schedule; None when it was removed in the meantime."""
        with self._locked():
            schedules = self._read()
            if name not in schedules:
                return None
            schedules[name] = schedules[name].model_copy(update=changes)
            self._write(schedules)
            return schedules[name]

    def claim_slot(self, name: str, slot: str) -> bool:
        """Record ``slot`` as taken unless it (or a later one) already was: at most one run per slot."""
        with self._locked():
            schedules = self._read()
            current = schedules.get(name)
            if current is None or (current.last_slot is not None and current.last_slot >= slot):
                return False
            schedules[name] = current.model_copy(update={"last_slot": slot})
            self._write(schedules)
            return True

    def append_run(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        with self._locked():
            append_durably(self.runs_path, line)

    def runs(self, name: str | None = None) -> list[dict[str, Any]]:
        if not self.runs_path.exists():
            return []
        out = []
        with open(self.runs_path, "rb") as fh:
            for raw in fh:
                if raw.endswith(b"\n"):
                    run = json.loads(raw)
                    if name is None or run.get("schedule") == name:
                        out.append(run)
        return out
