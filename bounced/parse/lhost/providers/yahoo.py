"""Yahoo! Mail (and Yahoo! JAPAN, AOL after the merger) plain-text notices.

Current form: "Sorry, we were unable to deliver your message to the following address." then
"<addr>:" and "Remote host said: 550 5.1.1 ... [RCPT_TO]" (the bracket names the SMTP command),
or "550: 5.1.1 ..." with a colon after the reply code. The older form starts "Message from
yahoo.com. Unable to deliver message to the following address(es)." with the qmail-like
"<addr>:" blocks. Yahoo's wording is recognised even when relayed by another host (the same
notice arrives from Amazon SES relays), so the body phrase is the key, not only the From.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

from . import _blocks, _text

FORMAT = "yahoo"
_PHRASES = (
    "Sorry, we were unable to deliver your message to the following address",
    "Unable to deliver message to the following address(es)",
)
# ISPs whose mail Yahoo ran and whose notices use Yahoo's older wording
_PARTNERS = ("sbcglobal.net", "att.net", "bellsouth.net", "pacbell.net", "swbell.net", "ameritech.net",
             "flash.net", "nvbell.net", "wans.net", "snet.net", "prodigy.net", "rogers.com", "btinternet.com",
             "ymail.com", "rocketmail.com")
_SUMMARY_PHRASE = "I'm afraid I wasn't able to deliver the following message"
_SUMMARY_TO = re.compile(r"^[^\S\n]*To:\s*(.+)$", re.M)
_BELOW = re.compile(r"^-{2,}\s*Below this line", re.M | re.I)
_COMMAND = re.compile(r"(?<!\s)\s*\[(RCPT_TO|MAIL_FROM|DATA|CONNECT|EHLO|HELO)\]\s*$")
_SAID = re.compile(r"^Remote host said:\s*")
_COLON_CODE = re.compile(r"^([245]\d\d):\s*:?\s*")


def extract(msg: Message) -> list[Found] | None:
    domain = _text.sender_domain(msg)
    yahoo = any(k.startswith(("x-yahoo", "x-ymail")) for k in _text.header_names(msg)) or _text.domain_is(domain, *_PARTNERS) \
        or "yahoo" in domain
    if not (yahoo or mime.header(msg, "Subject").lower() == "failure notice"):
        return None
    text = _text.body_text(msg)
    if yahoo and _SUMMARY_PHRASE in text:
        return _summary_form(text)
    phrase = _PHRASES[0] if _PHRASES[0] in text else (_PHRASES[1] if yahoo and _PHRASES[1] in text else None)
    if phrase is None:
        return None
    out: list[Found] = []
    for addr, error in _blocks.address_blocks(text[text.index(phrase):]):
        # some notices carry the remote reply's line breaks as a literal backslash-n
        error = fields.unfold(error.replace("\\n", " "))
        cmd = _COMMAND.search(error)
        diagnostic = _COMMAND.sub("", _SAID.sub("", error))
        reply = None
        m = _COLON_CODE.match(diagnostic)
        if m:
            reply = m.group(1)
            diagnostic = reply + " " + diagnostic[m.end():]
        status, found_reply = smtp.codes(diagnostic)
        out.append(_text.found(recipient=addr.lower(), action="failed", status=status,
                               reply_code=reply or found_reply, diagnostic=diagnostic,
                               command=_text.smtp_command(cmd.group(1) if cmd else None)))
    return out


def _summary_form(text: str) -> list[Found]:
    """The newest notice (HTML, no Subject): Yahoo's sentence, then a summary of the original
    ("Subject: ...", "To: user@example.com") above "---Below this line is a copy of the message."."""
    start = text.index(_SUMMARY_PHRASE)
    below = _BELOW.search(text, start)
    notice = text[start:below.start() if below else start + 4000]
    to = _SUMMARY_TO.search(notice)
    lines = [ln.strip() for ln in notice[:to.start() if to else len(notice)].splitlines() if ln.strip()]
    diagnostic = fields.unfold(" ".join(ln for ln in lines if not ln.lower().startswith("subject:")))
    addrs = _text.ADDR_RE.findall(to.group(1)) if to else []
    return [Found(recipient=a.lower(), action="failed", diagnostic=diagnostic) for a in dict.fromkeys(addrs)]
