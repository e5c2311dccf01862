"""Helpers for the daemon's tests: a daemon on ephemeral loopback ports, protocol clients, fault injection.

Nothing here imitates the code under test: the daemon is the real one (real aiosmtpd listeners,
real writer, real SQLite store); :class:`FaultyStore` wraps the real store and makes it raise
StoreError on demand, the way a full disk or an I/O error would.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bounced.config import Config, from_dict, is_url
from bounced.daemon import Daemon
from bounced.notify import Notifier
from bounced.store import StoreError

ROOT = Path(__file__).resolve().parent.parent
BOUNCE_DOMAIN = "bounce.example"


def store_opener() -> Callable[[Config], Any]:
    """Opens the real store, as the daemon does."""
    from bounced.store import Store

    return lambda cfg: Store.open(cfg.store.location, cfg)


def bounced_bin() -> str:
    """The installed `bounced` command of this environment."""
    return str(Path(sys.executable).with_name("bounced"))


def serve_cmd(*args: str) -> list[str]:
    """argv for the real `bounced ...` in a subprocess."""
    return [bounced_bin(), *args]


def config_dict(db: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """A test config as TOML-shaped data: ephemeral ports, one SMTP and one LMTP listener."""
    data: dict[str, Any] = {
        "server": {"listeners": [{"host": "127.0.0.1", "port": 0}, {"host": "127.0.0.1", "port": 0, "lmtp": True}],
                   "hostname": "bounced.test"},
        "bounce": {"local_parts": ["bounces"], "domains": [BOUNCE_DOMAIN]},
        "store": {"url": db} if is_url(str(db)) else {"path": str(db)},
        "metrics": {"host": "127.0.0.1", "port": 0},
        "log": {"format": "json"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def make_config(db: Path, **sections: dict[str, Any]) -> Config:
    return from_dict(config_dict(db, **sections), "<test>")


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    from bounced.tomlout import dumps

    path.write_text(dumps(data) + "\n", encoding="utf-8")
    return path


class ListLog:
    """A structlog-shaped logger that keeps (level, event, fields) for assertions."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def _add(self, level: str, event: str, **kw: Any) -> None:
        with self._lock:
            self.records.append((level, event, kw))

    def debug(self, event: str, **kw: Any) -> None: self._add("debug", event, **kw)
    def info(self, event: str, **kw: Any) -> None: self._add("info", event, **kw)
    def warning(self, event: str, **kw: Any) -> None: self._add("warning", event, **kw)
    def error(self, event: str, **kw: Any) -> None: self._add("error", event, **kw)
    def exception(self, event: str, **kw: Any) -> None: self._add("error", event, **kw)

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [kw for _, ev, kw in self.records if ev == name]


class StoreWrapper:
    """The REAL store with one method replaced by a subclass; everything else goes to ``inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class GatedStore(StoreWrapper):
    """Each commit waits for ``gate``: a writer busy in a long commit, messages piling up before it."""

    def __init__(self, inner: Any, gate: threading.Event) -> None:
        super().__init__(inner)
        self.gate = gate
        self.entered = threading.Event()

    def ingest_many(self, items: Sequence[Any]) -> list[Any]:
        self.entered.set()
        self.gate.wait(60)
        return self.inner.ingest_many(items)


class FaultyStore(StoreWrapper):
    """Wraps the REAL store; while ``broken`` is set, writes raise StoreError as a failing disk would."""

    def __init__(self, inner: Any, switch: threading.Event) -> None:
        super().__init__(inner)
        self.switch = switch

    def ingest_many(self, items: Sequence[Any]) -> list[Any]:
        if self.switch.is_set():
            raise StoreError(f"{getattr(self.inner, 'path', 'bounced.db')}: disk I/O error (injected)")
        return self.inner.ingest_many(items)

    def check_writable(self) -> None:
        if self.switch.is_set():
            raise StoreError("disk I/O error (injected)")
        self.inner.check_writable()

    # check_health is the inner store's: a read, which a failing disk's writes may not stop

class DaemonThread:
    """The real Daemon on its own event loop in a thread, so tests can use blocking clients."""

    def __init__(self, cfg: Config, *, open_store: Callable[[Config], Any] | None = None,
                 config_path: str | None = None, notifier: Notifier | None = None,
                 environ: dict[str, str] | None = None) -> None:
        self.log = ListLog()
        self.daemon = Daemon(cfg, config_path=config_path, open_store=open_store or store_opener(),
                             notifier=notifier, log=self.log, environ=environ or {})
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            try:
                await self.daemon.start()
            except BaseException as exc:  # noqa: BLE001
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            await self.daemon.wait_stopped()

        asyncio.run(main())

    def start(self) -> "DaemonThread":
        self._thread.start()
        assert self._ready.wait(30), "daemon did not start"
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.daemon.request_stop()
            self._thread.join(60)
            assert not self._thread.is_alive(), "daemon did not stop"

    def call(self, coro_fn: Callable[[], Any], timeout: float = 30) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro_fn(), self.loop).result(timeout)

    def port(self, lmtp: bool = False) -> int:
        return next(p for _, p, is_lmtp in self.daemon.addresses if is_lmtp == lmtp)

    @property
    def metrics_port(self) -> int:
        assert self.daemon.metrics_address is not None
        return self.daemon.metrics_address[1]


def dsn(recipient: str = "user@remote.example", status: str = "5.1.1", code: int = 550,
        text: str = "user unknown", token: str = "") -> bytes:
    """A small RFC 3464 delivery status notification, as Postfix writes them."""
    return (
        "From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)\r\n"
        f"To: bounces+{recipient.replace('@', '=')}@{BOUNCE_DOMAIN}\r\n"
        f"Subject: Undelivered Mail Returned to Sender {token}\r\n"
        f"Message-ID: <dsn.{token or 'x'}.{time.time_ns()}@mx.sender.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.sender.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Remote-MTA: dns; mx.remote.example\r\nDiagnostic-Code: smtp; {code} {status} {text}\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: news@sender.example\r\nTo: {recipient}\r\nSubject: hello\r\nMessage-ID: <orig.{token}@sender.example>\r\n"
        "\r\n--B--\r\n"
    ).encode()


def stored_sha256s(db: Path | str) -> list[str]:
    """The sha256 of every stored message, straight from the database file (or server)."""
    if is_url(str(db)):
        import psycopg

        with psycopg.connect(str(db)) as pg:
            return [r[0] for r in pg.execute("SELECT sha256 FROM messages")]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT sha256 FROM messages")]
    finally:
        con.close()


class LineClient:
    """A plain-socket SMTP/LMTP client that reads every reply line, so per-recipient LMTP replies show."""

    def __init__(self, port: int, timeout: float = 20) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def line(self) -> str:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; pending {self.buf!r}")
            self.buf += chunk
        ln, _, self.buf = self.buf.partition(b"\r\n")
        return ln.decode()

    def reply(self) -> tuple[int, list[str]]:
        """One (possibly multi-line) reply."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return int(lines[0][:3]), lines

    def cmd(self, text: str) -> tuple[int, list[str]]:
        self.send(text)
        return self.reply()

    def cmd_bytes(self, line: bytes) -> tuple[int, list[str]]:
        """A command as raw bytes (not necessarily UTF-8)."""
        self.send(line + b"\r\n")
        return self.reply()

    def send(self, text: str | bytes) -> None:
        self.sock.sendall(text if isinstance(text, bytes) else text.encode() + b"\r\n")

    def data(self, raw: bytes) -> None:
        body = b"\r\n".join(b"." + ln if ln.startswith(b".") else ln for ln in raw.split(b"\r\n"))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.sock.sendall(body + b".\r\n")

    def close(self) -> None:
        self.sock.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class ServeProcess:
    """`bounced serve` in a subprocess; reads its JSON log lines from stdout."""

    def __init__(self, config_path: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, **(env or {})}
        self.proc = subprocess.Popen(serve_cmd("serve", "--config", str(config_path)), cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.lines: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                rec = json.loads(raw)
            except ValueError:
                rec = {"event": "<non-json>", "text": raw.decode(errors="replace")}
            with self._lock:
                self.lines.append(rec)

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.lines if r.get("event") == name]

    def wait_event(self, name: str, timeout: float = 30, count: int = 1) -> list[dict[str, Any]]:
        def check() -> Any:
            if self.proc.poll() is not None and len(self.events(name)) < count:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"bounced exited with {self.proc.returncode} before {name!r}: {err}")
            found = self.events(name)
            return found if len(found) >= count else None

        return wait_for(check, timeout, f"log event {name!r}")

    def ports(self) -> dict[str, int]:
        return {r["protocol"]: r["port"] for r in self.wait_event("listening", count=2)}

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def replace_server(cfg: Config, **kw: Any) -> Config:
    return dataclasses.replace(cfg, server=dataclasses.replace(cfg.server, **kw))




def big_report(recipients: int, head: bytes = b"From: MAILER-DAEMON@mx.example\r\nTo: bounces@localhost\r\n"
               b"Subject: Undelivered Mail Returned to Sender\r\n") -> bytes:
    """An RFC 3464 report for ``recipients`` recipients (1,000 take about 50 ms of CPU to parse)."""
    blocks = "".join(f"Final-Recipient: rfc822; user{i}@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                     f"Diagnostic-Code: smtp; 550 5.1.1 <user{i}@remote.example>: Recipient address rejected\r\n\r\n"
                     for i in range(recipients))
    return (head + b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
            b"boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n--B\r\n"
            b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
            + blocks.encode() + b"--B--\r\n")


def stored_sources(db: str | os.PathLike[str]) -> list[str | None]:
    """Each stored message's source address (XFORWARD's ADDR, else the SMTP peer), in arrival order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT source_addr FROM messages ORDER BY id")]
    finally:
        con.close()
