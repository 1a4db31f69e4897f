"""``python bench/export_timed.py TIMES.json -- <evidence-crawler arguments>``: the CLI, with the export's
own steps timed.

The bench (bench/bundle.py) compares ``export`` with ``wacz create`` on the same WARCs, and the issue asks
for the report's own cost shown apart: what ``wacz create`` has no counterpart for. This wraps the
export module's report step (HTML + PDF print + PAdES signature + its timestamp) and its exhibit
screenshots step (Chromium on the archived pages) with a timer, runs the CLI as usual, and writes the
seconds of each to TIMES.json when the process ends. Nothing in the product is changed for the bench.
"""

from __future__ import annotations

import atexit
import json
import sys
import time
from pathlib import Path


def main() -> None:
    out = Path(sys.argv[1])
    if sys.argv[2] != "--":
        sys.exit("usage: bench/export_timed.py TIMES.json -- ARGS...")
    from evidence_crawler.services import export

    spent: dict[str, float] = {}

    def timed(label: str, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
        return wrapper

    export.add_report = timed("report_s", export.add_report)
    export.add_exhibit_shots = timed("exhibits_s", export.add_exhibit_shots)
    # the archive part's own steps, so that the bench can print where it goes beside `wacz create`
    export.index_warcs = timed("index_s", export.index_warcs)  # CDXJ + titles: wacz create indexes too
    export.add_capture = timed("capture_members_s", export.add_capture)  # WARCs and sealed files copied in
    export.add_annexes = timed("annexes_s", export.add_annexes)
    export._timestamps = timed("timestamp_s", export._timestamps)
    bundle_call = export.export_bundle

    def export_bundle(*args, **kwargs):
        spent["entered_at"] = time.time()  # the bench subtracts the time it spawned this process
        return bundle_call(*args, **kwargs)

    export.export_bundle = export_bundle
    atexit.register(lambda: out.write_text(json.dumps(spent), encoding="utf-8"))
    from evidence_crawler.cli import entry

    sys.argv = ["evidence-crawler", *sys.argv[3:]]
    entry()  # as the console script: the atexit handler above still runs


if __name__ == "__main__":
    main()
