"""Fixtures for evidence bundles: a local RFC 3161 TSA, a sealed capture of a shop with a hostile title,
and bundles exported from it (built once per session: a crawl and an export take seconds)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from evidence_crawler.demo.tsa import LocalTSA
from tests.conftest import Cli
from tests.servers.tinyshop import TinyShop

HOSTILE = "<script>document.title='PWNED';window.__pwned=1</script>"
SHOP_PROFILE = """\
name: hostile-title-shop
start_urls: [{url}]
follow: ["a.list", "a.item"]
item_pages: '/item/\\d+$'
fields: {{title: h1::text}}
offers: {{selector: tr.offer, fields: {{format: "td.format::text", price: "td.price::text"}}, currency: EUR}}
limits: {{max_pages: 100}}
"""


class HostileTitleShop(TinyShop):
    """TinyShop whose item pages carry a ``<script>`` in their <title> and <h1> (as text) and an offers table."""

    def page(self, path: str) -> tuple[bytes, int]:
        if path.startswith("/item/"):
            n = int(path.rsplit("/", 1)[1])
            if 1 <= n <= self.items:
                escaped = HOSTILE.replace("<", "&lt;").replace(">", "&gt;")
                rows = "".join(f'<tr class="offer"><td class="format">{f}</td><td class="price">{p} €</td></tr>'
                               for f, p in (("mp3-320", f"{n},99"), ("flac", f"{n + 5},49")))
                return (f"<html><head><title>Item {n} {HOSTILE}</title></head><body><h1>Album {n} {escaped}</h1>"
                        f"<table>{rows}</table></body></html>").encode(), 200
        return super().page(path)


def corrupt(src: Path, dest: Path, member: str | None = None, flip_at: float = 0.5, *, add: str | None = None,
            drop: str | None = None) -> Path | None:
    """A copy of the bundle with one byte of ``member`` flipped (re-zipped: CRCs stay consistent), or one
    member added or dropped. None when ``member`` is empty."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == drop:
                continue
            if info.filename == member:
                if not data:
                    return None
                pos = min(len(data) - 1, int(len(data) * flip_at))
                data = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
            zout.writestr(info, data)
        if add:
            zout.writestr(add, b"an extra file\n")
    return dest


@pytest.fixture(scope="session")
def tsa(tmp_path_factory) -> LocalTSA:
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as t:
        yield t


@pytest.fixture(scope="session")
def sealed(tmp_path_factory, tsa) -> tuple[Cli, str]:
    """A store with one sealed capture of the hostile-title shop (3 items, 2 offers each), timestamped at seal."""
    tmp = tmp_path_factory.mktemp("bundle-store")
    cli = Cli(tmp / "store")
    profile = tmp / "shop.yaml"
    with HostileTitleShop(items=3) as shop:
        profile.write_text(SHOP_PROFILE.format(url=shop.base_url), encoding="utf-8")
        summary = cli.crawl(profile, env={"EVIDENCE_TSA_URLS": tsa.url})
    assert summary["state"] == "sealed", summary
    return cli, summary["capture_id"]


def export(cli: Cli, capture_id: str, out: Path, tsa: LocalTSA | None, *args: str, expect: int = 0):
    env = {"EVIDENCE_TSA_URLS": tsa.url if tsa else "", "EVIDENCE_OPERATOR": "Test Investigator"}
    proc = cli.run("export", capture_id, "-o", str(out), *args, env=env)
    assert proc.returncode == expect, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="session")
def bundle_en(sealed, tsa, tmp_path_factory) -> Path:
    cli, cid = sealed
    out = tmp_path_factory.mktemp("en") / "case.wacz"
    export(cli, cid, out, tsa, "--case-ref", "CASE-42", "--title", "Hostile <b>title</b> shop")
    return out


@pytest.fixture(scope="session")
def bundle_fr(sealed, tsa, tmp_path_factory) -> Path:
    cli, cid = sealed
    out = tmp_path_factory.mktemp("fr") / "dossier.wacz"
    export(cli, cid, out, tsa, "--lang", "fr", "--case-ref", "DOSSIER-7")
    return out


@pytest.fixture(scope="session")
def anchored(tmp_path_factory, tsa):
    """A store with a signing key; one capture sealed with a local TSA's token, one sealed without."""
    tmp = tmp_path_factory.mktemp("anchored")
    cli = Cli(tmp / "store")
    assert cli.run("keys", "init").returncode == 0
    profile = tmp / "shop.yaml"
    with HostileTitleShop(items=1) as shop:
        profile.write_text(SHOP_PROFILE.format(url=shop.base_url), encoding="utf-8")
        stamped = cli.crawl(profile, env={"EVIDENCE_TSA_URLS": tsa.url})
        bare = cli.crawl(profile, env={"EVIDENCE_TSA_URLS": "", "EVIDENCE_SEAL_TIMESTAMP": "off"})
    assert stamped["seal_anchor"]["tokens"] and not bare["seal_anchor"]["tokens"]
    out = tmp / "case.wacz"
    export(cli, stamped["capture_id"], out, tsa)
    out_bare = tmp / "bare.wacz"
    export(cli, bare["capture_id"], out_bare, tsa)
    return cli, stamped, out, out_bare


def unzip(bundle: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(bundle) as z:
        z.extractall(dest)
    return dest


CHROMIUM = next((p for p in ("/usr/bin/chromium",) if os.access(p, os.X_OK)), None)
