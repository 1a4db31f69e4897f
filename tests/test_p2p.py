from parsel import Selector

from evidence_crawler.p2p import link_kind, p2p_links, parse_ed2k, parse_magnet


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
    assert [f.get("name") or f["host"] for f in found] == ["a.mp3", "1.2.3.4"]


def test_ed2k_server_and_server_list_links_are_p2p_server_items():
    server = parse_ed2k("ed2k://|server|176.103.48.36|4184|/")
    assert server == {"scheme": "ed2k", "type": "server", "host": "176.103.48.36", "port": 4184,
                      "link": "ed2k://|server|176.103.48.36|4184|/"}
    listing = parse_ed2k("ed2k://|serverlist|http://shop.example/server.met|/")
    assert listing["type"] == "serverlist" and listing["list_url"] == "http://shop.example/server.met"
    assert link_kind(server) == link_kind(listing) == "p2p_server"
    assert parse_ed2k("ed2k://|server|1.2.3.4|notaport|/") is None
    assert parse_ed2k("ed2k://|serverlist|javascript:alert(1)|/") is None


def test_dc_hub_links_on_a_page_become_surveyable_p2p_server_items():
    html = ('<a href="dchub://Hub.Example:4111">hub</a><a href="adcs://hub.example:5000">tls</a>'
            '<a href="adc://">broken</a><a href="ed2k://|file|a.mp3|10|00112233445566778899aabbccddeeff|/">f</a>'
            '<a href="ed2k://|server|1.2.3.4|4661|/">server</a>')
    found = p2p_links(Selector(text=html))
    assert [(f.get("hub_url") or f.get("host") or f["name"], link_kind(f)) for f in found] == [
        ("dchub://hub.example:4111", "p2p_server"), ("adcs://hub.example:5000", "p2p_server"),
        ("a.mp3", "p2p"), ("1.2.3.4", "p2p_server")]
    assert found[1]["protocol"] == "adc"
