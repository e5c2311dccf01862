"""bounced.parse: the dispatcher and the standard formats (RFC 3464/6533, ARF, RFC 3834), VERP
and the envelope fallback, the returned original's headers, and the shared SMTP code finder.

Fixtures in tests/data/parse/ are small messages written for this project, one per case.
Corpus checks (../shared/corpus) skip when the corpus is absent.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bounced.classify import normalize_status
from bounced.model import Kind
from bounced.parse import ParseOptions, format_modules, parse_message
from bounced.parse import fields, smtp, verp

DATA = Path(__file__).parent / "data" / "parse"
CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


def parse(name: str, **kw):
    return parse_message((DATA / name).read_bytes(), **kw)


def by_rcpt(result):
    return {r.recipient.lower(): r for r in result.recipients}


# file, format, {recipient: (action, status, reply_code, kind)}
DSN_CASES = [
    pytest.param("rfc3464-single.eml", "rfc3464",
                 {"nobody@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD)}, id="postfix-550-5.1.1"),
    pytest.param("rfc3464-multi.eml", "rfc3464",
                 {"full@rcpt.example": ("failed", "5.2.2", "552", Kind.SOFT),
                  "gone@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD),
                  "later@other.example": ("delayed", "4.4.1", "421", Kind.DELAY)}, id="three-recipients-no-blank-line"),
    pytest.param("rfc3464-generic-status.eml", "rfc3464",
                 {"someone@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD),
                  "nostatus@rcpt.example": ("failed", "5.7.1", "554", None)}, id="generic-5.0.0-and-missing-status"),
    pytest.param("rfc6533-global.eml", "rfc3464",
                 {"jürgen@bücher.example": ("failed", "5.1.1", "550", Kind.HARD)}, id="rfc6533-utf8-address"),
    pytest.param("rfc3464-delayed.eml", "rfc3464",
                 {"slow@rcpt.example": ("delayed", "4.4.7", None, Kind.DELAY)}, id="delayed-4.4.7"),
    pytest.param("rfc3464-delivered.eml", "rfc3464",
                 {"happy@rcpt.example": ("delivered", "2.0.0", "250", Kind.DELIVERED),
                  "onward@rcpt.example": ("relayed", "2.0.0", "250", Kind.DELIVERED)}, id="delivered-and-relayed"),
    pytest.param("rfc3464-base64.eml", "rfc3464",
                 {"full@rcpt.example": ("failed", "5.2.2", "552", Kind.SOFT)}, id="base64-status-part"),
    pytest.param("rfc3464-qp.eml", "rfc3464",
                 {"qp-user@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD)}, id="quoted-printable-status-part"),
    pytest.param("rfc3464-bare-cr.eml", "rfc3464",
                 {"cr-user@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD)}, id="bare-cr-line-endings"),
    pytest.param("rfc3464-no-diagnostic.eml", "rfc3464",
                 {"first@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD),
                  "second@rcpt.example": ("failed", "5.2.2", "552", Kind.SOFT)}, id="no-diagnostic-code-notice-lines"),
    pytest.param("rfc3464-broken-boundary.eml", "rfc3464",
                 {"disabled@rcpt.example": ("failed", "5.2.1", "550", None)}, id="broken-closing-boundary"),
    pytest.param("rfc3464-truncated.eml", "rfc3464",
                 {"cut@rcpt.example": ("failed", "5.1.1", "550", Kind.HARD)}, id="truncated-mid-field"),
]


@pytest.mark.parametrize(("name", "fmt", "expected"), DSN_CASES)
def test_dsn_recipients(name: str, fmt: str, expected: dict) -> None:
    result = parse(name)
    assert result.error is None
    assert result.format == fmt
    got = by_rcpt(result)
    assert set(got) == set(expected)
    for rcpt, (action, status, reply, kind) in expected.items():
        r = got[rcpt]
        assert (r.action, r.status, r.reply_code) == (action, status, reply), rcpt
        if kind is not None:
            assert r.kind == kind, rcpt


def test_rfc3464_fields_unfolded_and_typed() -> None:
    r = parse("rfc3464-single.eml").recipients[0]
    assert r.diagnostic == ("550 5.1.1 <nobody@rcpt.example>: Recipient address rejected: "
                            "User unknown in local recipient table")
    assert r.remote_mta == "mx.rcpt.example"
    assert r.original_recipient == "nobody@rcpt.example"
    assert r.last_attempt == "2026-03-02T10:00:05+00:00"
    multi = by_rcpt(parse("rfc3464-multi.eml"))
    assert "\n" not in multi["full@rcpt.example"].diagnostic
    assert multi["full@rcpt.example"].diagnostic.endswith("https://support.example/quota")


def test_dsn_with_auto_submitted_is_a_bounce_not_a_vacation() -> None:
    result = parse("rfc3464-single.eml")  # carries Auto-Submitted: auto-replied
    assert result.format == "rfc3464"
    assert [r.kind for r in result.recipients] == [Kind.HARD]


def test_original_headers_and_extra_header() -> None:
    result = parse("rfc3464-single.eml", options=ParseOptions(extra_headers=("X-Campaign-ID",)))
    headers = dict(result.original_headers)
    assert result.message_id == "<20260302100005.3F1A2@mx.sender.example>"
    assert result.original_message_id == "<campaign-42.7@sender.example>"
    assert headers["Subject"] == "March news – issue 3"  # RFC 2047 decoded
    assert headers["X-Campaign-ID"] == "spring-2026"
    assert headers["To"] == "nobody@rcpt.example"


@pytest.mark.parametrize(("name", "message_id"), [
    pytest.param("rfc3464-multi.eml", "<multi-1@sender.example>", id="text-rfc822-headers"),
    pytest.param("rfc3464-base64.eml", "<orig-b64@sender.example>", id="qp-encoded-headers-part"),
    pytest.param("arf-abuse.eml", "<sale-2026@sender.example>", id="arf-message-rfc822"),
    pytest.param("verp-plain.eml", "<newsletter-99@sender.example>", id="inline-quoted-original"),
    pytest.param("rfc3464-broken-boundary.eml", "<swallowed-original@sender.example>", id="broken-closing-boundary"),
])
def test_original_message_id(name: str, message_id: str) -> None:
    assert parse(name).original_message_id == message_id


def test_original_with_unindented_continuation_line() -> None:
    raw = (DATA / "rfc3464-single.eml").read_bytes().replace(
        b"Return-Path: <bounces@sender.example>\n",
        b"Return-Path: <bounces@sender.example>\nReceived: from [127.0.0.1] (localhost)\nby mx.sender.example id 1\n")
    headers = dict(parse_message(raw).original_headers)
    assert headers["Message-ID"] == "<campaign-42.7@sender.example>"
    assert headers["To"] == "nobody@rcpt.example"


ARF_TYPES = [  # RFC 5965 7.3 and RFC 6591: only the recipient's own report is a complaint
    ("abuse", "feedback", Kind.COMPLAINT),
    ("fraud", "feedback", Kind.COMPLAINT),
    ("opt-out", "feedback", Kind.COMPLAINT),
    ("other", "feedback", Kind.COMPLAINT),
    ("virus", "virus_detected", Kind.UNKNOWN),
    ("not-spam", "delivered", Kind.DELIVERED),
    ("auth-failure", "auth_failure", Kind.SOFT),
]


@pytest.mark.parametrize(("ftype", "reason", "kind"), ARF_TYPES, ids=[t[0] for t in ARF_TYPES])
def test_arf_each_feedback_type(ftype: str, reason: str, kind: Kind) -> None:
    raw = (DATA / "arf-abuse.eml").read_bytes().replace(b"Feedback-Type: abuse", f"Feedback-Type: {ftype}".encode())
    result = parse_message(raw)
    assert result.format == "arf"
    [r] = result.recipients
    assert (r.recipient, r.kind, r.reason, r.feedback_type) == ("annoyed@rcpt.example", kind, reason, ftype)


def test_every_registered_feedback_type_has_a_row() -> None:
    from bounced.classify.feedback import FEEDBACK
    from bounced.parse.arf import FEEDBACK_TYPES

    assert set(FEEDBACK) == FEEDBACK_TYPES


def test_arf_unregistered_type_is_other() -> None:
    raw = (DATA / "arf-abuse.eml").read_bytes().replace(b"Feedback-Type: abuse", b"Feedback-Type: x-weird")
    assert parse_message(raw).recipients[0].feedback_type == "other"


def test_arf_recipient_from_returned_headers() -> None:
    result = parse("arf-headers-only.eml")
    [r] = result.recipients
    assert (r.recipient, r.feedback_type, r.kind) == ("reader@rcpt.example", "auth-failure", Kind.SOFT)
    assert r.reason == "auth_failure"  # RFC 6591: a report on the sender's authentication, never suppresses
    assert result.original_message_id == "<hello-1@sender.example>"


@pytest.mark.parametrize(("name", "responder"), [
    pytest.param("autoreply-auto-submitted.eml", "alice@rcpt.example", id="auto-submitted-auto-replied"),
    pytest.param("autoreply-x-autoreply.eml", "bob@rcpt.example", id="x-autoreply-precedence"),
    pytest.param("autoreply-subject-german.eml", "carla@rcpt.example", id="subject-de-abwesenheitsnotiz"),
    pytest.param("autoreply-subject-japanese.eml", "daisuke@rcpt.example", id="subject-ja-jidououtou"),
    pytest.param("autoreply-subject-french.eml", "elise@rcpt.example", id="subject-fr-reponse-automatique"),
])
def test_auto_replies(name: str, responder: str) -> None:
    result = parse(name)
    assert result.format == "rfc3834"
    [r] = result.recipients
    assert (r.recipient, r.kind, r.reason) == (responder, Kind.AUTO_REPLY, "vacation")


@pytest.mark.parametrize(("subject", "expected"), [
    ("Automatic reply: Nyaan", True),
    ("Out of Office: March news", True),
    ("Abwesenheitsnotiz: Newsletter", True),
    ("Respuesta automática: hola", True),
    ("Risposta automatica: ciao", True),
    ("Automatisch antwoord: nieuwsbrief", True),
    ("自動応答: ニュース", True),
    ("自动回复: 新闻", True),
    ("Автоответ: новости", True),
    ("Our office is moving", False),
    ("Undelivered Mail Returned to Sender", False),
])
def test_autoreply_subjects(subject: str, expected: bool) -> None:
    from bounced.parse.autoreply import is_autoreply_subject

    assert is_autoreply_subject(subject) is expected


def test_autoreply_subject_rows_are_lower_case() -> None:
    from bounced.parse.autoreply import SUBJECT_ROWS

    for pattern, note in SUBJECT_ROWS:
        assert pattern == pattern.lower(), pattern
        assert note


@pytest.mark.parametrize("name", ["not-bounce-plain.eml", "not-bounce-spam.eml"])
def test_non_bounces_yield_no_bounce_recipients(name: str) -> None:
    result = parse(name, envelope_rcpt="bounces+someone=rcpt.example@bounce.sender.example")
    assert result.error is None
    assert not [r for r in result.recipients if r.kind in (Kind.HARD, Kind.SOFT, Kind.DELAY, Kind.COMPLAINT, Kind.UNKNOWN)]


OOO = (b"From: Gina <gina@rcpt.example>\nTo: news@sender.example\nSubject: Re: Spring news\n%s"
       b"Content-Type: text/plain; charset=utf-8\n\n%s\n")


@pytest.mark.parametrize("body", [
    pytest.param(b"I am out of the office until Monday with limited access to email.", id="en"),
    pytest.param("Ich bin bis zum 3. März nicht im Büro.".encode(), id="de"),
    pytest.param(b"Je suis absente jusqu'au 12 mai.", id="fr"),
])
def test_auto_reply_marked_only_by_precedence_bulk(body: bytes) -> None:
    [r] = parse_message(OOO % (b"Precedence: bulk\n", body)).recipients
    assert (r.recipient, r.kind) == ("gina@rcpt.example", Kind.AUTO_REPLY)


def test_absence_words_without_precedence_are_ordinary_mail() -> None:
    """A person may write that they were out of the office: without an autoresponder's mark it is mail."""
    assert parse_message(OOO % (b"", b"I am out of the office until Monday, sorry for the late answer.")).recipients == ()


def test_autoreply_body_rows_are_lower_case_with_notes() -> None:
    from bounced.parse.autoreply import BODY_ROWS

    for pattern, note in BODY_ROWS:
        plain = re.sub(r"\\[A-Za-z]", "", pattern)  # escapes such as \S keep their case
        assert plain == plain.lower() and note.strip()


def test_challenge_response_is_a_soft_challenge() -> None:
    """A challenge-response request holds the message until the sender proves to be human: the
    protected recipient gets reason challenge, a soft bounce that is counted, never suppressed."""
    result = parse("challenge-confirm.eml")
    assert result.format == "challenge"
    [r] = result.recipients
    assert (r.recipient, r.reason, r.kind) == ("frank@rcpt.example", "challenge", Kind.SOFT)


def test_challenge_without_an_address_takes_the_verp_recipient() -> None:
    raw = (b"From: Boxbe <notify@boxbe.example>\nTo: bounces+ann=rcpt.example@bounce.sender.example\n"
           b"Subject: Request to join my Guest List\nContent-Type: text/plain\n\n"
           b"Ann uses Boxbe. Please verify that you are a human by clicking the link below.\n")
    result = parse_message(raw)
    assert result.format == "challenge"
    assert [(r.recipient, r.reason, r.kind) for r in result.recipients] == [("ann@rcpt.example", "challenge", Kind.SOFT)]


@pytest.mark.parametrize("body", [b"Thanks, I can confirm the delivery date. Ann",
                                  b"You are on the guest list for Friday, see you there. Ann"])
def test_ordinary_mail_about_confirming_is_not_a_challenge(body: bytes) -> None:
    raw = (b"From: Ann <ann@rcpt.example>\nTo: news@sender.example\nSubject: Re: the order\n"
           b"Content-Type: text/plain\n\n" + body + b"\n")
    assert parse_message(raw).recipients == ()


def test_challenge_rows_are_lower_case_with_notes() -> None:
    from bounced.parse.challenge import CHALLENGE_ROWS

    for pattern, note in CHALLENGE_ROWS:
        assert pattern == pattern.lower() and note.strip()


V5_NOTICE = (b"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.sender.example>\nTo: news@sender.example\n"
             b"Subject: Returned mail: Cannot send message for 5 days\n\n"
             b"   ----- Transcript of session follows -----\n"
             b"421 rcpt.example (smtp)... Deferred: Connection timed out during user open with rcpt.example\n\n"
             b"   ----- Unsent message follows -----\nFrom: news@sender.example\nTo: %s\nSubject: News\n\nHello\n")


def test_sole_original_recipient_when_the_notice_names_its_domain() -> None:
    """Old Sendmail names only the host; the unsent message's one To is the recipient."""
    [r] = parse_message(V5_NOTICE % b"kim@rcpt.example").recipients
    assert (r.recipient, r.reason, r.kind) == ("kim@rcpt.example", "expired", Kind.SOFT)


@pytest.mark.parametrize("to", [b"kim@other.example", b"kim@rcpt.example, lee@rcpt.example"])
def test_original_recipient_not_guessed(to: bytes) -> None:
    """Another domain than the notice names, or several addresses: no guess."""
    assert parse_message(V5_NOTICE % to).recipients == ()


def test_verp_recipient_from_the_bounce_to_header() -> None:
    result = parse("verp-plain.eml")
    [r] = result.recipients
    assert r.recipient == "jane.doe@rcpt.example"
    assert (r.status, r.reply_code) == ("5.2.1", "550")


def test_envelope_recipient_used_when_message_names_none() -> None:
    assert parse("envelope-only.eml").recipients == ()
    result = parse("envelope-only.eml", envelope_rcpt="bounces+zed=rcpt.example@bounce.sender.example")
    assert [r.recipient for r in result.recipients] == ["zed@rcpt.example"]


def test_verp_with_configured_local_part_and_delimiter() -> None:
    opts = ParseOptions(bounce_local_parts=("rt",), verp_delimiter="-")
    result = parse("envelope-only.eml", options=opts, envelope_rcpt="rt-zed=rcpt.example@bounce.sender.example")
    assert [r.recipient for r in result.recipients] == ["zed@rcpt.example"]


@pytest.mark.parametrize(("address", "local_parts", "delim", "expected"), [
    ("bounces+user=example.com@bounce.example.org", ("bounces",), "+", "user@example.com"),
    ("<Bounces+first.last=sub.example.co.uk@b.example>", ("bounces",), "+", "first.last@sub.example.co.uk"),
    ("bounces-a=b=example.com@b.example", ("bounces",), "-", "a=b@example.com"),
    ("bounces@b.example", ("bounces",), "+", None),
    ("other+user=example.com@b.example", ("bounces",), "+", None),
    ("bounces+user@b.example", ("bounces",), "+", None),
    ("bounces+user=nodot@b.example", ("bounces",), "+", None),
    ("", ("bounces",), "+", None),
])
def test_verp_decode(address: str, local_parts: tuple, delim: str, expected: str | None) -> None:
    assert verp.decode(address, local_parts, delim) == expected


def test_duplicate_recipients_reported_once() -> None:
    raw = (DATA / "rfc3464-single.eml").read_bytes().replace(
        b"Last-Attempt-Date: Mon, 2 Mar 2026 10:00:05 +0000\n",
        b"Last-Attempt-Date: Mon, 2 Mar 2026 10:00:05 +0000\n\nFinal-Recipient: rfc822; NOBODY@rcpt.example\n"
        b"Action: failed\nStatus: 5.1.1\n")
    assert len(parse_message(raw).recipients) == 1


@pytest.mark.parametrize(("raw", "error_part"), [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"\x00\xff\x00garbage without headers", "no message header", id="binary"),
])
def test_unusable_input_gives_error_not_exception(raw: bytes, error_part: str) -> None:
    result = parse_message(raw)
    assert result.format == "unknown"
    assert error_part in (result.error or "")


def test_mbox_with_two_messages_merges_recipients() -> None:
    one = (DATA / "rfc3464-single.eml").read_bytes()
    two = (DATA / "rfc3464-qp.eml").read_bytes()
    raw = b"From MAILER-DAEMON Mon Mar  2 10:00:05 2026\n" + one + b"\nFrom MAILER-DAEMON Mon Mar  2 10:00:06 2026\n" + two
    assert set(by_rcpt(parse_message(raw))) == {"nobody@rcpt.example", "qp-user@rcpt.example"}


def test_dispatcher_order_is_one_documented_list() -> None:
    names = [m.FORMAT for m in format_modules()]
    assert names[:2] == ["arf", "rfc3464"]
    assert names[-1] == "rfc3834"
    import bounced.parse as p

    for name in ("arf", "rfc3464", "lhost", "autoreply", "fallback", "verp"):
        assert name in (p.__doc__ or "")


# ---- shared helpers ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "reply", "status"), [
    ("550 5.1.1 <a@b.example>... User unknown", "550", "5.1.1"),
    ("host mx.example[192.0.2.1] said: 552-5.2.2 over quota", "552", "5.2.2"),
    ("Sorry, no mailbox here by that name. (#5.1.1)", None, "5.1.1"),
    ("554 delivery error: dd This user doesn't have an account", "554", None),
    ("Connected to 192.0.2.1 but greeting failed.", None, None),
    ("Remote host 10.4.1.2 said: 421 4.4.2 timeout", "421", "4.4.2"),
    ("Exim 4.80 retry time not reached", None, None),
    ("5.7.1 blocked, then 550 later", "550", "5.7.1"),
])
def test_find_codes(text: str, reply: str | None, status: str | None) -> None:
    assert smtp.find_codes(text) == smtp.Codes(reply, status)


@pytest.mark.parametrize(("text", "command"), [
    ("550 Unknown user a@b.example (in reply to end of DATA\n    command)", "DATA"),
    ("said: 550 5.1.1 <a@b.example>: Recipient address rejected (in reply to RCPT TO command)", "RCPT"),
    ("550 Unauthenticated senders not allowed (in reply to MAIL FROM command)", "MAIL"),
    ("SMTP error from remote mail server after RCPT TO:<a@b.example>:\n 550 5.1.1 unknown", "RCPT"),
    ("SMTP error from remote mail server after initial connection: 554 go away", "CONN"),
    ("host mx.b.example[192.0.2.5] refused to talk to me: 554 mx.b.example ESMTP not accepting messages", "CONN"),
    ("... while talking to mx.b.example.:\n>>> DATA\n<<< 550 5.0.0 <a@b.example>... User unknown\n", "DATA"),
    (">>> RCPT To:<a@b.example>\n<<< 550-5.1.1 no\n<<< 550 5.1.1 such user\n", "RCPT"),
    (">>> MAIL From:<x@y.example>\n<<< 250 ok\n", None),
    ("550 5.1.1 User unknown", None),
])
def test_find_command(text: str, command: str | None) -> None:
    assert smtp.find_command(text) == command


def test_refused_command_reaches_the_classifier() -> None:
    """The notice's "(in reply to ... command)" is passed on: a vague refusal of MAIL FROM is about
    the envelope sender (RFC 5321 3.3), the same words at RCPT are not."""
    raw = (DATA / "rfc3464-single.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 5.0.0").replace(
        b"Diagnostic-Code: smtp; 550 5.1.1 <nobody@rcpt.example>: Recipient address\n"
        b"    rejected: User unknown in local recipient table", b"Diagnostic-Code: smtp; 550 Requested action not taken")
    at_rcpt = parse_message(raw).recipients[0]
    at_mail = parse_message(raw.replace(b"(in reply to RCPT TO command)", b"(in reply to MAIL FROM command)")).recipients[0]
    assert (at_rcpt.reason, at_mail.reason) == ("undefined", "rejected")


def test_refused_greeting_is_about_our_host() -> None:
    """Postfix's "refused to talk to me" is a greeting refusal (RFC 5321 3.1): before any address,
    so a vague reply is about the client host, never the recipient."""
    raw = (DATA / "rfc3464-single.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 5.0.0")
    raw = raw.replace(b"""<nobody@rcpt.example>: host mx.rcpt.example[192.0.2.25] said: 550 5.1.1
    <nobody@rcpt.example>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)""", b"""<nobody@rcpt.example>: host mx.rcpt.example[192.0.2.25] refused to talk to
    me: 554 mx.rcpt.example ESMTP not accepting messages""")
    raw = raw.replace(b"""Diagnostic-Code: smtp; 550 5.1.1 <nobody@rcpt.example>: Recipient address
    rejected: User unknown in local recipient table""", b"Diagnostic-Code: smtp; 554 mx.rcpt.example ESMTP not accepting messages")
    [r] = parse_message(raw).recipients
    assert (r.reason, r.kind) == ("blocked", Kind.SOFT)


def test_unknown_user_after_data_is_still_unknown() -> None:
    """Yahoo and Mail.ru refuse unknown users only at the end of DATA: an explicit "unknown user"
    is the address's fault whatever the stage."""
    raw = (DATA / "rfc3464-single.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 5.0.0").replace(
        b"Diagnostic-Code: smtp; 550 5.1.1 <nobody@rcpt.example>: Recipient address\n"
        b"    rejected: User unknown in local recipient table", b"Diagnostic-Code: smtp; 550 Unknown user")
    at_data = parse_message(raw.replace(b"(in reply to RCPT TO command)", b"(in reply to end of DATA command)")).recipients[0]
    assert (at_data.reason, at_data.kind) == ("user_unknown", Kind.HARD)


@pytest.mark.parametrize(("field", "text", "expected"), [
    ("5.0.0", "550 5.1.1 unknown", "5.1.1"),
    ("5.1.1 (bad mailbox)", "550 5.2.2 full", "5.1.1"),
    ("", "451 4.7.1 greylisted", "4.7.1"),
    ("4.0.0", "550 5.1.1 unknown", "4.0.0"),
    (None, "", None),
])
def test_better_status(field, text: str, expected) -> None:
    assert smtp.better_status(field, text) == expected


def test_one_code_finder_for_the_format_modules_and_classify() -> None:
    """Issue 18: Status 5.0.0 with a multi-line reply "550-5.7.1" reads as 5.7.1 everywhere (the
    providers' helper used to keep 5.0.0 while the MTA modules' and classify's found 5.7.1)."""
    diag = "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail"
    assert smtp.better_status("5.0.0", diag) == "5.7.1"
    assert smtp.codes(diag) == ("5.7.1", "550")
    assert normalize_status("5.0.0", diag, "550") == "5.7.1"
    assert smtp.better_status("5.1.0", "5.1.0 - Unknown address error 550-'5.1.1 no such user'") == "5.1.1"


@pytest.mark.parametrize(("text", "expected"), [
    ("<<< 250 2.1.5 ok\n<<< 550 5.1.1 unknown", ("5.1.1", "550")),
    ("250 2.6.0 Message received", ("2.6.0", "250")),  # a delivery notice keeps its own codes
    ("connect to mx port 465 refused (code 451)", (None, "451")),
    ("Sorry (#4.4.1) later", ("4.4.1", None)),
])
def test_codes_prefers_the_failure(text: str, expected) -> None:
    assert smtp.codes(text) == expected


def test_inline_dsn_fields_one_reader() -> None:
    """Postfix writes Original-Recipient after Final-Recipient: still one recipient; the next
    Final-Recipient starts another, and per-message fields reach both."""
    text = ("Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; <A@x.example>\n"
            "Original-Recipient: rfc822;a@x.example\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1\n    unknown\nFinal-Recipient: rfc822; b@x.example\n"
            "Action: bogus\nStatus: see below\n")
    groups = fields.dsn_fields(text)
    assert [g["final-recipient"] for g in groups] == ["rfc822; <A@x.example>", "rfc822; b@x.example"]
    assert groups[0]["diagnostic-code"] == "smtp; 550 5.1.1 unknown"
    assert all(g["reporting-mta"] == "dns; mx.example" for g in groups)
    assert fields.status_by_recipient(groups) == {"a@x.example": ("5.1.1", "failed"), "b@x.example": (None, None)}


@pytest.mark.parametrize(("value", "expected"), [
    ("rfc822; user@example.com", "user@example.com"),
    ("RFC822; <User@Example.com>", "User@Example.com"),
    ("rfc822;\"Name\" <n@example.com>", "n@example.com"),
    ("utf-8; j\\x{00FC}rgen@example.de", "jürgen@example.de"),
    ("rfc822; @relay.example:user@host.example", "user@host.example"),
    ("rfc822; @mx.example.org", None),
    ("", None),
])
def test_clean_address(value: str, expected: str | None) -> None:
    assert fields.clean_address(value) == expected


# ---- corpus (skips in a plain clone) ------------------------------------------------------
def _corpus(sub: str) -> Path:
    d = CORPUS / sub
    if not (d / "labels.json").is_file():
        pytest.skip(f"corpus {sub} not available")
    return d


def test_corpus_not_bounces_are_clean() -> None:
    d = _corpus("not-bounces")
    labels = json.loads((d / "labels.json").read_text())
    for name, lab in labels.items():
        result = parse_message((d / name).read_bytes())
        assert result.error is None or lab.get("bounce") is not False, name
        if lab.get("bounce") is False:
            bad = [r for r in result.recipients if r.kind not in (Kind.AUTO_REPLY, Kind.DELIVERED)]
            assert not bad, name


def test_corpus_rfc3464_recipients_found() -> None:
    """Every labelled recipient of the standard-format samples (rfc3464-*, arf-*, rfc3834-*) is found."""
    d = _corpus("sisimai")
    labels = json.loads((d / "labels.json").read_text())
    missing = []
    for name, exp in labels.items():
        if not name.startswith(("rfc3464-", "arf-", "rfc3834-")):
            continue
        got = {r.recipient.lower() for r in parse_message((d / name).read_bytes()).recipients}
        for e in exp:
            if e["recipient"] is None:
                if not got:
                    missing.append((name, None))
            elif e["recipient"].lower() not in got:
                missing.append((name, e["recipient"]))
    assert not missing


def test_corpus_every_file_gives_a_result() -> None:
    d = _corpus("sisimai")
    for path in sorted(d.glob("*.eml")):
        result = parse_message(path.read_bytes())
        assert result.error is None, path.name


def test_unfold_equals_regex_whitespace_collapse() -> None:
    """unfold uses str.split(), which must split at exactly what re's \\s matches (every Unicode
    space included), so that it stays the regex substitution it replaced."""
    import re
    import sys

    from bounced.parse import fields

    spaces = "".join(chr(i) for i in range(sys.maxunicode + 1) if re.match(r"\s", chr(i)))
    assert all(ch.isspace() for ch in spaces) and len(spaces) == sum(chr(i).isspace() for i in range(sys.maxunicode + 1))
    text = f"{spaces}a{spaces}b c\x00{spaces}"
    assert fields.unfold(text) == re.sub(r"\s+", " ", text).strip() == "a b c\x00"


def test_html_to_text_one_reader() -> None:
    """The MTA and provider modules read HTML notices alike: block tags break lines, entities decode."""
    html = '<div>550 5.1.1 &lt;a@x.example&gt;</div><p>User unknown<br/>Try later</p><a href="x">link</a>'
    assert fields.html_to_text(html).split("\n") == ["", "550 5.1.1 <a@x.example>", "", "User unknown", "Try later",
                                                     "link"]


def test_forwarded_address_is_keyed_on_the_original_recipient() -> None:
    """A .forward or alias target bounced: the result is keyed on the address we mailed (RFC 3464
    2.3.1 Original-Recipient) and names the target as final_recipient; the same address in both
    fields gives no final_recipient, so the usual output keeps its shape."""
    def dsn(final: str, original: str) -> bytes:
        return ("From: MAILER-DAEMON@relay.example.com\nTo: news@sender.example\nSubject: failure\nMIME-Version: 1.0\n"
                'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
                "--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\n"
                "Reporting-MTA: dns; relay.example.com\n\n"
                f"Final-Recipient: rfc822; {final}\nOriginal-Recipient: rfc822;{original}\nAction: failed\n"
                "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <x>: Recipient address rejected: User unknown\n--B--\n").encode()

    (r,) = parse_message(dsn("jane.doe@gmail.com", "jane@example.com")).recipients
    assert (r.recipient, r.original_recipient, r.final_recipient, r.kind) == (
        "jane@example.com", "jane@example.com", "jane.doe@gmail.com", Kind.HARD)
    assert r.to_dict()["final_recipient"] == "jane.doe@gmail.com"
    (same,) = parse_message(dsn("jane@example.com", "Jane@Example.com")).recipients
    assert (same.recipient, same.final_recipient) == ("jane@example.com", None)
    assert "final_recipient" not in same.to_dict()
    # Postfix's plain-text "(expanded from <alias>)" is the same statement
    raw = (Path(__file__).parent / "data" / "lhost" / "postfix-550-5.1.1.eml").read_bytes()
    expanded = [r for r in parse_message(raw).recipients if r.final_recipient]
    assert [(r.recipient, r.original_recipient) for r in expanded] == [("team@example.org", "team@example.org")]
    assert expanded[0].final_recipient and expanded[0].final_recipient != "team@example.org"


def test_quit_reply_as_diagnostic_gives_way_to_the_transcripts_refusal() -> None:
    """Sendmail records the last reply it read; after a 4xx at RCPT it may be "221 Bye" (its own QUIT's
    answer). A 2xx says nothing of a failure: the recipient's transcript line has the refusal."""
    raw = (b"From: MAILER-DAEMON@relay.sender.example\nTo: news@sender.example\nSubject: Returned mail\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           b"--b\n\n   ----- Transcript of session follows -----\n... while talking to mx.rcpt.example.:\n"
           b">>> RCPT To:<ann@rcpt.example>\n<<< 452 4.2.2 Mailbox full\n"
           b"ann@rcpt.example... Deferred: 452 4.2.2 Mailbox full\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.sender.example\n\n"
           b"Final-Recipient: RFC822; ann@rcpt.example\nAction: failed\nStatus: 4.4.7\n"
           b"Diagnostic-Code: SMTP; 221 Bye\n\n--b--\n")
    [r] = parse_message(raw).recipients
    assert "452 4.2.2 Mailbox full" in r.diagnostic
    assert (r.status, r.reason) == ("4.2.2", "mailbox_full")


def test_the_remotes_paired_status_over_the_reporting_mtas_guess() -> None:
    """Sendmail writes Status 5.1.3 for a 553 refusing MAIL FROM whatever the remote said; the
    Diagnostic-Code starts with the remote's own "553 5.1.8": the remote knows why it refused."""
    raw = (b"From: MAILER-DAEMON@relay.sender.example\nTo: news@sender.example\nSubject: Returned mail\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           b"--b\n\nThe following addresses had permanent fatal errors\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.sender.example\n\n"
           b"Final-Recipient: RFC822; ann@rcpt.example\nAction: failed\nStatus: 5.1.3\n"
           b"Diagnostic-Code: SMTP; 553 5.7.1 <news@sender.example>: Sender address rejected: not owned by user\n\n--b--\n")
    [r] = parse_message(raw).recipients
    assert (r.status, r.reason) == ("5.7.1", "rejected")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.eml")))
def test_a_parsed_message_leaves_no_reference_cycle(name: str) -> None:
    """The message tree and the values remembered on its parts are freed by reference counting as
    soon as the parse returns: no cache holds its own owner. Cyclic garbage would wait for the
    garbage collector, whose collections then walk every tree still waiting (a daemon parses
    without pause)."""
    import gc

    raw = (DATA / name).read_bytes()
    parse_message(raw)  # imports and first-use state out of the way
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        parse_message(raw)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
