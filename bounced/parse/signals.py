"""Cheap header signals: does a message look like a delivery failure at all?

Used to keep the slow last-resort detectors (flufl.bounce, the envelope fallback) away from
ordinary mail, and to keep a real bounce that also says ``Auto-Submitted: auto-replied`` from
being read as a vacation reply.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.parse.sniff import Caseless

# the sender of a bounce: the null path or a mail system's own mailbox
_DAEMON_FROM = Caseless(
    r"mailer-daemon|mail-daemon|mailer_daemon|postmaster|mail delivery (?:sub)?system|mail\.delivery|"
    r"mail administrator|mdaemon|\bbounce|smtp gateway|message delivery|nondeliverable|"
    r"microsoftexchange[0-9a-f]{8,}|\bdaemon@|mailadmin|mail-notify|mailer@|mail-router",
)
# subjects that only failure and delay notices use (several languages)
_BOUNCE_SUBJECT = Caseless(
    r"undeliver|undelivered|returned mail|returned to sender|return(?:ing)? message|delivery fail|"
    r"failure notice|delivery status notification|mail delivery|could not be delivered|"
    r"not (?:be )?delivered|delivery problem|delivery error|delivery notification|failed mail|"
    r"mail error|non-?deliver|nondeliverable|permanent (?:delivery|error|failure)|mail system error|"
    r"error sending|failure delivery|bounced? mail|message bounced|delivery report|"
    r"delayed mail|delivery (?:delay|warning)|warning: could not send|message status|"
    r"mail could not|rejected:|unzustellbar|nicht zustellbar|non remis|non recapitabile|"
    r"no se puede entregar|onbestelbaar|未達|エラー|配信不能|退信|退回",
)


def daemon_from(msg: Message) -> bool:
    """The From names a mail system (MAILER-DAEMON, postmaster, Mail Delivery Subsystem, ...)."""
    return bool(_DAEMON_FROM.search(mime.header(msg, "From")[:500]))


def null_or_daemon_sender(msg: Message) -> bool:
    rp = mime.header(msg, "Return-Path").strip()
    if rp in ("<>", "<<>>", "") and "Return-Path" in msg:
        return True
    return daemon_from(msg)


def bounce_subject(msg: Message) -> bool:
    return bool(_BOUNCE_SUBJECT.search(mime.header(msg, "Subject")[:500]))


def looks_like_bounce(msg: Message) -> bool:
    """True when the sender or the subject is a delivery-failure notice's."""
    ctype = mime.content_type(msg)
    if ctype == "multipart/report" and mime.param(msg, "report-type").lower().endswith("delivery-status"):
        return True
    return null_or_daemon_sender(msg) or bounce_subject(msg)
