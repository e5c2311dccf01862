"""Last resort for plain-text bounces of MTAs no other module knows.

How it reads a report: only the bounce's own text (not the returned original, see
``_common.report_text``) of a message that looks like a bounce (From a mail system or a bounce
subject). A recipient is an address that

* opens a line, after decoration or a label (``<user@example.com>: ...``, ``   * user@...``,
  ``Failed Recipient: user@...``, ``-- user@...``, ``[SMTP:user@...]``), or
* follows an SMTP reply on its line (``550 5.1.1 <user@example.com>... User unknown``), or
* follows a phrase that names the recipient ("could not be delivered to", "Your message to",
  "addressed to", "RCPT TO:<", "mailbox", "Unknown user:").

Never a recipient: the bounce's own From/To/Reply-To/Sender (the To of a bounce is the original
sender), mail-system mailboxes (postmaster, MAILER-DAEMON, ...), an address after "MAIL FROM",
"From:", "Sender", "envelope-from", or "contact".

Its diagnostic is the text after it up to the next recipient or blank line; when that holds no
SMTP code or error wording, the line elsewhere that names it with a reply code, else the report's
error lines ("Reason: ...", "550 ...", "Remote host said: ...").
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import smtp
from bounced.parse.fields import dsn_fields, status_by_recipient
from bounced.parse.lhost import _common as c
from bounced.parse.sniff import Caseless, may_match

FORMAT = "generic"

_LEAD = Caseless(
    r"""^[\s\-*>|#=+~.\u2022]*+(?:\d{1,3}[.)]\s*)?
    (?:(?:failed|final|intended|original|invalid|unknown|bad|rejected|x-actual)?[\s-]*
       (?:recipient(?:\(s\))?|recipients|addressee|address(?:\(es\))?|undeliverable\ address|error-for|
          unknown\ user|user|mailbox|rcpt|e-?mail)\s*(?:address\s*)?[:=])?
    [<\[("'\s]*(?:smtp:|rfc822;\s*|utf-8;\s*)?$""",
    re.X,
)
_CODE_LEAD = Caseless(
    r"^(?:<<<|>>>|received\s*>>>|[-*\s])*+[45]\d\d[\s-]+(?:[245]\.\d{1,3}\.\d{1,3}\s+)?(?:\S+\s+){0,3}?[<\[(\"']?$",
)
_PHRASE = Caseless(
    r"""(?:
        (?:deliver(?:ed|y)?|sent|send|sending|reach|reached|transmit(?:ted)?|forward(?:ed)?|relay(?:ed)?)
            \s+(?:[\w'-]+\s+){0,4}?to
      | (?:message|mail|e-?mail|letter)\s+(?:[\w'-]+\s+){0,2}?to
      | addressed(?:\s+to)?
      | (?:recipient|addressee|mailbox|user|account|address)(?:\s+(?:name|address|account))?(?:\s+is)?
      | rcpt\s+to
      | delivery\s+to
      | failed(?:\s+\d+\s+attempts)?
      | undeliverable\s+to
      | userid
      | errors?
      | (?:full|unknown|invalid|disabled|unavailable|rejected|exist|found|failed|refused|denied)\s*:
    )\s*[:,=]?\s*[<\[("']{0,2}$""",  # two openers: CommuniGate Pro's "Failed to deliver to '<a@b>'"
    re.X,
)
_SENDER_CTX = Caseless(
    r"(?:from|sender|envelope-from|return-path|reply-to|sent\s+by|contact|author|originator|errors-to|by|cc|bcc)"
    r"\s*[:=]?\s*[<\[(\"']{0,2}\s*$",
)
_ERR_LINE = Caseless(
    r"(?:^|[\s\[(:])[45]\d\d(?:[\s-]|$)|[245]\.\d{1,3}\.\d{1,3}|said:|reason|because|error|unknown|not (?:found|exist|known|listed)|"
    r"no such|full|quota|reject|denied|refused|invalid|disabled|exceed|expired|timed? ?out|blocked|"
    r"not accept|unavailable|spam|virus|policy|too (?:large|big|many)|loop|hop count|no mailbox|"
    r"does not|doesn't|isn't|couldn't|could not|unable|failed|failure",
)
# the words of _ERR_LINE's non-numeric alternatives: one is in every match not holding a 2, 4 or 5
_ERR_NEEDLES = ("said:", "reason", "because", "error", "unknown", "not", "no such", "full", "quota", "reject",
                "denied", "refused", "invalid", "disabled", "exceed", "expired", "out", "blocked", "unavailable",
                "spam", "virus", "policy", "too ", "loop", "hop count", "no mailbox", "n't", "unable", "fail")
_DELAY = Caseless(
    r"has not yet been delivered|not been delivered yet|this is (?:just )?a warning|warning message only|"
    r"will (?:continue to )?(?:try|attempt|retry|be retried)|attempts will continue|postponed|"
    r"will be tried again|could not yet be delivered|has been defer+ed|"  # masqmail tpl/warnmsg.tpl
    r"delivery (?:status notification \()?delay|delayed|transient|temporar(?:y|ily) (?:failure|deferred)|still trying",
)
_DELAY_NEEDLES = ("delivered", "warning", "will ", "postponed", "delay", "transient", "temporar", "still trying", "defer")
# A report must say that something failed; a challenge-response request or a notice from a mail
# system ("please confirm", "your quarantine summary") names addresses without any of this.
_FAILURE = Caseless(
    r"could not|couldn't|cannot|can't|unable to|was not|wasn't|has not|not been|did not|didn't|failed|"
    r"failure|undeliver|not deliver|rejected|returned|permanent|temporar|delay|error|bounced|not reach|"
    r"unknown|not known|no such|does not exist|doesn't exist|over quota|quota|full mailbox|mailbox (?:is )?full|"
    r"problem|postponed|not accepted|no longer|invalid|[45]\d\d[ -][245]\.",
)
_PERMANENT = Caseless(r"permanent|given up|giving up|not going to try again|failed permanently|fatal")
_REMOTE = re.compile(r"\b(?:host|server|mx)\s+(?=[\w.-]*[a-z])([a-z0-9][\w-]*(?:\.[\w-]+)+)(?:\s*\[|\s*\(|:)", re.I)
_ORIGINAL_DETAIL = Caseless(r"^\s*(?:subject|date|sent|cc|from|to)\s*:")
_MAX_BLOCK_LINES = 8


# What may follow an address that opens a line, for it to be a recipient line rather than a
# wrapped sentence ("mike@example.edu fails, try ...").
_TRAIL = Caseless(
    r"""^[>\]"')]*\s*(?:$|[:;,]|\.{2,}|\.\s*$|-\s|\(|\[|<|\d{3}\b|[245]\.\d|
        (?:on|is|was|has|does|doesn't|did|could|cannot|can't|user|mailbox|account|address|unknown|not|no|
           failed|rejected|error|invalid|refused|denied|blocked|bounced|unavailable|unreachable|disabled|
           suspended|inactive|expired|deferred|delayed|permanent(?:ly)?|temporar(?:y|ily)|reason|status|host|
           quota|over|too|delivery|because|returned|domain|smtp)\b)""",
    re.X,
)


def _is_error_line(text: str) -> bool:
    """``_ERR_LINE.search(text)``, answered without the regex when the text holds neither a digit
    its codes need nor any of its words (bounced.parse.sniff): it runs over every report line."""
    if not ("2" in text or "4" in text or "5" in text or may_match(text, _ERR_NEEDLES)):
        return False
    return _ERR_LINE.search(text) is not None


# Addresses listed before this one on a line, each closed by a comma or semicolon ("Intended
# Recipients: <a@x>, <b@y>", Haraka's outbound.bounce_message joins its recipients with ", ").
_LISTED = re.compile(r"(?:[<\[(\"']?" + c.ADDR_PAT + r"[>\])\"']?[ \t]*[,;][ \t]*)+(?=[<\[(\"']?$)")


def _classify(line: str, start: int, end: int) -> int:
    """0 = not a recipient mention, 3 = follows a reply code, 2 = leads its line, 1 = phrase."""
    before = line[:start]
    if _SENDER_CTX.search(before[-40:]):
        return 0
    if len(before) <= 120:  # a longer prefix is prose, not a label or an SMTP reply
        if _CODE_LEAD.match(before):
            return 3
        if _LEAD.match(before) and _TRAIL.match(line[end:end + 40]):
            return 2
        listed = _LISTED.search(before) if "@" in before else None
        if listed and _LEAD.match(before[:listed.start()] + before[listed.end():]) and _TRAIL.match(line[end:end + 40]):
            return 2  # one of a list of recipients after a label
    if _PHRASE.search(before[-80:]):
        return 1
    return 0


def extract(msg: Message) -> list[Found] | None:
    if not c.looks_like_bounce(msg) or c.has_dsn_recipients(msg):
        return None
    text = c.report_text(msg)
    if "@" not in text or not _FAILURE.search(text):
        return None
    failed_hdr = c.header_addresses(msg, "X-Failed-Recipients")
    exclude = c.header_addresses(msg, "From", "To", "Cc", "Reply-To", "Sender", "Return-Path", "Errors-To") - failed_hdr
    lines = text.split("\n")
    anchors: dict[str, tuple[int, int, int]] = {}  # addr -> (strength, line no, end col)
    order: list[str] = []
    mention_lines: dict[str, list[int]] = {}
    for no, line in enumerate(lines):
        if "@" not in line or _ORIGINAL_DETAIL.match(line):
            continue
        for m in c.ADDR.finditer(line):
            addr = m.group(1)
            key = addr.lower()
            if key in exclude:
                continue
            strength = _classify(line, m.start(1), m.end(1))
            if c.is_system_address(addr) and strength < 2:
                continue  # "contact postmaster@..." prose; a listed postmaster@ can still bounce
            mention_lines.setdefault(key, []).append(no)
            if key in failed_hdr:
                strength = max(strength, 2)
            if not strength:
                continue
            prev = anchors.get(key)
            if prev is None:
                order.append(addr)
                anchors[key] = (strength, no, m.end(1))
            elif strength > prev[0]:
                anchors[key] = (strength, no, m.end(1))
    if not order:
        if not failed_hdr:
            return None
        # X-Failed-Recipients names them although the text does not (a localised template)
        order = sorted(failed_hdr)
        anchors = {a: (2, len(lines), 0) for a in order}
        lines = [*lines, ""]
    anchor_lines = {v[1] for v in anchors.values()}
    subject = mime.header(msg, "Subject")
    delayed = bool(may_match(subject, _DELAY_NEEDLES) and _DELAY.search(subject)
                   or may_match(text, _DELAY_NEEDLES) and _DELAY.search(text)) and not _PERMANENT.search(text)
    action = "delayed" if delayed else "failed"
    error_lines: list[str] | None = None  # computed only when a recipient's own block says nothing
    fields = status_by_recipient(dsn_fields(text))
    out: list[Found] = []
    for addr in order:
        key = addr.lower()
        strength, no, col = anchors[key]
        diag = _block(lines, no, col, anchor_lines, whole_line=strength == 3)
        if not _is_error_line(diag):
            mentions = [lines[i].strip() for i in mention_lines.get(key, []) if i != no and _is_error_line(lines[i])]
            mentions.sort(key=lambda ln: 0 if smtp.find_failure_reply(ln) else 1)
            if not mentions and error_lines is None:
                error_lines = [ln.strip() for ln in lines if ln.strip() and _is_error_line(ln)]
                # lines with an SMTP code or enhanced status first: they are the remote server's words
                error_lines.sort(key=lambda ln: 0 if (smtp.find_failure_reply(ln) or smtp.find_status(ln)) else 1)
            diag = " ".join([diag, *mentions[:2]]) if mentions else " ".join([diag, *(error_lines or [])[:3]])
        status, dsn_action = fields.get(key, (None, None))
        remote = _REMOTE.search(diag)
        out.append(c.found(addr, diag, action=dsn_action or action, status=status,
                           remote_mta=remote.group(1) if remote else None))
    return c.dedupe(out)


def _block(lines: list[str], no: int, col: int, anchor_lines: set[int], *, whole_line: bool = False) -> str:
    """The anchor line's rest and the lines after it up to the next recipient or a blank line."""
    rest = lines[no].strip() if whole_line else lines[no][col:].lstrip(">]\"') \t:;,.-")
    parts = [rest] if rest.strip() else []
    indent = len(lines[no]) - len(lines[no].lstrip())
    skipped_blank = False
    for i in range(no + 1, min(len(lines), no + 1 + _MAX_BLOCK_LINES)):
        ln = lines[i]
        if i in anchor_lines:
            break
        if not ln.strip():
            if parts or skipped_blank:
                break
            skipped_blank = True
            continue
        if skipped_blank and not parts and len(ln) - len(ln.lstrip()) <= indent:
            break  # after a blank line only an indented continuation still belongs to it
        parts.append(ln.strip())
    return " ".join(parts)
