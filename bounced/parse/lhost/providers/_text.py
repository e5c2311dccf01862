"""Small text helpers shared by the provider modules.

Header-first detection needs a cheap sender domain; body parsers read the notice's text through
the same extractor as the MTA modules (:func:`body_text` is ``_common.report_text``), and the
status / reply codes in it (found by the project's ``bounced.parse.smtp``, fields by
``bounced.parse.fields``).
"""
from __future__ import annotations

import dataclasses
import re
from email.message import Message

from bounced import mime
from bounced.model import Found
# one address pattern with the MTA modules: ADDR to embed in a module's own pattern, ADDR_RE to search
from bounced.parse.lhost._common import ADDR as ADDR_RE
from bounced.parse.lhost._common import ADDR_PAT as ADDR
from bounced.parse.lhost import _common
from bounced.parse.lhost._common import MAX_TEXT  # notices are short, the returned original may be huge

_FROM_ADDR_RE = re.compile(r"<?(" + ADDR + r")>?")


def sender(msg: Message) -> str:
    """The From address, lower-cased ('' if none)."""
    return mime.memo(msg, "sender", _sender)


def _sender(msg: Message) -> str:
    value = mime.header(msg, "From")
    found = _FROM_ADDR_RE.findall(value)
    return found[-1].lower() if found else value.strip().lower()


_DAEMONS = ("mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "post_master", "sysadmin",
            "mail-daemon", "maildaemon")


def header_names(msg: Message) -> tuple[str, ...]:
    """The message's header field names, lower-cased (providers look for their own X- prefixes)."""
    return mime.memo(msg, "header_names", lambda m: tuple(k.lower() for k in m.keys()))


def received(msg: Message) -> tuple[str, ...]:
    """The first four Received headers as text (providers recognise their relays in them)."""
    return mime.memo(msg, "received", lambda m: tuple(str(v) for v in (m.get_all("Received") or [])[:4]))


def from_daemon(msg: Message) -> bool:
    """True when the From is a mail system's own address (MAILER-DAEMON, postmaster, ...), so a
    provider's ordinary user mail is never read as its bounce."""
    return mime.memo(msg, "from_daemon", _from_daemon)


def _from_daemon(msg: Message) -> bool:
    local = sender(msg).partition("@")[0]
    return local.startswith(_DAEMONS) or "mailer-daemon" in mime.header(msg, "From").lower()


def sender_domain(msg: Message) -> str:
    return mime.memo(msg, "sender_domain", _sender_domain)


def _sender_domain(msg: Message) -> str:
    addr = sender(msg)
    return addr.rpartition("@")[2] if "@" in addr else ""


def domain_is(domain: str, *suffixes: str) -> bool:
    """True when ``domain`` is one of ``suffixes`` or a subdomain of one."""
    if not domain.endswith(suffixes):  # necessary either way; rules most domains out without allocating
        return False
    return domain in suffixes or domain.endswith(tuple("." + s for s in suffixes))


def has_delivery_status(msg: Message) -> bool:
    """A message/delivery-status part means an RFC 3464 report: the rfc3464 module's job."""
    return mime.memo(msg, "has_delivery_status", _has_delivery_status)


def _has_delivery_status(msg: Message) -> bool:
    if not msg.is_multipart():
        return False
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return True
    return False


def body_text(msg: Message) -> str:
    """The notice's own words: :func:`bounced.parse.lhost._common.report_text`, the one
    extractor every format module reads (text parts outside the returned original, HTML reduced to
    text, cut where the copy of the original begins, capped)."""
    return _common.report_text(msg)


def all_text(msg: Message) -> str:
    """The same text, not cut where the copy of the original begins (a module that reads the
    quoted original's headers)."""
    return _common.raw_report_text(msg)


def first_addr(text: str) -> str | None:
    m = ADDR_RE.search(text)
    return m.group(0).strip(".") if m else None


_FOUND_FIELDS = frozenset(f.name for f in dataclasses.fields(Found))
_COMMANDS = {"RCPT_TO": "RCPT", "RCPT TO": "RCPT", "MAIL_FROM": "MAIL", "MAIL FROM": "MAIL", "FINAL DATA": "DATA",
             "END OF DATA": "DATA", "TEXT": "DATA", "CONNECT": "CONN"}


def smtp_command(name: str | None) -> str | None:
    """The refused SMTP command in the classifier's vocabulary (CONN/EHLO/HELO/MAIL/RCPT/DATA)."""
    if not name:
        return None
    key = " ".join(name.upper().replace("-", " ").split())
    key = _COMMANDS.get(key, key)
    return key if key in ("CONN", "EHLO", "HELO", "MAIL", "RCPT", "DATA") else None


def found(*, command: str | None = None, **fields) -> Found:
    """A Found; ``command`` (the refused SMTP command, when the notice names it) is passed on
    once the shared model has such a field, and dropped until then (see NOTES-P3b.md)."""
    if command and "command" in _FOUND_FIELDS:
        fields["command"] = command
    return Found(**fields)
