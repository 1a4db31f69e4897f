"""Serving a sealed artifact: only files the manifest lists, only inside the store, never as our HTML.

A name from the URL is looked up in the sealed manifest, never joined to a path; the object's real path
must stay under the store root (symlinks and ``..`` resolved first). Everything is a download
(``Content-Disposition: attachment``) except screenshots, which are PNG images shown inline; both with
``nosniff`` so a browser cannot be talked into rendering a shop's bytes as a page of this app.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse

from evidence_crawler.models import CaptureManifest

INLINE_ROLES = {"screenshot": "image/png", "screenshot_viewport": "image/png"}


class NotServable(LookupError):
    pass


def artifact_path(store_root: Path, manifest: CaptureManifest, name: str) -> tuple[Path, str]:
    art = next((a for a in manifest.artifacts if a.name == name), None)
    if art is None:
        raise NotServable(f"no artifact {name!r} in this capture")
    root = store_root.resolve()
    path = (root / art.path)
    if path.is_symlink():
        raise NotServable(f"{name}: the stored object is a link, not served")
    real = path.resolve()
    if root not in real.parents or not real.is_file():
        raise NotServable(f"{name}: not inside the store")
    return real, art.role


def artifact_response(store_root: Path, manifest: CaptureManifest, name: str, inline: bool) -> FileResponse:
    path, role = artifact_path(store_root, manifest, name)
    if inline and role in INLINE_ROLES:
        return FileResponse(path, media_type=INLINE_ROLES[role], headers={"Content-Disposition": "inline"})
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"'})
