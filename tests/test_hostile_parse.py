"""Hostile messages against the parse path (issue 12, items 2 and 15): the inputs that took 10-23 s each
get their 250 and are stored, a resent message is not parsed again, and a message over the parse
budget is stored unparsed, a report with many recipients keeps them all up to the documented
limit and logs what it cuts. Real writer, real store, real parse workers, real `bounced serve`; no
timings asserted (client timeouts only bound the test)."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bench.procs import BouncedServer
from bench.synth import SMTPClient, wire
from bounced.parse import MAX_RECIPIENTS, parse_message
from bounced.writer import Writer
from tests.daemon_helpers import ListLog, big_report, dsn, make_config, store_opener, stored_sha256s

HEAD = (b"From: MAILER-DAEMON@mx.example\r\nTo: bounces@localhost\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n")

# the red team's three: an HTML part of 300,000 '<' (in lines of 1,000: SMTP lines stop at 64 KiB;
# [^>]* crosses line ends), a 65,000-dash transcript line, and a 60,000-'<' line that reached
# flufl.bounce's fallback
HOSTILE = {
    "html-lt": HEAD + b"Content-Type: text/html\r\n\r\n<html><body>" + (b"<" * 1000 + b"\r\n") * 300,
    "dashes": HEAD + b"\r\n" + b"-" * 65_000 + b" Transcript of session follows\r\n",
    "lt-line": HEAD + b"\r\nYour message to <" + b"<" * 60_000 + b"\r\n",
}


@pytest.mark.parametrize("workers", [0, 1], ids=["in-writer", "worker"])
def test_a_resent_message_is_not_parsed_again(db_path: Path, workers: int) -> None:
    raw = dsn(token="resent")  # the same bytes twice (dsn() stamps a new Message-ID per call)
    w = Writer(lambda: store_opener()(make_config(db_path)), parse_workers=workers)
    w.start()
    try:
        first = w.submit(raw, "", ("bounces@bounce.example",)).result(60)
        again = w.submit(raw, "", ("bounces@bounce.example",)).result(60)
    finally:
        w.close()
    assert first.incoming.result.recipients and not first.outcome.duplicate
    assert again.outcome.duplicate and again.incoming.sha256 == first.incoming.sha256
    assert again.incoming.result.error == "not parsed: already stored (same sha256)"
    assert len(stored_sha256s(db_path)) == 1


def test_over_budget_in_the_daemon_writer_is_stored_unparsed(db_path: Path) -> None:
    """A real parse over a (tiny) budget, through the writer: answered, stored raw, marked failed."""
    big = big_report(1000)  # ~50 ms of CPU against a budget of 10 ms
    w = Writer(lambda: store_opener()(make_config(db_path)), parse_workers=1, parse_budget=0.01)
    w.start()
    try:
        w.submit(dsn(token="warm"), "", ()).result(60)
        stored = w.submit(big, "", ("bounces@bounce.example",)).result(60)
    finally:
        w.close()
    assert stored.outcome.parse_failed and not stored.outcome.duplicate
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        status, error, size = con.execute("SELECT parse_status, error, size FROM messages WHERE sha256 = ?",
                                          (stored.incoming.sha256,)).fetchone()
    finally:
        con.close()
    assert (status, error, size) == ("failed", "not parsed: parsing took longer than 0.01s", len(big))


def test_the_red_team_inputs_get_250_and_are_stored(tmp_path: Path) -> None:
    async def scenario(srv: BouncedServer) -> list[tuple[str, int]]:
        client = await SMTPClient.connect("127.0.0.1", srv.port)
        replies = []
        for name, raw in [*HOSTILE.items(), *HOSTILE.items(), ("normal", dsn(token="after"))]:
            code, _text = await asyncio.wait_for(client.send(wire(raw)), 120)
            replies.append((name, code))
        await client.quit()
        return replies

    with BouncedServer(tmp_path) as srv:
        replies = asyncio.run(scenario(srv))
        log = srv.log_text()
    assert [code for _name, code in replies] == [250] * 7, replies
    con = sqlite3.connect(f"file:{srv.db_path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT parse_status, error FROM messages ORDER BY id").fetchall()
    finally:
        con.close()
    assert len(rows) == 4  # the three resends were duplicates
    assert all(not (error or "").startswith("not parsed") for _status, error in rows), rows
    assert "Traceback" not in log


@pytest.mark.parametrize("recipients", [250, 600, MAX_RECIPIENTS])
def test_a_report_keeps_every_recipient_up_to_the_limit(recipients: int) -> None:
    """Issue 12, item 15: 199 (blank-line separated) and 499 used to be silent cut-offs."""
    result = parse_message(big_report(recipients))
    assert [r.recipient for r in result.recipients] == [f"user{i}@remote.example" for i in range(recipients)]
    assert result.recipients_cut == 0 and "recipients_cut" not in result.to_dict()


def test_a_report_beyond_the_limit_is_cut_and_logged(db_path: Path) -> None:
    raw = big_report(MAX_RECIPIENTS + 37)
    log = ListLog()
    w = Writer(lambda: store_opener()(make_config(db_path)), log=log)
    w.start()
    try:
        stored = w.submit(raw, "", ("bounces@bounce.example",)).result(60)
    finally:
        w.close()
    result = stored.incoming.result
    assert len(result.recipients) == MAX_RECIPIENTS and result.recipients_cut == 37
    assert result.to_dict()["recipients_cut"] == 37
    assert stored.outcome.events == MAX_RECIPIENTS
    assert [(f["kept"], f["cut"]) for _, e, f in log.records if e == "recipients_cut"] == [(MAX_RECIPIENTS, 37)]


def test_flufl_sees_a_bounded_message() -> None:
    from bounced.parse import fallback

    ordinary = dsn(token="bounded")
    assert fallback.bounded(ordinary) is ordinary  # within the limits: the parsed message is reused
    long_line = HEAD + b"\r\n" + b"," * 20_000 + b"\r\nnext line\r\n"
    cut = fallback.bounded(long_line)
    assert max(map(len, cut.split(b"\n"))) <= fallback.MAX_LINE and cut.endswith(b"next line\r\n")
    many = HEAD + b"\r\n" + b"x\n" * 10_000
    assert fallback.bounded(many).count(b"\n") == fallback.MAX_LINES
    assert len(fallback.bounded(b"y" * 10 + b"\n" + b"z" * 200_000)) <= fallback.MAX_INPUT
