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

from bounced.parse.sniff import may_match

# RFC 3463: class.subject.detail; not preceded by a digit/dot/word char (IP addresses, versions),
# not followed by another ".digit" (an IP address or version string).
STATUS_RE = re.compile(r"(?<![\w.\-/])([245])\.(\d{1,3})\.(\d{1,3})(?![\w\-]|\.\d)")
# RFC 5321 reply code: 2xx/4xx/5xx with a valid second digit, starting a word, followed by a
# space, a hyphen (multi-line reply), a colon, or the end of the text.
REPLY_RE = re.compile(r"(?<![\w.:/#=\-+])([245][0-5]\d)(?=[ \-:,;)\]]|$)", re.M)
# qmail and descendants append the code as "(#5.1.1)" or "[#4.4.1]".
HASH_STATUS_RE = re.compile(r"[(\[]#([245]\.\d{1,3}\.\d{1,3})[)\]]")
# "550 5.1.1" / "550-5.1.1" / "550 #5.1.1": a reply code and the status that belongs to it.
PAIR_RE = re.compile(r"(?<![\w.:/#=\-+])([245][0-5]\d)[ \-]#?([245]\.\d{1,3}\.\d{1,3})(?![\w\-]|\.\d)")

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


def is_generic(status: str | None) -> bool:
    """A status that names only the class (X.0.0): the diagnostic may know better."""
    return not status or status[1:] == ".0.0"


def better_status(field: str | None, text: str) -> str | None:
    """The Status field's code unless it is missing or generic and ``text`` quotes a more
    specific code of the same class (``Status: 5.0.0`` + ``550 5.1.1 ...`` -> ``5.1.1``)."""
    field_code = find_status(field or "")
    if not is_generic(field_code):
        return field_code
    found = find_codes(text).status
    if found and (field_code is None or found[0] == field_code[0]) and not is_generic(found):
        return found
    return field_code or found


# --- the SMTP command a reply answered ------------------------------------------------------
# Postfix "(in reply to end of DATA command)", Exim "SMTP error from remote mail server after
# RCPT TO:<a@b>", Sendmail transcripts ">>> DATA" followed by "<<< 550 ...".
_IN_REPLY = re.compile(r"in\s+reply\s+to\s+(end\s+of\s+data|data|rcpt\s+to|mail\s+from|helo|ehlo|lhlo|starttls)\s+command",
                       re.I)
_AFTER = re.compile(r"(?:error|failure|refused|rejected)[^\n]{0,60}?\bafter\s+(end\s+of\s+data|data|rcpt\s+to|mail\s+from|"
                    r"initial\s+connection|helo|ehlo|lhlo|starttls)\b", re.I)
_TRANSCRIPT = re.compile(r"^>>>[ \t]*([A-Za-z]{4})[^\n]*\n(?:(?:<<<|>>>)[ \t]*[^\n]*\n){0,20}?<<<[ \t]*([45]\d\d)", re.M)
# Postfix smtp(8): "host X[ip] refused to talk to me: 554 ..." is its report of a refused greeting
_GREETING = re.compile(r"refused\s+to\s+talk\s+to\s+me()", re.I)
# each pattern with the literals one of which every match of it contains (see bounced.parse.sniff)
_PHRASED = ((_IN_REPLY, ("reply",)), (_AFTER, ("after",)), (_GREETING, ("talk",)))
_COMMANDS = {"end of data": "DATA", "data": "DATA", "rcpt to": "RCPT", "mail from": "MAIL", "helo": "HELO",
             "ehlo": "EHLO", "lhlo": "EHLO", "starttls": "STARTTLS", "initial connection": "CONN",
             "rcpt": "RCPT", "mail": "MAIL", "quit": "QUIT", "rset": "RSET", "": "CONN"}


def find_command(text: str) -> str | None:
    """The SMTP command a failure reply in ``text`` answered (DATA, RCPT, MAIL, HELO, EHLO,
    STARTTLS, CONN for the greeting), or None when the text does not say."""
    text = text[:MAX_SCAN]
    for pattern, needles in _PHRASED:
        m = pattern.search(text) if may_match(text, needles) else None
        if m:
            return _COMMANDS.get(" ".join(m.group(1).lower().split()))
    m = _TRANSCRIPT.search(text) if ">>>" in text else None
    if m:
        return _COMMANDS.get(m.group(1).lower())
    return None
