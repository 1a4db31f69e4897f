"""The workbench's Verify page on bad uploads: a clear verdict, never a server error; pins are honoured."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
import zipfile

from tests.conftest import Cli
from tests.web.conftest import start_ui


def _post_verify(url: str, csrf: str, name: str, data: bytes, **fields: str) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in {"csrf": csrf, **fields}.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="bundle"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(url + "verify", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_uploads_that_are_not_bundles_get_a_verdict_and_a_bad_pin_is_named(tmp_path):
    cli = Cli(tmp_path / "store")
    cli.store.mkdir(parents=True)
    bench = start_ui(cli)
    try:
        base = bench.url.split("?")[0]
        status, page, _ = bench.get("verify")
        assert status == 200 and b'name="expect_key"' in page and b'name="accept_untimestamped"' in page
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        status, html = _post_verify(base, csrf, "junk.wacz", b"<script>window.pwned=1</script> not a zip")
        assert status == 200 and "INVALID" in html and 'id="unusable"' in html
        assert "<script>window.pwned" not in html
        other = tmp_path / "other.zip"
        with zipfile.ZipFile(other, "w") as z:
            z.writestr("hello.txt", "not evidence")
        status, html = _post_verify(base, csrf, "other.zip", other.read_bytes())
        assert status == 200 and "not an evidence bundle" in html
        status, html = _post_verify(base, csrf, "other.zip", other.read_bytes(), expect_key="sha256:nothex")
        assert status == 200 and "INVALID" in html and 'id="unusable"' in html
        status, _ = _post_verify(base, "forged", "junk.wacz", b"x")
        assert status in (400, 403)
    finally:
        bench.proc.terminate()
        bench.proc.wait(10)
