"""Full-page screenshots that never truncate: tiles of at most ``TILE_PX`` stitched with Pillow.

Chromium refuses (or silently cuts) a single capture taller than 16,384 px. Each tile is a clip of the
document in page coordinates, so the stitched PNG is exactly ``scrollWidth`` x ``scrollHeight`` CSS px
(times the device scale factor). A page that fits one tile is Chromium's PNG as it came (no re-encoding);
tiles are decoded, pasted and encoded in a worker thread, off the event loop the crawl runs on.

Shots are taken with CDP ``Page.captureScreenshot`` directly (what Playwright's ``screenshot`` sends, with
``captureBeyondViewport`` for clips below the fold) plus ``optimizeForSpeed``: Chromium's faster PNG
encoder, same pixels (lossless), a larger file, about 20 ms less CPU per shot.
"""

from __future__ import annotations

import asyncio
import base64
import io

from PIL import Image

TILE_PX = 8192  # well under Chromium's 16,384 px texture limit
MAX_HEIGHT_PX = 200_000  # a page taller than this is cut here, and the cut is recorded

DOC_SIZE_JS = ("[Math.max(document.documentElement.scrollWidth, window.innerWidth),"
               " Math.max(document.documentElement.scrollHeight, window.innerHeight),"
               " document.documentElement.scrollHeight]")  # an expression: part of the render's page facts


async def capture_png(calls, what: str, clip: dict | None = None) -> bytes:
    """The viewport (no ``clip``) or a clip of the document in CSS px, as Chromium encoded it."""
    params: dict = {"format": "png", "optimizeForSpeed": True}
    if clip is not None:
        params.update(clip={**clip, "scale": 1}, captureBeyondViewport=True)
    shot = await calls(lambda: calls.cdp.send("Page.captureScreenshot", params), what)
    return base64.b64decode(shot["data"])


async def full_page_png(calls, size: list[int], scale: float = 1.0) -> tuple[bytes, dict]:
    """PNG of the whole document, plus what was measured: width, height, scrollHeight, tiles, cut.
    ``calls`` is the render's time-limited way into the page (:class:`~.waits.PageCalls`); ``size`` is
    ``DOC_SIZE_JS`` evaluated just before."""
    width, height, scroll_height = size
    cut = height > MAX_HEIGHT_PX
    height = min(height, MAX_HEIGHT_PX)
    info = {"width": width, "height": height, "scroll_height": scroll_height, "tiles": 1, "cut": cut}

    def shot(top: int, h: int):
        return capture_png(calls, "full-page screenshot", {"x": 0, "y": top, "width": width, "height": h})

    if height <= TILE_PX:
        return await shot(0, height), info
    tiles = [(top, await shot(top, min(TILE_PX, height - top))) for top in range(0, height, TILE_PX)]
    info["tiles"] = len(tiles)
    return await asyncio.to_thread(_stitch, tiles, width, height, scale), info


def _stitch(tiles: list[tuple[int, bytes]], width: int, height: int, scale: float) -> bytes:
    sheet = Image.new("RGB", (round(width * scale), round(height * scale)), "white")
    for top, tile in tiles:
        with Image.open(io.BytesIO(tile)) as img:
            sheet.paste(img.convert("RGB"), (0, round(top * scale)))
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=False)
    return out.getvalue()
