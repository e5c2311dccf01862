"""Shared fixtures for the daemon's tests: real daemons on ephemeral loopback ports."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_helpers import DaemonThread, make_config


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
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
