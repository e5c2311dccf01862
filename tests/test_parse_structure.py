"""How a bounce is encoded and wrapped must not change what it says: one test per structural rule
found by tests/test_parse_invariance.py (a BOM, a transfer-encoded report, transport padding in
quoted-printable, a forwarded notice, a report nested twice). Messages are built here from the
general shape of each case, not taken from samples."""
from __future__ import annotations

import base64
import codecs
import quopri

from bounced import mime, mimetree
from bounced.parse import parse_message

DIAG = ("smtp; 550 5.2.2 <full.box@rcpt.example>: mailbox quota exceeded for this recipient, "
        "please try again much later")


def _dsn(report: str = "", cte: str = "", sender: str = "MAILER-DAEMON@mx.sender.example",
         notice: str = "Your message could not be delivered.\n", rcpt: str = "full.box@rcpt.example",
         diag: str = DIAG, status: str = "5.2.2", return_path: str = "<>") -> str:
    report = report or (f"Reporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822; {rcpt}\n"
                        f"Action: failed\nStatus: {status}\nDiagnostic-Code: {diag}\n")
    cte_line = f"Content-Transfer-Encoding: {cte}\n" if cte else ""
    return (f"Return-Path: {return_path}\nFrom: {sender}\nTo: bounces@sender.example\n"
            "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn-1@mx.sender.example>\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
            f"--b1\nContent-Type: text/plain; charset=us-ascii\n\n{notice}\n"
            f"--b1\nContent-Type: message/delivery-status\n{cte_line}\n{report}\n"
            "--b1\nContent-Type: text/rfc822-headers\n\nFrom: news@sender.example\n"
            f"To: {rcpt}\nSubject: Our December news\n\n--b1--\n")


def _one(raw: bytes):  # noqa: ANN202 - the single recipient's result
    res = parse_message(raw)
    assert len(res.recipients) == 1, res
    return res.recipients[0]


def test_a_utf8_bom_before_the_headers_is_ignored() -> None:
    plain = _dsn().encode()
    with_bom = codecs.BOM_UTF8 + plain
    assert mime.has_headers(mime.load(with_bom))
    got, want = _one(with_bom), _one(plain)
    assert (got.recipient, got.reason, got.status) == (want.recipient, want.reason, want.status)
    assert want.reason == "mailbox_full"


def test_quoted_printable_report_keeps_a_diagnostic_broken_by_a_soft_line_break() -> None:
    report = (f"Reporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822; full.box@rcpt.example\n"
              f"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: {DIAG}\n")
    encoded = quopri.encodestring(report.encode()).decode()
    assert "=\n" in encoded  # the Diagnostic-Code line is longer than 76: a soft break inside it
    got = _one(_dsn(report=encoded, cte="quoted-printable").encode())
    assert got.diagnostic == DIAG.split("; ", 1)[1]
    assert (got.reason, got.status) == ("mailbox_full", "5.2.2")


def test_base64_global_report_reads_as_the_plain_one() -> None:
    report = (f"Reporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822; full.box@rcpt.example\n"
              f"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: {DIAG}\n")
    raw = _dsn(report=base64.encodebytes(report.encode()).decode(), cte="base64")
    raw = raw.replace("message/delivery-status", "message/global-delivery-status")
    got = _one(raw.encode())
    assert (got.recipient, got.reason, got.status, got.diagnostic) == (
        "full.box@rcpt.example", "mailbox_full", "5.2.2", DIAG.split("; ", 1)[1])


def test_quoted_printable_soft_break_padded_with_blanks_is_still_a_soft_break() -> None:
    # RFC 2045 6.7 (3): trailing white space was added in transport and is deleted on decoding
    assert mimetree.decode_transfer(b"mailbox quo= \t\nta exceeded=20\n", "quoted-printable") == b"mailbox quota exceeded \n"
    assert mimetree.decode_transfer(b"a=3Db", "quoted-printable") == b"a=b"


def _forward(attached: str, sender: str = "Jane Operator <jane@example.org>", return_path: str = "") -> bytes:
    rp = f"Return-Path: {return_path}\n" if return_path else ""
    return (f"{rp}From: {sender}\nTo: bounces@sender.example\nSubject: Fwd: Undelivered Mail Returned to Sender\n"
            'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n\n'
            "--fwd\nContent-Type: text/plain\n\nForwarding the one below.\n\n"
            "--fwd\nContent-Type: message/rfc822\n\n" + attached + "\n--fwd--\n").encode()


PLAIN_NOTICE = ("From: MAILER-DAEMON@mx.sender.example\nTo: bounces@sender.example\n"
                "Subject: failure notice\n\n"
                "Hi. This is the qmail-send program at mx.sender.example.\n"
                "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                "<gone@rcpt.example>:\n192.0.2.7 does not like recipient.\n"
                "Remote host said: 550 5.1.1 <gone@rcpt.example>: Recipient address rejected: User unknown\n"
                "Giving up on 192.0.2.7.\n")


def test_a_forwarded_plain_text_notice_is_read_as_the_notice() -> None:
    direct = _one(PLAIN_NOTICE.encode())
    forwarded = _one(_forward(PLAIN_NOTICE))
    assert (forwarded.recipient, forwarded.reason, forwarded.status) == (direct.recipient, direct.reason, direct.status)
    assert direct.reason == "user_unknown"
    assert parse_message(_forward(PLAIN_NOTICE)).subject == "failure notice"  # the notice's own headers


def test_a_forward_from_a_postmaster_mailbox_is_read_as_its_notice_when_it_says_nothing_itself() -> None:
    got = _one(_forward(PLAIN_NOTICE, sender="Postmaster <postmaster@example.org>"))
    assert (got.recipient, got.reason) == ("gone@rcpt.example", "user_unknown")


def test_a_forward_of_ordinary_mail_is_not_a_bounce() -> None:
    letter = "From: friend@example.org\nTo: jane@example.org\nSubject: lunch\n\nNoon at the usual place?\n"
    res = parse_message(_forward(letter))
    assert res.recipients == () and res.format == "unknown"


def test_a_nested_report_is_read_with_its_own_notice_not_the_wrapper_text() -> None:
    # no Diagnostic-Code and a generic status: the notice's paragraph naming the recipient decides
    report = ("Reporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822; full.box@rcpt.example\n"
              "Action: failed\nStatus: 5.0.0\n")
    notice = "<full.box@rcpt.example>: host mx.rcpt.example said: 552 5.2.2 Mailbox full\n"
    direct = _one(_dsn(report=report, notice=notice).encode())
    # a wrapper that itself looks like a mail system's notice (null Return-Path): read as itself,
    # and the attached report then goes with the attached notice's words
    wrapped = _one(_forward(_dsn(report=report, notice=notice), return_path="<>"))
    assert direct.reason == "mailbox_full"
    assert (wrapped.recipient, wrapped.reason, wrapped.status) == (direct.recipient, direct.reason, direct.status)


def test_a_bounce_of_a_bounce_reports_the_outer_notice_recipient_only() -> None:
    inner = _dsn(rcpt="first@rcpt.example", diag="smtp; 550 5.1.1 user unknown", status="5.1.1")
    outer_report = ("Reporting-MTA: dns; relay.example\n\nFinal-Recipient: rfc822; bounces@sender.example\n"
                    "Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n")
    outer = ("From: forwarder@example.org\nTo: ops@example.org\nSubject: notice\nMIME-Version: 1.0\n"
             'Content-Type: multipart/mixed; boundary="w"\n\n--w\nContent-Type: text/plain\n\nSee attached.\n\n'
             "--w\nContent-Type: message/rfc822\n\n"
             + _dsn(report=outer_report).replace('boundary="b1"', 'boundary="b2"').replace("--b1", "--b2")
             .replace("--b2\nContent-Type: text/rfc822-headers\n\nFrom: news@sender.example\nTo: full.box@rcpt.example\n"
                      "Subject: Our December news\n\n",
                      "--b2\nContent-Type: message/rfc822\n\n" + inner + "\n")
             + "\n--w--\n")
    res = parse_message(outer.encode())
    assert [r.recipient for r in res.recipients] == ["bounces@sender.example"]


def test_a_returned_original_with_a_bounce_like_subject_is_not_taken_for_a_forwarded_notice() -> None:
    # a notice from a sender that does not name a mail system, returning our shipping mail whose
    # subject reads like a notice: the notice itself is what counts
    notice = ("From: Mail System <system@mx.rcpt.example>\nTo: bounces@sender.example\nSubject: Returned mail\n"
              'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m"\n\n'
              "--m\nContent-Type: text/plain\n\nYour message could not be delivered to the following recipient:\n\n"
              "<gone@rcpt.example>: 550 5.1.1 <gone@rcpt.example>: Recipient address rejected: User unknown\n\n"
              "--m\nContent-Type: message/rfc822\n\nFrom: shop@sender.example\nTo: gone@rcpt.example\n"
              "Subject: Delivery notification: your parcel is on its way\n\nTracking number 123.\n\n--m--\n")
    got = _one(notice.encode())
    assert (got.recipient, got.reason) == ("gone@rcpt.example", "user_unknown")


def test_amazon_sns_line_wraps_padded_with_blanks_still_join() -> None:
    # SNS wraps its e-mail notification at 76 with "!" at each line end; a relay's transport
    # padding (blanks after the "!") must not keep the JSON from joining
    doc = ('{"Type": "Notification", "Message": "{\\"notificationType\\": \\"Bounce\\", \\"bounce\\": '
           '{\\"bounceType\\": \\"Permanent\\", \\"bouncedRecipients\\": [{\\"emailAddress\\": '
           '\\"gone@rcpt.example\\", \\"action\\": \\"failed\\", \\"status\\": \\"5.1.1\\", '
           '\\"diagnosticCode\\": \\"smtp; 550 5.1.1 user unknown\\"}]}}"}')
    wrapped = "".join(doc[i:i + 75] + "! \t\n" for i in range(0, len(doc), 75))
    raw = ("From: Bounces <no-reply@sns.amazonaws.com>\nTo: ops@sender.example\n"
           "Subject: AWS Notification Message\nx-amz-sns-message-id: 0000\n"
           "Content-Type: text/plain; charset=UTF-8\n\n" + wrapped).encode()
    got = _one(raw)
    assert (got.recipient, got.reason, got.status) == ("gone@rcpt.example", "user_unknown", "5.1.1")


def test_undeclared_quoted_printable_soft_break_padded_with_blanks_still_joins() -> None:
    raw = ("From: mailer-daemon@mail.zoho.com\nTo: sender@sender.example\n"
           "Subject: Undelivered Mail Returned to Sender\nX-ZohoMail: Si\n"
           "Content-Type: text/plain; charset=utf-8\n\n"
           "This message was created automatically by mail delivery software.\n\n"
           "gone@rcpt.example Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.= \t\n"
           "1 <gone@rcpt.example>... User Unknown\n").encode()
    got = _one(raw)
    assert (got.recipient, got.reason, got.status) == ("gone@rcpt.example", "user_unknown", "5.1.1")


def test_a_report_whose_top_mime_headers_were_dropped_is_still_a_report() -> None:
    full = _dsn()
    head, _, body = full.partition("\n\n")
    stripped = "\n".join(line for line in head.split("\n")
                         if not line.lower().startswith(("content-type:", "mime-version:"))) + "\n\n" + body
    assert "multipart" not in stripped.split("\n\n", 1)[0]
    got, want = _one(stripped.encode()), _one(full.encode())
    assert (got.recipient, got.reason, got.status, got.diagnostic) == (
        want.recipient, want.reason, want.status, want.diagnostic)
    assert mime.content_type(mime.load(stripped.encode())) == "multipart/report"


def test_a_plain_notice_quoting_another_multipart_message_stays_plain() -> None:
    notice = (PLAIN_NOTICE + "\n--- Below this line is a copy of the message.\n\n"
              "--q1\nContent-Type: text/plain\n\nHello\n--q1--\n")
    msg = mime.load(notice.encode())
    assert mime.content_type(msg) == "text/plain"
    assert _one(notice.encode()).reason == "user_unknown"
