"""SMTP reply codes and RFC 3463 enhanced status codes found in free text.

Shared by every format module: DSNs often carry only a generic Status (5.0.0) or none, while the
remote server's own answer ("550 5.1.1 <a@b>: Recipient address rejected") sits in the
Diagnostic-Code or in the human-readable text. Patterns are anchored on word boundaries so IP
addresses ("192.0.2.5"), version numbers ("4.80") and dates are not mistaken for codes, and they
are linear: no nested quantifiers, so a 100 kB line costs one pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bounced.parse.sniff import Caseless

# RFC 3463: class.subject.detail; not inside a word, an IP address or a version string ("192.0.2.5",
# "4.80", "8.14.4/8.14.4", "ID-5.1.1"), except right after a multi-line reply's code ("550-5.7.1").
STATUS_RE = re.compile(r"(?=[245]\.)(?:(?<=(?<![\w.])[245]\d\d-)|(?<![\w.\-/]))([245])\.(\d{1,3})\.(\d{1,3})(?![\w\-]|\.\d)")
# RFC 5321 reply code: 2xx/4xx/5xx with a valid second digit, starting a word (not a port number,
# "port 465"), followed by a space, a hyphen (multi-line reply), a colon, or the end of a line.
REPLY_RE = re.compile(r"(?=[245])(?<![\w.:/#=\-+])(?<!port )([245][0-5]\d)(?=[ \-:,;)\]]|$)", re.M)
# qmail and descendants append the code as "(#5.1.1)" or "[#4.4.1]".
HASH_STATUS_RE = re.compile(r"[(\[]#([245]\.\d{1,3}\.\d{1,3})[)\]]")
# "550 5.1.1" / "550-5.1.1" / "550 #5.1.1": a reply code and the status that belongs to it.
# (Each pattern opens with a lookahead for its first character: re then skips every other
# position without running the lookbehinds, about twice as fast on a whole notice.)
PAIR_RE = re.compile(r"(?=[245])(?<![\w.:/#=\-+])([245][0-5]\d)[ \-]#?([245]\.\d{1,3}\.\d{1,3})(?![\w\-]|\.\d)")

MAX_SCAN = 64 * 1024
"""Only this much of a text is scanned: a reply worth reading is at its start."""


@dataclass(frozen=True, slots=True)
class Codes:
    """What a text says about the SMTP outcome; either field may be None."""

    reply_code: str | None
    status: str | None


def find_status(text: str) -> str | None:
    """The first RFC 3463 enhanced status code in ``text``."""
    m = STATUS_RE.search(text, 0, MAX_SCAN)
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else None


def find_reply_code(text: str) -> str | None:
    """The first SMTP reply code (2xx/4xx/5xx) that starts a word in ``text``."""
    m = REPLY_RE.search(text, 0, MAX_SCAN)
    return m.group(1) if m else None


def find_failure_reply(text: str) -> str | None:
    """The first 4xx/5xx reply code in ``text`` (a transcript's "250 ok" lines are passed over)."""
    for m in REPLY_RE.finditer(text, 0, MAX_SCAN):
        if m.group(1)[0] != "2":
            return m.group(1)
    return None


def find_codes(text: str) -> Codes:
    """The reply code and enhanced status of the server's answer in ``text``.

    A reply code immediately followed by a status of the same class is taken as a pair (the
    usual "550 5.1.1 ..."); otherwise the qmail "(#5.1.1)" form, then the first status and the
    first reply code whose class agrees with it."""
    text = text[:MAX_SCAN]
    for m in PAIR_RE.finditer(text):
        if m.group(1)[0] == m.group(2)[0]:
            return Codes(m.group(1), m.group(2))
    h = HASH_STATUS_RE.search(text)
    status = h.group(1) if h else find_status(text)
    reply = None
    for r in REPLY_RE.finditer(text):
        if status is None or r.group(1)[0] == status[0]:
            reply = r.group(1)
            break
    return Codes(reply, status)


def codes(diagnostic: str) -> tuple[str | None, str | None]:
    """(enhanced status, reply code) of the failure a diagnostic reports; either may be None.

    :func:`find_codes`, unless its answer is a success: a transcript that quotes a 2xx reply
    first ("250 2.1.5 ok ... 550 5.1.1") is read again for the first failure reply and the status
    of its class (the qmail "(#5.1.1)" form first). A text with no failure in it (a delivery
    notice's "250 2.6.0 Message received") keeps its success codes."""
    found = find_codes(diagnostic)
    reply, status = found.reply_code, found.status
    if (reply or status) and (reply or "4")[0] in "45" and (status or "4")[0] in "45":
        return status, reply
    text = diagnostic[:MAX_SCAN]
    h = HASH_STATUS_RE.search(text)
    status = h.group(1) if h else None
    reply = find_failure_reply(text)
    if status is None:
        for m in STATUS_RE.finditer(text):
            # the code that follows the reply code ("550 5.1.1"), else the first one
            if reply is None or m.group(1) == reply[0]:
                status = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
                break
    if reply is None and (status is None or status[0] == "2"):
        return found.status, found.reply_code  # no failure anywhere: a success report's own codes
    return status, reply


def first_failure_status(text: str) -> str | None:
    """The first 4.X.X/5.X.X code in a diagnostic (2.X.X there is transcript noise: "250 2.0.0 Ok"),
    passing over an X.0.0 when a more specific code follows: a relay's generic outer reply
    ("554 5.0.0 Service unavailable; ... 550 5.1.1 unknown user") wraps the specific one."""
    generic = None
    for m in STATUS_RE.finditer(text, 0, MAX_SCAN):
        if m.group(1) != "2":
            code = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
            if not code.endswith(".0.0"):
                return code
            generic = generic or code
    return generic


# A line of a reply as an MTA quotes it (after white space or a quote: Exchange's "Remote Server returned
# '550-5.7.1 ...'"): optional transcript marker ("<<< "), the reply code, "-"
# on every line but the last of a multi-line reply (RFC 5321 4.2.1), and the enhanced code when
# the server repeats it on each line (Gmail: "550-5.1.1 ... 550-5.1.1 ... 550 5.1.1 ...").
_LINE_PREFIX = re.compile(r"(?=[<245])(?<![^\s'\"])(?:<<< ?)?([245][0-5]\d)([ -])(?:(#?[245]\.\d{1,3}\.\d{1,3})(?: |$))?")


def join_reply_lines(text: str) -> str:
    """``text`` with the prefixes a multi-line reply repeats on its continuation lines removed,
    so its words read as the server wrote them: "550-5.1.1 The email account 550-5.1.1 that you
    tried" -> "550-5.1.1 The email account that you tried".

    Postfix joins the lines with spaces, Exim and Sendmail's transcript ("<<< ") with line breaks;
    either way a phrase broken across two lines would otherwise carry the code in its middle. A
    prefix is dropped only inside a reply opened by "NNN-" and only when it repeats that reply's
    code (and its enhanced code, when the continuation carries one); the line with "NNN " ends
    the reply. White space is kept as it is. Linear: one pass of a literal-led pattern."""
    if "-" not in text:
        return text
    parts: list[str] = []
    start = 0
    open_code: str | None = None
    open_status: str | None = None
    for m in _LINE_PREFIX.finditer(text, 0, MAX_SCAN):
        code, sep, status = m.group(1), m.group(2), m.group(3)
        if open_code == code and (status is None or status == open_status):
            parts.append(text[start:m.start()])
            start = m.end()
        elif sep == "-":
            open_code, open_status = code, status
            continue
        else:
            open_code = open_status = None
            continue
        if sep == " ":
            open_code = open_status = None
    if not parts:
        return text
    parts.append(text[start:])
    return "".join(parts)


# The first line of a multi-line reply, and nothing after it: "550-5.7.28 Our system has detected"
_OPENED = re.compile(r"(?=[245]\d\d-)(?<!\S)([245]\d\d)-(?=\S)")
_MAX_REPLY_LINES = 40


def _unfinished(diagnostic: str) -> tuple[re.Match[str], str] | None:
    """The opening "550-" of a multi-line reply ``diagnostic`` quotes without its last line, and
    the text from there with its white space collapsed; None when there is none."""
    m = _OPENED.search(diagnostic, 0, MAX_SCAN)
    if m is None:
        return None
    first = " ".join(diagnostic[m.start():].split())
    return None if f" {m.group(1)} " in f" {first} " else (m, first)


def opens_multiline(diagnostic: str) -> bool:
    """Whether ``diagnostic`` quotes a reply line that another line should follow ("550-...") and
    not the reply's last line ("550 ..."): whether :func:`whole_reply` may find more (the caller
    decodes the notice only then)."""
    return _unfinished(diagnostic) is not None


def whole_reply(diagnostic: str, notice: str) -> str | None:
    """``diagnostic`` with the whole multi-line reply when it holds only the reply's first line and
    the notice's transcript quotes all of it; else None.

    Sendmail 8.17 writes only the first line of a multi-line reply into Diagnostic-Code, its
    "(reason: ...)" line and its "<a@b>... Deferred: 421-4.7.0 ..." line, and all of them into the
    transcript ("<<< 550-5.7.28 ... <<< 550 5.7.28 originating from your IP address."; seen in its
    DSNs for Gmail-style replies, bench/mta_probe.py): the words that decide may be on the lines it
    left out. The lines are joined with spaces as Postfix joins them, so :func:`join_reply_lines`
    reads them as one reply."""
    unfinished = _unfinished(diagnostic)  # None too when the reply's last line is there already
    if unfinished is None or "<<<" not in notice:
        return None
    m, first = unfinished
    code = m.group(1)
    lines = notice.splitlines()
    for i, line in enumerate(lines[:2000]):
        if not line.startswith("<<<") or " ".join(line[3:].split()) != first:
            continue
        reply = [first]
        for nxt in lines[i + 1:i + _MAX_REPLY_LINES]:
            quoted = nxt[3:].strip() if nxt.startswith("<<<") else ""
            if not quoted.startswith(code) or quoted[3:4] not in ("-", " "):
                break
            reply.append(quoted)
            if quoted[3] == " ":
                return diagnostic[:m.start()] + " ".join(reply)
        return None
    return None


# Sendmail ends a transcript with its own summary of the exit status (sysexits.c SysExMsg,
# EX_UNAVAILABLE -> "554 5.0.0 Service unavailable"): a class-only line after the quoted reply.
_TRANSCRIPT_SUMMARY = re.compile(r"(?<!<<<) [45]\d\d [45]\.0\.0 [^<>]{0,80}$")


def drop_transcript_summary(text: str) -> str:
    """``text`` without the reporting MTA's class-only summary line after a quoted transcript
    ("<<< 503 5.5.2 Send hello first 554 5.0.0 Service unavailable" -> "<<< 503 5.5.2 Send hello
    first"): those words are Sendmail's name for its exit status, not the remote's answer."""
    at = text.rfind("<<< ")
    if at < 0:
        return text
    m = _TRANSCRIPT_SUMMARY.search(text, at)
    return text[:m.start()] if m else text


# A URL in a reply: its host names the server or a help site, its path and query are file names
# ("/blocklist-faq", "?why=user-unknown") that are not the reply's words.
# The fragment stays: it is how a help page names the error code ("...php#BL000001").
_URL = re.compile(r"\b(?:https?|ftp)://([^\s/?#<>\"']*)[^\s#<>\"']*(#[^\s<>\"']*)?", re.I)


def url_hosts(text: str) -> str:
    """``text`` with each URL replaced by its host and fragment: "see
    https://x.example/blocklist-faq" -> "see x.example", so a help page's file name is not read as
    the reason."""
    return _URL.sub(lambda m: m.group(1) + (m.group(2) or ""), text) if "://" in text else text


def is_generic(status: str | None) -> bool:
    """A status that names only the class (X.0.0): the diagnostic may know better."""
    return not status or status[1:] == ".0.0"


def better_status(field: str | None, text: str) -> str | None:
    """The Status field's code, unless it is missing, or only generic (X.0.0, X.1.0) while ``text``
    quotes a more specific one of the same class (``Status: 5.0.0`` + ``550-5.7.1 ...`` -> 5.7.1,
    ``5.1.0 - Unknown address error 550-'5.1.1 ...'`` -> 5.1.1)."""
    status = find_status(field or "")
    if status is None:
        return find_status(text)
    if status[2:] in ("0.0", "1.0"):
        for m in STATUS_RE.finditer(text, 0, MAX_SCAN):
            if m.group(1) == status[0] and f"{m.group(2)}.{m.group(3)}" not in ("0.0", "1.0"):
                return f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    return status


_EMBEDDED_REPLY = re.compile(r"<([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})\b[^<>]{0,300}>\s*$")


def last_attempt_codes(diagnostic: str) -> tuple[str, str] | None:
    """(status, reply code) of a remote reply quoted at the end of a sender's own message, as
    Amazon SES and WorkMail do when they give up: "554 4.4.7 Message expired: unable to deliver
    in 840 minutes.<421 4.4.2 Connection timed out>" -> ("4.4.2", "421"): the remote server's
    answer is the more specific one."""
    m = _EMBEDDED_REPLY.search(diagnostic)
    return (m.group(2), m.group(1)) if m and m.group(1)[0] == m.group(2)[0] else None


# --- the SMTP command a reply answered ------------------------------------------------------
# Postfix "(in reply to end of DATA command)", Exim "SMTP error from remote mail server after
# RCPT TO:<a@b>", Sendmail transcripts ">>> DATA" followed by "<<< 550 ...".
# (case-insensitive: sniff.Caseless; the command is read lower-cased)
_IN_REPLY = Caseless(r"in\s+reply\s+to\s+(end\s+of\s+data|data|rcpt\s+to|mail\s+from|helo|ehlo|lhlo|starttls)\s+command")
_AFTER = Caseless(r"(?:error|failure|refused|rejected)[^\n]{0,60}?\bafter\s+(end\s+of\s+data|data|rcpt\s+to|mail\s+from|"
                  r"initial\s+connection|helo|ehlo|lhlo|starttls)\b")
_TRANSCRIPT = re.compile(r"^>>>[ \t]*([A-Za-z]{4})[^\n]*\n(?:(?:<<<|>>>)[ \t]*[^\n]*\n){0,20}?<<<[ \t]*([45]\d\d)", re.M)
# Postfix smtp(8): "host X[ip] refused to talk to me: 554 ..." is its report of a refused greeting
_GREETING = Caseless(r"refused\s+to\s+talk\s+to\s+me()")
# each pattern with the literals one of which every match of it contains (see bounced.parse.sniff)
_PHRASED = ((_IN_REPLY, ("reply",)), (_AFTER, ("after",)), (_GREETING, ("talk",)))
_COMMANDS = {"end of data": "DATA", "data": "DATA", "rcpt to": "RCPT", "mail from": "MAIL", "helo": "HELO",
             "ehlo": "EHLO", "lhlo": "EHLO", "starttls": "STARTTLS", "initial connection": "CONN",
             "rcpt": "RCPT", "mail": "MAIL", "quit": "QUIT", "rset": "RSET", "": "CONN"}


def find_command(text: str) -> str | None:
    """The SMTP command a failure reply in ``text`` answered (DATA, RCPT, MAIL, HELO, EHLO,
    STARTTLS, CONN for the greeting), or None when the text does not say."""
    text = text[:MAX_SCAN]
    low = text.lower() if text.isascii() else None  # may_match's test, the text lower-cased once
    for pattern, needles in _PHRASED:
        m = pattern.search(text) if low is None or any(n in low for n in needles) else None
        if m:
            return _COMMANDS.get(" ".join(m.group(1).lower().split()))
    m = _TRANSCRIPT.search(text) if ">>>" in text else None
    if m:
        return _COMMANDS.get(m.group(1).lower())
    return None
