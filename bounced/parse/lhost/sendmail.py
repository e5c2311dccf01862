"""Sendmail's plain bounce, including the old V5/V8-without-DSN form.

Layout::

       ----- The following addresses had permanent fatal errors -----
    <user@example.com>
        (reason: 550 5.1.1 <user@example.com>... User unknown)
        (expanded from: <alias@example.org>)

       ----- Transcript of session follows -----
    ... while talking to mx.example.com.:
    >>> RCPT To:<user@example.com>
    <<< 550 5.1.1 <user@example.com>... User unknown
    550 5.1.1 <user@example.com>... User unknown

Quirks: the address list may be missing (V5 writes only the transcript, where
``554 <user@example.com>... 550 Host unknown`` names the recipient); "transient non-fatal
errors" means a delay warning, and "successful delivery notifications" (savemail.c's return receipt,
sent for NOTIFY=SUCCESS) lists addresses that were delivered; the best diagnostic is the remote server's ``<<<`` reply in the
transcript block that mentions the recipient, else the "(reason: ...)" line, else the
transcript line naming it.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import smtp
from bounced.parse.fields import dsn_fields, status_by_recipient
from bounced.parse.lhost import _common as c

FORMAT = "sendmail"

_SECTION = re.compile(r"^[ \t]*+-{3,}+[ \t]*+([^\n]{1,200}?)[ \t]*-{3,}[ \t]*$", re.M)
_FATAL = re.compile(r"had (?:permanent fatal|transient non-fatal) errors|following addresses had", re.I)
_TRANSCRIPT = re.compile(r"transcript of session", re.I)
_ADDR_LINE = re.compile(r"^\s*<?(" + c.ADDR_PAT + r")>?(?:\s*\.\.\.|\s+|$)(.*)$")
_EXPANDED = re.compile(r"^\s*\(expanded from:?\s*<?(" + c.ADDR_PAT + r")>?\)", re.I)
_REASON = re.compile(r"^[ \t]*+\(reason:[ \t]*+(.*)$", re.I)
# "550 5.1.1 <user@example.com>... User unknown", "550 user@example.com... User unknown" (old),
# "<user@example.com>... Deferred: Connection refused" (warnings carry no code)
_CODE_ADDR = re.compile(
    r"^[ \t]*+(?:<<<[ \t]*)?(?:[45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}[ \t]+)?)?<?(" + c.ADDR_PAT + r")>?\.\.\.[ \t]*(.*)$"
)
_TALKING = re.compile(r"while talking to ([\w.-]+?)\.?:", re.I)
_SERVER_REPLY = re.compile(r"^\s*<<<\s*([45]\d\d.*)$")
_DELAY_SUBJECT = re.compile(r"warning: could not send|delayed|transient", re.I)


def extract(msg: Message) -> list[Found] | None:
    if not c.looks_like_bounce(msg) or c.has_dsn_recipients(msg):
        return None
    text = c.report_text(msg)
    sections = list(_SECTION.finditer(text))
    if not any(_FATAL.search(s.group(1)) or _TRANSCRIPT.search(s.group(1)) for s in sections):
        return None
    subject = mime.header(msg, "Subject")
    action = "failed"
    listed: list[str] = []
    reasons: dict[str, str] = {}
    aliases: dict[str, str] = {}  # recipient -> the address it was expanded from
    delivered: set[str] = set()  # listed under "had successful delivery notifications"
    transcript = ""
    for i, s in enumerate(sections):
        body = text[s.end(): sections[i + 1].start() if i + 1 < len(sections) else len(text)]
        title = s.group(1)
        if _FATAL.search(title):
            if "transient" in title.lower():
                action = "delayed"
            success = "successful" in title.lower()
            last = None
            pipe_or_file = False  # a listed "|program" or "/file" names its address in "(expanded from:)"
            pending_reason = ""
            for line in body.split("\n"):
                if not line.strip():
                    continue
                indented = line.startswith((" " * 4, "\t"))
                am = _ADDR_LINE.match(line)
                if am and not indented:
                    last = am.group(1)
                    listed.append(last)
                    if success:
                        delivered.add(last.lower())
                    pipe_or_file = False
                    trailing = am.group(2).strip().strip("()")
                    if trailing:
                        reasons[last.lower()] = trailing
                    continue
                if not indented:
                    last, pipe_or_file = None, True
                    continue
                em = _EXPANDED.match(line)
                if em and pipe_or_file:
                    last = em.group(1)
                    listed.append(last)
                    if pending_reason:
                        reasons[last.lower()] = pending_reason
                    pipe_or_file = False
                    continue
                if em and last:
                    aliases[last.lower()] = em.group(1)
                    continue
                rm = _REASON.match(line)
                if rm and last:
                    reasons[last.lower()] = rm.group(1).strip().removesuffix(")")
                elif rm and pipe_or_file:
                    pending_reason = rm.group(1).strip().removesuffix(")")
        elif _TRANSCRIPT.search(title):
            transcript += body
    if action == "failed" and _DELAY_SUBJECT.search(subject) and not listed:
        action = "delayed"
    diags, remotes, coded = _scan_transcript(transcript)
    recipients = listed or coded
    fields = status_by_recipient(dsn_fields(text))  # a DSN pasted as text below the transcript (no MIME headers)
    out: list[Found] = []
    for r in recipients:
        key = r.lower()
        diag = diags.get(key) or reasons.get(key) or ""
        if len(recipients) == 1 and not smtp.find_failure_reply(diag):
            # e.g. "(reason: 75)" for a program: the transcript carries the mailer's error
            diag = " ".join([diag, *(ln.strip() for ln in transcript.split("\n") if ln.strip())]).strip()
        status, dsn_action = fields.get(key, (None, None))
        mine = "delivered" if key in delivered else action
        out.append(c.found(r, diag, action=dsn_action or mine, status=status, remote_mta=remotes.get(key),
                           original_recipient=aliases.get(key)))
    return c.dedupe(out) or None


def _scan_transcript(text: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Per-recipient diagnostics from a transcript, the remote host, and recipients it names."""
    diags: dict[str, str] = {}
    remotes: dict[str, str] = {}
    coded: list[str] = []
    host = None
    last_reply = None
    for line in text.split("\n"):
        t = _TALKING.search(line)
        if t:
            host = t.group(1)
            last_reply = None
            continue
        sr = _SERVER_REPLY.match(line)
        if sr:
            last_reply = sr.group(1)
        cm = _CODE_ADDR.match(line)
        if cm:
            key = cm.group(1).lower()
            if key not in (x.lower() for x in coded):
                coded.append(cm.group(1))
            rest = cm.group(2).strip()
            if last_reply and key in last_reply.lower():
                diag = last_reply
            elif re.match(r"[45]\d\d\b", rest):  # V5: "554 <addr>... 550 Host unknown"
                diag = rest
            else:
                diag = line.strip().lstrip("<").strip()
            diags.setdefault(key, diag)
            if host:
                remotes.setdefault(key, host)
    return diags, remotes, coded
