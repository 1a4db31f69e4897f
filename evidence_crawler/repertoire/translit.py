"""Cyrillic and Latin brought to one Latin skeleton, so "Земфира", "Zemfira" and "Zemfíra" compare equal.

Shops spell Cyrillic names in every scheme at once: ISO 9 (Žanna, Coj), BGN/PCGN (Zhanna, Tsoy), and the
informal spellings of their own (Tsoi, Yolka for Ёлка, Gorky for Горький). Rather than guess which scheme a
shop used, both sides are written in one scheme and then folded: the digraphs the schemes disagree on
(kh/h, ts/c, shch/sch/sh, y/j/i, ye/e, yo/e) become one spelling and doubled letters one letter. The fold is
lossy on purpose and applied to both sides alike; it only decides equality and feeds the fuzzy score.

No transliteration library is installed in the project's environment (transliterate, cyrtranslit, iuliia
are not), so the tables are here; they are small. ``г`` reads g in Russian and h in Ukrainian and
Belarusian, so a Cyrillic string has two skeletons when it contains one.
"""

from __future__ import annotations

import re
import unicodedata

# Russian, Ukrainian and Belarusian letters, lower case, in the BGN/PCGN-like scheme the fold starts from.
# ё is written "yo" (folds to "e", the way Russian text writes ё as е); е is "e" (BGN's initial "ye" folds to e).
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",  # Ukrainian, Belarusian
    "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dzh", "ѓ": "g", "ќ": "k", "ѕ": "dz",
}
H_READING = {"г": "h"}  # Ukrainian and Belarusian г

# ISO 9 letters that only ISO 9 uses: with one of them the ISO 9 reading is the primary skeleton. The other
# ISO 9 letters (â ê û ë ï ì è) are also French; with them the ISO 9 reading is a second skeleton.
ISO9_MARKERS = frozenset("žčšŝŭẑǵḱʹʺ")
ISO9 = {
    "ž": "zh", "č": "ch", "š": "sh", "ŝ": "shch", "ŭ": "u", "ẑ": "dz", "ǵ": "g", "ḱ": "k", "ʹ": "", "ʺ": "",
    "û": "yu", "â": "ya", "ë": "yo", "ê": "ye", "è": "e", "ì": "i", "ï": "yi",
}
LATIN_SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}

# Applied in order to lower-case ASCII; each line merges spellings the schemes (or shops) disagree on.
FOLDS = [
    (re.compile(r"shch|shh|sch"), "sh"),
    (re.compile(r"tch"), "ch"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"ts|tz"), "c"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck|q"), "k"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"w"), "v"),
    (re.compile(r"ou"), "u"),
    (re.compile(r"[yj][eo]"), "e"),
    (re.compile(r"[yj]"), "i"),
    (re.compile(r"ie"), "e"),  # Ukrainian є as "ie" (national scheme) where BGN writes "ye"
    (re.compile(r"([a-z])\1+"), r"\1"),
]
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")


def has_cyrillic(text: str) -> bool:
    return CYRILLIC_RE.search(text) is not None


LATIN_SPECIAL_RE = re.compile("[" + "".join(LATIN_SPECIAL) + "]")
COMBINING_RE = re.compile(r"[\u0300-\u036f]")


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    text = LATIN_SPECIAL_RE.sub(lambda m: LATIN_SPECIAL[m.group()], text)
    return COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))


def fold(latin: str) -> str:
    """Lower-case Latin text to its skeleton; characters other than a-z, digits and spaces are dropped."""
    text = re.sub(r"[^a-z0-9 ]", "", _strip_marks(latin.lower()))
    for pattern, repl in FOLDS:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def _romanise(text: str, extra: dict[str, str]) -> str:
    return "".join(extra.get(ch, CYRILLIC.get(ch, ch)) for ch in text)


def skeletons(text: str) -> tuple[str, ...]:
    """Every skeleton of ``text`` (lower-cased first), primary one first; usually exactly one."""
    low = unicodedata.normalize("NFC", text.lower())
    found: list[str] = []
    if has_cyrillic(low):
        ukrainian = any(ch in low for ch in "іїєґў")
        readings = [H_READING, {}] if ukrainian else [{}, H_READING] if "г" in low else [{}]
        found = [fold(_romanise(low, extra)) for extra in readings]
    else:
        found = [fold(low)]
        if any(ch in ISO9 for ch in low):
            iso9 = fold("".join(ISO9.get(ch, ch) for ch in low))
            found.insert(0 if any(ch in ISO9_MARKERS for ch in low) else 1, iso9)
    return tuple(dict.fromkeys(found))


def skeleton(text: str) -> str:
    return skeletons(text)[0]
