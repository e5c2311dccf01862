"""Webhooks against a real local HTTP receiver and a real ``bounced web`` process: signatures verify,
every event arrives exactly once after deduplication and in order per address, across a receiver
outage and a SIGKILL of ``bounced web`` mid-delivery; failures are given up on and shown."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.config import from_dict
from bounced.ingest import prepare
from bounced.store import Store
from bounced.web.webhooks import verify
from tests.storehelp import OPEN, dsn, hours
from tests.webhelp import LiveServer

SECRET = "a-long-shared-secret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A mailer's webhook endpoint: verifies each signature, records (event id, body) as it arrives."""

    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.port, self.delay = port, delay
        self.got: list[dict] = []
        self.bad_signatures = 0
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> "Receiver":
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(SECRET, self.headers.get("Bounced-Signature", ""), body):
                    outer.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                time.sleep(outer.delay)
                outer.got.append({"event_id": self.headers["Bounced-Event-Id"], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def wait_for(cond, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def hook_config(url: str, **web) -> dict:
    """Every bounce counts (trust open, no breaker): these tests are about delivery, not about which
    bounces are genuine or how a burst of 30 hard bounces for one domain is held."""
    return {"bounce": {"trust": "open"}, "breaker": {"enabled": False}, "web": {"webhook_backoff_initial": 0.1, "webhook_backoff_max": 0.3,
                    "webhooks": [{"url": url, "secret": SECRET}], **web}}


def toml(data: dict) -> str:
    from bounced.tomlout import dumps

    return dumps(data)


def hard(rcpt: str, tag: str):
    return prepare(dsn(rcpt, tag=tag), "", (), received_at=hours(0))


class WebProcess:
    def __init__(self, conf: Path, db: Path) -> None:
        self.conf, self.db, self.port = conf, db, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WebProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "bounced", "web", "--create", "--config", str(self.conf), "--db",
                                      str(self.db), "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}/healthz", trust_env=False).status_code == 200
            except httpx.HTTPError:
                assert self.proc.poll() is None, self.proc.stderr.read().decode()
                return False

        wait_for(up, 30, "bounced web to answer /healthz")
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)
        self.proc.wait(30)


@pytest.mark.slow
def test_outage_and_sigkill_lose_nothing_and_keep_order(tmp_path: Path) -> None:
    rx = Receiver(free_port(), delay=0.02).start()
    cfg_data = hook_config(rx.url)
    conf = tmp_path / "bounced.toml"
    conf.write_text(toml(cfg_data))
    cfg = from_dict(cfg_data)
    db = tmp_path / "b.db"
    web = WebProcess(conf, db).start()
    try:
        with Store.open(db, cfg) as s:  # the daemon's writes, with the same config
            s.ingest_many([hard(f"a{i}@example.com", f"1-{i}") for i in range(10)])
        wait_for(lambda: len(rx.got) >= 10, what="the first 10 events")
        rx.stop()  # the mailer's endpoint goes down; ingest goes on
        with Store.open(db, cfg) as s:
            for i in range(5):
                s.unsuppress(f"a{i}@example.com", "fixed", by="ann")
            s.ingest_many([hard(f"a{i}@example.com", f"2-{i}") for i in range(5)])  # re-suppressed
        time.sleep(1.0)  # several failed tries with back-off
        first = rx
        rx = Receiver(rx.port, delay=0.05).start()  # a fresh receiver process on the same port
        wait_for(lambda: len(rx.got) >= 10, what="the events held during the outage")
        with Store.open(db, cfg) as s:
            s.ingest_many([hard(f"b{i}@example.com", f"3-{i}") for i in range(30)])
        wait_for(lambda: len(rx.got) >= 12, what="delivery to be under way")
        web.kill(signal.SIGKILL)  # mid-delivery
        web = WebProcess(conf, db).start()
        with Store.open(db, cfg, readonly=True) as s:
            expected = [str(c["id"]) for c in s.changes_after(0, 1000)]
        assert len(expected) == 10 + 5 + 5 + 30
        wait_for(lambda: {e["event_id"] for e in first.got + rx.got} >= set(expected), what="every event")
    finally:
        web.kill(signal.SIGTERM)
        rx.stop()
    got = first.got + rx.got
    assert first.bad_signatures == rx.bad_signatures == 0
    ids = list(dict.fromkeys(e["event_id"] for e in got))  # deduplicated by event id
    assert ids == expected  # in order (so in order per address), none missing
    per_address: dict[str, list[str]] = {}
    for e in got:
        per_address.setdefault(e["address"], []).append(e["type"])
    assert all(list(dict.fromkeys(per_address[f"a{i}@example.com"])) == ["suppressed", "lifted", "re-suppressed"]
               for i in range(5))
    status = CliRunner().invoke(main, ["webhooks", "status", "--json", "--db", str(db), "--config", str(conf)])
    row = json.loads(status.output.splitlines()[0])
    assert (row["pending"], row["failed"], row["delivered"]) == (0, 0, 50)
    assert row["last_error"]  # the outage left its trace


def test_failed_events_are_given_up_shown_and_counted(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    cfg = from_dict(hook_config(dead, webhook_retry_hours=0.0003))  # about one second of retries
    db = tmp_path / "b.db"
    srv = LiveServer(db, cfg).start()
    try:
        with Store.open(db, cfg) as s:
            s.ingest_many([hard("x@example.com", "x"), hard("y@example.com", "y")])
        wait_for(lambda: Store.open(db, cfg).webhook_status()[0]["failed"] == 2, 30, "both events to be given up")
        with srv.client(srv.token("m", "read")) as c:
            metrics = httpx.get(srv.url + "/metrics", headers=c.headers, trust_env=False).text
    finally:
        srv.stop()
    assert f'bounced_webhook_deliveries_total{{outcome="failed",url="{dead}"}} 2.0' in metrics
    assert 'outcome="retry"' in metrics
    out = CliRunner().invoke(main, ["webhooks", "status", "--db", str(db)]).output
    assert "ConnectError" in out


def test_webhooks_test_command_sends_a_signed_sample(tmp_path: Path) -> None:
    rx = Receiver(free_port()).start()
    conf = tmp_path / "bounced.toml"
    conf.write_text(toml(hook_config(rx.url)))
    try:
        r = CliRunner().invoke(main, ["webhooks", "test", rx.url, "--config", str(conf), "--db", str(tmp_path / "b.db")])
        assert r.exit_code == 0 and "answered 204" in r.output, r.output
        bad = CliRunner().invoke(main, ["webhooks", "test", rx.url, "--secret", "wrong-secret-0123456789",
                                        "--db", str(tmp_path / "b.db")])
        assert bad.exit_code == 1 and "answered 400" in bad.output
    finally:
        rx.stop()
    assert [e["event_id"] for e in rx.got] == ["test"] and rx.got[0]["test"] is True and rx.bad_signatures == 1


def test_signature_rejects_old_timestamps_and_tampering() -> None:
    from bounced.web.webhooks import sign

    body = b'{"id":"1"}'
    now = time.time()
    header = sign(SECRET, int(now), body)
    assert verify(SECRET, header, body, now=now)
    assert not verify(SECRET, header, body + b" ", now=now)
    assert not verify("another-secret-entirely", header, body, now=now)
    assert not verify(SECRET, header, body, now=now + 301)
    assert not verify(SECRET, "garbage", body, now=now)
