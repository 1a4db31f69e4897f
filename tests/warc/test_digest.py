"""The ``sha256:<base32>`` text of WARC-Block-Digest / WARC-Payload-Digest, both ways."""

from __future__ import annotations

import hashlib

from warcio.utils import Digester

from evidence_crawler.warc.digest import sha256_of, warc_digest


def test_text_form_round_trips_and_is_what_warcio_writes():
    d = Digester("sha256")
    d.update(b"evidence")
    hexd = hashlib.sha256(b"evidence").hexdigest()
    assert warc_digest(hexd) == str(d)
    assert sha256_of(warc_digest(hexd)) == hexd


def test_hex_and_lowercase_forms_are_read_too():
    hexd = hashlib.sha256(b"x").hexdigest()
    assert sha256_of(f"sha256:{hexd.upper()}") == hexd
    assert sha256_of(warc_digest(hexd).lower()) == hexd


def test_other_algorithms_and_garbage_read_as_none():
    assert sha256_of("sha1:" + "A" * 32) is None
    assert sha256_of("sha256:not base32!") is None
    assert sha256_of("sha256:" + "A" * 8) is None  # valid base32, but not 32 bytes
    assert sha256_of(None) is None and sha256_of("") is None
