"""Helpers shared by the plain-text MTA modules: the report text, addresses, SMTP codes.

Every module reads the same thing, the human-readable report an MTA wrote above the returned
original, so it is built once per module call by :func:`report_text` (text parts outside any
attached message, HTML reduced to text, cut where the copy of the original begins, capped at
64 kB) and scanned with the precompiled patterns below.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import smtp
from bounced.parse.fields import html_to_text, unfold
from bounced.parse.sniff import Caseless

MAX_TEXT = 64 * 1024
MAX_LINE = 2048

# An address as bounces print it: no display names, no comments; local parts may be quoted-free
# Unicode (SMTPUTF8).  The domain needs at least one dot, which keeps "user@localhost" out.
ADDR_PAT = r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@(?:[\w](?:[\w-]{0,62}[\w])?\.)+[\w](?:[\w-]{0,62}[\w])?(?![\w-])"
"""The address pattern without a group, for embedding in other patterns."""
ADDR = re.compile(r"(?<![\w.+=-])(?!['.])(" + ADDR_PAT + ")")
# Local parts that belong to mail systems, never to a bouncing recipient.
SYSTEM_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "daemon", "root", "abuse",
     "mail.delivery.system", "mailadmin", "mdaemon", "noreply", "no-reply", "nobody"}
)
_BOUNCE_FROM = Caseless(
    r"mailer-daemon|mail-daemon|postmaster|mail\.delivery\.system|mail delivery|mdaemon|"
    r"delivery subsystem|administrator|daemon|smtp|notification|interscan|bounce|mailer@",
)
_BOUNCE_SUBJECT = Caseless(
    r"undeliver|undelivered|returned mail|returning message|delivery fail|failure notice|"
    r"delivery status notification|mail delivery|could not be delivered|not delivered|"
    r"delivery problem|delivery error|delivery notification|failed mail|mail error|"
    r"nondeliver|non-deliver|rejected|warning: message|delayed|delivery warning|"
    r"permanent delivery|mail system error|error sending|failure delivery|bounce|"
    # the same in the languages Exchange and others localise their subjects into
    r"unzustellbar|nicht zugestellt|non remis|non distribu|non recapitabile|onbestelbaar|"
    r"no se (?:pudo|puede) entregar|no entregado|n[aã]o (?:foi )?entregue|olevererbar|ei voitu toimittaa|"
    r"niedostarczon|nedoru[cč]|配信|送信できません|退信|投递失败",
)

# Where the copy of the returned original starts, as MTAs announce it.  A line is a marker when
# it matches after stripping decoration ("----", "|---", "***", "===").  (Case-insensitive, as
# are the patterns above: sniff.Caseless.)
_CUT_MARKERS = Caseless(
    # (the lookahead holds the first letter of every alternative: most lines fail on it at once)
    r"""\n[ \t\-=*|_>]*+(?=[abcehimorstuy])(?:
        this\ is\ a\ copy\ of\ (?:the|your)\ message
      | below\ (?:this|the\ next)\ line\ is\ a\ copy
      | (?:original|returned|unsent|undelivered)\ (?:message|mail)\b(?!\ (?:was|is|has|to|could)\b)
      | (?:message|mail)\ (?:header|headers|text)\ follow
      | message\ headers?\ follows?
      | header\ of\ the\ (?:original|source)
      | the\ header\ of\ the\ original
      | (?:a\ )?copy\ of\ the\ (?:original\ )?message\ (?:below|follows|is\ attached)
      | included\ is\ a\ copy
      | enclosed\ is\ a\ copy
      | attachment\ is\ a\ copy
      | start\ of\ returned\ message
      | your\ message\ reads
      | the\ (?:header\ and\ )?(?:top|first)\ \d+\ lines\ of
      | a\ summary\ of\ the\ undelivered
      | (?:below\ is\ )?a\ copy\ of\ the\ original\ message
      | below\ is\ a\ copy\ of
      | original\ message\ (?:follows|attached|as\ received|headers|details)
      | unsent\ message\ (?:below|follows)
      | message\ body\ suppressed
      | mensaje\ original
    )""",
    re.X,
)
# Header lines that can only belong to the attached original (the report itself never starts a
# line with them).
_ATTACHED = Caseless(r"\ncontent-type:[ \t]*(?:message/rfc822|text/rfc822-headers|message/rfc822-headers)")
_HEADER_START = re.compile(r"\n(?:Received|Return-Path|Return-path|DKIM-Signature|Message-I[Dd]|X-Original-To|Delivered-To):[ \t]")

_SKIP_TYPES = frozenset(
    {"message/rfc822", "message/rfc822-headers", "text/rfc822-headers", "message/delivery-status",
     "message/global", "message/global-headers", "message/global-delivery-status",
     "message/disposition-notification", "message/partial", "message/external-body"}
)


def _text_parts(msg: Message) -> Iterator[Message]:
    """The text/* leaves of the report, never descending into an attached message.

    A text part marked as an attachment counts only while no report text came before it
    (McAfee attaches its report; others attach the original's headers as text after it)."""
    stack = [msg]
    seen_text = False
    while stack:
        part = stack.pop()
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype in _SKIP_TYPES or ctype.startswith("message/"):
                continue
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(reversed(payload))
            continue
        # a multipart whose boundary is missing arrives as one flat part: read it as text
        if ctype in _SKIP_TYPES or not (ctype.startswith(("text/", "multipart/")) or ctype == "message/x-unknown"):
            continue
        if seen_text and part is not msg and "attachment" in str(part.get("Content-Disposition", "")).lower():
            continue
        seen_text = True
        yield part


def report_text(msg: Message) -> str:
    """The bounce's own words: text parts outside the returned original, cut where a copy of the
    original begins, at most MAX_TEXT characters, line endings normalised."""
    return mime.memo(msg, "cut", lambda m: cut_original(raw_report_text(m)))


def raw_report_text(msg: Message) -> str:
    """Like :func:`report_text` but not cut at the start of the returned original."""
    return mime.memo(msg, "raw", _raw_report_text)


def _raw_report_text(msg: Message) -> str:
    out: list[str] = []
    size = 0
    for part in _text_parts(msg):
        text = mime.part_text(part)  # never raises (a charset name with a NUL byte included)
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
        out.append(text)
        size += len(text)
        if size >= MAX_TEXT:
            break
    text = "\n".join(out)[:MAX_TEXT]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_LINE:
        lines = text.split("\n")
        if max(map(len, lines)) > MAX_LINE:
            # no report line is this long; bounding lines bounds every per-line pattern's work
            text = "\n".join(line[:MAX_LINE] for line in lines)
    return text


def cut_original(text: str) -> str:
    """Drop everything from the line announcing the returned original (or its first header)."""
    # the patterns start with the newline before their line, not with "^" under re.M: a literal
    # first character lets the regex engine skip ahead instead of trying every position. In
    # ``nl`` the newline before the line starting at text[i] is nl[i], so positions carry over.
    nl = "\n" + text
    low = nl.lower()  # read by both case-insensitive patterns
    end = len(text)
    m = _CUT_MARKERS.search(nl, 0, end + 1, lowered=low)
    if m:
        end = m.start()
    # only where "rfc822", which every match of it holds, occurs (sniff.may_match's test)
    if "rfc822" in low or not text.isascii():
        m = _ATTACHED.search(nl, 0, end + 1, lowered=low)
        if m:
            end = m.start()
    m = _HEADER_START.search(nl, 1, end + 1)
    return text[:m.start()] if m else text[:end]


def addresses(text: str) -> list[str]:
    return [m.group(1) for m in ADDR.finditer(text)]


def local_part(addr: str) -> str:
    return addr.rsplit("@", 1)[0].lower()


def is_system_address(addr: str) -> bool:
    return local_part(addr) in SYSTEM_LOCALS


def header_addresses(msg: Message, *names: str) -> set[str]:
    found: set[str] = set()
    for name in names:
        for addr in addresses(mime.header(msg, name)):
            found.add(addr.lower())
    return found


def looks_like_bounce(msg: Message) -> bool:
    """Cheap header test: From a mail system or a subject bounces use (asked by most modules, so
    answered once per message)."""
    return mime.memo(msg, "bounce", _looks_like_bounce)


def _looks_like_bounce(msg: Message) -> bool:
    sender = mime.header(msg, "From")
    if "@" not in sender or _BOUNCE_FROM.search(sender):  # "<>" or a bare name: a mail system
        return True
    return bool(_BOUNCE_SUBJECT.search(mime.header(msg, "Subject")))


def has_dsn_recipients(msg: Message) -> bool:
    """A message/delivery-status part with per-recipient fields (or an ARF report): another
    parser's job, so every module here answers None."""
    return mime.memo(msg, "dsn", _has_dsn_recipients)


def _has_dsn_recipients(msg: Message) -> bool:
    if not msg.is_multipart():
        return False
    if msg.get_content_type() == "multipart/report" and msg.get_param("report-type", "").lower() == "feedback-report":
        return True  # an ARF complaint is never an MTA's bounce
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            # McAfee's Original-Recipient-only part is read as text by its module, and so is a
            # report whose Final-Recipient holds no address ("rfc822; @mx.example.org")
            for block in status_blocks(part):
                m = _FINAL.search(block)
                if m and ADDR.search(m.group(1)):
                    return True
    return False


_FINAL = re.compile(r"^Final-Recipient:([^\n]*)", re.I | re.M)


def status_blocks(part: Message) -> list[str]:
    """The field blocks of a message/delivery-status part as text, without the generator (which
    raises on mangled charsets): the parser keeps each block as a header-only sub-message."""
    payload = part.get_payload()
    if isinstance(payload, list):
        out = []
        for block in payload:
            try:
                out.append("\n".join(f"{k}: {v}" for k, v in block.items()))
            except Exception:  # noqa: BLE001 - a mangled block is skipped, never fatal
                continue
        return out
    try:
        return re.split(r"\n[ \t]*\n", mime.part_text(part))
    except Exception:  # noqa: BLE001
        return []


def found(recipient: str, diagnostic: str, *, action: str = "failed", remote_mta: str | None = None,
          status: str | None = None, reply_code: str | None = None,
          original_recipient: str | None = None) -> Found:
    diagnostic = unfold(diagnostic)
    st, rc = smtp.codes(diagnostic)
    return Found(
        recipient=recipient,
        original_recipient=original_recipient,
        action=action,
        status=status or st,
        reply_code=reply_code or rc,
        diagnostic=diagnostic,
        remote_mta=remote_mta,
    )


def dedupe(items: Iterable[Found]) -> list[Found]:
    """One entry per recipient (case-insensitive); the first with a diagnostic wins."""
    seen: dict[str, int] = {}
    out: list[Found] = []
    for f in items:
        key = (f.recipient or "").lower()
        if key in seen:
            i = seen[key]
            if not out[i].diagnostic and f.diagnostic:
                out[i] = f
            continue
        seen[key] = len(out)
        out.append(f)
    return out
