"""Writes the labelled repertoire test set (catalogue.csv, shop.jsonl, labels.json) deterministically.

Run ``python tests/data/repertoire/make_set.py``; the files it writes are committed, so the test reads them
and a change to this script shows up as a diff of the data. Artists are real (Russian, Ukrainian,
Belarusian, French, English); titles are built from each language's words. The shop spells works the way
shops do: transliterated in ISO 9, BGN/PCGN or informally (tables written here independently of
evidence_crawler/repertoire/translit.py, so the test is not the code checking itself), accents dropped,
"The" dropped, edition and format suffixes added, "Artist - Title" in one field, typos, codes only.
Decoys: the same title by another artist, the same artist with a near title, a title that is a part of
another (or contains it). Each item is labelled with the catalogue row it is, or null.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import unicodedata
from pathlib import Path

from stdnum import ean

HERE = Path(__file__).parent
RU = ["Земфира", "Би-2", "Сплин", "Кино", "Ария", "Алиса", "Ночные Снайперы", "Мумий Тролль", "Агата Кристи", "ДДТ",
      "Аквариум", "Машина Времени", "Чайф", "Ленинград", "Алла Пугачёва", "Валерий Меладзе", "Григорий Лепс", "Ёлка",
      "Жанна Агузарова", "Король и Шут", "Пикник", "Наутилус Помпилиус", "Звери", "Любэ", "Чиж и Ко", "Дельфин",
      "Чайковский Оркестр", "Щербаков Михаил", "Юрий Антонов", "Цой и Друзья"]
UA = ["Океан Ельзи", "Бумбокс", "Тіна Кароль", "Скрябін", "Гайдамаки", "Друга Ріка", "ДахаБраха", "Джамала"]
BY = ["Ляпис Трубецкой", "Стары Ольса", "Палац", "Нейро Дюбель"]
FR = ["Mylène Farmer", "Édith Piaf", "Françoise Hardy", "Serge Gainsbourg", "Jacques Brel", "Céline Dion", "Zaz",
      "Stromae", "Indochine", "Étienne Daho", "Noir Désir", "Angèle", "Christophe Maé", "Hélène Ségara", "Renaud",
      "Téléphone"]
EN = ["The Beatles", "The Rolling Stones", "The Cure", "The Prodigy", "Depeche Mode", "Queen", "Radiohead"]
OUTSIDERS = ["Лолита", "Валерия", "Руки Вверх", "Patricia Kaas", "Alizée", "Vitas", "Tokio Hotel", "Metallica",
             "Marilyn Manson", "Ruslana"]
WORDS = {
    "ru": ["Прогулка", "Вендетта", "Небо", "Луна", "Зима", "Дорога", "Ветер", "Город", "Ночь", "Свет", "Огонь", "Море",
           "Солнце", "Любовь", "Время", "Тишина", "Звезда", "Весна", "Осень", "Река", "Берег", "Сердце", "Дождь",
           "Ёжик", "Песня", "Жизнь", "Чудо", "Щит", "Юность", "Память"],
    "ru_adj": ["Белая", "Тихая", "Последняя", "Новая", "Чёрная", "Вечная", "Далёкая", "Живая", "Ясная", "Хрупкая"],
    "ua": ["Вітер", "Небо", "Мрія", "Зірка", "Пісня", "Осінь", "Ріка", "Серце", "Їжак", "Євшан", "Гори", "Хата",
           "Щастя", "Юність", "Світло", "Дорога"],
    "ua_adj": ["Біла", "Тиха", "Остання", "Нова", "Вічна", "Жива", "Ясна"],
    "by": ["Вецер", "Неба", "Зорка", "Песня", "Восень", "Рака", "Сэрца", "Шчасце", "Святло", "Дарога", "Ўспамін"],
    "by_adj": ["Белая", "Ціхая", "Апошняя", "Новая", "Вечная", "Жывая"],
    "fr": ["Désenchantée", "Rêve", "Éternité", "Été", "Cœur", "Lumière", "Nuit", "Chanson", "Mémoire", "Fenêtre",
           "Forêt", "Sœur", "Âme", "Île", "Garçon", "Noël", "Château", "Liberté", "Aimer", "Fleur"],
    "fr_adj": ["Éternel", "Dernière", "Première", "Belle", "Étrange", "Légère", "Noire"],
    "en": ["Road", "Heart", "Light", "Night", "Fire", "River", "Dream", "Story", "Garden", "Window", "Winter",
           "Echo", "Machine", "Silence", "Kingdom", "Mirror"],
    "en_adj": ["Blue", "Silent", "Electric", "Broken", "Golden", "Last", "Strange"],
}
ISO9 = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
                "a b v g d e ë ž z i j k l m n o p r s t u f h c č š ŝ ʺ y ʹ è û â ì ï ê g ŭ".split(), strict=True))
BGN = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
               "a b v g d e ë zh z i y k l m n o p r s t u f kh ts ch sh shch ” y ’ e yu ya i yi ye g w".split(),
               strict=True))
INFORMAL = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
                    "a b v g d e e zh z i i k l m n o p r s t u f h c ch sh sch _ y _ e ju ja i i e g u".split(),
                    strict=True))
UA_NATIONAL = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
                       "a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ iu ia".split(),
                       strict=True))
SUFFIXES = [" (2006 Remaster)", " [FLAC]", " (Deluxe Edition)", " - Remastered 2011", " (2CD)", " [320 kbps]",
            " (Ремастеринг 2015)", " (переиздание)", " (Édition Deluxe)", " (Vinyl)", " (2001)"]


def romanise(text: str, table: dict[str, str], r: random.Random) -> str:
    out = []
    for i, ch in enumerate(text):
        low = ch.lower()
        if low not in table:
            out.append(ch)
            continue
        lat = table[low].replace("_", "")
        if table is BGN and low == "е" and (i == 0 or text[i - 1].lower() in "аеёиоуыэюя ьъ"):
            lat = "ye"
        if table is INFORMAL and low == "й" and i + 1 < len(text) and not text[i + 1].isalpha():
            lat = r.choice(["y", "i"])
        if table is INFORMAL and low in "юя" and r.random() < 0.5:
            lat = "y" + lat[1]
        out.append(lat.capitalize() if ch.isupper() and lat else lat)
    text = "".join(out)
    return re.sub(r"i[iy]\b", "y", text) if table is INFORMAL else text  # "Горький" → "Gorky"


def strip_accents(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "Oe")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def lang_of(artist: str) -> str:
    return "ru" if artist in RU else "ua" if artist in UA else "by" if artist in BY else \
        "fr" if artist in FR else "en"


def titles_for(artist: str, r: random.Random, n: int) -> list[str]:
    lang = lang_of(artist)
    words, adjs = WORDS[lang], WORDS[lang + "_adj"]
    out: list[str] = []
    while len(out) < n:
        shape = r.random()
        w = r.choice(words)
        t = w if shape < 0.3 else f"{r.choice(adjs)} {w.lower()}" if shape < 0.7 else \
            f"{w} и {r.choice(words).lower()}" if lang == "ru" else f"{w} {r.choice(words).lower()}"
        if t not in out:
            out.append(t)
    return out


def gtin(r: random.Random) -> str:
    body = "".join(r.choice("0123456789") for _ in range(11))
    return body + ean.calc_check_digit(body)


def shop_spelling(artist: str, title: str, r: random.Random) -> tuple[str | None, str, str]:
    """(artist field, title field, what was done)."""
    lang, how = lang_of(artist), []
    a, t = artist, title
    if lang in ("ru", "ua", "by") and r.random() < 0.55:
        table = r.choice([ISO9, BGN, INFORMAL] + ([UA_NATIONAL] if lang == "ua" else []))
        name = {id(ISO9): "iso9", id(BGN): "bgn", id(INFORMAL): "informal", id(UA_NATIONAL): "ua-national"}
        a = romanise(a, table, r)
        how.append("artist:" + name[id(table)])
        if r.random() < 0.5:
            t = romanise(t, table, r)
            how.append("title:" + name[id(table)])
    if "ё" in (a + t).lower() and r.random() < 0.7:
        a, t = a.replace("ё", "е").replace("Ё", "Е"), t.replace("ё", "е").replace("Ё", "Е")
        how.append("yo-e")
    if lang == "fr" and r.random() < 0.6:
        a, t = strip_accents(a), strip_accents(t)
        how.append("no-accents")
    if a.startswith("The ") and r.random() < 0.6:
        a = a[4:] if r.random() < 0.7 else a[4:] + ", The"
        how.append("the")
    roll = r.random()
    if roll < 0.35:
        t += r.choice(SUFFIXES)
        how.append("suffix")
    elif roll < 0.45:
        t, a = t.upper(), a.upper()
        how.append("upper")
    elif roll < 0.52:
        if r.random() < 0.5:
            a += r.choice([" feat. Zaz", " ft. Garou", " featuring Seal"])
        else:
            t += r.choice([" (feat. Zaz)", " (ft. Garou)"])
        how.append("feat")
    elif roll < 0.56 and len(t) >= 14:
        i = r.randrange(2, len(t) - 2)
        t = t[:i] + t[i + 1:]
        how.append("typo")
    if r.random() < 0.08:
        return None, f"{a} - {t}", "+".join(how + ["one-field"])
    return a, t, "+".join(how) or "as-is"


def main() -> None:
    r = random.Random(13)
    works: list[dict] = []
    for artist in RU + UA + BY + FR + EN:
        titles = titles_for(artist, r, r.randint(5, 7))
        if r.random() < 0.35:  # a title that is part of another title of the same artist
            longer = f"{titles[0]} {r.choice(WORDS[lang_of(artist)]).lower()}"
            if longer not in titles:
                titles.append(longer)
        for title in titles:
            currency = "RUB" if lang_of(artist) in ("ru", "by") else "UAH" if lang_of(artist) == "ua" else "EUR"
            price = f"{r.randint(3, 15)},{r.choice(['99', '49', '00'])}" if currency == "EUR" else \
                f"{r.randint(2, 9)}{r.choice(['49', '99'])},00"
            upc = gtin(r) if r.random() < 0.5 else ""
            works.append({"artist": artist, "title": title, "kind": "album", "upc": upc,
                          "label": r.choice(["Мистерия звука", "Universal", "Polydor", "Moon Records", "Sony"]),
                          "year": str(r.randint(1985, 2022)),
                          "rights_holder": "Société des auteurs" if lang_of(artist) in ("fr", "en") else "РАО",
                          "ref_price": price, "ref_currency": currency, "ref_store": "legit.example",
                          "catalogue_no": f"CAT-{len(works) + 1:04d}"})
    for i, w in enumerate(works):
        w["row"] = i + 2
    items, labels = [], {}

    def add(artist: str | None, title: str, row: int | None, label: str, upc: str | None = None) -> None:
        n = len(items) + 1
        url = f"http://127.0.0.1:8765/release/{n}"
        fields = {"title": title, "format": r.choice(["MP3 320", "FLAC", "CD"])}
        if artist is not None:
            fields["artist"] = artist
        if upc:
            fields["ean"] = upc
        cur = r.choice(["USD", "RUB", "EUR"])
        amount = f"{r.randint(1, 3)}.{r.choice(['49', '99'])}" if cur != "RUB" else f"{r.randint(30, 150)}.00"
        items.append({"kind": "product", "url": url, "key": url, "fields": fields,
                      "offers": [{"format": fields["format"], "price": f"{amount} {cur}", "amount": amount,
                                  "currency": cur}],
                      "page_sha256": hashlib.sha256(url.encode()).hexdigest()})
        labels[url] = {"row": row, "how": label}

    for w in works:
        if r.random() < 0.12:
            continue  # the shop does not sell every work
        for _ in range(2 if r.random() < 0.15 else 1):
            if w["upc"] and r.random() < 0.08:
                add(w["artist"], f"{w['title'][:3]}... (bonus)", w["row"], "code-only", "0" + w["upc"])
                continue
            a, t, how = shop_spelling(w["artist"], w["title"], r)
            add(a, t, w["row"], how)
    by_artist: dict[str, set[str]] = {}
    for w in works:
        by_artist.setdefault(w["artist"], set()).add(w["title"].casefold().replace("ё", "е"))
    decoys = 0
    while decoys < 75:
        w = r.choice(works)
        kind = ("other-artist", "near-title", "substring")[decoys % 3]
        if kind == "other-artist":
            artist = r.choice([x for x in RU + UA + BY + FR + EN + OUTSIDERS if x != w["artist"]])
            title = w["title"]
        elif kind == "near-title":
            artist, t = w["artist"], w["title"]
            title = t[:-1] + ("и" if t[-1] == "а" else "а" if t[-1] in "иыя" else "s" if t[-1].isascii() else "ы")
        else:
            artist = w["artist"]
            words = w["title"].split()
            title = " ".join(words[:-1]) if len(words) > 1 else f"{w['title']} {r.choice(['II', 'Live', 'Tour'])}"
        if title.casefold().replace("ё", "е") in by_artist.get(artist, set()):
            continue
        a, t, how = shop_spelling(artist, title, r)
        if "typo" in how or "one-field" in how:
            continue
        add(a, t, None, "decoy:" + kind)
        decoys += 1
    for artist in OUTSIDERS:
        for title in titles_for(r.choice(RU + FR + EN), r, 3):
            add(artist, title, None, "not-in-catalogue")
    order = list(range(len(items)))
    r.shuffle(order)
    with (HERE / "catalogue.csv").open("w", encoding="utf-8-sig", newline="") as f:
        cols = ["Artist", "Title", "Kind", "UPC", "Label", "Year", "Rights_Holder", "Ref_Price", "Ref_Currency",
                "Ref_Store", "Catalogue_No"]
        out = csv.writer(f, delimiter=";")
        out.writerow(cols)
        for w in works:
            out.writerow([w[c.lower()] for c in cols])
    with (HERE / "shop.jsonl").open("w", encoding="utf-8") as f:
        for i in order:
            f.write(json.dumps(items[i], ensure_ascii=False, sort_keys=True) + "\n")
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                      encoding="utf-8")
    print(f"{len(works)} works, {len(items)} items, {decoys} decoys")


if __name__ == "__main__":
    main()
