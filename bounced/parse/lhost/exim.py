"""Exim's plain-text bounce (and the MTAs that copy its wording: MXLogic, 1&1, cPanel hosts).

Layout::

    This message was created automatically by mail delivery software.
    ... The following address(es) failed:

      user@example.com
        (generated from alias@example.org)
        host mx.example.com [192.0.2.1]
        SMTP error from remote mail server after RCPT TO:<user@example.com>:
        550 5.1.1 <user@example.com>: Recipient address rejected

    ------ This is a copy of the message, including all the headers. ------

Quirks: the address line is indented two spaces (none at all in 1&1's variant, which also puts
the error on unindented lines), may carry a trailing colon or the error itself
("<user@example.com>: 550 ..."); the diagnostic is the indented lines below it, folded at
the server's line breaks; "an undisclosed address" names the real one only in its
"(generated from ...)" line. Delay warnings ("has not yet been delivered") use the same layout.
X-Failed-Recipients, when present, lists exactly the failed addresses.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import _common as c

FORMAT = "exim"

_MARKER = re.compile(
    r"This message was created automatically by mail delivery|"
    r"could not be delivered to one or more|has not yet been delivered|"
    r"following address(?:\(es\)|es)? failed",
    re.I,
)
_START = re.compile(
    r"(?:address(?:\(es\)|es)?\s+failed|address failed|has not yet been delivered is|"
    r"not yet been delivered to the following addresses|"
    r"following address(?:\(es\)|es)? (?:failed|have not yet been delivered))[ \t]*+:?[ \t]*+$",
    re.I | re.M,
)
_ADDR_LINE = re.compile(r"^[ \t]{0,3}<?(" + c.ADDR_PAT + r")>?:?(?:[ \t]+(.*))?$")
_BARE = re.compile(r"^[ \t]{1,3}([\w.+=-]+):?\s*$")
_UNDISCLOSED = re.compile(r"^[ \t]{0,3}an undisclosed address\s*$", re.I)
_GENERATED = re.compile(r"\((?:ultimately )?generated from\s+<?(" + c.ADDR_PAT + r")>?\)", re.I)
_HOST = re.compile(r"\bhost:?\s+([\w.-]+\.[a-z]{2,})\b", re.I)
_DELAY = re.compile(r"has not yet been delivered|delayed|not yet been delivered", re.I)
_END = re.compile(
    r"^(?:No action is required|Delivery attempts will continue|If you|Included is a copy|"
    r"Please |For further|To find out|The message identifier|Eventually the mail)",
    re.I,
)


def extract(msg: Message) -> list[Found] | None:
    failed_hdr = c.header_addresses(msg, "X-Failed-Recipients")
    subject = mime.header(msg, "Subject")
    if not failed_hdr and not c.looks_like_bounce(msg):
        return None
    if c.has_dsn_recipients(msg):
        return None
    text = c.report_text(msg)
    if not _MARKER.search(text):
        return None
    m = _START.search(text)
    if m is None:
        return None
    action = "delayed" if _DELAY.search(subject) or "not yet been delivered" in text[: m.end()] else "failed"
    lines = text[m.end():].split("\n")
    blocks: list[tuple[str, list[str]]] = []
    pending_undisclosed = False
    for line in lines:
        if not line.strip():
            if blocks:
                blocks[-1][1].append("")
            continue
        if _END.match(line.strip()) and blocks:
            break
        am = _ADDR_LINE.match(line)
        if am and not (blocks and line.startswith((" " * 4, "\t")) ):
            blocks.append((am.group(1), [am.group(2) or ""]))
            pending_undisclosed = False
            continue
        bm = _BARE.match(line)
        if bm and failed_hdr:
            local = bm.group(1).lower()
            full = next((a for a in sorted(failed_hdr) if c.local_part(a) == local), None)
            if full:
                blocks.append((full, [""]))
                continue
        if _UNDISCLOSED.match(line):
            pending_undisclosed = True
            blocks.append(("", []))
            continue
        if pending_undisclosed and blocks:
            g = _GENERATED.search(line)
            if g:
                blocks[-1] = (g.group(1), blocks[-1][1])
                pending_undisclosed = False
                continue
        if not blocks:
            continue
        blocks[-1][1].append(line)
    out: list[Found] = []
    for addr, body in blocks:
        if not addr:
            continue
        # a blank line ends the block unless indented text follows (Exim keeps them together)
        kept: list[str] = []
        for i, ln in enumerate(body):
            if ln == "":
                if any(k.strip() for k in kept):
                    rest = [x for x in body[i + 1:] if x]
                    if not rest or not rest[0].startswith((" ", "\t")):
                        break
                continue
            kept.append(ln)
        diag_lines = [ln for ln in kept if not _GENERATED.search(ln)]
        diag = " ".join(ln.strip() for ln in diag_lines)
        host = _HOST.search(diag)
        out.append(c.found(addr, diag, action=action, remote_mta=host.group(1) if host else None))
    if not out and failed_hdr:
        out = [c.found(a, "", action=action) for a in sorted(failed_hdr)]
    return c.dedupe(out)
