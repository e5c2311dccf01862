"""qmail's bounce and the many MTAs built on its layout (netqmail, indimail, vpopmail, Yahoo's and
SBC's old mailers, Sina, newmail.ru, GoDaddy's secureserver).

Layout::

    Hi. This is the qmail-send program at mx.example.org.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <user@example.com>:
    192.0.2.1 does not like recipient.
    Remote host said: 550 5.1.1 <user@example.com>... User unknown
    Giving up on 192.0.2.1.

    --- Below this line is a copy of the message.

Quirks: each recipient opens a block with a line holding only ``<address>:``; the text up to
the next such line is its diagnostic. qmail's own errors carry the enhanced code as ``(#5.1.1)``
(Yahoo's fork writes ``[#4.1.9]``), the remote server's reply follows "Remote host said:".
The wording above the blocks varies by fork and language, so detection rests on the block
lines plus a bounce-like sender or subject, or qmail's own phrases.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced.model import Found
from bounced.parse.lhost import _common as c

FORMAT = "qmail"

_BLOCK = re.compile(r"^[ \t]*+(?:To[ \t]*:[ \t]*)?<(" + c.ADDR_PAT + r")>:[ \t]*$", re.M)
_QMAIL = re.compile(
    r"qmail-send program|This is the (?:qmail|deliver|mail delivery agent|machine generated)|He/Her is not|"
    r"unable to deliver your message to the following|Su mensaje no pudo ser entregado|"
    r"your mail was not delivered to the following|Your (?:mail )?message to the following address|We're sorry\.|"
    r"I'm afraid I wasn't able to deliver|I wasn't able to deliver|Unable to deliver message to the following|"
    r"Below this line is a copy of the message|Original message follows|(?:\(|\[)#[245]\.\d",
    re.I,
)
_REMOTE = re.compile(r"(?:remote host|Giving up on|Connected to)\s+((?:\d{1,3}\.){3}\d{1,3}|[a-z0-9][\w-]*(?:\.[\w-]+)+)", re.I)
_DELAY = re.compile(r"temporary failure|will (?:keep|continue) trying|not (?:yet )?been delivered yet", re.I)
_TAIL = re.compile(r"^Giving up on ", re.I)


def extract(msg: Message) -> list[Found] | None:
    if not c.looks_like_bounce(msg) or c.has_dsn_recipients(msg):
        return None
    whole = c.raw_report_text(msg)
    text = c.cut_original(whole)
    blocks = list(_BLOCK.finditer(text))
    if not blocks:
        return None
    if not _QMAIL.search(whole) and "qmail" not in " ".join(str(v) for v in msg.get_all("Received", [])):
        return None
    permanent = "permanent error" in text.lower() or "given up" in text.lower()
    out: list[Found] = []
    for i, m in enumerate(blocks):
        end = blocks[i + 1].start() if i + 1 < len(blocks) else len(text)
        body = text[m.end():end]
        lines = [ln.strip() for ln in body.split("\n")]
        diag = " ".join(ln for ln in lines if ln and not _TAIL.match(ln))
        remote = _REMOTE.search(body)
        action = "delayed" if not permanent and _DELAY.search(body) else "failed"
        out.append(c.found(m.group(1), diag, action=action,
                           remote_mta=remote.group(1) if remote else None))
    return c.dedupe(out) or None
