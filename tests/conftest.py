"""Shared fixtures for the daemon's tests: real daemons on ephemeral loopback ports."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_helpers import DaemonThread, make_config


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``both_stores`` runs once on a SQLite file and once on PostgreSQL: its
    ``db_path`` is then a postgresql:// URL, which config_dict puts in store.url."""
    if metafunc.definition.get_closest_marker("both_stores") and "db_path" in metafunc.fixturenames:
        metafunc.parametrize("db_path", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def db_path(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_server").create_database()
    return tmp_path / "bounced.db"


@pytest.fixture
def start_daemon(db_path: Path) -> Iterator[Callable[..., DaemonThread]]:
    """start_daemon(**sections) -> a running DaemonThread; stopped at teardown."""
    started: list[DaemonThread] = []

    def start(open_store: Callable[..., Any] | None = None, notifier: Any = None, config_path: str | None = None,
              environ: dict[str, str] | None = None, **sections: dict[str, Any]) -> DaemonThread:
        d = DaemonThread(make_config(db_path, **sections), open_store=open_store, notifier=notifier,
                         config_path=config_path, environ=environ)
        started.append(d)
        return d.start()

    yield start
    for d in started:
        d.stop()


# ------------------------------------------------------------------ both store engines
@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One real PostgreSQL server for the whole run (Debian's package, started in a temporary
    directory); each test gets an empty namespace of its own from :func:`store_location`."""
    from tests.pgserver import PgServer, pg_bin

    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = PgServer().start()
    yield server
    server.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's store lives: a new SQLite file, or a new empty PostgreSQL namespace (URL)."""
    if request.param == "sqlite":
        return str(tmp_path / "b.db")
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def pg_location(pg_server: Any) -> str:
    """A new empty PostgreSQL namespace, for the tests that are about PostgreSQL itself."""
    return pg_server.create_database()
