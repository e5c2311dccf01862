"""What an operator sees of a running daemon: journald priorities, logged rejections and policy
outcomes, and the metrics a Prometheus setup expects. Real daemons, real SMTP clients."""
from __future__ import annotations

import json
import os
import smtplib
from pathlib import Path

import structlog

from bounced import logsetup
from bounced.logsetup import RateLimited
from tests.daemon_helpers import BOUNCE_DOMAIN, ListLog, dsn, wait_for
from tests.test_metrics import http, sample


def test_journal_lines_carry_their_priority(tmp_path: Path) -> None:
    """journald reads "<3>" as err: `journalctl -p err` then finds store_unavailable."""
    out = tmp_path / "journal"
    with out.open("w") as fh:
        st = os.fstat(fh.fileno())
        log = logsetup.configure("json", "info", stream=fh, environ={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        log.error("store_unavailable", cause="disk full")
        log.warning("rejected", cause="too_big")
        log.info("message", sha256="x")
        fh.flush()
    lines = out.read_text().splitlines()
    assert [ln[:3] for ln in lines] == ["<3>", "<4>", "<6>"]
    assert json.loads(lines[0][3:])["event"] == "store_unavailable"
    plain = tmp_path / "plain"
    with plain.open("w") as fh:
        logsetup.configure("json", "info", stream=fh, environ={"JOURNAL_STREAM": "1:2"}).error("x")
    assert plain.read_text().startswith("{")  # not the journal: plain JSON lines
    structlog.reset_defaults()


def test_rate_limited_log_counts_what_it_held_back() -> None:
    now = [0.0]
    log = ListLog()
    limited = RateLimited(log, "rejected", interval=10, clock=lambda: now[0])
    for _ in range(50):
        limited("unknown_recipient")
    limited("too_big")
    now[0] = 11
    limited("unknown_recipient")
    assert [(r["cause"], r["held_back"]) for r in log.events("rejected")] == [
        ("unknown_recipient", 0), ("too_big", 0), ("unknown_recipient", 49)]


def test_rejections_and_policy_outcomes_are_logged_and_counted(start_daemon) -> None:
    d = start_daemon(server={"max_message_size": 20_000}, bounce={"trust": "open"})  # the policy, not trust
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        s.mail("<>")
        for i in range(20):  # a probe of random local parts: logged once, counted every time
            assert s.rcpt(f"random{i}@{BOUNCE_DOMAIN}")[0] == 550
        s.rset()
        code, _ = s.mail("<>", ["SIZE=999999"])
        assert code == 552
        s.rset()
        s.mail("<>")
        assert s.rcpt(f"bounces@{BOUNCE_DOMAIN}")[0] == 250
        assert s.data(dsn("gone@remote.example", token="p1"))[0] == 250
        s.mail("<>")
        assert s.rcpt(f"bounces@{BOUNCE_DOMAIN}")[0] == 250
        assert s.data(dsn("full@remote.example", status="4.2.2", code=452, text="mailbox full", token="p2"))[0] == 250
    msgs = wait_for(lambda: len(d.log.events("message")) >= 2 and d.log.events("message"), what="two messages")
    assert sorted(tuple(m["policy"]) for m in msgs) == [("counted",), ("suppressed",)]
    rejected = {r["cause"]: r for r in d.log.events("rejected")}
    assert set(rejected) == {"unknown_recipient", "too_big"}
    assert len([r for r in d.log.events("rejected") if r["cause"] == "unknown_recipient"]) == 1
    warn = [lvl for lvl, ev, _ in d.log.records if ev == "rejected"]
    assert set(warn) == {"warning"}

    text = http(d.metrics_port, "/metrics")[1]
    assert sample(text, "bounced_rejects_total", cause="unknown_recipient") == 20
    assert sample(text, "bounced_policy_outcomes_total", action="suppressed") == 1
    assert sample(text, "bounced_policy_outcomes_total", action="counted") == 1
    assert sample(text, "bounced_active_suppressions", kind="hard") == 1
    assert sample(text, "bounced_active_suppressions", kind="soft") == 0
    assert sample(text, "process_resident_memory_bytes") > 0
    assert sample(text, "process_open_fds") > 0
    assert 'python_info{' in text
