"""Session limits and envelope bytes (issue 12, items 3 and 5), against the real daemon over real
sockets: connections per client address, commands without a message, session time, and
envelopes that are not UTF-8. Every wait is bounded; no timing is asserted."""
from __future__ import annotations

import hashlib
import socket
import time

from tests.daemon_helpers import BOUNCE_DOMAIN, LineClient, dsn, stored_sha256s, wait_for

BOUNCE = f"bounces@{BOUNCE_DOMAIN}"
SLACK = 10.0  # seconds beyond a limit before "not closed on time" (a loaded 2-core box)


def _closed(c: LineClient, within: float) -> list[str]:
    """The lines the server sends until it closes the connection, within ``within`` seconds."""
    c.sock.settimeout(within)
    lines: list[str] = []
    try:
        while True:
            lines.append(c.line())
    except (ConnectionError, OSError):
        return lines


# -- item 3 ----------------------------------------------------------------------------------------

def test_non_utf8_envelopes_are_refused_at_mail_and_rcpt_and_nothing_is_logged_per_message(start_daemon) -> None:
    d = start_daemon()
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    for _ in range(20):  # a client looping the bad command
        code, lines = c.cmd_bytes(b"MAIL FROM:<\xff\xfe@example.com>")
        assert code == 553 and "5.1.7" in lines[0] and "UTF-8" in lines[0], lines
        assert (r := c.cmd("RSET"))[0] == 250, r
        if _ == 0:
            assert c.cmd("MAIL FROM:<>")[0] == 250
            code, lines = c.cmd_bytes(b"RCPT TO:<bounces+\xff\xfe=x.example@" + BOUNCE_DOMAIN.encode() + b">")
            assert code == 553 and "5.1.3" in lines[0] and "UTF-8" in lines[0], lines
            assert c.cmd("RSET")[0] == 250
    # the session still delivers a proper message
    raw = dsn(token="after-bad-bytes")
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.data(raw)
    assert c.reply()[0] == 250
    c.close()
    assert stored_sha256s(d.daemon.config.store.path) == [hashlib.sha256(raw).hexdigest()]
    assert not [r for r in d.log.records if r[0] == "error"]
    assert d.daemon.metrics.rejects.labels(cause="bad_address")._value.get() == 21
    assert d.daemon.metrics.rejects.labels(cause="store_unavailable")._value.get() == 0


def test_utf8_envelopes_are_stored(start_daemon) -> None:
    d = start_daemon()
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    raw = dsn(token="utf8")
    assert c.cmd_bytes("MAIL FROM:<jürgen@exämple.de> SMTPUTF8".encode())[0] == 250
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.data(raw)
    assert c.reply()[0] == 250
    c.close()


# -- item 5 ----------------------------------------------------------------------------------------

def test_connections_per_client_address_are_limited(start_daemon) -> None:
    d = start_daemon(server={"max_connections_per_client": 3, "max_connections": 10})
    held = [LineClient(d.port()) for _ in range(3)]
    for c in held:
        assert c.reply()[0] == 220
    extra = LineClient(d.port())
    code, lines = extra.reply()
    assert code == 421 and "4.7.0" in lines[0] and "your address" in lines[0], lines
    extra.close()
    held.pop().close()
    wait_for(lambda: len(d.daemon.state.connections) == 2, 20, "the slot released")
    again = LineClient(d.port())
    assert again.reply()[0] == 220
    again.close()
    for c in held:
        c.close()
    wait_for(lambda: not d.daemon.state.per_client, 20, "no client counted")
    assert d.daemon.metrics.rejects.labels(cause="too_many_from_client")._value.get() == 1


def test_commands_without_a_message_are_limited_and_a_message_resets_the_count(start_daemon) -> None:
    d = start_daemon(server={"max_junk_commands": 5})
    c = LineClient(d.port())
    c.reply()
    assert c.cmd("EHLO mx.test")[0] == 250  # 1
    for _ in range(3):  # 2..4
        assert c.cmd("NOOP")[0] == 250
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.data(dsn(token="junk-reset"))
    assert c.reply()[0] == 250  # the count starts again
    for _ in range(5):
        assert c.cmd("NOOP")[0] == 250
    code, lines = c.cmd("NOOP")
    assert code == 421 and "4.7.0" in lines[0] and "without a message" in lines[0], lines
    assert _closed(c, SLACK) == []
    c.close()


def test_a_transaction_loop_without_data_counts_its_rsets(start_daemon) -> None:
    d = start_daemon(server={"max_junk_commands": 4})
    c = LineClient(d.port())
    c.reply()
    assert c.cmd("HELO mx.test")[0] == 250  # 1
    for _ in range(3):  # 2..4: refused recipients themselves do not count, as in Postfix
        assert c.cmd("MAIL FROM:<>")[0] == 250
        assert c.cmd("RCPT TO:<stranger@elsewhere.example>")[0] == 550
        assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<>")[0] == 250
    code, lines = c.cmd("RSET")
    assert code == 421, lines
    c.close()


def test_a_session_ends_after_max_session_time_however_busy(start_daemon) -> None:
    limit = 2.0
    d = start_daemon(server={"max_session_time": limit, "command_timeout": 60.0})
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    deadline = time.monotonic() + limit + SLACK
    last: tuple[int, list[str]] = (0, [])
    try:
        while time.monotonic() < deadline:  # busy: a NOOP every 0.2 s keeps the idle timer happy
            last = c.cmd("NOOP")
            if last[0] != 250:
                break
            time.sleep(0.2)
    except (ConnectionError, OSError):
        pass
    assert last[0] == 421 and "4.4.2" in last[1][0] and "Session time" in last[1][0], last
    c.close()
    assert d.daemon.metrics.rejects.labels(cause="session_time")._value.get() == 1


def test_a_message_in_data_when_the_session_time_runs_out_is_finished_first(start_daemon) -> None:
    limit = 1.0
    d = start_daemon(server={"max_session_time": limit, "max_junk_commands": 1000})
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    raw = dsn(token="session-data")
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    lines = raw.split(b"\r\n")
    c.send(b"\r\n".join(lines[:3]) + b"\r\n")
    wait_for(lambda: d.daemon.metrics.rejects.labels(cause="session_time")._value.get() == 1, limit + SLACK,
             "the session time to run out")
    c.data(b"\r\n".join(lines[3:]))
    code, reply = c.reply()
    assert code == 250, reply
    code, reply = c.reply()
    assert code == 421 and "Session time" in reply[0], reply
    c.close()
    assert stored_sha256s(d.daemon.config.store.path) == [hashlib.sha256(raw).hexdigest()]


def test_the_noop_siege_no_longer_locks_out_the_mta(start_daemon) -> None:
    """The red team's attack, scaled down: every slot held by clients sending NOOP; with the
    per-client limit below max_connections the real MTA (another address) still gets in."""
    d = start_daemon(server={"max_connections": 6, "max_connections_per_client": 4})
    siege = []
    for _ in range(6):
        c = LineClient(d.port())
        siege.append((c, c.reply()[0]))
    assert [code for _, code in siege].count(220) == 4
    mta = socket.create_connection(("127.0.0.1", d.port()), timeout=20, source_address=("127.0.0.2", 0))
    try:
        assert mta.recv(1024).startswith(b"220 ")
    finally:
        mta.close()
        for c, _ in siege:
            c.close()
