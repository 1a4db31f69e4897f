"""Local test servers. ``hostile_server_fixture`` is a plain generator so conftest can register it
under any name/scope, e.g. ``hostile_server = pytest.fixture(hostile_server_fixture, name=...)``;
``hostile_server`` (function scope) and ``hostile_server_module`` are ready-made fixtures."""

from collections.abc import Iterator

import pytest

from tests.servers.hostile import HostileServer, gzip_bomb_bytes

__all__ = [
    "HostileServer",
    "gzip_bomb_bytes",
    "hostile_server",
    "hostile_server_fixture",
    "hostile_server_module",
]


def hostile_server_fixture() -> Iterator[HostileServer]:
    """Start a fresh HostileServer and stop it (fast, even with stalled clients) afterwards."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    yield from hostile_server_fixture()


@pytest.fixture(scope="module")
def hostile_server_module() -> Iterator[HostileServer]:
    yield from hostile_server_fixture()
