"""Metrics and health over HTTP, from a real daemon's separate listener."""
from __future__ import annotations

import smtplib
import threading
import urllib.error
import urllib.request

from bounced.metrics import Metrics
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


def test_healthz_follows_the_store(start_daemon) -> None:
    broken = threading.Event()
    real = store_opener()
    d = start_daemon(open_store=lambda cfg: FaultyStore(real(cfg), broken))
    assert http(d.metrics_port, "/healthz") == (200, "ok\n")
    broken.set()
    code, body = http(d.metrics_port, "/healthz")
    assert code == 503 and "injected" in body
    broken.clear()
    assert http(d.metrics_port, "/healthz")[0] == 200


def test_other_paths_and_methods(start_daemon) -> None:
    d = start_daemon()
    assert http(d.metrics_port, "/")[0] == 404
    assert http(d.metrics_port, "/metrics", method="POST")[0] == 405


def test_metrics_can_be_disabled(start_daemon) -> None:
    d = start_daemon(metrics={"enabled": False})
    assert d.daemon.metrics_address is None
