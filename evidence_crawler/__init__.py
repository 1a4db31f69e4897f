"""evidence-crawler: court-grade captures of storefronts (raw WARC bytes, sha256 + blake3, custody)."""

__version__ = "0.1.0"
