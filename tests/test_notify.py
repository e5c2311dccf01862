"""systemd notify protocol: datagrams on a socket the test owns, path and abstract namespace."""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bounced.notify import Notifier, watchdog_interval
from tests.daemon_helpers import wait_for


class NotifySocket:
    """What systemd does: a datagram socket collecting the daemon's notifications."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                continue
            except OSError:
                return

    def fields(self) -> list[str]:
        return [f for m in list(self.messages) for f in m.split("\n")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    s = NotifySocket(str(tmp_path / "notify.sock"))
    yield s
    s.close()


def test_path_socket(notify_socket: NotifySocket) -> None:
    n = Notifier.from_env({"NOTIFY_SOCKET": notify_socket.address})
    assert n.ready("serving") and n.watchdog() and n.stopping()
    wait_for(lambda: len(notify_socket.messages) == 3, what="three datagrams")
    assert notify_socket.messages == ["READY=1\nSTATUS=serving", "WATCHDOG=1", "STOPPING=1"]


def test_abstract_namespace_socket() -> None:
    s = NotifySocket(f"@bounced-test-{os.getpid()}-{id(object())}")
    try:
        assert Notifier(s.address).ready()
        wait_for(lambda: s.messages, what="a datagram")
        assert s.messages == ["READY=1"]
    finally:
        s.close()


def test_no_socket_is_a_quiet_no_op() -> None:
    n = Notifier.from_env({})
    assert not n.enabled
    assert n.ready() is False and n.stopping() is False


def test_unreachable_socket_does_not_raise(tmp_path: Path) -> None:
    assert Notifier(str(tmp_path / "nobody-listens")).ready() is False


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "30000000"}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
], ids=["unset", "usec", "our-pid", "other-pid", "zero", "garbage"])
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(env) == expected


def test_daemon_lifecycle_notifications(start_daemon, notify_socket: NotifySocket, tmp_path: Path, db_path) -> None:
    from tests.daemon_helpers import config_dict, write_toml

    conf = write_toml(tmp_path / "bounced.toml", config_dict(db_path))
    env = {"NOTIFY_SOCKET": notify_socket.address, "WATCHDOG_USEC": "100000", "WATCHDOG_PID": str(os.getpid())}
    d = start_daemon(notifier=Notifier.from_env(env), environ=env, config_path=str(conf))
    wait_for(lambda: "READY=1" in notify_socket.fields(), what="READY=1")
    wait_for(lambda: notify_socket.fields().count("WATCHDOG=1") >= 2, what="watchdog pings")
    assert d.call(d.daemon.reload)
    wait_for(lambda: "RELOADING=1" in notify_socket.fields(), what="RELOADING=1")
    d.stop()
    wait_for(lambda: "STOPPING=1" in notify_socket.fields(), what="STOPPING=1")
    fields = notify_socket.fields()
    order = [f for f in fields if f in ("READY=1", "RELOADING=1", "STOPPING=1")]
    assert order == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]
    assert any(f.startswith("MONOTONIC_USEC=") for f in fields)


def test_serve_notifies_under_a_notify_socket(tmp_path: Path, db_path, notify_socket: NotifySocket) -> None:
    import signal

    from tests.daemon_helpers import ServeProcess, config_dict, write_toml

    p = ServeProcess(write_toml(tmp_path / "bounced.toml", config_dict(db_path)),
                     env={"NOTIFY_SOCKET": notify_socket.address})
    try:
        wait_for(lambda: "READY=1" in notify_socket.fields(), what="READY=1 from bounced serve")
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "RELOADING=1" in notify_socket.fields(), what="RELOADING=1")
        p.proc.send_signal(signal.SIGTERM)
        assert p.proc.wait(30) == 0
        assert "STOPPING=1" in notify_socket.fields()
    finally:
        p.kill()
