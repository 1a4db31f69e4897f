"""An mp3sugar-style shop: UTF-8, English, A-Z browsing, prices in a ``li.fmt`` list per release.

It is deliberately shaped unlike the allofmp3 demo, so one generic spider has to be steered by two
different profiles: releases live at ``/albums/<slug>.html``, listings are ``/browse/<letter>``,
prices are ``<li class="fmt" data-kbps="320"><span class="cost">€2.49</span>``, an unpriced FLAC row
must be dropped, and a few "new-style" release pages carry their data only as schema.org JSON-LD
(the visible page is an empty JavaScript app), the case a profile's CSS cannot reach.
"""

from __future__ import annotations

import json
import re
import string

from evidence_crawler.demo import data
from evidence_crawler.demo.catalog import Album, DemoCatalog, format_mb, jsonld_price
from evidence_crawler.demo.web import Request, Response, esc, html_response, redirect, text_response

LETTERS = [*string.ascii_uppercase, "0-9"]
ROBOTS = "User-agent: *\nDisallow: /basket/\nDisallow: /account/\n"
APP_JS = "document.getElementById('app').textContent = 'Loading release...';\n"
STYLE = "body{font-family:Verdana,sans-serif}ul.formats li{margin:4px 0}.cost{font-weight:bold}\n"


def route(catalog: DemoCatalog, req: Request) -> Response:
    path = req.path
    if path == "/robots.txt":
        return text_response(ROBOTS)
    if path == "/static/app.js":
        return Response(200, APP_JS.encode("ascii"), "application/javascript")
    if path == "/static/style.css":
        return Response(200, STYLE.encode("ascii"), "text/css")
    if path.startswith("/basket/"):
        return redirect("/account/login")
    if path == "/account/login":
        return _ok(
            layout(
                "Sign in",
                '<h1>Sign in</h1><form method="post" action="/account/login">'
                '<input name="email"> <input type="password" name="password"> <button>Sign in</button>'
                "</form>",
            )
        )
    if req.method not in ("GET", "HEAD"):
        return Response(405, b"", "text/plain", [("Allow", "GET, HEAD")])
    if path in ("/", "/index.html"):
        return _ok(home(catalog))
    if m := re.fullmatch(r"/browse/([A-Z]|0-9)", path):
        return browse(catalog, m[1])
    if m := re.fullmatch(r"/artists/([a-z0-9-]+)\.html", path):
        return artist(catalog, m[1])
    if m := re.fullmatch(r"/albums/([a-z0-9-]+)\.html", path):
        album = catalog.album_by_slug(m[1])
        if album is None:
            return not_found("This release is no longer available.")
        return _ok(release_jsonld(catalog, album) if album.jsonld_only else release(catalog, album))
    return not_found()


def _ok(page: str, status: int = 200) -> Response:
    return html_response(page, status, "utf-8")


def letter_of(artist_name: str) -> str:
    """Shelf letter: 'The White Stripes' under W, 'Björk' under B, '18 ...' under 0-9."""
    name = data.translit(re.sub(r"^the\s+", "", artist_name, flags=re.I)).strip()
    first = name[:1].upper()
    return first if first in string.ascii_uppercase else "0-9"


def layout(title: str, body: str, head_extra: str = "") -> str:
    az = " ".join(f'<a href="/browse/{x}">{x}</a>' for x in LETTERS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} | mp3sugar (demo)</title>"
        f'<link rel="stylesheet" href="/static/style.css">{head_extra}</head>\n<body>\n'
        '<div class="header"><a class="logo" href="/">mp3sugar</a> '
        '<a href="/account/login">Sign in</a> <a href="/basket/">Basket</a></div>\n'
        f'<div class="az">{az}</div>\n<div class="main">\n{body}\n</div>\n'
        '<div class="footer">Demo shop for evidence-crawler tests. All data is made up.</div>\n'
        "</body></html>\n"
    )


def _album_link(catalog: DemoCatalog, a: Album) -> str:
    return f'<a class="album" href="{catalog.url_path(a)}">{esc(a.title)}</a>'


def _artist_link(catalog: DemoCatalog, a: Album) -> str:
    return f'<a class="artist" href="/artists/{catalog.artist_of(a).slug}.html">{esc(a.artist)}</a>'


def home(catalog: DemoCatalog) -> str:
    top = sorted(catalog.albums(), key=lambda a: (a.seconds, a.id))[:8]
    items = "\n".join(f"<li>{_artist_link(catalog, a)} &ndash; {_album_link(catalog, a)}</li>" for a in top)
    body = (
        "<h1>Fresh MP3 at sweet prices</h1>\n<p>Browse by artist: pick a letter above.</p>\n"
        f'<h2>Top sellers</h2>\n<ul class="top">\n{items}\n</ul>'
    )
    return layout("Home", body)


def browse(catalog: DemoCatalog, letter: str) -> Response:
    albums = sorted(
        (a for a in catalog.albums() if letter_of(a.artist) == letter),
        key=lambda a: (data.translit(a.artist).lower(), a.year),
    )
    rows = "\n".join(
        f"<tr><td>{_artist_link(catalog, a)}</td><td>{_album_link(catalog, a)}</td><td>{a.year}</td></tr>"
        for a in albums
    )
    table = f'<table class="list">\n{rows}\n</table>' if albums else '<p class="empty">No releases.</p>'
    return _ok(layout(f"Artists: {letter}", f"<h1>Artists &ndash; {letter}</h1>\n{table}"))


def artist(catalog: DemoCatalog, slug: str) -> Response:
    found = next((ar for ar in catalog.artists() if ar.slug == slug), None)
    if found is None:
        return not_found()
    albums = [a for a in catalog.albums() if a.artist == found.name]
    items = "\n".join(f"<li>{_album_link(catalog, a)} ({a.year})</li>" for a in albums)
    return _ok(
        layout(
            found.name, f'<h1 class="artist-name">{esc(found.name)}</h1>\n<ul class="albums">\n{items}\n</ul>'
        )
    )


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def formats_list(catalog: DemoCatalog, album: Album) -> str:
    """Priced rows, then an unpriced FLAC row (no ``span.cost``): a crawler must not invent an offer."""
    close = "" if album.quirky else "</li>"
    rows = [
        f'<li class="fmt" data-kbps="{o.format}"><span class="q">{esc(o.label)}</span> '
        f'<span class="size">{format_mb(o.size_mb, False)} MB</span> '
        f'<span class="cost">{esc(o.price)}</span> '
        f'<a class="add" rel="nofollow" href="/basket/add/{album.slug}/{o.format}">add to basket</a>{close}'
        for o in catalog.offers(album)
    ]
    rows.append(
        f'<li class="fmt" data-kbps="flac"><span class="q">FLAC lossless</span> '
        f'<span class="na">coming soon</span>{close}'
    )
    return '<ul class="formats">\n' + "\n".join(rows) + "\n</ul>"


def _p2p(catalog: DemoCatalog, album: Album) -> str:
    links = catalog.p2p_links(album)
    if not links:
        return ""
    items = " | ".join(f'<a class="{p.scheme}" href="{esc(p.link)}">{esc(p.name)}</a>' for p in links)
    return f'<div class="p2p">Also shared on P2P: {items}</div>\n'


def release(catalog: DemoCatalog, album: Album) -> str:
    tracks = "\n".join(f'<li>{esc(t)} <span class="len">{_duration(s)}</span></li>' for t, s in album.tracks)
    body = (
        f'<div class="release-head">\n<h2 class="release-title">{esc(album.title)}</h2>\n'
        f'<div class="by">by {_artist_link(catalog, album)}</div>\n</div>\n'
        f'<div class="release-info">Released: <span class="yr">{album.year}</span> &middot; '
        f"Genre: {esc(catalog.genre_name(album.genre))} &middot; {len(album.tracks)} tracks &middot; "
        f"{_duration(album.seconds)}</div>\n"
        f'<ol class="tracklist">\n{tracks}\n</ol>\n'
        f"<h3>Download formats</h3>\n{formats_list(catalog, album)}\n"
        f"{_p2p(catalog, album)}"
    )
    return layout(f"{album.artist} - {album.title}", body)


def jsonld(catalog: DemoCatalog, album: Album) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": album.title,
        "sku": album.slug,
        "brand": {"@type": "Brand", "name": album.artist},
        "byArtist": {"@type": "MusicGroup", "name": album.artist},
        "offers": [
            {
                "@type": "Offer",
                "name": o.label,
                "sku": f"{album.slug}-{o.format}",
                "price": jsonld_price(o),
                "priceCurrency": o.currency,
                "availability": "https://schema.org/InStock",
            }
            for o in catalog.offers(album)
        ],
    }


def release_jsonld(catalog: DemoCatalog, album: Album) -> str:
    """A 'new-style' page: the visible part is an empty JS app; the facts are only in JSON-LD."""
    payload = json.dumps(jsonld(catalog, album), ensure_ascii=False, indent=1).replace("</", "<\\/")
    head = f'\n<script type="application/ld+json">\n{payload}\n</script>'
    body = (
        f'<div id="app" data-release="{album.slug}"></div>\n'
        "<noscript>This release page needs JavaScript.</noscript>\n"
        '<script src="/static/app.js"></script>'
    )
    return layout(f"{album.artist} - {album.title}", body, head_extra=head)


def not_found(message: str = "Page not found.") -> Response:
    return _ok(layout("Not found", f"<h1>404</h1>\n<p>{esc(message)}</p>"), 404)
