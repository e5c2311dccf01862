"""A feedback report (RFC 5965) proves itself like a DSN: its Original-Mail-From (or the returned
original's Return-Path) is the signed VERP return path we sent with. Complaints go to a fixed
feedback address, so the envelope carries no VERP; real daemon, real SMTP, real SQLite."""
from __future__ import annotations

import sqlite3

import pytest

from tests.daemon_helpers import BOUNCE_DOMAIN
from tests.test_trust import active, send, signed

FBL = f"bounces@{BOUNCE_DOMAIN}"  # the address a mailbox provider's feedback loop reports to
ANNOYED, OTHER = "annoyed@rcpt.example", "bystander@rcpt.example"


def complaint(rcpt: str | None, token: str, *, mail_from: str | None, return_path: str | None = None) -> bytes:
    """An ARF abuse report as a feedback loop sends it: a human part, the machine-readable report
    (Original-Mail-From when given), and the headers of the reported message; ``rcpt`` None is a
    feedback loop that redacts the recipient (no Original-Rcpt-To, the original's To removed)."""
    report = ("Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/2.1\r\nVersion: 1\r\n"
              + (f"Original-Mail-From: <{mail_from}>\r\n" if mail_from else "")
              + (f"Original-Rcpt-To: <{rcpt}>\r\n" if rcpt else "")
              + "Arrival-Date: Thu, 1 Jan 2026 12:00:00 +0000\r\n"
              "Reported-Domain: sender.example\r\nSource-IP: 192.0.2.25\r\n")
    original = ((f"Return-Path: <{return_path}>\r\n" if return_path else "")
                + f"From: news@sender.example\r\nTo: {rcpt or 'undisclosed-recipients:;'}\r\nSubject: Our offers\r\n"
                f"Message-ID: <offer-{token}@sender.example>\r\nDate: Thu, 1 Jan 2026 11:59:00 +0000\r\n\r\n")
    return ("From: fbl@provider.example\r\nTo: " + FBL + "\r\n"
            f"Subject: Abuse report {token}\r\nMessage-ID: <arf-{token}@provider.example>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\r\n\r\n'
            "--F\r\nContent-Type: text/plain\r\n\r\nA user marked this message as spam.\r\n\r\n"
            f"--F\r\nContent-Type: message/feedback-report\r\n\r\n{report}\r\n"
            f"--F\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}--F--\r\n").encode()


@pytest.mark.parametrize("level", ["bound", "signed"])
def test_original_mail_from_signed_for_the_recipient_suppresses_it(start_daemon, db_path, level):
    d = start_daemon(bounce={"trust": level})
    send(d.port(), FBL, complaint(ANNOYED, "a", mail_from=signed(db_path, ANNOYED)))
    assert active(db_path) == {ANNOYED}


def test_a_redacted_report_names_its_recipient_through_the_signed_return_path(start_daemon, db_path):
    """Feedback loops that redact the recipient still return the return path, which names it."""
    d = start_daemon(bounce={"trust": "signed"})
    send(d.port(), FBL, complaint(None, "r", mail_from=signed(db_path, ANNOYED)))
    assert active(db_path) == {ANNOYED}
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT kind, trust_note FROM events").fetchall() == [("complaint", "signed VERP")]


def test_the_returned_originals_return_path_counts_when_the_report_omits_it(start_daemon, db_path):
    d = start_daemon(bounce={"trust": "signed"})
    send(d.port(), FBL, complaint(ANNOYED, "b", mail_from=None, return_path=signed(db_path, ANNOYED)))
    assert active(db_path) == {ANNOYED}


def test_a_signed_return_path_binds_the_complaint_to_its_own_recipient(start_daemon, db_path):
    """Someone replays our return path for ANNOYED in a report naming another: only ANNOYED's counts."""
    d = start_daemon(bounce={"trust": "signed"})
    send(d.port(), FBL, complaint(OTHER, "c", mail_from=signed(db_path, ANNOYED)))
    assert active(db_path) == set()
    con = sqlite3.connect(db_path)
    (note,) = con.execute("SELECT trust_note FROM events WHERE address = ?", (OTHER,)).fetchone()
    assert note == f"the report names {OTHER} but the VERP envelope names {ANNOYED}"


@pytest.mark.parametrize("mail_from, why", [
    (None, "no proof: no VERP, no X-Bounced-Sig"),
    (f"bounces+annoyed=rcpt.example=aaaaaaaaaa@{BOUNCE_DOMAIN}", "VERP"),  # a made-up tag
])
def test_without_a_valid_tag_the_complaint_changes_nothing(start_daemon, db_path, mail_from, why):

    d = start_daemon(bounce={"trust": "bound"})
    send(d.port(), FBL, complaint(ANNOYED, "d", mail_from=mail_from))
    assert active(db_path) == set()
    con = sqlite3.connect(db_path)
    trusted, note = con.execute("SELECT trusted, trust_note FROM events WHERE address = ?", (ANNOYED,)).fetchone()
    assert trusted == 0 and note.startswith(why)
