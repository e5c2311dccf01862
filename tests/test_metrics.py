"""Metrics and health over HTTP, from a real daemon's separate listener."""
from __future__ import annotations

import asyncio
import collections
import logging
import smtplib
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest

from bounced.metrics import HTTP_MAX_CONNECTIONS, HTTP_REQUEST_TIME, Metrics
from tests.daemon_helpers import (
    BOUNCE_DOMAIN,
    FaultyStore,
    LineClient,
    dsn,
    store_opener,
    wait_for,
)


def http(port: int, path: str, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == (f"{name}{{{want}}}" if want else name):
            return float(value)
    raise AssertionError(f"no sample {name} {labels} in metrics")


def test_registries_are_separate() -> None:
    a, b = Metrics(), Metrics()
    a.reject("timeout")
    assert b"bounced_rejects_total{cause=\"timeout\"} 1.0" in a.render()
    assert b"bounced_rejects_total{cause=\"timeout\"} 0.0" in b.render()


def test_metrics_endpoint_counts_messages_rejects_batches_connections(start_daemon) -> None:
    d = start_daemon()
    port = d.metrics_port
    raw = dsn(token="m1")
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        s.mail("<>")
        assert s.rcpt("stranger@elsewhere.example")[0] == 550
        assert s.rcpt(f"bounces@{BOUNCE_DOMAIN}")[0] == 250
        assert s.data(raw)[0] == 250
        s.mail("<>")
        s.rcpt(f"bounces@{BOUNCE_DOMAIN}")
        assert s.data(raw)[0] == 250  # duplicate
    idle = LineClient(d.port())
    idle.reply()
    wait_for(lambda: sample(http(port, "/metrics")[1], "bounced_active_connections") == 1, what="one connection")
    code, text = http(port, "/metrics")
    assert code == 200
    assert sample(text, "bounced_messages_total", outcome="stored") + \
        sample(text, "bounced_messages_total", outcome="parse_failed") == 1
    assert sample(text, "bounced_messages_total", outcome="duplicate") == 1
    assert sample(text, "bounced_rejects_total", cause="unknown_recipient") == 1
    assert sample(text, "bounced_store_batch_size_count") == 2
    assert sample(text, "bounced_store_commit_seconds_count") == 2
    idle.close()
    wait_for(lambda: sample(http(port, "/metrics")[1], "bounced_active_connections") == 0, what="no connection")


def test_healthz_reports_the_writers_last_commit_and_never_writes(start_daemon, db_path) -> None:
    broken = threading.Event()
    real = store_opener()
    d = start_daemon(open_store=lambda cfg: FaultyStore(real(cfg), broken))
    d.daemon.health_cache = 0.0  # every probe below is computed afresh
    code, body = http(d.metrics_port, "/healthz")
    assert code == 200 and body.startswith("ok\n"), body
    assert "last commit: never" in body and "queued: " in body and "parse workers: 1 of 1 running" in body
    # probes cost the store nothing: no other connection's commit shows in data_version
    con = sqlite3.connect(db_path)
    before = con.execute("PRAGMA data_version").fetchone()[0]
    for _ in range(50):
        assert http(d.metrics_port, "/healthz")[0] == 200
    assert con.execute("PRAGMA data_version").fetchone()[0] == before
    con.close()
    # a failing disk shows as soon as ingest fails (a probe alone cannot know, and does not pretend)
    broken.set()
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        try:
            s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="h1"))
        except smtplib.SMTPDataError as err:
            assert err.smtp_code == 451
    code, body = http(d.metrics_port, "/healthz")
    assert code == 503 and body.startswith("the last commit failed") and "injected" in body, body
    broken.clear()  # the health tick notices the store taking writes again
    wait_for(lambda: http(d.metrics_port, "/healthz")[0] == 200, 30, "healthy again")
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="h2"))
    code, body = http(d.metrics_port, "/healthz")
    assert code == 200 and ", ok; last check" in body, body
    assert len(d.log.events("store_unavailable")) == 1 and len(d.log.events("store_recovered")) == 1


def test_a_table_dropped_while_running_is_unhealthy(start_daemon, db_path) -> None:
    d = start_daemon()
    assert http(d.metrics_port, "/healthz")[0] == 200
    con = sqlite3.connect(db_path)
    con.execute("DROP TABLE activity")
    con.commit()
    con.close()
    code, body = wait_for(lambda: (r := http(d.metrics_port, "/healthz"))[0] == 503 and r, 30, "503")
    assert "missing table(s) activity" in body, body
    assert [e["cause"] for e in d.log.events("store_unhealthy")] == [body.splitlines()[0]]


def test_healthz_is_cached(start_daemon) -> None:
    d = start_daemon()
    d.daemon.health_cache = 3600.0
    first = http(d.metrics_port, "/healthz")[1]
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.sendmail("", [f"bounces@{BOUNCE_DOMAIN}"], dsn(token="c1"))
    assert http(d.metrics_port, "/healthz")[1] == first  # the same answer, not recomputed


# -- the listener's limits (item 8) ------------------------------------------------------------------

def _raw_request(port: int, data: bytes, timeout: float = 30) -> bytes:
    """What the listener answers to ``data``; a reset (the listener closing with part of an
    oversized request unread) ends the answer like a close."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
    return out


@pytest.mark.parametrize("head", [
    b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n" + b"X-H: 1\r\n" * 1000 + b"\r\n",
], ids=["200k-header-line", "200k-request-line", "1000-headers"])
def test_an_oversized_request_gets_431_and_the_listener_goes_on(start_daemon, caplog, head: bytes) -> None:
    d = start_daemon()
    out = _raw_request(d.metrics_port, head)
    assert out.startswith(b"HTTP/1.1 431 ") or out == b"", out[:100]  # answered, or cut off unanswered
    assert http(d.metrics_port, "/metrics")[0] == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text  # no asyncio traceback


def test_a_slow_header_is_cut_off(start_daemon) -> None:
    d = start_daemon()
    sock = socket.create_connection(("127.0.0.1", d.metrics_port), timeout=30)
    sock.sendall(b"GET /metrics HTTP/1.1\r\n")
    sent, answer = 0, b""
    deadline = time.monotonic() + HTTP_REQUEST_TIME + 20
    sock.settimeout(1.0)
    while time.monotonic() < deadline:  # one header line a second, for ever
        try:
            sock.sendall(b"X-Slow: %d\r\n" % sent)
            sent += 1
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        except socket.timeout:
            continue
        except OSError:
            break
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert http(d.metrics_port, "/healthz")[0] == 200


def test_connections_are_capped_and_none_is_held_for_ever(start_daemon) -> None:
    """300 clients each trickle a header line a second (which kept every one open for ever: each
    line came within the 10 s per-line timeout). Now all beyond the cap are closed unanswered at
    once, the rest get 408 when their request time is up, and none outlasts the trickle."""
    d = start_daemon()

    async def trickler() -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", d.metrics_port)
        except OSError:
            return "refused"
        try:
            writer.write(b"GET /metrics HTTP/1.1\r\n")
            for _ in range(int(HTTP_REQUEST_TIME) + 20):
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(65536), 1.0)
                except asyncio.TimeoutError:
                    continue
                return "answered" if data.startswith(b"HTTP/1.1 408") else "closed"
            return "still open"
        except (ConnectionError, OSError):
            return "closed"
        finally:
            writer.close()

    async def siege() -> list[str]:
        return await asyncio.gather(*(trickler() for _ in range(300)))

    outcomes = asyncio.run(siege())
    assert "still open" not in outcomes, collections.Counter(outcomes)
    assert outcomes.count("answered") <= HTTP_MAX_CONNECTIONS, collections.Counter(outcomes)
    assert http(d.metrics_port, "/metrics")[0] == 200
    assert not [r for r in d.log.records if r[0] == "error"], d.log.records


def test_other_paths_and_methods(start_daemon) -> None:
    d = start_daemon()
    assert http(d.metrics_port, "/")[0] == 404
    assert http(d.metrics_port, "/metrics", method="POST")[0] == 405


def test_metrics_can_be_disabled(start_daemon) -> None:
    d = start_daemon(metrics={"enabled": False})
    assert d.daemon.metrics_address is None
