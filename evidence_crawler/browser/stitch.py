"""Full-page screenshots that never truncate: tiles of at most ``TILE_PX`` stitched with Pillow.

Chromium refuses (or silently cuts) a single capture taller than 16,384 px. Each tile is a clip of the
document in page coordinates, so the stitched PNG is exactly ``scrollWidth`` x ``scrollHeight`` CSS px
(times the device scale factor).
"""

from __future__ import annotations

import io

from PIL import Image

TILE_PX = 8192  # well under Chromium's 16,384 px texture limit
MAX_HEIGHT_PX = 200_000  # a page taller than this is cut here, and the cut is recorded

DOC_SIZE_JS = ("() => [Math.max(document.documentElement.scrollWidth, window.innerWidth),"
               " Math.max(document.documentElement.scrollHeight, window.innerHeight),"
               " document.documentElement.scrollHeight]")


async def full_page_png(page, scale: float = 1.0) -> tuple[bytes, dict]:
    """PNG of the whole document, plus what was measured: width, height, scrollHeight, tiles, cut."""
    width, height, scroll_height = await page.evaluate(DOC_SIZE_JS)
    cut = height > MAX_HEIGHT_PX
    height = min(height, MAX_HEIGHT_PX)
    info = {"width": width, "height": height, "scroll_height": scroll_height, "tiles": 1, "cut": cut}
    if height <= TILE_PX:
        png = await page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
        return png, info
    sheet = Image.new("RGB", (round(width * scale), round(height * scale)), "white")
    tiles = 0
    for top in range(0, height, TILE_PX):
        h = min(TILE_PX, height - top)
        tile = await page.screenshot(full_page=True, clip={"x": 0, "y": top, "width": width, "height": h})
        with Image.open(io.BytesIO(tile)) as img:
            sheet.paste(img.convert("RGB"), (0, round(top * scale)))
        tiles += 1
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=False)
    info["tiles"] = tiles
    return out.getvalue(), info
