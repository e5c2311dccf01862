"""XFORWARD in the real daemon (aiosmtpd on loopback, a real client): offered and believed only from
``server.xforward_from``, checked strictly, forgotten after each transaction, and its ADDR stored
as the message's source, which the per-source cap counts by."""
from __future__ import annotations

import smtplib

import pytest

from bounced import xforward
from tests.daemon_helpers import BOUNCE_DOMAIN, LineClient, stored_sources
from tests.test_trust import active, cli, json_lines, report, signed

RCPT = f"bounces@{BOUNCE_DOMAIN}"


def transaction(c: LineClient, raw: bytes) -> int:
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd(f"RCPT TO:<{RCPT}>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.data(raw)
    return c.reply()[0]


@pytest.mark.parametrize("lmtp", [False, True], ids=["smtp", "lmtp"])
def test_forwarded_address_is_stored_and_forgotten_after_the_transaction(start_daemon, db_path, lmtp):
    d = start_daemon(bounce={"trust": "open"})
    c = LineClient(d.port(lmtp=lmtp))
    c.reply()
    code, lines = c.cmd("LHLO mx.test" if lmtp else "EHLO mx.test")
    assert code == 250 and "250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE" in lines
    # as Postfix's client sends it: in two commands, values xtext-encoded
    assert c.cmd("XFORWARD NAME=mx.remote.example ADDR=IPv6:2001:db8::7 PORT=25")[0] == 250
    assert c.cmd("XFORWARD PROTO=ESMTP HELO=mx+2Eremote.example IDENT=4Y1abcXYZ SOURCE=REMOTE")[0] == 250
    assert transaction(c, report(["a@x.example"], "one")) == 250
    assert transaction(c, report(["b@x.example"], "two")) == 250  # no XFORWARD: the peer
    assert c.cmd("XFORWARD ADDR=192.0.2.9")[0] == 250
    assert c.cmd("RSET")[0] == 250  # forgets it too
    assert transaction(c, report(["c@x.example"], "three")) == 250
    assert c.cmd("XFORWARD ADDR=[UNAVAILABLE] NAME=[TEMPUNAVAIL]")[0] == 250
    assert transaction(c, report(["d@x.example"], "four")) == 250
    assert c.cmd("XFORWARD ADDR=::ffff:198.51.100.3")[0] == 250
    assert transaction(c, report(["e@x.example"], "five")) == 250
    c.close()
    assert stored_sources(db_path) == ["2001:db8::7", "127.0.0.1", "127.0.0.1", "127.0.0.1", "198.51.100.3"]


@pytest.mark.parametrize("arg, problem", [
    ("", "needs at least one attribute=value"),
    ("ADDR", "'ADDR' is not attribute=value"),
    ("FOO=1", "unknown attribute 'FOO'"),
    ("ADDR=not-an-ip", "ADDR: 'not-an-ip' is not an IP address"),
    ("ADDR=192.0.2.1 ADDR=192.0.2.2", "ADDR given twice"),
    ("NAME=a+zz", "NAME: 'a+zz' is not xtext"),
    ("NAME=a+20b", "NAME: value 'a+20b' holds a blank"),
    ("PORT=99999", "PORT: '99999' is not a port number"),
    ("SOURCE=ELSEWHERE", "SOURCE: 'ELSEWHERE' is not LOCAL or REMOTE"),
    ("ADDR=[TEMPUNAVAIL]", "[TEMPUNAVAIL] is only for NAME"),
    ("PROTO=" + "P" * 65, "PROTO: longer than 64 characters"),
])
def test_bad_syntax_gets_501_naming_the_problem(arg, problem):
    """The parser alone (the server's 501 carries its message; one case goes through the server below)."""
    with pytest.raises(xforward.XforwardError) as exc:
        xforward.parse(arg)
    assert problem in str(exc.value)


def test_the_server_answers_501_503_and_550(start_daemon):
    d = start_daemon()
    c = LineClient(d.port())
    c.reply()
    assert c.cmd("XFORWARD ADDR=192.0.2.1")[0] == 503  # EHLO first
    c.cmd("EHLO mx.test")
    code, lines = c.cmd("XFORWARD ADDR=999.0.0.1")
    assert code == 501 and "ADDR: '999.0.0.1' is not an IP address" in lines[0]
    assert c.cmd("MAIL FROM:<>")[0] == 250
    code, lines = c.cmd("XFORWARD ADDR=192.0.2.1")
    assert code == 503 and "mail transaction" in lines[0]
    c.close()


def test_not_offered_nor_believed_from_unlisted_clients(start_daemon, db_path):
    d = start_daemon(server={"xforward_from": ["192.0.2.0/24"]}, bounce={"trust": "open"})
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        assert not s.has_extn("xforward")
        code, text = s.docmd("XFORWARD", "ADDR=203.0.113.5")
        assert code == 550 and b"5.7.0" in text
        s.sendmail("<>", [RCPT], report(["z@x.example"], "z"))
    assert stored_sources(db_path) == ["127.0.0.1"]


def test_a_burst_from_one_source_is_held_past_the_cap_another_source_is_not(start_daemon, db_path):
    d = start_daemon(breaker={"max_per_source": 3, "min_hard": 1000})
    sent = {"192.0.2.7": [f"u{i}@a.example" for i in range(6)], "198.51.100.9": [f"v{i}@b.example" for i in range(3)]}
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("relay.test")
        assert s.has_extn("xforward")
        for source, rcpts in sent.items():
            for i, rcpt in enumerate(rcpts):
                assert s.docmd("XFORWARD", f"NAME=mx.{source} ADDR={source} PROTO=ESMTP")[0] == 250
                s.sendmail("<>", [signed(db_path, rcpt)], report([rcpt], f"{source}-{i}"))
    assert active(db_path) == set(sent["192.0.2.7"][:3]) | set(sent["198.51.100.9"])
    held = json_lines(cli(db_path, "held", "list", "--json").stdout)
    assert sorted(h["address"] for h in held) == sent["192.0.2.7"][3:]
    assert {h["cause"] for h in held} == {"source_cap: more than 3 new hard suppressions from 192.0.2.7 within 60 min"}
    assert [e["source"] for e in d.log.events("source_cap_tripped")] == ["192.0.2.7"]  # once per trip
