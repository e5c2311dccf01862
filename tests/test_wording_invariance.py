"""The remote's reply keeps its meaning however the reporting MTA quotes it.

Every documented reply text the tests already use (tests/test_provider_texts.py, the classify
tests' rows, the MTA matrix rows) is carried through the ways real MTAs put a remote server's
answer into a bounce, and the parse must give the same (reason, kind) as for the plain form. Each
transformation names where it happens. The structure of the message (encodings, MIME wrapping)
is tests/test_parse_invariance.py's business; here only the wording of the reply moves.

A transformation that changes a result is a bug in the general handling of replies (unfolding,
normalization, a phrase pattern that does not survive a line break or a repeated reply-code
prefix), fixed there, never by adding the transformed text as a row.

The last part checks the opposite: words that are not the reply (the recipient's own address,
the remote host's name, a URL path) must not decide a reason.
"""
from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bounced.classify import pick_receiver
from bounced.parse import parse_message
from bounced.parse.smtp import drop_transcript_summary, join_reply_lines, url_hosts
from tests import test_classify, test_mta_matrix, test_provider_texts

SEED = 20261206
SENDER = "news@sender.example"
_REPLY = re.compile(r"^([245]\d\d)([ -])(#?[245]\.\d{1,3}\.\d{1,3}(?: |$))?\s*(.*)$", re.S)
_STATUS = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?![\w.])")


@dataclass(frozen=True)
class Row:
    """One documented reply: where it came from, the recipient, the remote host, and the Status
    field the reporting MTA writes (the remote's own code when the reply carries one)."""

    id: str
    recipient: str
    host: str
    remote_mta: bool  # whether the DSN names the remote host (a receiver table may key on it)
    text: str
    status: str
    expected: str | None = None  # the reason the row's own test documents, when it names one


def _status_for(text: str, given: str | None) -> str:
    if given:
        return given
    m = _STATUS.search(text)
    if m:
        return m.group(0)
    code = re.match(r"\s*([45])\d\d\b", text)
    return f"{code.group(1)}.0.0" if code else "5.0.0"


def _rows() -> list[Row]:
    rows: list[Row] = []
    for cid, rcpt, host, text, _decision in test_provider_texts.CASES:
        rows.append(Row(f"provider:{cid}", rcpt, host, True, text, _status_for(text, None)))
    for table in ("PHRASE_CASES", "SENDER_CASES", "IDENTIFIER_CASES"):
        for cid, status, text, expected in getattr(test_classify, table):
            rows.append(Row(f"classify:{cid}", "someone@rcpt.example", "mx.rcpt.example", False, text,
                            _status_for(text, status), expected))
    for cid, remote, rcpt, text, expected in test_classify.RECEIVER_CASES:
        rows.append(Row(f"receiver:{cid}", rcpt, remote or f"mx.{rcpt.rpartition('@')[2]}", remote is not None,
                        text, _status_for(text, None), expected))
    for cid, _stage, text, status, reason, *_rest in test_mta_matrix.CASES:
        if text:
            rows.append(Row(f"matrix:{cid}", f"{cid}@remote.test", "mx.remote.test", True, text, status, reason))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for row in rows:
        key = (row.text, row.recipient, row.host)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


ROWS = _rows()


# --- how reporting MTAs write the reply into a bounce ------------------------------------------

def _fold(value: str, width: int, first: int) -> str:
    """Fold a header field value at white space so no line passes ``width`` columns (RFC 5322
    2.2.3); ``first`` is the length of what precedes the value on the first line."""
    lines, line = [], ""
    used = first
    for word in value.split(" "):
        if line and used + len(line) + 1 + len(word) > width:
            lines.append(line)
            line, used = word, 1  # the continuation line's leading space
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n ".join(lines)


def _encode(text: str, charset: str) -> bytes | None:
    """The message in its notice's charset; None when the reply has characters it lacks."""
    try:
        return text.encode({"iso-2022-jp": "iso2022_jp", "iso-8859-1": "latin-1"}.get(charset, "utf-8"))
    except UnicodeEncodeError:
        return None


def dsn(row: Row, diagnostic: str | None, *, notice: str | None = None, status: str | None = None,
        fold: int | None = None, charset: str = "utf-8") -> bytes | None:
    """An RFC 3464 report as Postfix writes it: the notice quotes the reply after
    "host X said:", the delivery-status part carries it in Diagnostic-Code. A Diagnostic-Code
    value with line breaks is written as a folded field (each break followed by white space)."""
    if notice is None:
        notice = f"<{row.recipient}>: host {row.host}[192.0.2.9] said: {diagnostic} (in reply to RCPT TO command)"
    field = ""
    if diagnostic is not None:
        value = diagnostic if fold is None else _fold(diagnostic, fold, len("Diagnostic-Code: "))
        field = "Diagnostic-Code: " + "\n ".join(value.split("\n")) + "\n"
    remote = f"Remote-MTA: dns; {row.host}\n" if row.remote_mta else ""
    text = f"""From: MAILER-DAEMON@mta.sender.example
To: {SENDER}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset={charset}

This is the mail system at host mta.sender.example.

{notice}

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.sender.example

Final-Recipient: rfc822; {row.recipient}
Action: failed
Status: {status or row.status}
{remote}{field}
--B
Content-Type: message/rfc822

From: {SENDER}
To: {row.recipient}
Subject: hello

hello
--B--
"""
    return _encode(text, charset)


def exim_notice(row: Row, lines: list[str], *, charset: str = "utf-8", before: str = "") -> bytes | None:
    """Exim's plain-text bounce (deliver.c, no delivery-status part): the reply indented under
    "SMTP error from remote mail server after RCPT TO:<a@b>:", one line per reply line."""
    body = "\n".join(f"    {line}" for line in lines)
    text = f"""From: Mail Delivery System <Mailer-Daemon@mta.sender.example>
To: {SENDER}
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {row.recipient}
MIME-Version: 1.0
Content-Type: text/plain; charset={charset}
Content-Transfer-Encoding: 8bit

This message was created automatically by mail delivery software.
{before}
A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {row.recipient}
    host {row.host} [192.0.2.9]
    SMTP error from remote mail server after RCPT TO:<{row.recipient}>:
{body}

------ This is a copy of the message, including all the headers. ------

From: {SENDER}
To: {row.recipient}
Subject: hello

hello
"""
    return _encode(text, charset)


def sendmail_dsn(row: Row, lines: list[str], *, diagnostic: bool) -> bytes | None:
    """Sendmail's report (deliver.c/savemail.c): the notice's "Transcript of session follows"
    shows the conversation, "... while talking to mx.:" then ">>> DATA", each reply line as
    "<<< ", and its own "554 5.0.0 Service unavailable"; the delivery-status part carries the
    reply, or, when the report has no Diagnostic-Code, only the notice does."""
    transcript = "\n".join(f"<<< {line}" for line in lines)
    notice = f"""   ----- The following addresses had permanent fatal errors -----
<{row.recipient}>
    (reason: {lines[-1]})

   ----- Transcript of session follows -----
... while talking to {row.host}.:
>>> DATA
{transcript}
554 5.0.0 Service unavailable"""
    return dsn(row, " ".join(lines) if diagnostic else None, notice=notice,
               status=row.status if diagnostic else "5.0.0")


def qmail_notice(row: Row, lines: list[str]) -> bytes | None:
    """qmail's bounce (qmail-send.c, no delivery-status part): qmail-remote.c's outsmtptext()
    writes "Remote host said: " and the reply as received, a multi-line reply line by line."""
    reply = "\n".join(lines)
    text = f"""From: MAILER-DAEMON@mta.sender.example
To: {SENDER}
Subject: failure notice

Hi. This is the qmail-send program at mta.sender.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{row.recipient}>:
192.0.2.9 does not like recipient.
Remote host said: {reply}
Giving up on 192.0.2.9.

--- Below this line is a copy of the message.

From: {SENDER}
To: {row.recipient}
Subject: hello

hello
"""
    return _encode(text, "utf-8")


def split_reply(text: str, words_per_line: int | None = None, width: int = 60) -> list[str] | None:
    """A multi-line SMTP reply (RFC 5321 4.2.1) of the same text: the code, and the enhanced code
    when there is one, repeated on each line, "-" after the code on all lines but the last.
    Gmail always answers like this; lines break at word boundaries, at ``width`` columns or every
    ``words_per_line`` words. None when the text is no SMTP reply or is one word long."""
    m = _REPLY.match(text)
    if not m or len(m.group(4).split()) < 2:
        return None
    code, status, words = m.group(1), (m.group(3) or "").strip(), m.group(4).split()
    chunks: list[list[str]] = [[]]
    for word in words:
        current = chunks[-1]
        full = words_per_line is not None and len(current) >= words_per_line
        wide = words_per_line is None and current and len(" ".join(current + [word])) > width - 10
        if full or wide:
            chunks.append([])
        chunks[-1].append(word)
    if len(chunks) < 2:
        mid = len(words) // 2
        chunks = [words[:mid], words[mid:]]
    tail = f"{status} " if status else ""
    return [f"{code}{'-' if i < len(chunks) - 1 else ' '}{tail}{' '.join(chunk)}" for i, chunk in enumerate(chunks)]


def _codes_end(text: str) -> int:
    """Where the reply's words start: after the reply code and the enhanced code."""
    m = re.match(r"\s*[245]\d\d[ -](?:#?[245]\.\d{1,3}\.\d{1,3} )?", text)
    return m.end() if m else 0


def _mixed_case(text: str) -> str:
    rng = random.Random(f"{SEED}:{text}")
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in text)


def _whitespace(text: str) -> str:
    rng = random.Random(f"{SEED}:{text}")
    return re.sub(r" ", lambda _m: rng.choice(["  ", "\t", " \t ", "   "]), text)


_JA_BEFORE = "メールを配信できませんでした。相手先サーバーの応答："
_LATIN1_BEFORE = "Die Nachricht konnte nicht zugestellt werden. Antwort des Servers für"


def _iso2022(text: str) -> str:
    """Japanese in 7-bit ISO-2022-JP as Japanese MTAs write it into a DSN field, undecoded."""
    return text.encode("iso2022_jp").decode("ascii")


Make = Callable[[Row], "bytes | None"]


def _from_lines(make: Callable[[Row, list[str]], "bytes | None"], **split: int) -> Make:
    def build(row: Row) -> bytes | None:
        lines = split_reply(row.text, **split)
        return None if lines is None else make(row, lines)
    return build


def _text(change: Callable[[Row], "str | None"]) -> Make:
    """The same report with the reply's wording changed."""
    def build(row: Row) -> bytes | None:
        text = change(row)
        return None if text is None or text == row.text else dsn(row, text)
    return build


def _named_without_host(row: Row) -> bool:
    """Whether the provider whose table reads the row is known without the remote host's name:
    qmail's bounce names the host by its IP address only, so a provider known by its host name
    alone (its replies carry no marker) is not the same report there."""
    text = row.text.lower()
    return pick_receiver(row.host if row.remote_mta else None, row.recipient, text) == pick_receiver(None, row.recipient, text)


def _provider_id(row: Row) -> str:
    """The id the row's own server appends: another provider's id would name another provider
    (pick_receiver reads "gsmtp" and "outlook.com" as markers), which is not the same reply."""
    if row.host.endswith("google.com"):
        return "d9443c01a7336-1f6a1b2c3d4si1234567pli.123 - gsmtp"
    if row.host.endswith("outlook.com"):
        return "[BN8NAM12FT045.eop-nam12.prod.protection.outlook.com 2024-05-01T10:11:12.123Z 08DC69C0AB12CD34]"
    return f"[{row.host} 1714558272-4VXyZ1abc2z3]"


def _insert(row: Row, what: str) -> str:
    at = _codes_end(row.text)
    return f"{row.text[:at]}{what}{row.text[at:]}"


# (name, where it happens, builder): the baseline is dsn(row, row.text)
TRANSFORMS: list[tuple[str, str, Make]] = [
    ("multiline-postfix-joined", "Postfix smtp(8) joins a multi-line reply's lines with spaces, codes and all",
     _from_lines(lambda row, lines: dsn(row, " ".join(lines)))),
    ("multiline-postfix-joined-every-3-words", "as above, a line break inside every phrase",
     _from_lines(lambda row, lines: dsn(row, " ".join(lines)), words_per_line=3)),
    ("multiline-folded-field", "a multi-line reply kept line by line in a folded Diagnostic-Code",
     _from_lines(lambda row, lines: dsn(row, "\n".join(lines)), words_per_line=3)),
    ("multiline-exim-notice", "Exim's plain-text bounce: one indented line per reply line",
     _from_lines(lambda row, lines: exim_notice(row, lines))),
    ("multiline-exim-notice-every-3-words", "as above, a line break inside every phrase",
     _from_lines(lambda row, lines: exim_notice(row, lines), words_per_line=3)),
    ("multiline-sendmail-transcript", "Sendmail's transcript, '<<< ' before each reply line, and its DSN",
     _from_lines(lambda row, lines: sendmail_dsn(row, lines, diagnostic=True), words_per_line=3)),
    ("sendmail-notice-only", "a Sendmail-style report without Diagnostic-Code, Status 5.0.0: the notice's "
     "'(reason: ...)' line and transcript alone carry the reply",
     lambda row: sendmail_dsn(row, [row.text], diagnostic=False) if _REPLY.match(row.text) else None),
    ("exim-notice", "Exim's plain-text bounce, the reply on one line",
     lambda row: exim_notice(row, [row.text])),
    ("qmail-notice", "qmail's bounce: 'IP does not like recipient. Remote host said: ...'",
     lambda row: qmail_notice(row, [row.text]) if _REPLY.match(row.text) and _named_without_host(row) else None),
    ("multiline-qmail-notice", "qmail-remote passes a multi-line reply on line by line",
     _from_lines(lambda row, lines: qmail_notice(row, lines) if _named_without_host(row) else None)),
    ("exchange-remote-server-returned", "Exchange 2007-2019 NDRs: \"Remote Server returned '550 5.1.1 ...'\"",
     _text(lambda row: f"Remote Server returned '{row.text}'")),
    ("diagnostic-smtp-type-no-space", "Exchange writes the type without a space: 'smtp;550 5.1.1 ...'",
     lambda row: dsn(row, f"smtp;{row.text}")),
    ("postfix-said-wrapper", "a relay quoting Postfix's 'host X[ip] said: ... (in reply to RCPT TO command)'",
     _text(lambda row: f"host {row.host}[192.0.2.9] said: {row.text} (in reply to RCPT TO command)")),
    ("exim-wrapper", "Exim's 'SMTP error from remote mail server after RCPT TO:<a@b>: host X [ip]: ...'",
     _text(lambda row: f"SMTP error from remote mail server after RCPT TO:<{row.recipient}>:\n    host {row.host} [192.0.2.9]: {row.text}")),
    ("sendmail-while-talking", "Sendmail's transcript quoted whole, with its outer '554 5.0.0 Service unavailable'",
     _text(lambda row: f"... while talking to {row.host}.:\n>>> RCPT To:<{row.recipient}>\n<<< {row.text}\n554 5.0.0 Service unavailable"
           if _REPLY.match(row.text) else None)),
    ("diagnostic-smtp-type", "Diagnostic-Code with its RFC 3464 type 'smtp; '",
     lambda row: dsn(row, f"smtp; {row.text}")),
    ("diagnostic-x-postfix-type", "Postfix's 'X-Postfix; ' type (its own notes on a remote's reply)",
     lambda row: dsn(row, f"X-Postfix; {row.text}")),
    ("folded-72", "the Diagnostic-Code field folded at 72 columns (Sendmail, Exchange)",
     lambda row: dsn(row, f"smtp; {row.text}", fold=72)),
    ("folded-76", "folded at 76 columns",
     lambda row: dsn(row, f"smtp; {row.text}", fold=76)),
    ("folded-every-word", "folded at every space: a break inside every phrase",
     lambda row: dsn(row, f"smtp; {row.text}", fold=1)),
    ("recipient-angle-colon", "Postfix smtpd: '550 5.1.1 <a@b>: Recipient address rejected: ...'",
     _text(lambda row: _insert(row, f"<{row.recipient}>: "))),
    ("recipient-sendmail-dots", "Sendmail: '550 5.1.1 <a@b>... User unknown'",
     _text(lambda row: _insert(row, f"<{row.recipient}>... "))),
    ("recipient-prefix", "OpenSMTPD and qmail put the address before the reply: 'a@b: 550 ...'",
     _text(lambda row: f"{row.recipient}: {row.text}")),
    ("upper-case", "replies in capitals (older MTAs, some gateways)",
     _text(lambda row: row.text.upper())),
    ("mixed-case", "any letter's case (RFC 5321 2.4: reply text is not case-significant)",
     _text(lambda row: _mixed_case(row.text))),
    ("trailing-provider-id", "the server's own id after the reply: Gmail's '<id> - gsmtp', Exchange Online's "
     "'[server date id]', elsewhere a host and queue id", _text(lambda row: f"{row.text} {_provider_id(row)}")),
    ("trailing-url", "a provider's help URL after the reply",
     _text(lambda row: f"{row.text} https://postmaster.rcpt.example/smtp-errors?code=123#help")),
    ("extra-whitespace", "tabs and runs of spaces between words (hand-written gateway replies, folded copies)",
     _text(lambda row: _whitespace(row.text))),
    ("japanese-around-iso-2022-jp", "Japanese MTAs: ISO-2022-JP text before the reply, undecoded in the field",
     _text(lambda row: f"{_iso2022(_JA_BEFORE)} {row.text}")),
    ("japanese-notice", "a Japanese notice (ISO-2022-JP) around the reply",
     lambda row: dsn(row, row.text, charset="iso-2022-jp",
                     notice=f"{_JA_BEFORE}\n<{row.recipient}>: host {row.host}[192.0.2.9] said: {row.text} (in reply to RCPT TO command)")),
    ("latin1-notice", "a German Exim notice in ISO-8859-1 around the reply",
     lambda row: exim_notice(row, [row.text], charset="iso-8859-1", before=f"\n{_LATIN1_BEFORE} Empfänger.\n")),
]


# Rows whose meaning the transformation does change, by the provider's own documentation.
_KDDI = frozenset({"receiver:kddi-550-filtered", "receiver:kddi-550-no-address-relayed"})
CHANGES_MEANING: dict[str, tuple[frozenset[str], str]] = {
    # KDDI au: "550 : User unknown" without an address is the recipient's reception filter, a
    # refusal naming the address or given at RCPT is an address that does not exist
    # (receivers.py's kddi rows): the address and the stage are the meaning, not decoration
    "postfix-said-wrapper": (_KDDI, "the wrapper says 'in reply to RCPT TO'"),
    "recipient-angle-colon": (_KDDI, "the reply then names the address"),
    "recipient-sendmail-dots": (_KDDI, "the reply then names the address"),
}


def outcome(raw: bytes, recipient: str) -> tuple[str, str] | None:
    """(reason, kind) the parse gives ``recipient``, or None when it does not name it."""
    for rec in parse_message(raw).recipients:
        if rec.recipient.lower() == recipient.lower():
            return rec.reason, rec.kind
    return None


@functools.cache
def plain(row: Row) -> tuple[str, str] | None:
    """(reason, kind) of the reply as it is written: the report every transformation starts from."""
    return outcome(dsn(row, row.text), row.recipient)


def test_plain_form_is_the_documented_reason():
    """The baseline report gives each row the reason its own test documents, so the comparisons
    below start from the right answer."""
    wrong = [f"{row.id}: {plain(row)} for {row.text!r}, documented {row.expected}"
             for row in ROWS if row.expected is not None and (plain(row) or ("",))[0] != row.expected]
    assert not wrong, "\n".join(wrong)


def failures(name: str) -> list[str]:
    """Every row whose result the transformation ``name`` changes."""
    build = next(make for n, _where, make in TRANSFORMS if n == name)
    skip = CHANGES_MEANING.get(name, (frozenset(), ""))[0]
    bad = []
    for row in ROWS:
        raw = None if row.id in skip else build(row)
        if raw is None:
            continue
        got = outcome(raw, row.recipient)
        if got != plain(row):
            bad.append(f"{row.id}: {plain(row)} -> {got} for {row.text!r}")
    return bad


@pytest.mark.parametrize("name", [t[0] for t in TRANSFORMS])
def test_same_reply_same_result(name):
    bad = failures(name)
    assert not bad, f"{len(bad)} rows change under {name}:\n" + "\n".join(bad[:30])


# --- several at once: what a reply meets on its way through two or three systems --------------
# Text-level changes in the order they happen (the server writes the address and its id, the
# reporting MTA splits and joins the lines and wraps them, a gateway re-cases or re-spaces);
# each row gets a random three of them, fixed by the seed.
def _joined(row: Row, text: str) -> str:
    lines = split_reply(text, words_per_line=4)
    return text if lines is None else " ".join(lines)


CHAIN_STEPS: list[tuple[str, Callable[[Row, str], str]]] = [
    ("recipient", lambda row, text: _insert(Row(row.id, row.recipient, row.host, row.remote_mta, text, row.status),
                                            f"<{row.recipient}>: ")),
    ("provider-id", lambda row, text: f"{text} {_provider_id(row)}"),
    ("multiline", _joined),
    ("upper", lambda row, text: text.upper()),
    ("whitespace", lambda row, text: _whitespace(text)),
    ("exim-wrapper", lambda row, text: f"SMTP error from remote mail server after RCPT TO:<{row.recipient}>:\n"
                                       f"    host {row.host} [192.0.2.9]: {text}"),
]


def chained_failures() -> list[str]:
    rng = random.Random(SEED)
    bad = []
    for row in ROWS:
        picked = sorted(rng.sample(range(len(CHAIN_STEPS)), 3))
        if row.id in _KDDI:
            continue  # the address and the stage are KDDI's meaning (CHANGES_MEANING)
        text = row.text
        for i in picked:
            text = CHAIN_STEPS[i][1](row, text)
        got = outcome(dsn(row, text), row.recipient)
        if got != plain(row):
            steps = "+".join(CHAIN_STEPS[i][0] for i in picked)
            bad.append(f"{row.id} [{steps}]: {plain(row)} -> {got} for {text!r}")
    return bad


def test_chained_changes_keep_the_result():
    bad = chained_failures()
    assert not bad, f"{len(bad)} rows change:\n" + "\n".join(bad[:30])


# --- words that are not the reply must not decide ------------------------------------------------
# (id, recipient, remote host, reply, expected reason): the recipient's local part, the host's
# name or a URL's path spells a phrase of another reason; the reply's own words must decide.
# The shapes: a local part is any dot-atom (RFC 5322 3.4.1) and Postfix smtpd, Sendmail and
# OpenSMTPD quote it in the reply; Postfix and Exim name the remote host beside it ("host X[ip]
# said:", "host X [ip]:"); providers append help URLs (Gmail "?p=NoSuchUser", Comcast, Yahoo).
NOT_THE_REPLY = [
    ("local-part-no-such-user", "no-such-user@rcpt.example", "mx.rcpt.example",
     "552 5.2.2 <no-such-user@rcpt.example>: Mailbox full", "mailbox_full"),
    ("host-quota", "a@rcpt.example", "quota-check.rcpt.example",
     "550 5.1.1 <a@rcpt.example>: Recipient address rejected: User unknown", "user_unknown"),
    ("url-query-mailbox-full", "a@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 No such user, see https://help.rcpt.example/bounce?reason=mailbox-full", "user_unknown"),
    ("local-part-unsolicited", "unsolicited-mail@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 <unsolicited-mail@rcpt.example>: Recipient address rejected: User unknown in virtual mailbox table", "user_unknown"),
    ("local-part-mailbox-full", "mailbox-full@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 <mailbox-full@rcpt.example>... User unknown", "user_unknown"),
    ("local-part-spam", "spam.reports@rcpt.example", "mx.rcpt.example",
     "552 5.2.2 <spam.reports@rcpt.example>: mailbox full", "mailbox_full"),
    ("local-part-blocked", "blocked@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 blocked@rcpt.example: no such user", "user_unknown"),
    ("local-part-over-quota", "over.quota@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 <over.quota@rcpt.example>: Recipient address rejected: User unknown", "user_unknown"),
    ("host-blocked", "a@rcpt.example", "blocked.example",
     "550 5.1.1 a@rcpt.example: user unknown (blocked.example)", "user_unknown"),
    ("host-spam-filter", "a@rcpt.example", "spamfilter.rcpt.example",
     "550 5.1.1 user unknown - spamfilter.rcpt.example", "user_unknown"),
    ("host-relay", "a@rcpt.example", "relay-denied.rcpt.example",
     "552 5.2.2 Mailbox full (relay-denied.rcpt.example)", "mailbox_full"),
    ("url-blocklist-faq", "a@rcpt.example", "mx.rcpt.example",
     "550 5.1.1 User unknown. See https://rcpt.example/blocklist-faq", "user_unknown"),
    ("url-spam-policy", "a@rcpt.example", "mx.rcpt.example",
     "552 5.2.2 Mailbox quota exceeded, see https://help.rcpt.example/spam-policy/over-quota", "mailbox_full"),
    ("url-user-unknown-page", "a@rcpt.example", "mx.rcpt.example",
     "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.rcpt.example; https://bl.rcpt.example/lookup?why=user-unknown", "blocked"),
]


@pytest.mark.parametrize("rcpt,host,text,expected", [c[1:] for c in NOT_THE_REPLY], ids=[c[0] for c in NOT_THE_REPLY])
@pytest.mark.parametrize("how", ["dsn", "postfix-said", "exim-notice"])
def test_words_outside_the_reply_do_not_decide(rcpt, host, text, expected, how):
    row = Row("negative", rcpt, host, True, text, _status_for(text, None))
    raw = {"dsn": dsn(row, text),
           "postfix-said": dsn(row, f"host {host}[192.0.2.9] said: {text} (in reply to RCPT TO command)"),
           "exim-notice": exim_notice(row, [text])}[how]
    got = outcome(raw, rcpt)
    assert got is not None and got[0] == expected, f"{got} for {text!r}"


# --- the normalizations the results above rest on, one row per case ------------------------------
JOIN_CASES = [
    # Gmail's multi-line reply as Postfix joins it (support.google.com/a/answer/3726730 texts)
    ("550-5.1.1 the email account that you 550-5.1.1 tried to reach does not exist 550 5.1.1 - gsmtp",
     "550-5.1.1 the email account that you tried to reach does not exist - gsmtp"),
    # Sendmail's transcript: "<<< " before each line (RFC 5321 4.2.1 continuation lines)
    ("<<< 550-5.7.1 message rejected <<< 550 5.7.1 as spam", "<<< 550-5.7.1 message rejected as spam"),
    # a reply without an enhanced code repeats only the reply code
    ("550-message was not 550-accepted 550 here", "550-message was not accepted here"),
    # the EHLO reply closes before the refusal; the refusal is left as it is
    ("250-mx.example 250-pipelining 250 8bitmime 550 5.1.1 user unknown",
     "250-mx.example pipelining 8bitmime 550 5.1.1 user unknown"),
    # a second, single-line reply with the same codes is another reply, not a continuation
    ("550 5.1.1 user unknown 550 5.1.1 again", "550 5.1.1 user unknown 550 5.1.1 again"),
    # another enhanced code after "550-5.1.1" is not a continuation of it
    ("550-5.1.1 a 550 5.7.1 b", "550-5.1.1 a 550 5.7.1 b"),
    # a number that is not at a word's start is not a prefix
    ("552-5.2.2 quota 552-5.2.2 is x550 and 550 mb", "552-5.2.2 quota is x550 and 550 mb"),
]


@pytest.mark.parametrize("text,expected", JOIN_CASES)
def test_join_reply_lines(text, expected):
    assert join_reply_lines(text) == expected


@pytest.mark.parametrize("text,expected", [
    # Sendmail sysexits.c SysExMsg EX_UNAVAILABLE, written after the quoted reply
    ("<<< 503 5.5.2 send hello first 554 5.0.0 service unavailable", "<<< 503 5.5.2 send hello first"),
    # the remote's own X.0.0 reply in the transcript stays
    ("<<< 554 5.0.0 service unavailable", "<<< 554 5.0.0 service unavailable"),
    # no transcript: a relay's outer reply is not touched (classify's precedence reads it)
    ("554 5.0.0 service unavailable; local delivery failed: 550 5.1.1 unknown user",
     "554 5.0.0 service unavailable; local delivery failed: 550 5.1.1 unknown user"),
])
def test_drop_transcript_summary(text, expected):
    assert drop_transcript_summary(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("550 5.1.1 user unknown. see https://rcpt.example/blocklist-faq", "550 5.1.1 user unknown. see rcpt.example"),
    # Comcast names its BL code in the fragment (postmaster.comcast.net/smtp-error-codes.php)
    ("554 blocked, see http://postmaster.comcast.net/smtp-error-codes.php#bl000001",
     "554 blocked, see postmaster.comcast.net#bl000001"),
    ("no url here: mailbox full", "no url here: mailbox full"),
])
def test_url_hosts(text, expected):
    assert url_hosts(text) == expected
