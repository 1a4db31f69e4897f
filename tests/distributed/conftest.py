"""Distributed crawling: a real redis-server per module; the books corpus served locally (skips if absent)."""

from __future__ import annotations

import pytest

from tests.servers.redisd import redis_server
from tests.servers.static import books_site_fixture


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    yield from redis_server(tmp_path_factory.mktemp("redis"))


books_site = pytest.fixture(books_site_fixture, scope="module", name="books_site")
