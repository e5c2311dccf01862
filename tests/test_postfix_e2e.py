"""End to end with a real Postfix: its own DSNs, delivered to `bounced serve`, end up in the store.

A fake remote MX (aiosmtpd on loopback) refuses one recipient with ``550 5.1.1 user unknown`` and
the other with ``452 4.2.2 mailbox full``. A private Postfix instance sends one message to each,
with the signed VERP return path ``bounced verp encode`` gives (as the README tells mailers), so
each DSN goes to ``bounces+<recipient>=<tag>@bounce.test``, which its transport map routes to
bounced over SMTP or LMTP; bounced checks the tag and suppresses exactly that recipient. Postfix
forwards each sender's address with XFORWARD (as the README configures it), so a bounce from a
remote MTA is stored with that MTA's address as its source, not Postfix's 127.0.0.1, and a burst
from one remote MTA is held past ``breaker.max_per_source`` while another's is not.

Making the soft failure return within seconds: ``maximal_queue_lifetime = 0`` means "try once";
Postfix then returns the deferred recipient at once as an expired message (Action: failed,
Status: 4.2.2, the remote's 452 reply as Diagnostic-Code), in its own DSN because of VERP.
"""
from __future__ import annotations

import json
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
    stored_sources,
    wait_for,
    write_toml,
)
from tests.postfix_instance import ETC, POSTFIX, PostfixInstance, free_port
from tests.test_trust import report

pytestmark = [
    pytest.mark.postfix,
    pytest.mark.skipif(POSTFIX is None and os.environ.get("CI") != "true",
                       reason="postfix is not installed (CI installs it and runs this test)"),
    pytest.mark.skipif(os.geteuid() != 0 and os.environ.get("CI") != "true",
                       reason="starting a Postfix instance needs root (CI runs this test as root)"),
]

HARD, SOFT = "user@remote.test", "full@remote.test"
DOC_DOMAIN, BOUNCE_DOMAIN = "bounces.example.org", "bounce.test"


def documented(block: str) -> list[str]:
    """The README's Postfix block ``block`` (between its markers), without comments and indentation."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"<!-- postfix:{block} -->", 1)[1].split(f"<!-- /postfix:{block} -->", 1)[0]
    return [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def documented_postfix(etc: Path, bounced_dest: str) -> tuple[dict[str, str], dict[str, str]]:
    """(main.cf settings, lookup tables) exactly as the README gives them, with the test's domain,
    config directory (``etc``: the instance's placeholder) and bounced's port put in."""
    def local(s: str) -> str:
        return s.replace(DOC_DOMAIN, BOUNCE_DOMAIN).replace("/etc/postfix/", f"{etc}/")

    settings = dict(tuple(p.strip() for p in local(ln).split("=", 1)) for ln in documented("main.cf"))
    recipients = "".join(local(ln) + "\n" for ln in documented("bounce_recipients"))
    (route,) = documented("transport")
    assert route.split()[0] == DOC_DOMAIN
    return settings, {"bounce_recipients": recipients, "transport": f"{BOUNCE_DOMAIN} {bounced_dest}\n"}


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
    conf = write_toml(tmp_path / "bounced.toml", config_dict(db_path, bounce={"domains": ["bounce.test"]},
                                                             breaker={"max_per_source": 2}))
    bounced = ServeProcess(conf)
    postfix: PostfixInstance | None = None
    try:
        port = bounced.ports()[protocol]
        dest = f"lmtp:inet:127.0.0.1:{port}" if protocol == "lmtp" else f"smtp:[127.0.0.1]:{port}"
        settings, files = documented_postfix(Path(ETC), dest)
        files["transport"] += f"remote.test smtp:[127.0.0.1]:{remote_mx}\n"  # the recipients' MX, for the test
        postfix = PostfixInstance(
            transport={},
            settings={"maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0",
                      # the outside world is 127.0.0.2; the mailer submits from 127.0.0.1
                      "mynetworks": "127.0.0.1/32", "smtpd_recipient_restrictions": "", **settings},
            files=files,
        )
        postfix.start()
        # a stranger (forged sender, random local part) is refused by Postfix at RCPT: no backscatter
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30, source_address=("127.0.0.2", 0)) as s:
            s.ehlo("forger.example")
            assert s.mail("victim@victim.example")[0] == 250
            code, text = s.rcpt(f"nosuchuser{os.getpid()}@{BOUNCE_DOMAIN}")
            assert code == 550 and b"relay recipient table" in text, (code, text)
            assert s.rcpt(f"bounces+jane=remote.test@{BOUNCE_DOMAIN}")[0] == 250  # VERP forms are accepted
            assert s.rcpt("someone@remote.test")[0] >= 400  # and it is no open relay
            s.rset()
        # as the README tells mailers: one message per recipient, its return path signed VERP
        paths = {rcpt: signed_return_path(conf, rcpt) for rcpt in (HARD, SOFT)}
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as s:
            s.ehlo("mailer.sender.test")
            for n, (rcpt, path) in enumerate(paths.items()):
                assert s.mail(path)[0] == 250
                assert s.rcpt(rcpt)[0] == 250
                code, _ = s.data(f"From: news@sender.test\r\nTo: {rcpt}\r\nSubject: our newsletter\r\n"
                                 f"Message-ID: <e2e.1.{n}@sender.test>\r\n\r\nhello\r\n".encode())
                assert code == 250
        try:
            messages = bounced.wait_event("message", timeout=60, count=2)
        except AssertionError:
            raise AssertionError(f"Postfix's DSNs did not reach bounced; maillog:\n{postfix.maillog()}") from None
        by_rcpt = {m["rcpt_tos"][0]: m for m in messages}
        assert set(by_rcpt) == set(paths.values())
        assert all(m["mail_from"] == "" for m in messages)  # DSNs come from the null sender
        assert all(m["untrusted"] == 0 for m in messages)  # the signed return path came back intact
        hard, soft = by_rcpt[paths[HARD]], by_rcpt[paths[SOFT]]
        assert (hard["recipients"], hard["kinds"], hard["reasons"]) == ([HARD], ["hard"], ["user_unknown"])
        assert (soft["recipients"], soft["kinds"], soft["reasons"]) == ([SOFT], ["soft"], ["mailbox_full"])
        assert "status=sent" in postfix.maillog()
        check_store(conf, db_path)
        # one message for two bounce addresses: Postfix delivers it in one transaction and, over
        # LMTP, waits for one reply per recipient
        two = ["bounces+a=remote.test@bounce.test", "bounces+b=remote.test@bounce.test"]
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30, source_address=("127.0.0.2", 0)) as s:
            s.ehlo("mx.remote.test")  # a remote MTA: Postfix forwards its address with XFORWARD
            s.mail("<>")
            assert all(s.rcpt(r)[0] == 250 for r in two)
            assert s.data(b"From: MAILER-DAEMON@remote.test\r\nSubject: Delivery Status Notification\r\n"
                          b"Message-ID: <e2e.2@remote.test>\r\n\r\nreturned\r\n")[0] == 250
        third = bounced.wait_event("message", timeout=60, count=3)[2]
        assert sorted(third["rcpt_tos"]) == two
        assert third["source"] == "127.0.0.2"  # the remote client's address, not Postfix's 127.0.0.1
        assert stored_sources(db_path)[-1] == "127.0.0.2"
        # a burst of hard bounces from one remote MTA is held past its cap; another MTA's are not
        burst = {"127.0.0.3": [f"b{i}@remote.test" for i in range(3)], "127.0.0.4": ["c0@remote.test", "c1@remote.test"]}
        for source, rcpts in burst.items():
            with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30, source_address=(source, 0)) as s:
                s.ehlo(f"mx-{source}.remote.test")
                for i, rcpt in enumerate(rcpts):
                    assert s.sendmail("<>", [signed_return_path(conf, rcpt)], report([rcpt], f"{source}-{i}")) == {}
        bounced.wait_event("message", timeout=60, count=3 + 5)
        assert sorted(stored_sources(db_path)[-5:]) == ["127.0.0.3"] * 3 + ["127.0.0.4"] * 2  # in Postfix's order
        held = [json.loads(ln) for ln in subprocess.run(serve_cmd("held", "list", "--json", "--config", str(conf)),
                                                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                                                         check=True).stdout.splitlines() if ln.strip()]
        assert len(held) == 1 and held[0]["address"] in burst["127.0.0.3"]  # whichever Postfix delivered third
        assert held[0]["cause"] == "source_cap: more than 2 new hard suppressions from 127.0.0.3 within 60 min"
        wait_for(lambda: postfix.maillog().count("status=sent") >= 4, what="both recipients sent in Postfix's log")
        assert "status=deferred" not in postfix.maillog().split("e2e.2@remote.test")[-1]
    finally:
        if postfix is not None:
            postfix.stop()
        bounced.proc.send_signal(signal.SIGTERM)
        assert bounced.proc.wait(30) == 0
        bounced.kill()


def signed_return_path(conf: Path, rcpt: str) -> str:
    """`bounced verp encode`, with the secret the running daemon created beside its database."""
    r = subprocess.run(serve_cmd("verp", "encode", rcpt, "--config", str(conf)), cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"bounces+{rcpt.replace('@', '=')}=") and r.stdout.strip().endswith("@bounce.test")
    return r.stdout.strip()


def check_store(conf: Path, db_path: Path) -> None:
    """What an operator sees: the hard address suppressed as user_unknown, a soft mailbox_full event."""
    from bounced.reader import SuppressionList

    hard = inspect(conf, HARD)
    assert hard["state"]["active_now"] is True
    assert (hard["state"]["kind"], hard["state"]["reason"]) == ("hard", "user_unknown")
    assert [(e["kind"], e["reason"]) for e in hard["events"]] == [("hard", "user_unknown")]
    soft = inspect(conf, SOFT)
    assert soft["state"].get("active_now") is not True  # one soft bounce is below the threshold
    assert [(e["kind"], e["reason"]) for e in soft["events"]] == [("soft", "mailbox_full")]
    sl = SuppressionList(str(db_path))
    assert sl.is_suppressed(HARD)
    assert not sl.is_suppressed(SOFT)


def inspect(conf: Path, address: str) -> dict:
    """`bounced inspect ADDRESS --json`: one state record, then its events and audit rows."""
    r = subprocess.run(serve_cmd("inspect", address, "--json", "--config", str(conf)), cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {"state": next((x for x in rows if x["type"] == "state"), {}),
            "events": [x for x in rows if x["type"] == "event"]}
