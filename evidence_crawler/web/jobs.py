"""Long actions started from the workbench: exports in a thread, schedule runs as the CLI's own process.

An export goes through ``services.export.export_bundle`` exactly as ``evidence-crawler export`` does (the
same checks, the same ``exported`` custody event); the page polls its state. Bundles are written under
``<store>/exports/`` with a name of our making, so a request can never choose where a file lands.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_crawler.config import EvidenceConfig
from evidence_crawler.services.export import ExportFailed, ExportRequest, ExportUnusable, export_bundle
from storage.local import LocalStore


@dataclass
class ExportJob:
    id: str
    request: ExportRequest
    state: str = "running"  # running | done | failed
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class Jobs:
    def __init__(self, config: EvidenceConfig, store: LocalStore) -> None:
        self.config = config
        self.store = store
        self.exports: dict[str, ExportJob] = {}
        self._lock = threading.Lock()

    def start_export(self, capture_ids: list[str], case_ref: str, lang: str, items_only: str | None,
                     timestamp: bool) -> ExportJob:
        job_id = secrets.token_hex(8)
        out = Path(self.store.root) / "exports" / f"ui-{job_id}.wacz"
        req = ExportRequest(capture_ids=capture_ids, output=out, case_ref=case_ref, lang=lang,
                            items_only=items_only or None, timestamp=timestamp)
        job = ExportJob(job_id, req)
        with self._lock:
            self.exports[job_id] = job
        threading.Thread(target=self._run, args=(job,), name=f"export-{job_id}", daemon=True).start()
        return job

    def _run(self, job: ExportJob) -> None:
        try:
            job.request.output.parent.mkdir(parents=True, exist_ok=True)
            job.result = export_bundle(self.config, self.store, job.request)
            job.state = "done"
        except (ExportUnusable, ExportFailed, OSError, ValueError) as exc:
            job.error, job.state = str(exc), "failed"

    def run_schedule_now(self, name: str) -> subprocess.Popen:
        """``schedule run-once NAME`` as its own process: the run outlives a closed browser tab."""
        return subprocess.Popen([sys.executable, "-m", "evidence_crawler.cli", "--store", str(self.store.root),
                                 "schedule", "run-once", name], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
