"""The allofmp3 demo shop with its price tables written by JavaScript (under ``/js/``).

``/js/`` lists every album as ``/js/release/N``: the same page as ``/release/N`` except that the
``table.buy`` is not in the HTML. A script fetches ``/js/api/offers/N`` (JSON) and builds the table in the
browser, as many real storefronts do. A crawl without rendering finds no offers there (and must not
guess); a rendered crawl must find every price exactly as ``/release/N`` prints it. Same catalogue, so
the same ground truth (``expected_items("allofmp3")`` with ``/js`` before each path).
"""

from __future__ import annotations

import json
import re

from evidence_crawler.demo import allofmp3
from evidence_crawler.demo.catalog import DemoCatalog, format_mb
from evidence_crawler.demo.web import Request, Response, esc

PREFIX = "/js"
PLACEHOLDER = '<div id="buy" data-release="{id}">Загрузка цен…</div>\n<script src="/js/buy.js"></script>'
BUY_JS = """(function () {
  var box = document.getElementById('buy');
  fetch('/js/api/offers/' + box.dataset.release).then(function (r) { return r.json(); }).then(function (offers) {
    var html = '<table class="buy">\\n<tr><th>Формат</th><th>Размер</th><th>Цена</th><th></th></tr>';
    offers.forEach(function (o) {
      html += '\\n<tr data-format="' + o.format + '"><td class="fmt">' + o.label + '</td><td class="size">' +
              o.size + ' МБ</td><td class="price">' + o.price + '</td><td></td></tr>';
    });
    box.outerHTML = html + '\\n</table>';
  });
})();
"""


def route(catalog: DemoCatalog, req: Request) -> Response:
    """The whole allofmp3 demo: ``/js/`` pages here, every other path (and any non-GET) by the plain shop.

    This wraps ``allofmp3.route`` rather than being called by it, so the two modules import one way.
    """
    if not req.path.startswith(f"{PREFIX}/") or req.method not in ("GET", "HEAD"):
        resp = allofmp3.route(catalog, req)
    else:
        resp = _js_page(catalog, req) or allofmp3.not_found(catalog)
    resp.headers.extend(allofmp3.CDN_HEADERS)
    return resp


def _js_page(catalog: DemoCatalog, req: Request) -> Response | None:
    path = req.path
    if path == f"{PREFIX}/":
        links = "".join(f'<li><a href="{PREFIX}/release/{a.id}">{esc(a.artist)} — {esc(a.title)}</a></li>'
                        for a in catalog.albums())
        return allofmp3._ok(allofmp3.layout(catalog, "Каталог (JS)", f'<h1>Каталог</h1>\n<ul class="js">{links}</ul>'))
    if path == f"{PREFIX}/buy.js":
        return Response(200, BUY_JS.encode("utf-8"), "application/javascript; charset=utf-8")
    if m := re.fullmatch(rf"{PREFIX}/api/offers/(\d+)", path):
        album = catalog.album(int(m[1]))
        if album is None:
            return Response(404, b"[]", "application/json")
        offers = [{"format": o.format, "label": o.label, "size": format_mb(o.size_mb, True), "price": o.price}
                  for o in catalog.offers(album)]
        return Response(200, json.dumps(offers, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")
    if m := re.fullmatch(rf"{PREFIX}/release/(\d+)", path):
        album = catalog.album(int(m[1]))
        page = allofmp3.release(catalog, int(m[1]))
        if album is None:
            return page
        html = page.body.decode(allofmp3.CHARSET).replace(allofmp3.buy_table(catalog, album),
                                                          PLACEHOLDER.format(id=album.id))
        return allofmp3._ok(html, page.status)
    return None
