"""README screenshots of the workbench on the demo store: ``python scripts/workbench_screenshots.py [OUT]``.

Two captures of the allofmp3 demo shop (album 1's prices doubled in between), then ``evidence-crawler ui``
and Playwright (Debian's Chromium): the captures list, a capture, an item with its replay, the diff, into
``docs/img/*.png`` (viewport shots, palette-quantised by Pillow when it is there, each well under 200 KB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EC = [sys.executable, "-m", "evidence_crawler.cli"]


def crawl(env: dict, *args: str) -> str:
    out = subprocess.run([*EC, "crawl", str(ROOT / "evidence_crawler/profiles/allofmp3-demo.yaml"), "--allow-private",
                          "--json", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["capture_id"]


def shrink(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        im.convert("RGB").quantize(colors=128).save(path, optimize=True)


def replayed(page, seconds: int = 90) -> bool:
    for _ in range(seconds * 4):
        if any("mp_/" in f.url and f.locator("table.buy").count() for f in page.frames):
            return True
        page.wait_for_timeout(250)
    return False


def main(out: Path) -> int:
    from playwright.sync_api import sync_playwright

    from evidence_crawler.demo import DemoSite

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="workbench-shots-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVIDENCE_STORE": str(tmp / "store")}
    with DemoSite("allofmp3") as site:
        starts = [a for n in (1, 2, 3, 4) for a in ("--start-url", f"{site.base_url}release/{n}")]
        old = crawl(env, *starts, "--max-pages", "8")
        site.catalog.set_price_factor(1, "2")
        new = crawl(env, *starts, "--max-pages", "8")
    ui = subprocess.Popen([*EC, "ui", "--port", "0"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    try:
        url = ui.stdout.readline().strip()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            shots = {"captures.png": url, "capture.png": f"{url}captures/{new}",
                     "diff.png": f"{url}diff?old={old}&new={new}"}
            for name, target in shots.items():
                page.goto(target)
                page.screenshot(path=out / name)
            for _attempt in range(3):  # a loaded machine can be slow to start the service worker
                page.goto(f"{url}captures/{new}/items/0")
                if replayed(page):
                    break
                print("replay not shown yet:", [f.url[:120] for f in page.frames], file=sys.stderr)
            page.wait_for_timeout(1000)
            page.evaluate("() => document.querySelector('iframe.replay').scrollIntoView({block: 'end'})")
            page.screenshot(path=out / "item-replay.png")
            browser.close()
    finally:
        ui.terminate()
        ui.wait(10)
    for png in sorted(out.glob("*.png")):
        shrink(png)
        print(f"{png} {png.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"))
