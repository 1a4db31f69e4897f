"""Artist and title as a shop and a catalogue both mean them: what differs only in spelling is made equal.

Three levels, each a match method: *exact* (Unicode NFC, whitespace collapsed), *normalised* (case,
punctuation, Latin diacritics, ё/е, a leading or trailing "The", featured artists, bracketed edition
suffixes such as "(2006 Remaster)" or "[FLAC]") and *transliterated* (the normalised text as a Latin
skeleton, see translit.py). Bracketed text that names a different recording ("(Live)", "(Acoustic)",
"(Part 2)") is kept: it is not the same work.
"""

from __future__ import annotations

import re
import unicodedata

from evidence_crawler.repertoire.translit import LATIN_SPECIAL, skeletons

EDITION_WORDS = (
    r"remaster(?:ed)?|re-?master(?:ed)?|deluxe|edition|expanded|anniversary|bonus(?: tracks?)?|version|mono|"
    r"stereo|re-?issue|digipa(?:c)?k|vinyl|lp|\d*\s?cd|flac|mp3|ape|wav|alac|aac|\d+\s?kbps|kbps|hi-?res|"
    r"\d+\s?-?bit|explicit|clean|web|ремастер\w*|ремастеринг|переиздани\w*|издани\w*|делюкс|версия|юбилейн\w*|"
    r"бонус\w*|винил|édition|remasterisé\w*|réédition"
)
EDITION_RE = re.compile(rf"(?:^|\b)(?:{EDITION_WORDS})(?:\b|$)", re.IGNORECASE)
YEAR_ONLY_RE = re.compile(r"^\s*(?:19|20)\d\d(?:\s*[-/]\s*(?:19|20)?\d\d)?\s*$")
FEAT_RE = re.compile(r"\b(?:feat|ft|featuring|при участии|с участием)\b\.?", re.IGNORECASE)
BRACKET_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}")
DASH_SUFFIX_RE = re.compile(r"\s+[-–—]\s+([^-–—]*)$")
ARTIST_JOINERS_RE = re.compile(r"[&+,/]")
JOINER_WORDS = frozenset({"and", "et", "und", "и", "i", "y", "та", "і"})  # "Король и Шут" = "Korol' i Shut"
THE_RE = re.compile(r"^the\s+|,\s*the$", re.IGNORECASE)
PUNCT_RE = re.compile(r"[^\w\s]|_")
# str.translate with a dict is slow (a Python lookup per character); these are regexes and str.replace
APOSTROPHES_RE = re.compile("['’‘`ʼ´]")
LATIN_SPECIAL_RE = re.compile("[" + "".join(LATIN_SPECIAL) + "]")
PROTECT = (("й", "\x01"), ("ї", "\x02"), ("ў", "\x03"))  # Cyrillic letters that NFKD would split in two
COMBINING_RE = re.compile(r"[\u0300-\u036f]")


def exact(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _fold_case_marks(text: str, keep_marks: bool) -> str:
    """Case-fold, drop Latin diacritics (Mylène → mylene), ё → е; other Cyrillic letters kept (й stays й).

    ``keep_marks`` keeps the Latin diacritics: the transliteration step needs them (ISO 9 writes щ as ŝ).
    """
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    if keep_marks or text.isascii():
        return text
    text = LATIN_SPECIAL_RE.sub(lambda m: LATIN_SPECIAL[m.group()], text)
    for letter, stand_in in PROTECT:
        text = text.replace(letter, stand_in)
    text = COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    for letter, stand_in in PROTECT:
        text = text.replace(stand_in, letter)
    return text


def _words(text: str) -> str:
    return " ".join(PUNCT_RE.sub(" ", APOSTROPHES_RE.sub("", text)).split())


def _is_edition_note(inner: str) -> bool:
    inner = inner.strip()
    return (not inner or YEAR_ONLY_RE.match(inner) is not None or FEAT_RE.match(inner) is not None
            or EDITION_RE.search(inner) is not None)


def normalise_title(title: str | None, keep_marks: bool = False) -> str:
    text = exact(title)
    text = BRACKET_RE.sub(lambda m: " " if _is_edition_note(next(g for g in m.groups() if g is not None))
                          else f" {next(g for g in m.groups() if g is not None)} ", text)
    suffix = DASH_SUFFIX_RE.search(text)
    if suffix and _is_edition_note(suffix.group(1)):
        text = text[:suffix.start()]
    feat = FEAT_RE.search(text)
    if feat and feat.start() > 0:
        text = text[:feat.start()]
    return _words(_fold_case_marks(text, keep_marks))


def normalise_artist(artist: str | None, keep_marks: bool = False) -> str:
    text = exact(artist)
    feat = FEAT_RE.search(text)
    if feat and feat.start() > 0:
        text = text[:feat.start()]
    text = THE_RE.sub("", BRACKET_RE.sub(" ", text).strip())
    parts = [THE_RE.sub("", p.strip()) for p in ARTIST_JOINERS_RE.split(f" {text} ")]
    words = _words(_fold_case_marks(" ".join(p for p in parts if p), keep_marks)).split()
    return " ".join(w for w in words if w not in JOINER_WORDS) or " ".join(words)


def artist_skeletons(artist: str | None) -> tuple[str, ...]:
    return skeletons(normalise_artist(artist, keep_marks=True))


def title_skeletons(title: str | None) -> tuple[str, ...]:
    return skeletons(normalise_title(title, keep_marks=True))


def split_artist_title(text: str) -> tuple[str | None, str]:
    """'Artist - Title' as one field (p2p names, title-only shops) into its parts; no dash: (None, text)."""
    parts = re.split(r"\s+[-–—]\s+", exact(text), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] and parts[1] else (None, exact(text))
