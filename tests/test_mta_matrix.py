"""Real DSNs from a real MTA, for the rejection texts providers document: the decision for each.

A scripted remote MX (aiosmtpd on loopback) answers each recipient with one provider's documented
rejection, at RCPT or at the end of DATA (Yahoo and Mail.ru refuse unknown users only there). A
private Postfix instance sends one message per case with the return path bounces+<case>@bounce.test
and ``maximal_queue_lifetime = 0`` (a 4XX is returned at once), so every DSN is Postfix's own;
a capture server receives them. Each is parsed by :func:`bounced.parse.parse_message` and must give
the recipient, status, reason, kind and the suppression decision the text calls for.

The recipient domain is remote.test and the remote host 127.0.0.1, so no provider is recognised by
name: the general tables must get every case right. Only Postfix runs here (Debian's Exim,
OpenSMTPD and Sendmail packages each conflict with it as the system MTA).
"""
from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from bounced.model import Kind
from bounced.parse import parse_message
from bounced.reasons import SENDER_SIDE
from tests.postfix_instance import POSTFIX, PostfixInstance, free_port

pytestmark = [
    pytest.mark.postfix,
    pytest.mark.skipif(POSTFIX is None and os.environ.get("CI") != "true",
                       reason="postfix is not installed (CI installs it and runs this test)"),
    pytest.mark.skipif(os.geteuid() != 0 and os.environ.get("CI") != "true",
                       reason="starting a Postfix instance needs root (CI runs this test as root)"),
]

RCPT, DATA, REFUSED = "RCPT", "DATA", "REFUSED"  # REFUSED: nothing listens at the domain's MX
# (case, stage, the remote's reply, status, reason, kind, decision); sources in the last column
CASES = [
    ("gmail-nosuchuser", RCPT, "550 5.1.1 The email account that you tried to reach does not exist. https://support.google.com/mail/?p=NoSuchUser",
     "5.1.1", "user_unknown", Kind.HARD, "NOW"),  # support.google.com/a/answer/3726730
    ("yahoo-unknown-at-data", DATA, "554 delivery error: dd This user doesn't have a yahoo.com account (unknown@remote.test) [0] - mta1.mail.example",
     "5.0.0", "user_unknown", Kind.HARD, "NOW"),  # senders.yahooinc.com/smtp-error-codes
    ("mailru-unknown-at-data", DATA, "550 Message was not accepted -- invalid mailbox.  Local mailbox unknown@remote.test is unavailable: user not found",
     "5.0.0", "user_unknown", Kind.HARD, "NOW"),  # help.mail.ru postmaster
    ("m365-5.4.1-dbeb", RCPT, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
     "5.4.1", "user_unknown", Kind.HARD, "NOW"),  # learn.microsoft.com Exchange Online NDR 5.4.1
    ("gmx-mailbox-unavailable", RCPT, "550 Requested action not taken: mailbox unavailable",
     "5.0.0", "user_unknown", Kind.HARD, "NOW"),  # RFC 5321 4.2.2, postmaster.gmx.net
    ("gmail-disabled", RCPT, "550 5.2.1 The email account that you tried to reach is disabled. https://support.google.com/mail/?p=DisabledUser",
     "5.2.1", "suspend", Kind.SOFT, "COUNT"),
    ("gmail-over-quota", RCPT, "452 4.2.2 The recipient's inbox is out of storage space. https://support.google.com/mail/?p=OverQuotaTemp",
     "4.2.2", "mailbox_full", Kind.SOFT, "COUNT"),
    ("webde-storage-allocation", DATA, "552 Requested mail action aborted: exceeded storage allocation",
     "5.0.0", "mailbox_full", Kind.SOFT, "COUNT"),  # RFC 5321 4.2.2 reply 552
    ("spamhaus-client-blocked", RCPT, "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # Postfix reject_rbl_client
    ("outlook-block-list", RCPT, "550 5.7.1 Unfortunately, messages from [127.0.0.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # sendersupport.olc.protection.outlook.com
    ("yahoo-tss04", RCPT, "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints",
     "4.7.0", "bad_reputation", Kind.SOFT, "IGNORE"),
    ("gmail-dmarc-at-data", DATA, "550 5.7.26 Unauthenticated email from sender.test is not accepted due to domain's DMARC policy.",
     "5.7.26", "auth_failure", Kind.SOFT, "IGNORE"),
    ("gmail-receiving-too-quickly", RCPT, "450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.",
     "4.2.1", "speeding", Kind.SOFT, "IGNORE"),
    ("sender-refused-under-5.1.1", RCPT, "550 5.1.1 <bounces@bounce.test>: Sender address rejected: Access denied",
     "5.1.1", "rejected", Kind.SOFT, "IGNORE"),  # an ESP's 5.1.x wrapping a refusal of our sender
    ("spam-content-at-data", DATA, "550 5.7.1 Message rejected as spam by Content Filtering.",
     "5.7.1", "spam_detected", Kind.SOFT, "COUNT"),
    ("esp-5.1.1-over-blocklist", RCPT, "550 5.1.1 <esp-5.1.1-over-blocklist@remote.test>: Recipient address rejected: your IP 127.0.0.1 is listed on bl.spamcop.net",
     "5.1.1", "blocked", Kind.SOFT, "IGNORE"),  # a reporting MTA's 5.1.x over a block-list refusal
    ("mailbox-unavailable-spam", DATA, "550 Requested action not taken: mailbox unavailable (message identified as spam)",
     "5.0.0", "spam_detected", Kind.SOFT, "COUNT"),  # RFC 5321 4.2.2: 550 covers policy refusals too
    ("connection-refused", REFUSED, "", "4.4.1", "expired", Kind.SOFT, "COUNT"),  # TCP refused: no block of our IP
    ("orange-ofr-416", RCPT, "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
     "5.1.1", "user_unknown", Kind.HARD, "NOW"),  # Orange postmaster error codes
]
BY_CASE = {c[0]: c for c in CASES}


def decision(kind: str, reason: str) -> str:
    if kind in (Kind.HARD, Kind.COMPLAINT):
        return "NOW"
    if kind == Kind.SOFT and reason not in SENDER_SIDE:
        return "COUNT"
    return "IGNORE"


class ScriptedMX:
    """The recipient's server: each local part names its case and the reply to give."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        case = BY_CASE.get(address.partition("@")[0])
        if case is not None and case[1] == RCPT:
            return case[2]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            case = BY_CASE.get(address.partition("@")[0])
            if case is not None and case[1] == DATA:
                return case[2]
        return "250 2.0.0 OK"


class Capture:
    """Where the DSNs go: bounces+<case>@bounce.test -> the raw DSN."""

    def __init__(self) -> None:
        self.dsns: dict[str, bytes] = {}

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.dsns[rcpt.partition("+")[2].partition("@")[0]] = envelope.original_content or envelope.content
        return "250 2.0.0 OK"


@pytest.fixture(scope="module")
def postfix_dsns() -> Iterator[dict[str, bytes]]:
    mx_port, capture_port, closed_port = free_port(), free_port(), free_port()
    mx = Controller(ScriptedMX(), hostname="127.0.0.1", port=mx_port)
    capture = Capture()
    sink = Controller(capture, hostname="127.0.0.1", port=capture_port)
    mx.start()
    sink.start()
    postfix: PostfixInstance | None = None
    try:
        postfix = PostfixInstance(
            transport={"remote.test": f"smtp:[127.0.0.1]:{mx_port}", "bounce.test": f"smtp:[127.0.0.1]:{capture_port}",
                       "refused.test": f"smtp:[127.0.0.1]:{closed_port}"},
            settings={"maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0"},
        ).start()
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as s:
            for case, stage, *_ in CASES:
                rcpt = f"{case}@{'refused' if stage == REFUSED else 'remote'}.test"
                s.ehlo("mailer.sender.test")
                assert s.mail(f"bounces+{case}@bounce.test")[0] == 250
                assert s.rcpt(rcpt)[0] == 250
                body = (f"From: news@sender.test\r\nTo: {rcpt}\r\nSubject: news\r\n"
                        f"Message-ID: <{case}@sender.test>\r\n\r\nhello\r\n")
                assert s.data(body.encode())[0] == 250
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(capture.dsns) < len(CASES):
            time.sleep(0.2)
        missing = sorted(set(BY_CASE) - set(capture.dsns))
        assert not missing, f"no DSN for {missing}; maillog:\n{postfix.maillog()[-4000:]}"
        yield capture.dsns
    finally:
        if postfix is not None:
            postfix.stop()
        sink.stop()
        mx.stop()


@pytest.mark.parametrize(("case", "stage", "reply", "status", "reason", "kind", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_postfix_dsn_decision(postfix_dsns: dict[str, bytes], case: str, stage: str, reply: str, status: str,
                              reason: str, kind: Kind, verdict: str) -> None:
    result = parse_message(postfix_dsns[case])
    assert result.format == "rfc3464"
    [r] = result.recipients
    assert r.recipient == f"{case}@{'refused' if stage == REFUSED else 'remote'}.test"
    assert (r.status, r.reason, r.kind) == (status, reason, kind), r.diagnostic
    assert decision(r.kind, r.reason) == verdict
