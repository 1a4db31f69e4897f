"""The WACZ a replay loads for one sealed capture, built once into the store's cache from its sealed WARCs.

ReplayWeb.page reads a WACZ by ranges (its CDXJ index first, then the records it needs), so a capture of
any size replays without loading every WARC. The WACZ holds the sealed WARC files byte for byte
(``archive/``), ``indexes/index.cdx`` and ``pages/pages.jsonl`` made as ``export`` makes them, and a
``datapackage.json``; it is derived (not evidence, never signed): deleted, it is built again. Built under a
temporary name and renamed (``bundle.package.WaczWriter``), so a crash never leaves half a cache file.
"""

from __future__ import annotations

import threading
from pathlib import Path

from evidence_crawler.bundle.cdxindex import index_warcs, wanted_offsets
from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.bundle.pages import page_entries, pages_jsonl
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.services.captures import CaptureNotFound, load_manifest, read_state
from evidence_crawler.services.export import SOFTWARE
from evidence_crawler.timeutil import iso
from storage.local import LocalStore


class NotReplayable(LookupError):
    pass


class ReplayArchives:
    """``path(capture_id)``: the cached replay WACZ of a sealed capture, built on first use."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.cache = Path(store.root) / ".cache" / "replay"
        self._lock = threading.Lock()  # two first requests for one capture build it once

    def path(self, capture_id: str) -> Path:
        try:
            state = read_state(self.store, capture_id)
        except CaptureNotFound as exc:
            raise NotReplayable(str(exc)) from None
        manifest = load_manifest(self.store, capture_id) if state["state"] == "sealed" else None
        if manifest is None:
            raise NotReplayable(f"capture {capture_id} is {state['state']}: replay is offered once it is sealed")
        dest = self.cache / f"{capture_id}.wacz"
        with self._lock:
            if not dest.exists():
                self._build(capture_id, manifest, dest)
        return dest

    def _build(self, capture_id: str, manifest, dest: Path) -> None:
        root = Path(self.store.root)
        warcs = [(a.name, root / a.path) for a in manifest.of_role("warc")]
        pages = list(iter_jsonl(root / manifest.by_name()["pages.jsonl"].path))
        artifacts = self.store.capture_dir(capture_id) / "artifacts"
        index, titles = index_warcs(warcs, wanted_offsets(pages))
        with WaczWriter(dest) as w:
            for name, path in warcs:
                w.add_file(f"archive/{name}", path)
            w.add_bytes("indexes/index.cdx", index)
            w.add_bytes("pages/pages.jsonl", pages_jsonl(page_entries(capture_id, pages, artifacts, titles)))
            w.add_datapackage(f"capture {capture_id} (replay copy, not evidence)",
                              "derived from the sealed WARC files for replay in the workbench", iso(), SOFTWARE)
            w.commit(replace=True)
