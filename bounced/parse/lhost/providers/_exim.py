"""The Exim notice layout that Mail.ru, GMX and 1&1 (Kundenserver) send, each with its own
preamble:

    A message that you sent could not be delivered to one or more of its
    recipients. This is a permanent error. The following address(es) failed:

      user@example.com
        SMTP error from remote mail server after RCPT TO:<user@example.com>:
        host mx.example.com [192.0.2.1]: 550 5.1.1 User unknown

Variants: the address in angle brackets or quotes, or followed by a colon; "Reason:" / "For the following
reason:" before the text (GMX, 1&1); the error on the same line as "reason:". The notice ends
at a blank line followed by unindented text, or at the returned original's marker. Exim's delay
warning ("The address to which the message has not yet been delivered is:", each address with a
"Delay reason:") gives action ``delayed``.
"""
from __future__ import annotations

import re

from bounced.model import Found
from bounced.parse import fields, smtp

from . import _text

_FAILED = re.compile(r"The following address(?:\(es\)|es)?\s+failed:?", re.I)
# Exim's delay warning: "The address(es) to which the message has not yet been delivered is/are:"
_DELAYED = re.compile(r"to which the message has not yet been delivered (?:is|are):?|"
                      r"The following address(?:\(es\)|es)? ha(?:s|ve) not yet been delivered:?", re.I)
_ADDR_LINE = re.compile(r"^[ \t]*[<\"]?(" + _text.ADDR + r")[>\"]?:?\s*$")
_END = re.compile(r"^\s*(-{2,}|={3,}|\*{3,})|^\s*(This message was created|Recommend|Рекомендуем|No action is required)",
                  re.I)
_LABEL = re.compile(r"^\s*(?:For the following reason|Reason|Delay reason):\s*", re.I)
_HOST = re.compile(r"\bhost:?\s+([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})(?=\s|[\[(:]|$)")
_AFTER = re.compile(r"SMTP error from remote (?:mail )?server (?:after|for) (RCPT TO|MAIL FROM|RCPT|MAIL|end of data|"
                    r"DATA|TEXT|EHLO|HELO|initial connection)", re.I)
_RETRY = re.compile(r"retry time(?:out)? (?:not reached|exceeded)", re.I)


def extract_blocks(text: str) -> list[Found]:
    m = _FAILED.search(text)
    action = "failed"
    if not m:
        m = _DELAYED.search(text)
        action = "delayed"
    if not m:
        return []
    found: list[tuple[str, list[str]]] = []
    blank = False
    for line in text[m.end():].splitlines():
        if _END.match(line):
            if found:
                break
            continue
        a = _ADDR_LINE.match(line)
        if a:
            found.append((a.group(1), []))
            blank = False
            continue
        if not line.strip():
            blank = True
            continue
        if not found:
            continue
        if blank and not line[:1].isspace() and any(x.strip() for x in found[-1][1]) and not _LABEL.match(line):
            break
        blank = False
        found[-1][1].append(_LABEL.sub("", line))
    out = []
    for addr, lines in found:
        diagnostic = fields.unfold(" ".join(lines))
        status, reply = smtp.codes(diagnostic)
        host = _HOST.search(diagnostic)
        after = _AFTER.search(diagnostic)
        command = None
        if after:
            word = after.group(1)
            command = "CONN" if word.lower() == "initial connection" else _text.smtp_command(word)
        out.append(_text.found(recipient=addr.lower(), action=action, status=status, reply_code=reply,
                               diagnostic=diagnostic, remote_mta=host.group(1) if host else None, command=command))
    seen: dict[str, Found] = {}
    for f in out:
        seen.setdefault(f.recipient or "", f)
    return list(seen.values())
