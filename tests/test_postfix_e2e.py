"""End to end with a real Postfix: its own DSNs, delivered to `bounced serve`, end up in the store.

A fake remote MX (aiosmtpd on loopback) refuses one recipient with ``550 5.1.1 user unknown`` and
the other with ``452 4.2.2 mailbox full``. A private Postfix instance sends one message to both
with a VERP return path (XVERP, as a bulk mailer submits), so each DSN goes to
``bounces+<recipient>@bounce.test``, which its transport map routes to bounced over SMTP or LMTP.

Making the soft failure return within seconds: ``maximal_queue_lifetime = 0`` means "try once";
Postfix then returns the deferred recipient at once as an expired message (Action: failed,
Status: 4.2.2, the remote's 452 reply as Diagnostic-Code), in its own DSN because of VERP.
"""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.daemon_helpers import (
    ROOT,
    ServeProcess,
    config_dict,
    serve_cmd,
    wait_for,
    write_toml,
)
from tests.postfix_instance import POSTFIX, PostfixInstance, free_port

pytestmark = [
    pytest.mark.postfix,
    pytest.mark.skipif(POSTFIX is None and os.environ.get("CI") != "true",
                       reason="postfix is not installed (CI installs it and runs this test)"),
    pytest.mark.skipif(os.geteuid() != 0 and os.environ.get("CI") != "true",
                       reason="starting a Postfix instance needs root (CI runs this test as root)"),
]

HARD, SOFT = "user@remote.test", "full@remote.test"


class RemoteMX:
    """The recipient's server: one unknown user, one full mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == HARD:
            return f"550 5.1.1 <{address}>: user unknown"
        if address == SOFT:
            return f"452 4.2.2 <{address}>: mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 OK"


@pytest.fixture
def remote_mx() -> Iterator[int]:
    port = free_port()
    mx = Controller(RemoteMX(), hostname="127.0.0.1", port=port)
    mx.start()
    yield port
    mx.stop()


@pytest.mark.parametrize("protocol", ["lmtp", "smtp"])
def test_postfix_dsns_reach_the_suppression_list(protocol: str, tmp_path: Path, db_path: Path,
                                                 remote_mx: int) -> None:
    conf = write_toml(tmp_path / "bounced.toml", config_dict(db_path, bounce={"domains": ["bounce.test"]}))
    bounced = ServeProcess(conf)
    postfix: PostfixInstance | None = None
    try:
        port = bounced.ports()[protocol]
        dest = f"lmtp:inet:127.0.0.1:{port}" if protocol == "lmtp" else f"smtp:[127.0.0.1]:{port}"
        postfix = PostfixInstance(
            transport={"remote.test": f"smtp:[127.0.0.1]:{remote_mx}", "bounce.test": dest},
            settings={"maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0"},
        ).start()
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as s:
            s.ehlo("mailer.sender.test")
            assert s.has_extn("xverp")
            assert s.mail("bounces@bounce.test", ["XVERP"])[0] == 250
            assert s.rcpt(HARD)[0] == 250 and s.rcpt(SOFT)[0] == 250
            code, _ = s.data(b"From: news@sender.test\r\nTo: user@remote.test, full@remote.test\r\n"
                             b"Subject: our newsletter\r\nMessage-ID: <e2e.1@sender.test>\r\n\r\nhello\r\n")
            assert code == 250
        try:
            messages = bounced.wait_event("message", timeout=60, count=2)
        except AssertionError:
            raise AssertionError(f"Postfix's DSNs did not reach bounced; maillog:\n{postfix.maillog()}") from None
        by_rcpt = {m["rcpt_tos"][0]: m for m in messages}
        assert set(by_rcpt) == {"bounces+user=remote.test@bounce.test", "bounces+full=remote.test@bounce.test"}
        assert all(m["mail_from"] == "" for m in messages)  # DSNs come from the null sender
        hard, soft = by_rcpt["bounces+user=remote.test@bounce.test"], by_rcpt["bounces+full=remote.test@bounce.test"]
        assert (hard["recipients"], hard["kinds"], hard["reasons"]) == ([HARD], ["hard"], ["user_unknown"])
        assert (soft["recipients"], soft["kinds"], soft["reasons"]) == ([SOFT], ["soft"], ["mailbox_full"])
        assert "status=sent" in postfix.maillog()
        check_store(conf, db_path)
        # one message for two bounce addresses: Postfix delivers it in one transaction and, over
        # LMTP, waits for one reply per recipient
        two = ["bounces+a=remote.test@bounce.test", "bounces+b=remote.test@bounce.test"]
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as s:
            s.ehlo("mx.remote.test")
            s.mail("<>")
            assert all(s.rcpt(r)[0] == 250 for r in two)
            assert s.data(b"From: MAILER-DAEMON@remote.test\r\nSubject: Delivery Status Notification\r\n"
                          b"Message-ID: <e2e.2@remote.test>\r\n\r\nreturned\r\n")[0] == 250
        third = bounced.wait_event("message", timeout=60, count=3)[2]
        assert sorted(third["rcpt_tos"]) == two
        wait_for(lambda: postfix.maillog().count("status=sent") >= 4, what="both recipients sent in Postfix's log")
        assert "status=deferred" not in postfix.maillog().split("e2e.2@remote.test")[-1]
    finally:
        if postfix is not None:
            postfix.stop()
        bounced.proc.send_signal(signal.SIGTERM)
        assert bounced.proc.wait(30) == 0
        bounced.kill()


def check_store(conf: Path, db_path: Path) -> None:
    """What an operator sees: the hard address suppressed as user_unknown, a soft mailbox_full event."""
    from tests._tmpstore import real_store_available

    if not real_store_available():  # TEMPORARY until the store branch is merged: the raw DSNs are there
        import sqlite3

        con = sqlite3.connect(db_path)
        raws = [r[0] for r in con.execute("SELECT raw FROM messages")]
        con.close()
        assert any(b"Status: 5.1.1" in r and HARD.encode() in r for r in raws)
        assert any(b"Status: 4.2.2" in r and SOFT.encode() in r for r in raws)
        return
    from bounced.reader import SuppressionList

    hard = inspect(conf, HARD)
    assert "user_unknown" in hard and "hard" in hard, hard
    soft = inspect(conf, SOFT)
    assert "mailbox_full" in soft and "soft" in soft, soft
    sl = SuppressionList(str(db_path))
    assert sl.is_suppressed(HARD)
    assert not sl.is_suppressed(SOFT)  # one soft bounce is below the threshold


def inspect(conf: Path, address: str) -> str:
    r = subprocess.run(serve_cmd("inspect", address), cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "BOUNCED_CONFIG": str(conf)})
    assert r.returncode == 0, r.stderr
    return r.stdout

