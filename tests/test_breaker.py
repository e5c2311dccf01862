"""The brake on bursts: the pure reading (bounced.breaker) and normal traffic that must never trip it."""
from __future__ import annotations

import smtplib
import sqlite3
from pathlib import Path

import pytest

from bounced.breaker import read
from bounced.config import BreakerConfig
from tests.daemon_helpers import BOUNCE_DOMAIN

CFG = BreakerConfig(window_minutes=60, baseline_days=7, multiple=10.0, min_hard=20)
CORPUS = sorted((Path(__file__).parent / "data").rglob("*.eml"))


@pytest.mark.parametrize("window, baseline, tripped", [
    (20, 0, False),  # a quiet domain: min_hard is the floor
    (21, 0, True),
    (21, 168 * 3, False),  # usually 3 an hour: 30 is the threshold
    (31, 168 * 3, True),
    (400, 168 * 50, False),  # a big domain at its usual 50/h, then 8x
], ids=["quiet-at-floor", "quiet-over-floor", "busy-under-10x", "busy-over-10x", "big-8x"])
def test_reading(window, baseline, tripped):
    r = read(window, baseline, CFG)
    assert r.tripped is tripped and r.window_hard == window


def test_disabled_never_trips():
    assert not read(10_000, 0, BreakerConfig(enabled=False)).tripped


def test_replaying_the_corpus_at_full_speed_trips_nothing(start_daemon, db_path):
    """Every corpus message at once through real SMTP, default breaker settings: nothing held. (trust
    "open": the corpus carries no signatures of ours; this is about the breaker, not trust.)"""
    d = start_daemon(bounce={"trust": "open"})
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as c:
        for p in CORPUS:
            c.sendmail("<>", [f"bounces@{BOUNCE_DOMAIN}"], p.read_bytes())
    con = sqlite3.connect(db_path)
    hard = con.execute("SELECT count(DISTINCT address) FROM events WHERE kind = 'hard'").fetchone()[0]
    suppressed = con.execute("SELECT count(*) FROM suppressions WHERE active = 1 AND kind = 'hard'").fetchone()[0]
    assert len(CORPUS) > 50 and hard > 30
    assert con.execute("SELECT count(*) FROM held").fetchone()[0] == 0
    assert suppressed == hard
    assert d.log.events("breaker_tripped") == []
