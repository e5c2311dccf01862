"""RFC 3464 delivery status notifications (and RFC 6533 global ones).

Quirks of real DSNs this module copes with:

* the status part is ``message/delivery-status`` or ``message/global-delivery-status`` (UTF-8
  fields, ``utf-8;`` address type with ``\\x{HHHH}`` escapes), sometimes base64 or QP encoded,
  sometimes mislabelled ``text/plain`` as the second part of a ``multipart/report``;
* fields have continuation lines, lower-case names, and blank lines missing between
  recipients; several recipients share one report;
* the Status is often missing or generic (5.0.0) while the Diagnostic-Code quotes the remote
  server's "550 5.1.1 ..." reply; the reply code and a better status are taken from there
  (:mod:`bounced.parse.smtp`);
* no Diagnostic-Code at all: the human-readable part's paragraph naming the recipient stands in
  (the notice read by :func:`bounced.parse.lhost._common.report_text`, as every format reads it);
* a report nested inside an attached message (a forwarded notice, a bounce of a bounce) counts
  only when the outer message has none, and then the shallowest one, read with its own notice.

Only recipient blocks are returned; a status part without any recipient field is "not mine"
(``None``) so the plain-text modules can try their luck with the message.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp
from bounced.parse.lhost import _common
from bounced.parse.sniff import Caseless

FORMAT = "rfc3464"

STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ATTACHED_TYPES = frozenset({"message/rfc822", "message/global", "message/partial"})
_HUMAN_TYPES = frozenset({"text/plain", "text/html"})
_ACTIONS = {
    "failed": "failed", "failure": "failed", "fail": "failed", "expired": "failed", "bounced": "failed",
    "delayed": "delayed", "delay": "delayed", "delivered": "delivered", "relayed": "relayed",
    "expanded": "expanded", "deliverable": "delivered", "delivery": "delivered",
}
# Diagnostic-Code types whose text is an SMTP/LMTP reply (RFC 3464 "smtp"; Postfix's own)
_SMTP_TYPES = frozenset({"", "smtp", "esmtp", "lmtp", "x-postfix", "x-smtp", "x-exim", "x-qmail"})
MAX_CONTEXT = 1000


def status_parts(msg: Message) -> list[tuple[Message, Message]]:
    """(delivery-status part, the message whose report it is): the parts of the message itself,
    else those of the attached message closest to the top (a forwarded notice, a bounce of a
    bounce: the attached notice's report, not the one it returns in turn). The owner's own text
    part is the notice that goes with the report."""
    levels: dict[int, list[tuple[Message, Message]]] = {}
    attached: list[tuple[int, Message]] = []  # the attached messages we are inside, with depth
    for part, depth, ctype in mime.typed_walk(msg):
        while attached and depth <= attached[-1][0]:
            attached.pop()
        owner = attached[-1][1] if attached else msg
        if ctype in _ATTACHED_TYPES:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                attached.append((depth, inner[0]))
        if ctype in STATUS_TYPES:
            levels.setdefault(len(attached), []).append((part, owner))
        elif ctype == "multipart/report":
            second = _mislabelled_status(part)
            if second is not None:
                levels.setdefault(len(attached), []).append((second, owner))
    return levels[min(levels)] if levels else []


def _mislabelled_status(report: Message) -> Message | None:
    """The second part of a delivery-status report when it holds the fields under a text type."""
    if not mime.param(report, "report-type").lower().endswith("delivery-status"):
        return None
    children = report.get_payload()
    if not isinstance(children, list) or len(children) < 2 or not isinstance(children[1], Message):
        return None
    second = children[1]
    if mime.content_type(second) not in _MISLABELLED_TYPES:
        return None
    if _RCPT_FIELD.search("\n" + mime.part_text(second)[:65536]):
        return second
    return None


# searched in the text with a newline put before it: starting with the newline before its line
# (not ^ under re.M), the pattern lets the regex engine skip from line end to line end
_RCPT_FIELD = Caseless(r"\n(?:final|original)-recipient\s*:")
_MISLABELLED_TYPES = _HUMAN_TYPES | {"text/rfc822-headers"}


def _context(text: str, recipient: str | None) -> str:
    """What the notice says about ``recipient`` (unfolded, bounded).

    The line naming the recipient (with its indented continuation lines), preferring one that
    carries an SMTP code ("<a@b>... Deferred: ...", "a@b: 550 5.1.1 ..."); when the address
    stands alone on its line(s), the paragraph that follows it."""
    if not text or not recipient:
        return ""
    low = text.lower()
    needle = recipient.lower()
    meaningful = ""
    alone_at = -1
    pos = low.find(needle)
    for _ in range(MAX_MENTIONS):
        if pos < 0:
            break
        line = _line_with_continuations(text, pos)
        rest = _WORDS.findall(line.replace(recipient, " ").replace(needle, " "))
        if len(rest) >= 2 and not _success_only(line):
            if _DIGIT3.search(line) and (smtp.find_reply_code(line) or smtp.find_status(line)):
                return fields.unfold(line)[:MAX_CONTEXT]
            meaningful = meaningful or line
        elif alone_at < 0:
            alone_at = pos
        pos = low.find(needle, pos + len(needle))
    if meaningful:
        return fields.unfold(meaningful)[:MAX_CONTEXT]
    if alone_at >= 0:
        end = text.find("\n\n", alone_at)
        if end >= 0:
            nxt = text.find("\n\n", end + 2)
            return fields.unfold(text[end: nxt if nxt > 0 else len(text)])[:MAX_CONTEXT]
    return ""


_WORDS = re.compile(r"[^\W\d_]{2,}")
_DIGIT3 = re.compile(r"\d\d\d|\d\.\d")
MAX_MENTIONS = 8  # mentions of one recipient looked at in the notice


def _remote_pair(diagnostic: str, dtype: str, status: str) -> str | None:
    """The enhanced code the remote paired with its reply code at the start of an SMTP diagnostic
    ("553 5.1.8 ..."), when it is of the Status field's class and differs from it; else None."""
    if dtype not in _SMTP_TYPES:
        return None
    m = smtp.PAIR_RE.match(diagnostic.lstrip())
    if m is None or m.group(1)[0] != m.group(2)[0] or m.group(2)[0] != status[0] or m.group(2) == status:
        return None
    return m.group(2)


def _success_only(text: str) -> bool:
    """A 2xx reply and no failure reply: says nothing of why delivery failed. Sendmail records the
    last reply it read, and after a 421 that is the answer to its own QUIT ("221 Bye"); the
    remote's refusal is then only in the transcript ("<a@b>... Deferred: 421 4.7.0 ...")."""
    code = smtp.find_reply_code(text)
    return code is not None and code[0] == "2" and smtp.find_failure_reply(text) is None


def _line_with_continuations(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    for _ in range(10):  # indented continuation lines belong to the same entry
        if end + 1 < len(text) and text[end + 1] in " \t":
            nxt = text.find("\n", end + 1)
            nxt = len(text) if nxt < 0 else nxt
            if not text[end + 1:nxt].strip():
                break
            end = nxt
        else:
            break
    return text[start:end]


def _command_in_notice(text: str, recipient: str | None) -> str | None:
    """The refused SMTP command as the notice states it for ``recipient``: on the line naming
    the recipient (Postfix), or in the transcript reply that names it (Sendmail)."""
    if not text or not recipient:
        return None
    low = text.lower()
    pos = low.find(recipient.lower())
    for _ in range(MAX_MENTIONS):
        if pos < 0:
            return None
        line = _line_with_continuations(text, pos)
        command = smtp.find_command(line)
        if command:
            return command
        start = text.rfind("\n", 0, pos) + 1
        if text.startswith("<<<", start):
            # a transcript reply naming the recipient: the command is the last ">>>" before it
            sent = text.rfind("\n>>>", 0, start)
            if sent >= 0:
                command = smtp.find_command(text[sent + 1: text.find("\n", start) + 1 or len(text)])
                if command:
                    return command
        pos = low.find(recipient.lower(), pos + len(recipient))
    return None


def _action(value: str) -> str | None:
    word = value.strip().split(" ", 1)[0].strip("();,").lower() if value.strip() else ""
    return _ACTIONS.get(word)


def recipient_found(block: dict[str, str], per_message: dict[str, str], human: Callable[[], str]) -> Found:
    """One per-recipient block as a :class:`Found`."""
    final = fields.clean_address(block.get("final-recipient"))
    original = fields.clean_address(block.get("original-recipient"))
    actual = fields.clean_address(block.get("x-actual-recipient"))
    # the address the report is about; the dispatcher keys the result on the Original-Recipient
    # when it names another address (bounced.parse._keyed)
    recipient = final if _usable(final) else (original if _usable(original) else (actual or final or original))
    dtype, diagnostic = fields.split_type(block.get("diagnostic-code", ""))
    diagnostic = fields.unfold(diagnostic)
    if dtype and dtype not in _SMTP_TYPES:
        # "X-Unix; 255" is a local program's exit code, not an SMTP reply: keep the type visible
        diagnostic = f"{dtype}; {diagnostic}"
    status_field = block.get("status", "")
    if not diagnostic or (dtype in _SMTP_TYPES and _success_only(diagnostic) and status_field.strip()[:1] in ("4", "5")):
        diagnostic = _context(human(), recipient) or diagnostic  # the notice is decoded only when needed
    if dtype in _SMTP_TYPES and (whole := smtp.whole_reply(diagnostic, human()) if smtp.opens_multiline(diagnostic) else None):
        diagnostic = whole
    codes = smtp.find_codes(diagnostic) if dtype in _SMTP_TYPES else smtp.Codes(None, smtp.find_status(diagnostic))
    status = smtp.find_status(status_field)
    if status is None:
        status = codes.status
    elif smtp.is_generic(status) and codes.status and codes.status[0] == status[0] and not smtp.is_generic(codes.status):
        status = codes.status
    elif (pair := _remote_pair(diagnostic, dtype, status)) is not None:
        # the remote's own "553 5.1.8" over the reporting MTA's guess from the reply code (Sendmail
        # writes 5.1.3 for a 553 refusing MAIL FROM): the remote knows why it refused
        status = pair
    action = _action(block.get("action", ""))
    if action is None and status:
        action = {"2": "delivered", "4": "delayed", "5": "failed"}.get(status[0])
    remote = fields.typed_value(block.get("remote-mta", "")) or None
    command = smtp.find_command(diagnostic)
    if command is None and status and status[0] in "45":
        command = _command_in_notice(human(), recipient)
    return Found(
        recipient=recipient,
        original_recipient=original,
        action=action,
        status=status,
        reply_code=codes.reply_code,
        diagnostic=diagnostic,
        remote_mta=remote,
        last_attempt=fields.iso_date(block.get("last-attempt-date") or per_message.get("last-attempt-date")),
        command=command,
    )


_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_SYSTEM = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|root|daemon|abuse|noreply|no-reply)@", re.I)


def _only_address(text: str) -> str | None:
    """The one address a notice names (system mailboxes aside); None when zero or several."""
    seen = {m.group(0).lower(): m.group(0) for m in _ADDR.finditer(text[:16 * 1024]) if not _SYSTEM.match(m.group(0))}
    return next(iter(seen.values())) if len(seen) == 1 else None


def _usable(addr: str | None) -> bool:
    return bool(addr) and "." in addr.rpartition("@")[2]


def _is_recipient_block(block: dict[str, str]) -> bool:
    return "final-recipient" in block or "original-recipient" in block or "x-actual-recipient" in block


def extract(msg: Message) -> list[Found] | None:
    """Recipients of the delivery-status parts (one report may hold several); None when none."""
    out: list[Found] = []
    for part, owner in status_parts(msg)[:20]:

        def human(owner: Message = owner) -> str:  # the notice's text, read only when needed (memoized)
            return _common.report_text(owner)

        text = mime.part_text(part)
        parsed = fields.blocks(text)
        per_message: dict[str, str] = {}
        for b in parsed:
            if not _is_recipient_block(b):
                for k, v in b.items():
                    per_message.setdefault(k, v)
        rblocks = [b for b in parsed if _is_recipient_block(b)]
        if not rblocks:
            continue
        found = [recipient_found(b, per_message, human) for b in rblocks]
        if len(found) == 1 and not _usable(found[0].recipient):
            # "Final-Recipient: rfc822; @mx.example.org": the notice usually names the address
            alone = _only_address(human())
            if alone:
                found = [replace(found[0], recipient=alone, diagnostic=found[0].diagnostic or _context(human(), alone))]
        out.extend(found)
    return out if any(f.recipient for f in out) else None
