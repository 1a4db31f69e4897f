from parsel import Selector

from evidence_crawler.p2p import p2p_links, parse_ed2k, parse_magnet


def test_ed2k_link_parsed():
    link = "ed2k://|file|Kino%20-%20Gruppa%20krovi.zip|104857600|0123456789ABCDEF0123456789ABCDEF|/"
    assert parse_ed2k(link) == {"scheme": "ed2k", "name": "Kino - Gruppa krovi.zip", "size": 104857600,
                                "hash": "0123456789abcdef0123456789abcdef", "hash_type": "md4", "link": link}


def test_magnet_link_parsed():
    link = "magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A&dn=Zemfira+-+Vendetta&xl=73400320"
    parsed = parse_magnet(link)
    assert parsed["name"] == "Zemfira - Vendetta" and parsed["size"] == 73400320
    assert parsed["hash"] == "c12fe1c06bba254a9dc9f519b335aa7c1367a88a" and parsed["hash_type"] == "btih"


def test_links_on_a_page_are_found_once_and_junk_ignored():
    html = ('<a href="ed2k://|file|a.mp3|10|00112233445566778899aabbccddeeff|/">x</a>'
            '<a href="ed2k://|file|a.mp3|10|00112233445566778899aabbccddeeff|/">again</a>'
            '<a href="ed2k://|server|1.2.3.4|4661|/">server link</a><a href="magnet:?dn=no-hash">bad</a>'
            '<a href="/normal">n</a>')
    found = p2p_links(Selector(text=html))
    assert [f["name"] for f in found] == ["a.mp3"]
