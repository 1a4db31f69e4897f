"""One run of a schedule: the crawl as a child process, then archive/export, then the run record.

A Twisted reactor cannot be restarted, so every run is a fresh ``evidence-crawler crawl --json``
process (in its own session, so a Ctrl-C on the scheduler's terminal does not reach it twice). The
child gets ``EVIDENCE_SCHEDULE=<name>``, which the capture copies into its manifest ``settings``: the
sealed capture names its schedule. The job lock is inherited by the child, so even a crawl orphaned by
a killed scheduler keeps its schedule from overlapping itself.

Steps of :meth:`ScheduledRunner.run`:

1. take the job lock, or record the run as ``skipped`` (a previous run is still going);
2. run the crawl; its stdout is the JSON summary, its stderr goes to ``schedules/logs/<run>.log``;
3. after a sealed capture: ``archive push`` and/or ``export`` when the schedule asks for them; a failure
   there is recorded with its reason and leaves the sealed capture as it is;
4. append the run to ``runs.jsonl``, update the schedule's ``last_run``, and append a ``schedule_run``
   custody event (capture id, schedule, result, reason).

A SIGTERM (see :meth:`terminate`) is forwarded to the child: Scrapy stops gracefully and the capture
is left unsealed and resumable (``capture_interrupted``); the run is recorded as ``interrupted``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import LockHeld, try_lock
from evidence_crawler.models import EventKind
from evidence_crawler.timeutil import iso, utcnow
from storage.schedules import Schedule, ScheduleBook

log = logging.getLogger("evidence_crawler.scheduler")



def cli_command() -> list[str]:
    """The console script next to this interpreter, else the CLI module run by this interpreter."""
    exe = Path(sys.executable).parent / "evidence-crawler"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "evidence_crawler.cli"]


def survey_args(schedule: Schedule) -> list[str]:
    hub = schedule.p2p_hub
    args = ["p2p", "hub", hub.url, "--json", "--filelists", str(hub.filelists), "--duration", str(hub.duration_s),
            "--nick", hub.nick]
    for search in hub.searches:
        args += ["--search", search.term]
    if hub.repertoire:
        args += ["--repertoire", hub.repertoire, "--max-searches", str(hub.max_searches)]
    return args + (["--allow-private"] if schedule.allow_private else [])


def crawl_args(schedule: Schedule) -> list[str]:
    if schedule.p2p_hub is not None:
        return survey_args(schedule)
    args = ["crawl", schedule.profile, "--json"]
    for url in schedule.start_urls:
        args += ["--start-url", url]
    if schedule.max_pages is not None:
        args += ["--max-pages", str(schedule.max_pages)]
    if schedule.allow_private:
        args.append("--allow-private")
    if schedule.ignore_robots:
        args.append("--ignore-robots")
    if schedule.render:
        args.append("--render")
    if not schedule.intermediaries:
        args.append("--no-intermediaries")
    return args


BOX_CHARS = "│╭╮╰╯─┃┏┓┗┛━ "  # Rich panels around Typer's usage errors


def _error_line(text: str, fallback: str) -> str:
    """The operator-facing reason: the CLI's last ``error:`` line, else its last line (Typer's panel undone)."""
    lines = [ln.strip().strip(BOX_CHARS) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and ln != "Error" and not ln.startswith(("Usage:", "Try '"))]
    errors = [ln for ln in lines if ln.startswith("error:")]
    if errors:
        return errors[-1].removeprefix("error:").strip()
    return lines[-1] if lines else fallback


class ScheduledRunner:
    def __init__(self, store_root: Path) -> None:
        self.root = Path(store_root).absolute()
        self.book = ScheduleBook(self.root)
        self._children: dict[int, subprocess.Popen] = {}
        self._mutex = threading.RLock()  # re-entrant: terminate() may run in a signal handler
        self.stopping = False

    # --- child processes -------------------------------------------------------------------------
    def terminate(self) -> None:
        """Stop starting anything and ask every running child to stop gracefully (SIGTERM)."""
        with self._mutex:
            self.stopping = True
            children = list(self._children.values())
        for child in children:
            try:
                child.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _spawn(self, args: list[str], log_path: Path, env: dict[str, str] | None = None,
               pass_fds: tuple[int, ...] = ()) -> tuple[int, str, str]:
        """Run the CLI; returns exit code, stdout, and the stderr text (also appended to ``log_path``)."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as err:
            err.write(f"$ evidence-crawler {' '.join(args)}\n".encode())
            err.flush()
            start = err.tell()
            child = subprocess.Popen([*cli_command(), "--store", str(self.root), *args], stdout=subprocess.PIPE,
                                     stderr=err, env={**os.environ, **(env or {})}, pass_fds=pass_fds,
                                     start_new_session=True)
            with self._mutex:
                self._children[child.pid] = child
                stop_now = self.stopping
            if stop_now:  # SIGTERM arrived while the child was being started
                child.send_signal(signal.SIGTERM)
            try:
                out, _ = child.communicate()
            finally:
                with self._mutex:
                    self._children.pop(child.pid, None)
        with open(log_path, "rb") as fh:
            fh.seek(start)
            return child.returncode, out.decode("utf-8", "replace"), fh.read().decode("utf-8", "replace")

    # --- one run ---------------------------------------------------------------------------------
    def run(self, schedule: Schedule, trigger: str = "manual", slot: str | None = None,
            coalesced: int = 0) -> dict[str, Any]:
        run_id = f"{utcnow().strftime('%Y%m%dT%H%M%SZ')}-{schedule.name}-{secrets.token_hex(3)}"
        record: dict[str, Any] = {"run_id": run_id, "schedule": schedule.name, "trigger": trigger, "slot": slot,
                                  "coalesced": coalesced, "started_at": iso(), "pid": os.getpid()}
        try:
            job_lock = try_lock(self.book.job_lock_path(schedule.name))
        except LockHeld as held:
            record.update(result="skipped", finished_at=iso(), capture_id=None,
                          reason=f"previous run of {schedule.name} still running (pid {held.pid})")
            log.warning("schedule %s: slot %s skipped: %s", schedule.name, slot, record["reason"])
            self.book.append_run(record)
            return record
        with job_lock:
            self.book.update(schedule.name, running={"pid": os.getpid(), "run_id": run_id,
                                                     "started_at": record["started_at"], "slot": slot})
            try:
                self._crawl(schedule, record, job_lock.fileno())
                if record["result"] == "sealed":
                    self._after_seal(schedule, record)
            except Exception as exc:  # noqa: BLE001 - a run that breaks is recorded, the scheduler goes on
                log.exception("schedule %s: run %s broke", schedule.name, run_id)
                record.update(result="failed", reason=f"{type(exc).__name__}: {exc}")
            finally:
                record["finished_at"] = iso()
                self._record(schedule, record)
        return record

    def _crawl(self, schedule: Schedule, record: dict[str, Any], lock_fd: int) -> None:
        if self.stopping:
            record.update(result="interrupted", capture_id=None, reason="scheduler stopping (SIGTERM)")
            return
        log_path = self.book.log_path(record["run_id"])
        record["log"] = str(log_path)
        log.info("schedule %s: run %s starting", schedule.name, record["run_id"])
        code, out, err = self._spawn(crawl_args(schedule), log_path, env={"EVIDENCE_SCHEDULE": schedule.name},
                                     pass_fds=(lock_fd,))
        record["exit_code"] = code
        try:
            summary = json.loads(out) if out.strip() else {}
        except ValueError:
            summary = {}
        record["capture_id"] = summary.get("capture_id")
        if summary:
            record["counts"] = {k: summary.get(k) for k in ("pages", "items", "offers", "p2p")}
            record["errors"] = len(summary.get("errors", []))
        if code == 0 and summary.get("state") == "sealed":
            record.update(result="sealed", reason="")
        elif self.stopping or summary.get("state") == "capturing":
            record.update(result="interrupted", reason="stopped by SIGTERM; the capture is left unsealed and can "
                                                       "be resumed (crawl --resume ID) or discarded")
        else:
            record.update(result="failed", reason=_error_line(err, f"crawl exited {code}"))

    def _after_seal(self, schedule: Schedule, record: dict[str, Any]) -> None:
        capture_id = record["capture_id"]
        steps: list[tuple[str, list[str]]] = []
        if schedule.archive:
            steps.append(("archive", ["archive", "push", capture_id]))
        if schedule.export_to:
            steps.append(("export", ["export", capture_id, "-o", str(Path(schedule.export_to) / f"{capture_id}.wacz")]))
        for name, args in steps:
            if self.stopping:
                record[name] = {"ok": False, "reason": f"{name} not run: scheduler stopping (SIGTERM)"}
                continue
            code, _, err = self._spawn(args, Path(record["log"]))
            record[name] = {"ok": code == 0, "reason": "" if code == 0 else
                            f"{name} failed: {_error_line(err, f'exit {code}')}"}
        problems = [v["reason"] for k, v in record.items() if k in ("archive", "export") and not v["ok"]]
        if problems:
            record["reason"] = "; ".join(problems)

    def _record(self, schedule: Schedule, record: dict[str, Any]) -> None:
        self.book.append_run(record)
        self.book.update(schedule.name, running=None,
                         last_run={k: record.get(k) for k in ("run_id", "started_at", "finished_at", "result",
                                                              "capture_id", "reason", "slot")})
        CustodyLedger(self.root).append(EventKind.SCHEDULE_RUN, record.get("capture_id"), schedule=schedule.name,
                                        run_id=record["run_id"], result=record["result"],
                                        reason=record.get("reason", ""), trigger=record["trigger"],
                                        slot=record["slot"])
        level = logging.INFO if record["result"] == "sealed" and not record.get("reason") else logging.WARNING
        log.log(level, "schedule %s: run %s %s %s %s", schedule.name, record["run_id"], record["result"],
                record.get("capture_id") or "", record.get("reason") or "")
