"""The demo shops' catalogue: the single source of truth for what is served AND what a crawl must find.

Pages render prices from :meth:`DemoCatalog.offers`, and :meth:`DemoCatalog.expected_items` reports the
very same strings and amounts, so a test can compare a crawl against the catalogue album by album and
price by price without re-implementing any pricing. The catalogue is mutable (price factors, added
and removed albums) and thread-safe, because the server reads it on every request and a test changes
it between two crawls to check change detection.

Pricing is allofmp3's pay-per-megabyte: size_MB = seconds * kbps * 1000 / 8 / 1048576 at each bitrate,
price = size_MB * per-MB rate * price factor, rounded half-up to cents. It is computed with exact
fractions, so the ground truth never depends on float rounding.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from evidence_crawler.demo import data

SHOPS = ("allofmp3", "mp3sugar")


@dataclass(frozen=True)
class Format:
    key: str  # the offer "format" value a crawl extracts (data-format / data-kbps attribute)
    kbps: int
    label: str


@dataclass(frozen=True)
class ShopRules:
    """Per-shop conventions: formats, currency, per-MB rate and how a price is printed."""

    formats: tuple[Format, ...]
    currency: str
    per_mb: Decimal
    lang: str
    genres: dict[str, str]


RULES: dict[str, ShopRules] = {
    "allofmp3": ShopRules(
        formats=tuple(Format(f"mp3-{k}", k, f"MP3 {k} кбит/с") for k in (128, 192, 320)),
        currency="USD",
        per_mb=Decimal("0.02"),
        lang="ru",
        genres=data.ALLOFMP3_GENRES,
    ),
    "mp3sugar": ShopRules(
        formats=tuple(Format(str(k), k, f"{k} kbps") for k in (192, 256, 320)),
        currency="EUR",
        per_mb=Decimal("0.015"),
        lang="en",
        genres=data.MP3SUGAR_GENRES,
    ),
}
RUB_PER_MB = Decimal("0.55")  # allofmp3 albums flagged ``rouble`` are priced in roubles


@dataclass(frozen=True)
class Album:
    id: int
    artist: str
    title: str
    year: int
    genre: str  # a key of the shop's genre table
    tracks: tuple[tuple[str, int], ...]  # (title, seconds)
    slug: str
    price_factor: Decimal = Decimal(1)
    rouble: bool = False  # allofmp3: buy table in "45,60 руб." instead of "$1.87"
    quirky: bool = False  # HTML with unclosed tags / upper-case unquoted attributes
    p2p: bool = False  # page carries an ed2k and a magnet link
    jsonld_only: bool = False  # mp3sugar: title, artist and offers only in schema.org JSON-LD

    @property
    def seconds(self) -> int:
        return sum(s for _, s in self.tracks)


@dataclass(frozen=True)
class Offer:
    format: str
    label: str
    kbps: int
    size_bytes: int
    size_mb: Fraction
    price: str  # exactly as printed on the page
    amount: Decimal  # two decimals
    currency: str  # ISO 4217


@dataclass(frozen=True)
class P2PLink:
    scheme: str  # "ed2k" | "magnet"
    name: str
    size: int
    hash: str
    link: str  # the href as a browser would resolve it (entities decoded)


@dataclass(frozen=True)
class Artist:
    id: int
    name: str
    slug: str
    genre: str


def round_cents(value: Fraction) -> Decimal:
    """Round half-up to cents, exactly."""
    cents = math.floor(value * 100 + Fraction(1, 2))
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_mb(size_mb: Fraction, decimal_comma: bool) -> str:
    """Size to one decimal (half-up), '41,7' on the Russian shop and '41.7' elsewhere."""
    tenths = math.floor(size_mb * 10 + Fraction(1, 2))
    return f"{tenths // 10}{',' if decimal_comma else '.'}{tenths % 10}"


class DemoCatalog:
    """Albums of one demo shop. All reads return immutable snapshots; all writes take the lock."""

    def __init__(self, shop: str = "allofmp3") -> None:
        if shop not in RULES:
            raise ValueError(f"unknown demo shop {shop!r}; choose one of {', '.join(SHOPS)}")
        self.shop = shop
        self.rules = RULES[shop]
        self._lock = threading.RLock()
        self._albums: dict[int, Album] = {}
        self._artist_ids: dict[str, int] = {}
        self._artist_genres: dict[str, str] = {}
        self._next_id = 1
        seed = data.ALLOFMP3_ARTISTS if shop == "allofmp3" else data.MP3SUGAR_ARTISTS
        for artist, genre, albums in seed:
            for title, year in albums:
                self._insert(artist, title, year, genre, tracks=None, **self._seed_flags(self._next_id))

    def _seed_flags(self, album_id: int) -> dict[str, bool]:
        """Which seed albums get the awkward variants; a fixed rule so the set is easy to find."""
        if self.shop == "allofmp3":
            return {"rouble": album_id % 9 == 7, "quirky": album_id % 6 == 4, "p2p": album_id % 5 == 3}
        return {"quirky": album_id % 7 == 5, "p2p": album_id % 4 == 2, "jsonld_only": album_id in (21, 28)}

    def _insert(
        self,
        artist: str,
        title: str,
        year: int,
        genre: str | None,
        tracks: tuple[tuple[str, int], ...] | None,
        **flags: bool,
    ) -> int:
        with self._lock:
            genre = genre or self._artist_genres.get(artist) or next(iter(self.rules.genres))
            if genre not in self.rules.genres:
                raise ValueError(f"unknown genre {genre!r}; choose one of {sorted(self.rules.genres)}")
            # ids are never reused: a withdrawn album's URL must not come back as a different album
            album_id = self._next_id
            self._next_id += 1
            if artist not in self._artist_ids:
                self._artist_ids[artist] = len(self._artist_ids) + 1
                self._artist_genres[artist] = genre
            slug = data.slugify(f"{artist} {title}")
            if any(a.slug == slug for a in self._albums.values()):
                slug = f"{slug}-{album_id}"
            if tracks is None:
                tracks = data.make_tracks(f"{self.shop}:{artist}:{title}", self.rules.lang)
            self._albums[album_id] = Album(album_id, artist, title, year, genre, tuple(tracks), slug, **flags)
            return album_id

    # ---- mutation (between crawls) -------------------------------------------------------------

    def add_album(
        self,
        artist: str,
        title: str,
        year: int,
        genre: str | None = None,
        tracks: list[tuple[str, int]] | None = None,
        **flags: bool,
    ) -> int:
        """Add an album (new artists are created on the fly); returns its id."""
        return self._insert(artist, title, year, genre, tuple(tracks) if tracks else None, **flags)

    def remove_album(self, album_id: int) -> None:
        """Withdraw an album: its page then answers 404 and listings no longer show it."""
        with self._lock:
            if self._albums.pop(album_id, None) is None:
                raise KeyError(album_id)

    def set_price_factor(self, album_id: int, factor: Decimal | str | float) -> None:
        """Multiply every format's price of one album (1 = seed price); e.g. "1.5" for a 50% rise."""
        value = Decimal(str(factor))
        if value <= 0:
            raise ValueError("price factor must be positive")
        with self._lock:
            self._albums[album_id] = replace(self._albums[album_id], price_factor=value)

    # ---- reads ---------------------------------------------------------------------------------

    def albums(self) -> list[Album]:
        with self._lock:
            return sorted(self._albums.values(), key=lambda a: a.id)

    def album(self, album_id: int) -> Album | None:
        with self._lock:
            return self._albums.get(album_id)

    def album_by_slug(self, slug: str) -> Album | None:
        with self._lock:
            return next((a for a in self._albums.values() if a.slug == slug), None)

    def artists(self) -> list[Artist]:
        """Artists that still have at least one album, in id order."""
        with self._lock:
            present = {a.artist for a in self._albums.values()}
            return [
                Artist(i, name, data.slugify(name), self._artist_genres[name])
                for name, i in sorted(self._artist_ids.items(), key=lambda kv: kv[1])
                if name in present
            ]

    def artist_of(self, album: Album) -> Artist:
        with self._lock:
            name = album.artist
            return Artist(self._artist_ids[name], name, data.slugify(name), self._artist_genres[name])

    def genre_name(self, genre: str) -> str:
        return self.rules.genres[genre]

    def url_path(self, album: Album) -> str:
        return f"/release/{album.id}" if self.shop == "allofmp3" else f"/albums/{album.slug}.html"

    def offers(self, album: Album) -> list[Offer]:
        """The priced formats of an album, in page order, with their printed price text."""
        result = []
        for fmt in self.rules.formats:
            size_mb = Fraction(album.seconds * fmt.kbps * 1000, 8 * 1048576)
            if album.rouble:
                amount = round_cents(size_mb * Fraction(RUB_PER_MB) * Fraction(album.price_factor))
                price, currency = f"{amount:.2f}".replace(".", ",") + " руб.", "RUB"
            else:
                amount = round_cents(size_mb * Fraction(self.rules.per_mb) * Fraction(album.price_factor))
                currency = self.rules.currency
                price = f"${amount}" if currency == "USD" else f"€{amount}"
            result.append(
                Offer(
                    fmt.key,
                    fmt.label,
                    fmt.kbps,
                    album.seconds * fmt.kbps * 1000 // 8,
                    size_mb,
                    price,
                    amount,
                    currency,
                )
            )
        return result

    def p2p_links(self, album: Album) -> list[P2PLink]:
        """An ed2k link to the top-bitrate rip and a magnet to the middle one, for ``p2p`` albums."""
        if not album.p2p:
            return []
        offers = self.offers(album)
        top, mid = offers[-1], offers[len(offers) // 2]
        artist_year = (album.artist, album.title, str(album.year))
        ed2k_name = data.file_stem(*artist_year, f"{top.kbps}kbps") + ".zip"
        ed2k_hash = hashlib.md5(f"ed2k:{ed2k_name}".encode()).hexdigest().upper()  # MD4-sized stand-in
        mag_name = data.file_stem(*artist_year, f"{mid.kbps}kbps")
        btih = hashlib.sha1(f"btih:{mag_name}".encode()).hexdigest()
        return [
            P2PLink(
                "ed2k",
                ed2k_name,
                top.size_bytes,
                ed2k_hash,
                f"ed2k://|file|{ed2k_name}|{top.size_bytes}|{ed2k_hash}|/",
            ),
            P2PLink(
                "magnet",
                mag_name,
                mid.size_bytes,
                btih,
                f"magnet:?xt=urn:btih:{btih}&dn={mag_name}&xl={mid.size_bytes}",
            ),
        ]

    def expected_items(self) -> list[dict]:
        """Ground truth for a crawl of this catalogue as it is now: one dict per album page.

        ``fields`` holds exactly what the shipped profile extracts (for JSON-LD-only pages: what
        the schema.org fallback yields, title and artist); ``offers`` the priced rows with the raw
        price text; ``p2p`` the ed2k/magnet links on the page; ``source`` is "html" or "json-ld".
        """
        items = []
        for album in self.albums():
            fields = {"title": album.title, "artist": album.artist}
            if not album.jsonld_only:
                fields["year"] = str(album.year)
                if self.shop == "allofmp3":
                    fields["genre"] = self.genre_name(album.genre)
            offers = [
                {
                    "format": o.format,
                    "price": jsonld_price(o) if album.jsonld_only else o.price,
                    "amount": str(o.amount),
                    "currency": o.currency,
                }
                for o in self.offers(album)
            ]
            p2p = [
                {"scheme": p.scheme, "name": p.name, "size": str(p.size), "hash": p.hash, "link": p.link}
                for p in self.p2p_links(album)
            ]
            items.append(
                {
                    "kind": "product",
                    "url_path": self.url_path(album),
                    "fields": fields,
                    "offers": offers,
                    "p2p": p2p,
                    "source": "json-ld" if album.jsonld_only else "html",
                }
            )
        return items


def jsonld_price(offer: Offer) -> str:
    """The schema.org ``price`` value: a plain decimal string, no symbol."""
    return str(offer.amount)


def expected_items(shop: str) -> list[dict]:
    """Ground truth of a freshly started demo shop (see :meth:`DemoCatalog.expected_items`)."""
    return DemoCatalog(shop).expected_items()
