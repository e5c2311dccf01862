"""Postfix's plain bounce (before DSN support, or with it switched off) and its SMTP-server
error transcript.

Layout of the bounce::

    This is the Postfix program at host mx.example.org.
    ...
                       The Postfix program

    <user@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1
        <user@example.com>: Recipient address rejected: User unknown (in reply to
        RCPT TO command)

Quirks: one paragraph per recipient, opened by ``<address>:`` (``<address> (expanded from
<alias>):`` for aliases), continued by lines indented four spaces; vendors rebrand "Postfix"
("This is the Keftamail program"). The "Postfix SMTP server: errors from ..." notice to the
postmaster is a session transcript instead: a recipient fails with the 4xx/5xx reply to its
``RCPT TO`` or, once accepted, with a later 4xx/5xx (``Out: 451 4.3.0 ...`` after DATA).
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.fields import dsn_fields, status_by_recipient
from bounced.parse.lhost import _common as c
from bounced.parse.sniff import Caseless, may_match

FORMAT = "postfix"

_MARKER = Caseless(r"this is the (?:[\w .()/-]{0,60}program|mail system) at host|^[^\S\n]*the [\w .()/-]{0,60}program\s*$", re.M)
_MARKER_NEEDLES = ("this is the ", "program")  # one is in every match (bounced.parse.sniff)
_PARA = re.compile(
    r"^<(" + c.ADDR_PAT + r")>(?:\s*\(expanded from <?([^>)\s]*)>?\))?:[ \t]*(.*(?:\n(?:[ \t]+\S.*))*)",
    re.M,
)
_REMOTE = re.compile(r"\bhost ([\w.-]+)\[", re.I)
_DELAY = re.compile(r"delayed mail|delivery status notification \(delay\)|not yet been delivered|will be retried", re.I)
# searched in the text with a newline put before it: starting with the newline before its line
# (not ^ under re.M), the pattern lets the regex engine skip from line end to line end
_TRANSCRIPT = Caseless(r"\n[^\S\n]*transcript of session follows")
_RCPT = re.compile(r"^[^\S\n]*In:\s+RCPT\s+TO:\s*<(" + c.ADDR_PAT + r")>", re.M | re.I)
_OUT = re.compile(r"^\s*Out:\s+(\d{3}(?:[ -].*)?)$")


def extract(msg: Message) -> list[Found] | None:
    if not c.looks_like_bounce(msg) or c.has_dsn_recipients(msg):
        return None
    subject = mime.header(msg, "Subject")
    text = c.report_text(msg)
    if subject.startswith("Postfix SMTP server") or (_TRANSCRIPT.search("\n" + text) and _RCPT.search(text)):
        return _transcript(text)
    marked = bool(may_match(text, _MARKER_NEEDLES) and _MARKER.search(text))
    if not (marked or subject.lower().startswith("undelivered mail returned to sender")):
        return None
    action = "delayed" if _DELAY.search(subject) else "failed"
    fields = status_by_recipient(dsn_fields(text))
    out: list[Found] = []
    for m in _PARA.finditer(text):
        diag = m.group(3)
        remote = _REMOTE.search(diag)
        status, dsn_action = fields.get(m.group(1).lower(), (None, None))
        out.append(c.found(m.group(1), diag, action=dsn_action or action, status=status,
                           remote_mta=remote.group(1) if remote else None,
                           original_recipient=m.group(2) or None))
    return c.dedupe(out) or None


def _transcript(text: str) -> list[Found] | None:
    """Pair each ``RCPT TO`` with the server's next reply: a 4xx/5xx there fails that recipient;
    a 4xx/5xx later (DATA, end of data) fails every recipient accepted so far."""
    failed: list[tuple[str, str]] = []
    accepted: list[str] = []
    pending = None
    for line in text.split("\n"):
        rm = _RCPT.match(line)
        if rm:
            pending = rm.group(1)
            continue
        om = _OUT.match(line)
        if not om:
            continue
        reply = om.group(1)
        if pending is not None:
            if reply[0] in "45":
                failed.append((pending, reply))
            else:
                accepted.append(pending)
            pending = None
        elif reply[0] in "45" and accepted:
            failed.extend((r, reply) for r in accepted)
            accepted = []
    return c.dedupe(c.found(r, diag) for r, diag in failed) or None
