"""An allofmp3.com-style Russian shop: windows-1251 pages, pay-per-megabyte prices, a calendar trap.

What it exercises in a crawler: a non-UTF-8 charset (both in the header and in a ``<meta>``),
Cyrillic text, a ``table.buy`` of per-bitrate prices (some in roubles with a decimal comma), a
paginated catalogue, genre and artist pages, a login-gated cart that robots.txt also forbids, an
endless news calendar linked from every page, ed2k/magnet links and, on a few album pages, the
sloppy upper-case unclosed-tag HTML that such shops really served.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from fractions import Fraction

from evidence_crawler.demo.catalog import Album, DemoCatalog, format_mb
from evidence_crawler.demo.web import (
    Request,
    Response,
    esc,
    href_query,
    html_response,
    redirect,
    text_response,
)

CHARSET = "windows-1251"
PAGE_SIZE = 10
TRAP_START = "2026-11"  # the month every page links to; prev/next never run out
LOGIN, PASSWORD = "demo", "demo"
SESSION_COOKIE, CART_COOKIE = "aom_session", "aom_cart"
ROBOTS = "User-agent: *\nDisallow: /cart\nDisallow: /login\nDisallow: /logout\nAllow: /\n"
MONTHS = "Январь Февраль Март Апрель Май Июнь Июль Август Сентябрь Октябрь Ноябрь Декабрь".split()
STYLE = "body{font:13px Tahoma,sans-serif}table.buy td,table.buy th{padding:2px 8px}.price{color:#a00}\n"


def route(catalog: DemoCatalog, req: Request) -> Response:
    path = req.path
    if path == "/robots.txt":
        return text_response(ROBOTS)
    if path == "/static/style.css":
        return Response(200, STYLE.encode("ascii"), "text/css")
    if path in ("/login", "/logout", "/cart", "/cart/add"):
        return _account(catalog, req)
    if req.method not in ("GET", "HEAD"):
        return Response(405, b"", "text/plain", [("Allow", "GET, HEAD")])
    if path in ("/", "/index.html"):
        return _ok(home(catalog))
    if path == "/catalogue/":
        return catalogue(catalog, req.query.get("page", "1"))
    if m := re.fullmatch(r"/genre/([a-z-]+)/", path):
        return genre(catalog, m[1])
    if m := re.fullmatch(r"/artist/(\d+)", path):
        return artist(catalog, int(m[1]))
    if m := re.fullmatch(r"/release/(\d+)", path):
        return release(catalog, int(m[1]))
    if path == "/news/calendar":
        return news_calendar(catalog, req.query.get("month", TRAP_START))
    return not_found(catalog)


def _ok(page: str, status: int = 200) -> Response:
    return html_response(page, status, CHARSET)


def layout(catalog: DemoCatalog, title: str, body: str, old_meta: bool = False) -> str:
    """Every page links to the genres, the cart, the login and the calendar trap."""
    meta = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        if old_meta
        else '<meta charset="windows-1251">'
    )
    genres = "".join(
        f'<li><a href="/genre/{g}/">{esc(name)}</a></li>' for g, name in catalog.rules.genres.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="ru"><head>' + meta + f"<title>{esc(title)} :: AllOfMP3 (демо)</title>"
        '<link rel="stylesheet" href="/static/style.css"></head>\n<body>\n'
        '<div id="top"><a href="/">AllOfMP3 (демо)</a> | <a href="/catalogue/">Каталог</a> | '
        f'<a href="{href_query("/news/calendar", month=TRAP_START)}">Новости</a> | '
        '<a href="/cart">Корзина</a> | <a href="/login">Вход</a></div>\n'
        f'<ul class="genres">{genres}</ul>\n<div id="content">\n{body}\n</div>\n'
        '<div id="footer">Демонстрационный магазин для тестов evidence-crawler. '
        "Все данные вымышлены. Цена зависит от размера: платите только за скачанные мегабайты.</div>\n"
        "</body></html>\n"
    )


def album_rows(catalog: DemoCatalog, albums: list[Album]) -> str:
    rows = []
    for a in albums:
        cheapest = catalog.offers(a)[0].price
        rows.append(
            f'<tr><td class="artist"><a href="/artist/{catalog.artist_of(a).id}">{esc(a.artist)}</a></td>'
            f'<td class="album"><a href="/release/{a.id}">{esc(a.title)}</a></td>'
            f"<td>{a.year}</td><td>от {esc(cheapest)}</td></tr>"
        )
    if not rows:
        return "<p>Нет альбомов.</p>"
    return (
        '<table class="list">\n<tr><th>Исполнитель</th><th>Альбом</th><th>Год</th><th>Цена</th></tr>\n'
        + "\n".join(rows)
        + "\n</table>"
    )


# What the intermediaries step (issue 18) finds on the home page: card schemes, PayPal, WebMoney (link and
# purse number), YooMoney and a Bitcoin address whose checksum passes; and an analytics tag and an ad network's
# held back by the consent banner (type="text/plain": in the HTML, never fetched by a browser: renders stay local).
PAYMENT_BLOCK = (
    '<div id="payment"><h2>Способы оплаты</h2>\n'
    "<p>Банковские карты Visa, Mastercard и МИР; PayPal; WebMoney (кошелёк Z123456789012); ЮMoney; "
    "Bitcoin: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT</p>\n"
    '<p><a href="https://www.paypal.com/cgi-bin/webscr?cmd=_donations&amp;business=shop">PayPal</a> | '
    '<a href="https://merchant.webmoney.ru/lmi/payment.asp">WebMoney Merchant</a></p></div>\n'
    '<script type="text/plain" data-consent="analytics" src="https://mc.yandex.ru/metrika/tag.js"></script>\n'
    '<script type="text/plain" data-consent="ads" src="https://an.yandex.ru/system/context.js"></script>'
)
# Served on every response, as a shop behind Cloudflare would (the demo's DNS zone in the tests agrees)
CDN_HEADERS = [("CF-Ray", "8f1c2a3b4c5d6e7f-DME"), ("CF-Cache-Status", "DYNAMIC"), ("X-Cache", "MISS")]


def home(catalog: DemoCatalog) -> str:
    newest = sorted(catalog.albums(), key=lambda a: (-a.year, a.id))[:6]
    artists = "".join(f'<li><a href="/artist/{ar.id}">{esc(ar.name)}</a></li>' for ar in catalog.artists())
    body = (
        "<h1>Добро пожаловать!</h1>\n<p>Музыка в форматах MP3 128, 192 и 320 кбит/с. "
        f"Цена за мегабайт: ${catalog.rules.per_mb}.</p>\n"
        f"<h2>Новинки</h2>\n{album_rows(catalog, newest)}\n"
        f'<h2>Исполнители</h2>\n<ul class="artists">{artists}</ul>\n'
        '<p><a href="/catalogue/">Весь каталог &raquo;</a></p>\n' + PAYMENT_BLOCK
    )
    return layout(catalog, "Главная", body)


def catalogue(catalog: DemoCatalog, page_text: str) -> Response:
    albums = catalog.albums()
    pages = max(1, -(-len(albums) // PAGE_SIZE))
    if not page_text.isdigit() or not 1 <= int(page_text) <= pages:
        return not_found(catalog)
    page = int(page_text)

    def link(n: int) -> str:
        return "/catalogue/" if n == 1 else href_query("/catalogue/", page=n)

    nav = [f'<a class="prev" href="{esc(link(page - 1))}">&laquo; пред.</a>'] if page > 1 else []
    nav += [f"<b>{n}</b>" if n == page else f'<a href="{esc(link(n))}">{n}</a>' for n in range(1, pages + 1)]
    if page < pages:
        nav.append(f'<a class="next" href="{esc(link(page + 1))}">след. &raquo;</a>')
    chunk = albums[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    body = (
        f"<h1>Каталог, страница {page} из {pages}</h1>\n{album_rows(catalog, chunk)}\n"
        f'<div class="pager">{" ".join(nav)}</div>'
    )
    return _ok(layout(catalog, f"Каталог — страница {page}", body))


def genre(catalog: DemoCatalog, slug: str) -> Response:
    if slug not in catalog.rules.genres:
        return not_found(catalog)
    name = catalog.genre_name(slug)
    albums = [a for a in catalog.albums() if a.genre == slug]
    return _ok(layout(catalog, name, f"<h1>Жанр: {esc(name)}</h1>\n{album_rows(catalog, albums)}"))


def artist(catalog: DemoCatalog, artist_id: int) -> Response:
    found = next((ar for ar in catalog.artists() if ar.id == artist_id), None)
    if found is None:
        return not_found(catalog)
    albums = [a for a in catalog.albums() if a.artist == found.name]
    items = "".join(f'<li><a href="/release/{a.id}">{esc(a.title)}</a> ({a.year})</li>' for a in albums)
    body = (
        f'<h1 class="artist-name">{esc(found.name)}</h1>\n<p>Жанр: <a href="/genre/{found.genre}/">'
        f'{esc(catalog.genre_name(found.genre))}</a></p>\n<ul class="discography">{items}</ul>'
    )
    return _ok(layout(catalog, found.name, body))


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def add_link(album: Album, fmt: str) -> str:
    return href_query("/cart/add", release=album.id, format=fmt)


def buy_table(catalog: DemoCatalog, album: Album) -> str:
    """One row per bitrate after a header row without a price (a crawler must drop that one)."""
    offers = catalog.offers(album)
    if album.quirky:  # what a 2006 CMS template really emitted: no closing tags, no quotes
        rows = "".join(
            f"\n<TR DATA-FORMAT={o.format}><TD CLASS=fmt>{esc(o.label)}<TD CLASS=size>"
            f"{format_mb(o.size_mb, True)} МБ<TD CLASS=price>{esc(o.price)}"
            f'<TD><A HREF="{esc(add_link(album, o.format))}">В корзину</A>'
            for o in offers
        )
        return f"<TABLE CLASS=buy>\n<TR><TH>Формат<TH>Размер<TH>Цена<TH>{rows}\n</TABLE>"
    rows = "".join(
        f'\n<tr data-format="{o.format}"><td class="fmt">{esc(o.label)}</td>'
        f'<td class="size">{format_mb(o.size_mb, True)} МБ</td><td class="price">{esc(o.price)}</td>'
        f'<td><a href="{esc(add_link(album, o.format))}">В корзину</a></td></tr>'
        for o in offers
    )
    return (
        f'<table class="buy">\n<tr><th>Формат</th><th>Размер</th><th>Цена</th><th></th></tr>{rows}\n</table>'
    )


def release(catalog: DemoCatalog, album_id: int) -> Response:
    album = catalog.album(album_id)
    if album is None:
        return not_found(catalog, "Альбом не найден или снят с продажи.")
    ar = catalog.artist_of(album)
    tracks = "\n".join(
        f'<tr><td>{i}.</td><td>{esc(t)}</td><td class="dur">{_duration(s)}</td></tr>'
        for i, (t, s) in enumerate(album.tracks, 1)
    )
    if album.quirky:
        head = (
            f'<P CLASS=artist>Исполнитель: <A HREF="/artist/{ar.id}">{esc(album.artist)}</A>\n'
            f"<P CLASS=meta>Год: <SPAN CLASS=year>{album.year}</SPAN> &middot; Жанр: "
            f'<A CLASS=genre HREF="/genre/{album.genre}/">{esc(catalog.genre_name(album.genre))}</A>\n'
        )
    else:
        head = (
            f'<p class="artist">Исполнитель: <a href="/artist/{ar.id}">{esc(album.artist)}</a></p>\n'
            f'<p class="meta">Год: <span class="year">{album.year}</span> &middot; Жанр: '
            f'<a class="genre" href="/genre/{album.genre}/">{esc(catalog.genre_name(album.genre))}</a></p>\n'
        )
    rate = "0,55 руб." if album.rouble else f"${catalog.rules.per_mb}"
    p2p = "".join(
        f'<li class="{p.scheme}"><a href="{esc(p.link)}">{esc(p.name)}</a> '
        f"({format_mb(Fraction(p.size, 1048576), True)} МБ)</li>"
        for p in catalog.p2p_links(album)
    )
    others = "".join(
        f'<li><a href="/release/{a.id}">{esc(a.title)}</a></li>'
        for a in catalog.albums()
        if a.artist == album.artist and a.id != album.id
    )
    body = (
        f'<div class="release" id="release-{album.id}">\n<h1 class="album">{esc(album.title)}</h1>\n{head}'
        f'<table class="tracks">\n{tracks}\n</table>\n'
        f"<p>Треков: {len(album.tracks)}, общая длительность {_duration(album.seconds)}.</p>\n"
        f"<h2>Купить</h2>\n<p>Цена за мегабайт: {esc(rate)}</p>\n{buy_table(catalog, album)}\n"
        + (f'<h2>Пиринговые ссылки</h2>\n<ul class="p2p">{p2p}</ul>\n' if p2p else "")
        + (f'<h2>Другие альбомы</h2>\n<ul class="more">{others}</ul>\n' if others else "")
        + "</div>"
    )
    return _ok(layout(catalog, f"{album.artist} — {album.title}", body, old_meta=album.quirky))


def news_calendar(catalog: DemoCatalog, month_text: str) -> Response:
    """The spider trap: every month links to the one before and after it, without end."""
    m = re.fullmatch(r"(\d{4,6})-(\d{2})", month_text)
    if not m or not 1 <= int(m[2]) <= 12:
        return not_found(catalog)
    year, month = int(m[1]), int(m[2])
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    links = []
    if prev_y >= 1:
        links.append(
            f'<a class="prev" href="{esc(href_query("/news/calendar", month=f"{prev_y:04d}-{prev_m:02d}"))}">'
            "&laquo; раньше</a>"
        )
    links.append(
        f'<a class="next" href="{esc(href_query("/news/calendar", month=f"{next_y:04d}-{next_m:02d}"))}">'
        "позже &raquo;</a>"
    )
    grid = ""
    if year <= 9999:
        weeks = calendar.Calendar().monthdayscalendar(year, month)
        grid = (
            '<table class="calendar"><tr><th>Пн<th>Вт<th>Ср<th>Чт<th>Пт<th>Сб<th>Вс</tr>'
            + "".join("<tr>" + "".join(f"<td>{d or ''}</td>" for d in week) + "</tr>" for week in weeks)
            + "</table>"
        )
    albums = catalog.albums()
    pick = int(hashlib.sha1(month_text.encode()).hexdigest(), 16) % len(albums) if albums else None
    news = (
        f'<p>Поступление месяца: <a href="/release/{albums[pick].id}">{esc(albums[pick].title)}</a></p>'
        if pick is not None
        else "<p>Новостей нет.</p>"
    )
    body = (
        f"<h1>Новости: {MONTHS[month - 1]} {year}</h1>\n{grid}\n{news}\n"
        f'<div class="pager">{" ".join(links)}</div>'
    )
    return _ok(layout(catalog, f"Новости {month_text}", body))


def not_found(catalog: DemoCatalog, message: str = "Страница не найдена.") -> Response:
    return _ok(layout(catalog, "404", f"<h1>404</h1>\n<p>{esc(message)}</p>"), 404)


# ---- login-gated cart ---------------------------------------------------------------------------


def session_token(login: str) -> str:
    """Stateless session: the cookie proves the login form was passed (good enough for a demo)."""
    return f"{login}.{hashlib.sha256(f'allofmp3-demo:{login}'.encode()).hexdigest()[:16]}"


def _logged_in(req: Request) -> bool:
    return req.cookies.get(SESSION_COOKIE) == session_token(LOGIN)


def _account(catalog: DemoCatalog, req: Request) -> Response:
    path = req.path
    if path == "/logout":
        return redirect("/", extra=[("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")])
    if path == "/login":
        if req.method == "POST":
            form = req.form
            if form.get("login") == LOGIN and form.get("password") == PASSWORD:
                target = form.get("next") or "/cart"
                target = target if target.startswith("/") and not target.startswith("//") else "/cart"
                cookie = f"{SESSION_COOKIE}={session_token(LOGIN)}; Path=/; HttpOnly"
                return redirect(target, status=303, extra=[("Set-Cookie", cookie)])
            return _ok(login_page(catalog, req.query.get("next", "/cart"), failed=True), 403)
        return _ok(login_page(catalog, req.query.get("next", "/cart")))
    if not _logged_in(req):
        return redirect(href_query("/login", next=req.target))
    if path == "/cart/add":
        q = req.query
        line = f"{q.get('release', '')}:{q.get('format', '')}"
        cart = [x for x in req.cookies.get(CART_COOKIE, "").split(",") if x]
        if re.fullmatch(r"\d+:[a-z0-9-]+", line):
            cart.append(line)
        return redirect("/cart", extra=[("Set-Cookie", f"{CART_COOKIE}={','.join(cart)}; Path=/")])
    return _ok(cart_page(catalog, req.cookies.get(CART_COOKIE, "")))


def login_page(catalog: DemoCatalog, next_url: str, failed: bool = False) -> str:
    error = '<p class="error">Неверный логин или пароль.</p>\n' if failed else ""
    body = (
        f"<h1>Вход</h1>\n{error}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{esc(next_url)}">'
        '<label>Логин <input name="login"></label> <label>Пароль <input type="password" name="password">'
        '</label> <button type="submit">Войти</button></form>\n<p>Демо-доступ: demo / demo.</p>'
    )
    return layout(catalog, "Вход", body)


def cart_page(catalog: DemoCatalog, cart_cookie: str) -> str:
    rows = []
    for entry in filter(None, cart_cookie.split(",")):
        album_id, _, fmt = entry.partition(":")
        album = catalog.album(int(album_id)) if album_id.isdigit() else None
        offer = next((o for o in catalog.offers(album) if o.format == fmt), None) if album else None
        if album and offer:
            rows.append(
                f"<tr><td>{esc(album.artist)} — {esc(album.title)}</td><td>{esc(offer.label)}</td>"
                f'<td class="price">{esc(offer.price)}</td></tr>'
            )
    table = f'<table class="cart">{"".join(rows)}</table>' if rows else "<p>Корзина пуста.</p>"
    return layout(catalog, "Корзина", f'<h1>Корзина</h1>\n{table}\n<p><a href="/logout">Выйти</a></p>')
