"""Real DSNs from real MTAs, for the rejection texts providers document: the decision for each.

A scripted remote MX (aiosmtpd on loopback) answers each case with one provider's documented
rejection, at MAIL FROM, at RCPT or at the end of DATA (Yahoo and Mail.ru refuse unknown users only
there). Each MTA sends one message per case with the return path bounces+<case>@bounce.test, and one
message to several recipients, and gives up on a temporary error at once (Postfix:
``maximal_queue_lifetime = 0``; Exim: no retry rules; OpenSMTPD: ``queue ttl`` of seconds; Sendmail:
``Timeout.queuereturn`` of a second and one queue run), so every DSN is the MTA's own; a capture
server receives them. Each is parsed by :func:`bounced.parse.parse_message` and must give the
recipient, status, reason, kind and the suppression decision the text calls for.

The MTAs: the system's Postfix (tests/postfix_instance.py), and Exim 4.96, OpenSMTPD 6.8 and Sendmail
8.17 from Debian's packages unpacked into a cache and run in their own mount namespaces
(tests/mta_instances.py; their packages conflict with postfix as the system MTA, so they are never
installed).

The recipient domain is remote.test and the remote host 127.0.0.1, so no provider is recognised by
name: the general tables must get every case right.
"""
from __future__ import annotations

import os
import re
import smtplib
import time
from collections.abc import Callable, Iterator
from typing import NoReturn
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller

from bounced.model import Kind
from bounced.parse import parse_message
from bounced.reasons import SENDER_SIDE
from tests import mta_instances
from tests.postfix_instance import POSTFIX, PostfixInstance, free_port

IN_CI = os.environ.get("CI") == "true"
pytestmark = [
    pytest.mark.postfix,
    pytest.mark.skipif(os.geteuid() != 0 and not IN_CI,
                       reason="starting a private MTA needs root (CI runs this test as root)"),
]

RCPT, DATA, REFUSED = "RCPT", "DATA", "REFUSED"  # REFUSED: nothing listens at the domain's MX
MAIL = "MAIL"  # the remote refuses our envelope sender (bounces+<case>@bounce.test names the case)
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
    ("gmail-unsolicited-rate", RCPT, "421 4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.",
     "4.7.28", "speeding", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730: a rate limit on our IP
    ("gmail-no-ptr", RCPT, "550 5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.",
     "5.7.25", "require_ptr", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730
    ("gmail-over-quota-perm", RCPT, "552 5.2.2 The recipient's inbox is out of storage space and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm",
     "5.2.2", "mailbox_full", Kind.SOFT, "COUNT"),  # support.google.com/a/answer/3726730
    ("m365-5.1.10", RCPT, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     "5.1.10", "user_unknown", Kind.HARD, "NOW"),  # learn.microsoft.com Exchange Online NDR 5.1.10
    ("m365-banned-ip", RCPT, "550 5.7.606 Access denied, banned sending IP [127.0.0.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
     "5.7.606", "blocked", Kind.SOFT, "IGNORE"),  # learn.microsoft.com Exchange Online NDR 5.7.606-649
    ("m365-server-busy", RCPT, "451 4.7.500 Server busy. Please try again later from [127.0.0.1]. (AS843)",
     "4.7.500", "speeding", Kind.SOFT, "IGNORE"),  # learn.microsoft.com Exchange Online NDR 451 4.7.500-699
    ("yahoo-tss09", RCPT, "553 5.7.2 [TSS09] All messages from 127.0.0.1 will be permanently deferred; Retrying will NOT succeed. See https://senders.yahooinc.com/tss09/",
     "5.7.2", "rejected", Kind.SOFT, "IGNORE"),  # senders.yahooinc.com/smtp-error-codes (receivers.py's Yahoo row)
    ("no-such-user-here", RCPT, "550 No such user here",
     "5.0.0", "user_unknown", Kind.HARD, "NOW"),  # RFC 821 example reply; Yandex's bounce guide lists it as a dead address
    ("disk-quota-exceeded", DATA, "552 Error writing message: Disk quota exceeded",
     "5.0.0", "mailbox_full", Kind.SOFT, "COUNT"),  # Yandex's bounce guide: the recipient's mailbox is full
    ("unrouteable-address", RCPT, "550 Unrouteable address",
     "5.0.0", "host_unknown", Kind.HARD, "NOW"),  # Exim's wording for a domain it cannot route; Yandex's guide: a dead address
    ("outlook-block-list-at-mail", MAIL, "550 5.7.1 Unfortunately, messages from [127.0.0.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140).",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # sendersupport.olc.protection.outlook.com: refused at MAIL FROM
    ("sender-domain-not-found", MAIL, "450 4.1.8 <bounces+sender-domain-not-found@bounce.test>: Sender address rejected: Domain not found",
     "4.1.8", "rejected", Kind.SOFT, "IGNORE"),  # Postfix postconf(5) reject_unknown_sender_domain (4.1.8 while DNS may be temporary)
    ("sender-refused-5.1.8", MAIL, "553 5.1.8 <bounces+sender-refused-5.1.8@bounce.test>: Sender address rejected: not owned by user",
     "5.1.8", "rejected", Kind.SOFT, "IGNORE"),  # RFC 3463 X.1.8 bad sender's system address; Postfix reject_sender_login_mismatch wording
    # gateways' and providers' documented texts that the general tables decide (tests/test_provider_texts.py has their sources)
    ("proofpoint-521-blocked", RCPT, "521 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=127.0.0.1",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # a 521 refusing our IP is not RFC 7504's host that accepts no mail
    ("m365-5.7.57-anonymous", MAIL, "530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful",
     "5.7.57", "rejected", Kind.SOFT, "IGNORE"),  # learn.microsoft.com Exchange Online NDR 5.7.57
    ("m365-authrequired", RCPT, "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required",
     "5.7.1", "rejected", Kind.SOFT, "IGNORE"),  # Exchange Online: the recipient takes only authenticated senders
    ("m365-5.7.509-dmarc", DATA, "550 5.7.509 Access denied, sending domain [bounce.test] does not pass DMARC verification and has a DMARC policy of reject.",
     "5.7.509", "auth_failure", Kind.SOFT, "IGNORE"),  # learn.microsoft.com Exchange Online NDR 5.7.509
    ("proofpoint-marked-invalid", RCPT, "550 5.7.1 <proofpoint-marked-invalid@remote.test>: Recipient address rejected: User email address is marked as invalid.",
     "5.7.1", "user_unknown", Kind.HARD, "NOW"),  # Proofpoint Essentials SMTP Discovery: the address is invalid
    ("interia-mailbox-not-available", RCPT, "550 5.2.1 Mailbox not available",
     "5.2.1", "suspend", Kind.SOFT, "COUNT"),  # pomoc.poczta.interia.pl: wrong address, full box or suspended account
    ("icloud-hme1", DATA, "554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.",
     "5.7.1", "auth_failure", Kind.SOFT, "IGNORE"),  # support.apple.com/en-us/102322
    ("sophos-xgemail-0011", RCPT, "550 5.1.1 XGEMAIL_0011 Message rejected because the recipient's email address doesn't exist in the Sophos Email protected domain.",
     "5.1.1", "user_unknown", Kind.HARD, "NOW"),  # docs.sophos.com Sophos Email SMTP error codes
    ("sophos-xgemail-0004", RCPT, "550 5.7.1 XGEMAIL_0004 Sender IP address failed an RBL test.",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # docs.sophos.com Sophos Email SMTP error codes
    ("m365-5.1.8-bad-outbound", MAIL, "550 5.1.8 Access denied, bad outbound sender AS(42004)",
     "5.1.8", "rejected", Kind.SOFT, "IGNORE"),  # learn.microsoft.com Exchange Online NDR 5.1.8
    ("yandex-policy-rejection", RCPT, "554 5.7.1 Policy rejection on the target address",
     "5.7.1", "suspend", Kind.SOFT, "COUNT"),  # yandex.com/support/mail/bounces: the recipient's account is blocked
    ("mimecast-anti-spoofing", RCPT, "550 Rejected by header based Anti-Spoofing policy: bounces@bounce.test - https://community.mimecast.com/docs/DOC-1369#550 [abc]",
     "5.0.0", "rejected", Kind.SOFT, "IGNORE"),  # Mimecast SMTP Error Codes: the sender claims the recipient's own domain
    ("rackspace-g30", RCPT, "450 4.2.1 <rackspace-g30@remote.test>: Mailbox received too much email in a short period of time (G30)",
     "4.2.1", "speeding", Kind.SOFT, "IGNORE"),  # docs.rackspace.com common email bounces: a per-mailbox rate limit
    ("yandex-spam-statistics", RCPT, "421 4.7.0 Blocked by spam statistics - see https://ya.cc/1IrBc",
     "4.7.0", "blocked", Kind.SOFT, "IGNORE"),  # yandex.com/support/mail/bounces/yandex.html: the sender is refused for 24 hours
    ("outlook-sc-001", RCPT, "550 SC-001 (BAY004-MC1F41) Unfortunately, messages from 127.0.0.1 weren't sent. Please contact your Internet service provider. You can tell them that Hotmail does not relay dynamically-assigned IP ranges.",
     "5.0.0", "blocked", Kind.SOFT, "IGNORE"),  # sendersupport.olc.protection.outlook.com/pm/troubleshooting: the sending IP refused
    ("webde-senderguidelines-ip", DATA, "554 Transaction failed Reject due to policy restrictions. For explanation visit https://web.de/email/senderguidelines?ip=127.0.0.1&c=hi",
     "5.0.0", "blocked", Kind.SOFT, "IGNORE"),  # postmaster.gmx.com/en/error-messages: the explanation page is keyed on the sending IP
    ("spectrum-aup-in-1020", RCPT, "554 impin004.msg.chrl.nc.charter.net cmsmtp 127.0.0.1 blocked. Please see https://www.spectrum.net/support/internet/understanding-email-error-codes for more information. AUP#In-1020",
     "5.0.0", "rejected", Kind.SOFT, "IGNORE"),  # Spectrum AUP 1010-1080: the sending account/IP blocked (community.spectrum.net)
    ("netease-dt-spm", DATA, "554 DT:SPM 163 mx14,QsCowADnb0xY Please see http://mail.163.com/help/help_spam_16.htm?ip=127.0.0.1",
     "5.0.0", "spam_detected", Kind.SOFT, "COUNT"),  # help.mail.163.com bounce codes: DT:SPM the content looks like spam
    ("yahoo-tss11", RCPT, "421 4.7.0 [TSS11] Excessive unknown recipients - possible Open Relay (#4.7.1)",
     "4.7.0", "rejected", Kind.SOFT, "IGNORE"),  # senders.yahooinc.com/smtp-error-codes: the sender's list quality, not the address
    ("korean-suspended-user", RCPT, "550 5.1.1 Suspended user",
     "5.1.1", "suspend", Kind.SOFT, "COUNT"),  # puffinknight.tistory.com/102: the recipient's account stopped
    # Rows from bench/mta_probe.py (every documented text through the four MTAs), one per cause found.
    # A reply written "NNN-X.Y.Z a NNN X.Y.Z b" is sent as its lines (on_the_wire): Sendmail keeps
    # only the first line in Diagnostic-Code and "(reason: ...)", the rest only in its transcript
    ("unsolicited-rate-multiline", RCPT, "550-5.7.28 Our system has detected an unusual rate of unsolicited mail 550 5.7.28 originating from your IP address. - gsmtp",
     "5.7.28", "blocked", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730
    ("ip-not-authorized-multiline", RCPT, "550-5.7.1 The IP you're using to send mail is not authorized to send 550 5.7.1 email directly to our servers.",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730
    ("ip-not-in-whitelist-multiline-4xx", RCPT, "421-4.7.0 IP not in whitelist for RCPT domain, closing connection. 421 4.7.0 gsmtp",
     "4.7.0", "blocked", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730 (Sendmail: only the "Deferred: 421-..." first line outside its transcript)
    ("too-quickly-multiline", RCPT, "450-4.2.1 The user you are trying to contact is receiving mail at a 450 4.2.1 rate that prevents additional messages from being delivered.",
     "4.2.1", "speeding", Kind.SOFT, "IGNORE"),  # support.google.com/a/answer/3726730
    # a bare reply under Sendmail's Status guessed from the reply code (5.1.1 for 550 at RCPT): the
    # words decide as under the other MTAs' 5.0.0 (vague words: counted, never suppressed at once)
    ("mail-rejected-bare-550", RCPT, "550 Mail rejete. Mail rejected. OFR_506 [506]",
     "5.0.0", "spam_detected", Kind.SOFT, "COUNT"),  # Orange postmaster error codes (receivers.py's orange rows)
    ("anti-spoofing-bare-550", RCPT, "550 Anti-Spoofing policy - Inbound not allowed",
     "5.0.0", "rejected", Kind.SOFT, "IGNORE"),  # Mimecast SMTP error codes (receivers.py's mimecast rows)
    # the remote's own code late in a bare reply (qmail's "(#5.6.2)") over Sendmail's guess (5.1.3 for 553)
    ("stray-linefeeds-late-code", RCPT, "553 Stray linefeeds in message (#5.6.2)",
     "5.6.2", "content_error", Kind.SOFT, "COUNT"),  # MessageLabs/Symantec.cloud SMTP errors (receivers.py's messagelabs rows); qmail-smtpd's own wording
    # our IP or our authentication in a provider's words, from a host no table names
    ("ip-has-been-blocked", RCPT, "554 5.7.1 AUP#I-1000 Your IP address has been blocked",
     "5.7.1", "blocked", Kind.SOFT, "IGNORE"),  # Spectrum 'Understanding email error codes' (receivers.py)
    ("messages-from-ip-not-sent", RCPT, "550 DY-001 (SNT004-MC1F1) Unfortunately, messages from 127.0.0.1 weren't sent.",
     "5.0.0", "blocked", Kind.SOFT, "IGNORE"),  # sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx
    # Exim appends ": retry timeout exceeded" to the remote's last 4xx when it gives up: the reply decides
    ("intrusion-prevention-4xx", RCPT, "421 4.7.1 Intrusion prevention active for [127.0.0.1]",
     "4.7.1", "blocked", Kind.SOFT, "IGNORE"),  # campus.barracuda.com Barracuda Email Security Gateway SMTP error codes
    ("sender-domain-auth-failed", RCPT, "550 5.7.1 AUP#CXSNDR sender domain authentication failed",
     "5.7.1", "auth_failure", Kind.SOFT, "IGNORE"),  # cox.com/residential/support/email-error-codes.html
]
BY_CASE = {c[0]: c for c in CASES}


def decision(kind: str, reason: str) -> str:
    if kind in (Kind.HARD, Kind.COMPLAINT):
        return "NOW"
    if kind == Kind.SOFT and reason not in SENDER_SIDE:
        return "COUNT"
    return "IGNORE"


def on_the_wire(reply: str) -> str:
    """A multi-line reply written joined, as Postfix reports it ("550-5.7.28 a 550 5.7.28 b"), as the
    server sends it: one line per repeated reply code (RFC 5321 4.2.1)."""
    m = re.match(r"([245]\d\d)-", reply)
    return re.sub(rf" (?={m.group(1)}[ -])", "\r\n", reply) if m else reply


class ScriptedMX:
    """The recipient's server: each local part names its case and the reply to give (for MAIL, the
    return path's +<case> does)."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        case = BY_CASE.get(address.partition("+")[2].partition("@")[0])
        if case is not None and case[1] == MAIL:
            return on_the_wire(case[2])
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        case = BY_CASE.get(address.partition("@")[0])
        if case is not None and case[1] == RCPT:
            return on_the_wire(case[2])
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            case = BY_CASE.get(address.partition("@")[0])
            if case is not None and case[1] == DATA:
                return on_the_wire(case[2])
        return "250 2.0.0 OK"


class Capture:
    """Where the DSNs go: bounces+<case>@bounce.test -> the raw DSN (every one, for the message
    to several recipients: an MTA may report them in one DSN or in several)."""

    def __init__(self) -> None:
        self.dsns: dict[str, bytes] = {}
        self.all: dict[str, list[bytes]] = {}

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            key = rcpt.partition("+")[2].partition("@")[0]
            self.dsns[key] = envelope.original_content or envelope.content
            self.all.setdefault(key, []).append(self.dsns[key])
        return "250 2.0.0 OK"


def recipient(case: str) -> str:
    return f"{case}@{'refused' if BY_CASE[case][1] == REFUSED else 'remote'}.test"


@contextmanager
def scripted_remote() -> Iterator[tuple[dict[str, int], Capture]]:
    """The remote MX, the capture server for the DSNs, and a port where nothing listens: the routes
    every MTA is given (domain -> loopback port)."""
    mx_port, capture_port, closed_port = free_port(), free_port(), free_port()
    capture = Capture()
    mx = Controller(ScriptedMX(), hostname="127.0.0.1", port=mx_port)
    sink = Controller(capture, hostname="127.0.0.1", port=capture_port)
    mx.start()
    sink.start()
    try:
        yield {"remote.test": mx_port, "bounce.test": capture_port, "refused.test": closed_port}, capture
    finally:
        sink.stop()
        mx.stop()


# One message to several recipients, each refused at RCPT with another provider's reply: the MTA
# reports them together, and each must keep its own reply and decision.
MULTI = ["gmail-nosuchuser", "m365-banned-ip", "gmail-over-quota-perm", "gmail-disabled", "m365-5.1.10"]


def messages(cases: list[str], multi: bool = True) -> list[tuple[str, list[str], bytes]]:
    """(envelope sender, recipients, message): one per case, and the one to the MULTI recipients."""
    one = [(f"bounces+{case}@bounce.test", [recipient(case)], mta_instances.message(case, recipient(case)))
           for case in cases]
    return one if not multi else one + [("bounces+multi@bounce.test", [f"{c}@remote.test" for c in MULTI],
                   mta_instances.message("multi", "list@sender.test"))]


def submit_smtp(port: int, cases: list[str], multi: bool = True) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for sender, rcpts, data in messages(cases, multi):
            s.ehlo("mailer.sender.test")
            assert s.mail(sender)[0] == 250
            for rcpt in rcpts:
                assert s.rcpt(rcpt)[0] == 250
            assert s.data(data)[0] == 250


def _multi_reported(capture: Capture) -> set[str]:
    return {r.recipient for dsn in capture.all.get("multi", []) for r in parse_message(dsn).recipients}


def wait_for_dsns(mta: str, capture: Capture, cases: list[str], maillog: Callable[[], str],
                  seconds: float = 120) -> dict[str, bytes]:
    deadline = time.monotonic() + seconds
    want = {f"{c}@remote.test" for c in MULTI}
    while time.monotonic() < deadline and not (set(cases) <= set(capture.dsns) and want <= _multi_reported(capture)):
        time.sleep(0.2)
    if os.environ.get("BOUNCED_MATRIX_DUMP"):  # a directory: keep each MTA's DSNs there to read
        for case, dsn in capture.dsns.items():
            with open(os.path.join(os.environ["BOUNCED_MATRIX_DUMP"], f"{mta}-{case}.eml"), "wb") as f:
                f.write(dsn)
    missing = sorted(set(cases) - set(capture.dsns)) + sorted(want - _multi_reported(capture))
    assert not missing, f"no DSN for {missing}; log:\n{maillog()[-4000:]}"
    return {**capture.dsns, **{f"multi.{i}": dsn for i, dsn in enumerate(capture.all["multi"])}}


def cannot_run(problem: str) -> NoReturn:
    """Skip where the platform cannot run the MTA; in CI that is a failure, never a skip."""
    if IN_CI:
        pytest.fail(problem)
    pytest.skip(problem)


@contextmanager
def private_mta() -> Iterator[None]:
    problem = mta_instances.platform_problem()
    if problem:
        cannot_run(problem)
    try:
        yield
    except mta_instances.Unavailable as e:  # no apt-get, no m4, a package that cannot be fetched
        cannot_run(str(e))


@pytest.fixture(scope="module")
def postfix_dsns() -> Iterator[dict[str, bytes]]:
    if POSTFIX is None and not IN_CI:
        pytest.skip("postfix is not installed (CI installs it and runs this test)")
    with scripted_remote() as (routes, capture):
        postfix = PostfixInstance(
            transport={domain: f"smtp:[127.0.0.1]:{port}" for domain, port in routes.items()},
            settings={"maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0"},
        ).start()
        try:
            submit_smtp(postfix.port, cases_for("postfix"))
            yield wait_for_dsns("postfix", capture, cases_for("postfix"), postfix.maillog)
        finally:
            postfix.stop()


@pytest.fixture(scope="module")
def exim_dsns() -> Iterator[dict[str, bytes]]:
    with scripted_remote() as (routes, capture), private_mta():
        exim = mta_instances.Exim(routes)
        try:
            exim.send(messages(cases_for("exim")))
            yield wait_for_dsns("exim", capture, cases_for("exim"), exim.maillog)
        finally:
            exim.stop()


@pytest.fixture(scope="module")
def opensmtpd_dsns() -> Iterator[dict[str, bytes]]:
    with scripted_remote() as (routes, capture), private_mta():
        # two instances side by side: the queue ttl that makes a 4xx expire in seconds can pass before
        # OpenSMTPD has tried every queued message once, so the 5xx rows get one that never runs out
        cases = cases_for("opensmtpd")
        retried = [c for c in cases if BY_CASE[c][2][:1] == "4"]
        quick = mta_instances.OpenSMTPD(routes).start()
        final = mta_instances.OpenSMTPD(routes, ttl="10m").start()
        try:
            submit_smtp(quick.port, retried, multi=False)
            submit_smtp(final.port, [c for c in cases if c not in retried])
            yield wait_for_dsns("opensmtpd", capture, cases, lambda: quick.maillog() + final.maillog())
        finally:
            quick.stop()
            final.stop()


@pytest.fixture(scope="module")
def sendmail_dsns() -> Iterator[dict[str, bytes]]:
    with scripted_remote() as (routes, capture), private_mta():
        sendmail = mta_instances.Sendmail(routes)
        try:
            sendmail.send(messages(cases_for("sendmail")))
            yield wait_for_dsns("sendmail", capture, cases_for("sendmail"), sendmail.maillog)
        finally:
            sendmail.stop()


MTAS = ("postfix", "exim", "opensmtpd", "sendmail")

# Where an MTA's own DSN carries something else than the row expects, and why; (mta, case) -> fields.
# A status the MTA wrote itself is kept when the remote's reply carried none (the reason still
# comes from the remote's words); a reply the MTA did not keep cannot be read back.
_EXPIRED = {"status": "4.4.7", "reason": "expired", "kind": Kind.SOFT, "verdict": "COUNT"}
EXPECTED_BY_MTA: dict[tuple[str, str], dict[str, object]] = {
    ("exim", "connection-refused"): {"status": "5.0.0"},  # "retry timeout exceeded", Status: 5.0.0, nothing more
    # OpenSMTPD's expiry notice (Action: delayed, Status: 4.4.7, "Envelope expired") drops the
    # remote's last 4xx reply: the text is gone, so all that is known is that the message expired
    ("opensmtpd", "gmail-over-quota"): _EXPIRED,
    ("opensmtpd", "yahoo-tss04"): _EXPIRED,
    ("opensmtpd", "gmail-receiving-too-quickly"): _EXPIRED,
    ("opensmtpd", "gmail-unsolicited-rate"): _EXPIRED,
    ("opensmtpd", "m365-server-busy"): _EXPIRED,
    ("opensmtpd", "sender-domain-not-found"): _EXPIRED,
    ("opensmtpd", "too-quickly-multiline"): _EXPIRED,
    ("opensmtpd", "intrusion-prevention-4xx"): _EXPIRED,
    ("opensmtpd", "ip-not-in-whitelist-multiline-4xx"): _EXPIRED,
    ("opensmtpd", "rackspace-g30"): _EXPIRED,
    ("opensmtpd", "yandex-spam-statistics"): _EXPIRED,
    ("opensmtpd", "yahoo-tss11"): _EXPIRED,
    # Sendmail's Status for a reply without an enhanced code is its own guess from the reply code
    # and the command (5.1.1 for a bare 550 at RCPT, 5.2.0 after DATA): the reason comes from the
    # remote's words
    ("sendmail", "mailru-unknown-at-data"): {"status": "5.2.0"},
    ("sendmail", "gmx-mailbox-unavailable"): {"status": "5.1.1"},
    ("sendmail", "webde-storage-allocation"): {"status": "5.2.2"},
    ("sendmail", "mailbox-unavailable-spam"): {"status": "5.2.0"},
    ("sendmail", "no-such-user-here"): {"status": "5.1.1"},
    ("sendmail", "disk-quota-exceeded"): {"status": "5.2.2"},
    ("sendmail", "unrouteable-address"): {"status": "5.1.1"},
    ("sendmail", "mail-rejected-bare-550"): {"status": "5.1.1"},
    ("sendmail", "anti-spoofing-bare-550"): {"status": "5.1.1"},
    ("sendmail", "messages-from-ip-not-sent"): {"status": "5.1.1"},
    ("sendmail", "mimecast-anti-spoofing"): {"status": "5.1.1"},
    ("sendmail", "outlook-sc-001"): {"status": "5.1.1"},
    ("sendmail", "connection-refused"): {"status": "4.4.7"},  # "Deferred: Connection refused by [127.0.0.1]"
}
# Rows an MTA cannot produce within the matrix's time: OpenSMTPD retries a route whose connection
# was refused for longer than the matrix waits (no DSN after 400 s with a queue ttl of 8 s).
NOT_RUN = {("opensmtpd", "connection-refused")}


def cases_for(mta: str) -> list[str]:
    return [case for case in BY_CASE if (mta, case) not in NOT_RUN]


def expected(mta: str, case: str) -> tuple[str, str, Kind, str]:
    _, _, _, status, reason, kind, verdict = BY_CASE[case]
    over = EXPECTED_BY_MTA.get((mta, case), {})
    return (over.get("status", status), over.get("reason", reason), over.get("kind", kind),  # type: ignore[return-value]
            over.get("verdict", verdict))


@pytest.mark.parametrize(("mta", "case"), [(mta, case) for mta in MTAS for case in cases_for(mta)],
                         ids=[f"{mta}-{case}" for mta in MTAS for case in cases_for(mta)])
def test_dsn_decision(request: pytest.FixtureRequest, mta: str, case: str) -> None:
    dsns: dict[str, bytes] = request.getfixturevalue(f"{mta}_dsns")
    status, reason, kind, verdict = expected(mta, case)
    result = parse_message(dsns[case])
    assert result.format == "rfc3464"
    [r] = result.recipients
    assert r.recipient == recipient(case)
    assert (r.status, r.reason, r.kind) == (status, reason, kind), r.diagnostic
    assert decision(r.kind, r.reason) == verdict


@pytest.mark.parametrize("mta", MTAS)
def test_one_dsn_for_several_recipients(request: pytest.FixtureRequest, mta: str) -> None:
    dsns: dict[str, bytes] = request.getfixturevalue(f"{mta}_dsns")
    got = {r.recipient: r for key, dsn in dsns.items() if key.startswith("multi.") for r in parse_message(dsn).recipients}
    assert set(got) == {f"{c}@remote.test" for c in MULTI}
    for case in MULTI:
        r = got[f"{case}@remote.test"]
        status, reason, kind, verdict = expected(mta, case)
        assert (r.status, r.reason, r.kind) == (status, reason, kind), (case, r.diagnostic)
        assert decision(r.kind, r.reason) == verdict
