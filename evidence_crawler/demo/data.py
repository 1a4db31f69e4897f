"""Seed data for the demo shops: literal artist/album tables plus deterministic track lists.

Everything is a literal or derived from a string-seeded ``random.Random`` (string seeds are hashed
with SHA-512, so they do not depend on ``PYTHONHASHSEED``): two runs, two machines, same shop.
"""

from __future__ import annotations

import random
import re
import unicodedata

# (artist, genre slug, [(album title, year), ...]); order fixes album ids (1, 2, ...) and artist ids.
# fmt: off
ALLOFMP3_ARTISTS: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("Кино", "russian-rock", [
        ("45", 1982), ("Начальник Камчатки", 1984), ("Ночь", 1986), ("Группа крови", 1988),
        ("Звезда по имени Солнце", 1989), ("Чёрный альбом", 1990),
    ]),
    ("Земфира", "rock", [
        ("Земфира", 1999), ("Прости меня моя любовь", 2000), ("14 недель тишины", 2002), ("Вендетта", 2005),
    ]),
    ("Аквариум", "russian-rock", [
        ("Табу", 1982), ("Радио Африка", 1983), ("День серебра", 1984), ("Равноденствие", 1987),
    ]),
    ("ДДТ", "russian-rock", [
        ("Я получил эту роль", 1988), ("Актриса Весна", 1992), ("Это всё...", 1994), ("Любовь", 1996),
    ]),
    ("Radiohead", "alternative", [
        ("Pablo Honey", 1993), ("The Bends", 1995), ("OK Computer", 1997), ("Kid A", 2000),
        ("Amnesiac", 2001),
    ]),
    ("Сплин", "russian-rock", [("Гранатовый альбом", 1998), ("Альтависта", 1999), ("Новые люди", 2004)]),
    ("Мумий Тролль", "pop-rock", [("Морская", 1997), ("Икра", 1998)]),
    ("Ленинград", "ska-punk", [("Пуля", 1999), ("Дачники", 2000)]),
    ("Metallica", "metal", [
        ("Master of Puppets", 1986), ("...And Justice for All", 1988), ("Metallica", 1991),
    ]),
    ("Depeche Mode", "electronic", [
        ("Violator", 1990), ("Songs of Faith and Devotion", 1993), ("Ultra", 1997),
    ]),
    ("Nirvana", "grunge", [("Nevermind", 1991), ("In Utero", 1993)]),
    ("Наутилус Помпилиус", "russian-rock", [("Разлука", 1986), ("Князь тишины", 1989)]),
]

ALLOFMP3_GENRES: dict[str, str] = {
    "russian-rock": "Русский рок", "rock": "Рок", "alternative": "Альтернатива", "pop-rock": "Поп-рок",
    "ska-punk": "Ска-панк", "metal": "Метал", "electronic": "Электроника", "grunge": "Гранж",
}

MP3SUGAR_ARTISTS: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("Björk", "electronic", [("Debut", 1993), ("Post", 1995), ("Homogenic", 1997), ("Vespertine", 2001)]),
    ("Sigur Rós", "post-rock", [("Ágætis byrjun", 1999), ("Takk...", 2005)]),
    ("Coldplay", "rock", [("Parachutes", 2000), ("A Rush of Blood to the Head", 2002), ("X&Y", 2005)]),
    ("Muse", "rock", [("Showbiz", 1999), ("Origin of Symmetry", 2001), ("Absolution", 2003)]),
    ("The White Stripes", "rock", [("White Blood Cells", 2001), ("Elephant", 2003)]),
    ("Franz Ferdinand", "rock", [("Franz Ferdinand", 2004), ("You Could Have It So Much Better", 2005)]),
    ("Daft Punk", "electronic", [("Homework", 1997), ("Discovery", 2001), ("Human After All", 2005)]),
    ("Moby", "electronic", [("Play", 1999), ("18", 2002)]),
    ("Motörhead", "metal", [("Overkill", 1979), ("Ace of Spades", 1980)]),
    ("Simon & Garfunkel", "folk", [("Bookends", 1968), ("Bridge over Troubled Water", 1970)]),
    ("Queen", "rock", [("A Night at the Opera", 1975), ("News of the World", 1977)]),
    ("t.A.T.u.", "pop", [("200 km/h in the Wrong Lane", 2002)]),
]

MP3SUGAR_GENRES: dict[str, str] = {
    "electronic": "Electronic", "post-rock": "Post-Rock", "rock": "Rock", "metal": "Metal", "folk": "Folk",
    "pop": "Pop",
}

_WORDS_RU = [
    "Звезда", "Дорога", "Ветер", "Город", "Ночь", "Осень", "Река", "Небо", "Песня", "Последний герой",
    "Дождь", "Свет", "Время", "Весна", "Кукушка", "Море", "Зима", "Танец", "Утро", "Мама", "Электричка",
]
_WORDS_EN = [
    "Airbag", "Lucky", "Starlight", "Hyperballad", "Clocks", "Yellow", "Trouble", "Jolene", "Hunter",
    "Aerodynamic", "Porcelain", "Natural Blues", "Bohemian", "Seven Nation", "Sunday", "Glósóli",
    "Take Me Out", "Shiver", "Hysteria", "Bliss", "Overkill",
]

_CYR = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))
_LATIN_EXTRA = {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ß": "ss"}
# fmt: on


def make_tracks(seed: str, lang: str) -> tuple[tuple[str, int], ...]:
    """8-13 (title, seconds) pairs, 2:30-7:00 each, fixed by ``seed``."""
    rng = random.Random(seed)
    words = _WORDS_RU if lang == "ru" else _WORDS_EN
    count = rng.randint(8, 13)
    return tuple((title, rng.randint(150, 420)) for title in rng.sample(words, count))


def translit(text: str) -> str:
    """ASCII rendering of Cyrillic/Latin text (ГОСТ-ish, lossy) for file names and URL slugs."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _CYR:
            t = _CYR[low]
            out.append(t.capitalize() if ch != low else t)
        elif ch in _LATIN_EXTRA:
            out.append(_LATIN_EXTRA[ch])
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii"))
    return "".join(out)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-', e.g. 'Sigur Rós' -> 'sigur-ros', 'X&Y' -> 'x-y'."""
    return re.sub(r"[^a-z0-9]+", "-", translit(text).lower()).strip("-") or "untitled"


def file_stem(*parts: str) -> str:
    """P2P release names as the warez scene wrote them: 'Kino-Gruppa_krovi-1988'."""
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "_", translit(p)).strip("_") for p in parts)
