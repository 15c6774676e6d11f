"""Fixtures of the deployment tests: a private PostgreSQL server on loopback."""

from __future__ import annotations

import pytest

from tests.deploy.postgres import PostgresServer, find_bindir, start_server, stop_server


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    if find_bindir() is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: `apt-get install postgresql` "
            "(Debian, /usr/lib/postgresql/<version>/bin); CI installs them"
        )
    server = start_server()  # any other problem is an error, not a skip
    try:
        yield server
    finally:
        stop_server(server)
