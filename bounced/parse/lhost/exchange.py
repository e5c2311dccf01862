"""Microsoft Exchange plain-text non-delivery reports: Exchange 5.5's Internet Mail Service,
Exchange 2000/2003, and the 2007+/Office 365 text when it arrives without a DSN part.

Layouts::

    Your message                                  Delivery has failed to these recipients or groups:
      To:      list@example.org
      Subject: ...                                user@example.com (user@example.com)
    did not reach the following recipient(s):    The e-mail address you entered couldn't be found...
                                                  ...
    user@example.com on Fri, 4 Oct 2002 ...       Diagnostic information for administrators:
        The recipient name is not recognized      Generating server: EX01.example.com
        MSEXCH:IMS:ORG:SITE:SRV 0 (000C05A6) ...  user@example.com
                                                  #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##

Quirks: "To:" above the list is the original's header, not the failed recipient; Exchange 5.5
may print the X.400 form ``c=US;a= ;p=ORG;o=SITE;dda:SMTP=user@example.com;``; the reason is the
indented lines below the recipient (the "MTS-ID" lines are noise); Exchange 2003 appends
``<host #5.1.1>``; the 2007+ administrator section repeats each recipient with the remote
server's reply ("Remote Server returned '550 5.1.1 ...'"), which is the better diagnostic.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import _common as c
from bounced.parse.sniff import Caseless, may_match

FORMAT = "exchange"

_START = Caseless(
    r"did not reach the following recipient|following recipient\(s\) (?:cannot|could not) be reached|"
    r"delivery has failed to these recipients|could not be delivered to the following recipients?",
)
_START_NEEDLES = ("following recipient", "delivery has failed")  # one is in every match (bounced.parse.sniff)
_RCPT = re.compile(
    r"^(?P<indent>[ \t]*+)(?:[^\n@]{0,200}?dda:SMTP=)?\"?(?P<addr>" + c.ADDR_PAT + r")\"?;?"
    r"(?:\s*<(?:mailto:)?[^>]*>|\s*\([^)]*\))?\s*(?:on\s.*)?$",
    re.I,
)
# The administrators' section, in English or French (Exchange localises it with the NDR).
_ADMIN = Caseless(
    r"^[ \t]*(?:diagnostic information for administrators|informations de diagnostic pour les administrateurs)",
    re.M,
)
_REMOTE_RETURNED = re.compile(
    r"Remote Server (?:at [^\n']{0,120}? )?returned '([^'\n]*)'|^[ \t]*(#\d{3}[ -][^\n]*?)[ \t]*(?:##[^\n]*)?$",
    re.I | re.M,
)
_GENERATING = re.compile(r"(?:Generating server|Serveur de g\S+ration)\s*:\s*([\w.-]+)", re.I)
_NOISE = re.compile(r"MTS-ID of the original message|^;|^\s*$")
_END = re.compile(r"^\s*(?:Original message headers|En-t\S+tes de message d'origine|Diagnostic information for "
                  r"administrators|Informations de diagnostic pour les administrateurs)", re.I)


def extract(msg: Message) -> list[Found] | None:
    subject = mime.header(msg, "Subject")
    mailer = mime.header(msg, "X-Mailer")
    if not (subject.lower().startswith(("undeliverable", "non-delivery", "undeliverable mail"))
            or "Internet Mail Service" in mailer or msg.get("X-MS-Embedded-Report") is not None
            or c.looks_like_bounce(msg)):
        return None
    if c.has_dsn_recipients(msg):
        return None
    text = c.report_text(msg)
    start = _START.search(text) if may_match(text, _START_NEEDLES) else None
    if start is not None:
        body = text[text.find("\n", start.end()) + 1:]
    else:
        start = _ADMIN.search(text)
        if start is None:
            return None
        body = text[start.start():]
    admin = _ADMIN.search(body)
    listing = body[: admin.start()] if admin else body
    recipients: list[tuple[str, list[str]]] = []
    base_indent = None
    for line in listing.split("\n"):
        if _END.match(line):
            break
        m = _RCPT.match(line)
        indent = len(m.group("indent").expandtabs()) if m else 0
        if m and (base_indent is None or indent <= base_indent):
            base_indent = indent
            recipients.append((m.group("addr"), []))
            continue
        if recipients and not _NOISE.search(line):
            recipients[-1][1].append(line.strip())
    admin_diag: dict[str, str] = {}
    remote = None
    if admin:
        section = body[admin.end():]
        g = _GENERATING.search(section)
        remote = g.group(1) if g else None
        current = None
        for line in section.split("\n"):
            am = c.ADDR.search(line)
            if am and line.strip() == am.group(1):
                current = am.group(1).lower()
                continue
            rm = _REMOTE_RETURNED.search(line)
            if rm and current:
                admin_diag.setdefault(current, (rm.group(1) or rm.group(2)).lstrip("#"))
        if not recipients:
            recipients = [(a, []) for a in admin_diag]
    out: list[Found] = []
    for addr, lines in recipients:
        diag = admin_diag.get(addr.lower()) or " ".join(lines)
        out.append(c.found(addr, diag, remote_mta=remote))
    return c.dedupe(out) or None
