"""The workbench driven in real Chromium, as an investigator uses it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium
from tests.bundle.conftest import HOSTILE

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture
def page(browser, workbench):
    context = browser.new_context(accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def test_captures_list_shows_every_capture_id_whole_and_opens_a_capture(page, workbench, store):
    _cli, ids = store
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(workbench.url)
    cells = page.locator("td.id a").all_inner_texts()
    assert set(ids.values()) <= set(cells)
    page.click(f"text={ids['new']}")
    assert page.locator("h1").inner_text() == f"Capture {ids['new']}"
    assert page.locator("table.items tbody tr").count() >= 3
    assert "not followed by policy" in page.locator("main").inner_text()


@pytest.mark.parametrize("query", ["Kino", "Кино", "nachalnik kamchatki", "NATCHALNIK"])
def test_search_finds_the_cyrillic_album_typed_in_latin_or_cyrillic(page, workbench, query):
    page.goto(workbench.url + "search")
    page.fill("input[name=q]", query)
    with page.expect_navigation():
        page.click("button[type=submit]")
    results = page.locator("table.results tbody tr")
    assert results.count() >= 1
    assert "Кино" in page.locator("table.results").inner_text()


def test_item_page_shows_its_screenshot_headers_path_and_price_history(page, workbench, store):
    cli, ids = store
    # album 1, whose price changed between the captures; the crawl's order (concurrent) decides its number,
    # and a p2p link item of the same page (no price, hence no chart) may come first in the results
    n = next(i for i, it in enumerate(cli.items(ids["new"]))
             if it.get("kind", "product") == "product" and it["url"].endswith("/release/1"))
    page.goto(workbench.url + "search?q=" + "Кино")
    page.locator(f"table.results a[href='/captures/{ids['new']}/items/{n}']").click()
    img = page.locator("img.shot")
    img.wait_for()
    assert page.evaluate("(el) => el.complete && el.naturalWidth > 100", img.element_handle())
    text = page.locator("main").inner_text()
    assert "Response headers as recorded" in text and "How it was reached" in text
    # two captures of the profile: a price line
    assert page.locator("svg.chart polyline").count() >= 1, text


def test_diff_of_two_captures_shows_the_changed_prices(page, workbench, store):
    _cli, ids = store
    page.goto(workbench.url + "diff")
    page.select_option("select[name=old]", ids["old"])
    page.select_option("select[name=new]", ids["new"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    changed = page.locator("table.changed tbody tr")
    assert changed.count() >= 1
    assert "price" in page.locator("table.changed").inner_text()


def test_hostile_titles_are_shown_as_text_and_never_run(page, workbench, store):
    _cli, ids = store
    page.goto(workbench.url + f"captures/{ids['hostile']}")
    page.locator("table.items a").first.click()
    page.wait_for_load_state()
    assert page.evaluate("() => window.__pwned === undefined && document.title !== 'PWNED'")
    assert HOSTILE in page.locator("main").inner_text()


def test_export_from_the_workbench_gives_a_bundle_that_verifies(page, workbench, store, web_tsa, tmp_path):
    cli, ids = store
    page.goto(workbench.url + "export")
    page.check(f"input[name=capture][value='{ids['new']}']")
    page.fill("input[name=case_ref]", "UI-1")
    page.click("#export")
    page.locator("#download").wait_for(timeout=240_000)
    with page.expect_download() as info:
        page.click("#download")
    bundle = tmp_path / "from-ui.wacz"
    info.value.save_as(bundle)
    proc = cli.run("verify", str(bundle), "--tsa-ca", str(web_tsa.ca_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page.goto(workbench.url + "verify")
    page.set_input_files("input[name=bundle]", str(bundle))
    with page.expect_navigation():
        page.click("#verify")
    assert "VALID" in page.locator("#verdict").inner_text()
    assert "INVALID" not in page.locator("#verdict").inner_text()
    import json

    events = [json.loads(line) for line in (cli.store / "custody.jsonl").read_text().splitlines()]
    assert any(e["event"] == "exported" and e["capture_id"] == ids["new"] for e in events)


def test_an_uploaded_bundle_with_a_flipped_byte_is_named_invalid(page, workbench, tmp_path, store):
    cli, ids = store
    good = tmp_path / "good.wacz"
    proc = cli.run("export", ids["old"], "-o", str(good), "--no-timestamp")
    assert proc.returncode == 0, proc.stderr
    from tests.bundle.conftest import corrupt

    bad = corrupt(good, tmp_path / "bad.wacz", "evidence/manifest.json")
    page.goto(workbench.url + "verify")
    page.set_input_files("input[name=bundle]", str(bad))
    with page.expect_navigation():
        page.click("#verify")
    assert "INVALID" in page.locator("#verdict").inner_text()
    assert "evidence/manifest.json" in page.locator("ul.problems").inner_text()


def test_a_non_loopback_bind_needs_the_token(store):
    from tests.web.conftest import start_ui

    cli, _ids = store
    bench = start_ui(cli, "--host", "0.0.0.0")
    try:
        assert "?token=" in bench.url
        token = bench.url.split("?token=")[1]
        local = bench.url.replace("0.0.0.0", "127.0.0.1")
        bench.url = local
        assert bench.get("/")[0] == 401
        assert bench.get("/api/captures")[0] == 401
        assert bench.get("/api/captures", token="wrong")[0] == 401
        assert bench.get("/api/captures", token=token)[0] == 200
    finally:
        bench.proc.terminate()
        bench.proc.wait(10)
