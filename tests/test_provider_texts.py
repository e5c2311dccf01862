"""Providers' documented rejection texts through the whole parser: the suppression decision.

Each row is a reply a provider or gateway documents for its own rejections (source in the id's
comment), carried three ways a real MTA returns it: an RFC 3464 DSN refused at RCPT, one refused
at the end of DATA (Status as the remote's code, or the class-only X.0.0 OpenSMTPD writes), and an
Exim-style plain-text notice without a delivery-status part. The decision is what the platform
does with the address: NOW (suppress at once), COUNT (toward the soft threshold) or IGNORE (not
held against the recipient: our IP, our authentication, our sender, our rate).
"""
from __future__ import annotations

import re

import pytest

from bounced.parse import parse_message
from bounced.reasons import SENDER_SIDE

NOW, COUNT, IGNORE = "NOW", "COUNT", "IGNORE"
GMAIL, OUTLOOK, HOTMAIL = "gmail-smtp-in.l.google.com", "example-com.mail.protection.outlook.com", "hotmail-com.olc.protection.outlook.com"
YAHOO, ICLOUD, MAILRU = "mta5.am0.yahoodns.net", "mx01.mail.icloud.com", "mxs.mail.ru"

CASES = [
    # Gmail SMTP errors and codes: support.google.com/a/answer/3726730
    ("gmail-550-5.1.1-no-such-user", "a@gmail.com", GMAIL, "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp", NOW),
    ("gmail-553-5.1.2-no-domain", "a@gmial.example", GMAIL, "553-5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors. - gsmtp", NOW),
    ("gmail-552-5.2.2-over-quota", "a@gmail.com", GMAIL, "552-5.2.2 The email account that you tried to reach is over quota. - gsmtp", COUNT),
    ("gmail-550-5.2.1-disabled", "a@gmail.com", GMAIL, "550-5.2.1 The email account that you tried to reach is disabled. - gsmtp", COUNT),
    ("gmail-550-5.7.26-dmarc", "a@gmail.com", GMAIL, "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. - gsmtp", IGNORE),
    ("gmail-550-5.7.28-unsolicited-rate", "a@gmail.com", GMAIL, "550-5.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. - gsmtp", IGNORE),
    ("gmail-550-5.7.25-ptr", "a@gmail.com", GMAIL, "550-5.7.25 The IP address sending this message does not have a PTR record setup. - gsmtp", IGNORE),
    # Exchange Online NDRs: learn.microsoft.com 'Email non-delivery reports and SMTP errors in Exchange Online'
    ("m365-550-5.1.10-not-found", "a@example.com", OUTLOOK, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient a@example.com not found by SMTP address lookup", NOW),
    ("m365-550-5.4.1-dbeb", "a@example.com", OUTLOOK, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", NOW),
    ("m365-550-5.4.1-relay-access-denied", "a@example.com", OUTLOOK, "550 5.4.1 Relay Access Denied [AM0PR00MB0000.eurprd00.prod.outlook.com]", IGNORE),
    ("m365-550-5.7.133-group-needs-auth", "a@example.com", OUTLOOK, "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed because the sender was not authenticated when sending to this group", IGNORE),
    ("m365-550-5.7.134-mailbox-needs-auth", "a@example.com", OUTLOOK, "550 5.7.134 RESOLVER.RST.SenderNotAuthenticatedForMailbox; authentication required", IGNORE),
    ("m365-554-5.2.252-sendasdenied", "a@example.com", OUTLOOK, "554 5.2.252 SendAsDenied; news@sender.example not allowed to send as b@sender.example; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied", IGNORE),
    ("m365-550-5.7.606-banned-ip", "a@example.com", OUTLOOK, "550 5.7.606 Access denied, banned sending IP [192.0.2.1].", IGNORE),
    ("m365-554-5.2.2-mailbox-full", "a@example.com", OUTLOOK, "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded", COUNT),
    ("outlook-550-5.5.0-mailbox-unavailable", "a@hotmail.com", HOTMAIL, "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).", NOW),
    # Yahoo SMTP error codes: senders.yahooinc.com/smtp-error-codes
    ("yahoo-554-dd-no-account", "a@yahoo.com", YAHOO, "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0] - mta1234.mail.ne1.yahoo.com", NOW),
    ("yahoo-421-tss04", "a@yahoo.com", YAHOO, "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1", IGNORE),
    ("yahoo-553-5.7.1-bl21", "a@yahoo.com", YAHOO, "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list", IGNORE),
    # iCloud Mail postmaster information: support.apple.com/en-us/102322
    ("icloud-550-5.1.1-no-user", "a@icloud.com", ICLOUD, "550 5.1.1 <a@icloud.com>: user does not exist", NOW),
    ("icloud-552-5.2.2-over-quota", "a@icloud.com", ICLOUD, "552 5.2.2 <a@icloud.com>: user is over quota", COUNT),
    ("icloud-554-5.7.1-local-policy", "a@icloud.com", ICLOUD, "554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137", COUNT),
    # Mail.Ru: help.mail.ru postmaster error pages ("Local mailbox ... is unavailable: <why>")
    ("mailru-550-user-not-found", "a@mail.ru", MAILRU, "550 Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is unavailable: user not found", NOW),
    ("mailru-550-over-quota", "a@mail.ru", MAILRU, "550 Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is unavailable: user is over quota", COUNT),
    ("mailru-550-account-blocked", "a@mail.ru", MAILRU, "550 Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is unavailable: account is blocked", COUNT),
    # Barracuda ESG: campus.barracuda.com SMTP error codes
    ("barracuda-550-permanent-failure-blocked", "a@example.net", "d123.ess.barracudanetworks.com", "550 permanent failure for one or more recipients (a@example.net:blocked)", COUNT),
    # RFC 5321 4.2.2: 550 'mailbox unavailable' also covers 'command rejected for policy reasons'
    ("rfc5321-550-5.7.1-mailbox-unavailable", "a@example.info", "mx.example.info", "550 5.7.1 Requested action not taken: mailbox unavailable", COUNT),
    # Postfix smtpd: a refused HELO name and greylisting are about our host, whatever the code
    ("postfix-helo-rejected-under-5.1.1", "a@example.info", "mx.example.info", "550 5.1.1 <a@example.info>: Helo command rejected: Host not found", IGNORE),
    ("postfix-450-4.1.1-verification-in-progress", "a@example.info", "mx.example.info", "450 4.1.1 <a@example.info>: Recipient address rejected: unverified address: Address verification in progress", COUNT),
    ("postgrey-greylisted-under-5.1.1", "a@example.info", "mx.example.info", "550 5.1.1 <a@example.info>: Recipient address rejected: Greylisted for 5 minutes", IGNORE),
]


def _dsn(rcpt: str, host: str, text: str, status: str, stage: str) -> bytes:
    command = "RCPT TO" if stage == "RCPT" else "end of DATA"
    return f"""From: MAILER-DAEMON@mta.example.net
To: news@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<{rcpt}>: host {host}[192.0.2.9] said: {text} (in reply to {command} command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.example.net

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: {status}
Remote-MTA: dns; {host}
Diagnostic-Code: smtp; {text}

--B
Content-Type: message/rfc822

From: news@sender.example
To: {rcpt}
Subject: hello

hello
--B--
""".encode()


def _exim_text(rcpt: str, host: str, text: str, stage: str) -> bytes:
    after = f"RCPT TO:<{rcpt}>" if stage == "RCPT" else "end of data"
    return f"""From: Mail Delivery System <Mailer-Daemon@mta.example.net>
To: news@sender.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {rcpt}

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {rcpt}
    host {host} [192.0.2.9]
    SMTP error from remote mail server after {after}:
    {text}

------ This is a copy of the message, including all the headers. ------

From: news@sender.example
To: {rcpt}
Subject: hello

hello
""".encode()


def _decision(raw: bytes, rcpt: str) -> tuple[str, str]:
    got = [r for r in parse_message(raw).recipients if r.recipient.lower() == rcpt]
    assert len(got) == 1, f"recipient {rcpt} not found"
    rec = got[0]
    if rec.kind in ("hard", "complaint"):
        return NOW, rec.reason
    if rec.kind == "soft":
        return (IGNORE if rec.reason in SENDER_SIDE else COUNT), rec.reason
    return IGNORE, rec.reason


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
@pytest.mark.parametrize("rcpt,host,text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_documented_text_decision(rcpt, host, text, expected, stage):
    code = re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b", text)
    envelopes = {
        "dsn, the remote's status": _dsn(rcpt, host, text, code.group(0) if code else f"{text[0]}.0.0", stage),
        "dsn, class-only status": _dsn(rcpt, host, text, f"{text[0]}.0.0", stage),
        "plain-text notice": _exim_text(rcpt, host, text, stage),
    }
    for how, raw in envelopes.items():
        decision, reason = _decision(raw, rcpt)
        assert decision == expected, f"{how}: {decision} ({reason}) for {text!r}"
