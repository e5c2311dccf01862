"""Last-resort recipient detection with flufl.bounce, for bounces no format module understood.

flufl.bounce knows many old MTAs' layouts but answers only with bare addresses (temporary or
permanent), and its scan is slow (every detector re-reads the body), so the dispatcher calls it
only for messages that look like a bounce and that nothing else could read. Status, reply code
and diagnostic come from our own scan of the notice around each address.
"""
from __future__ import annotations

import logging
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields, smtp

FORMAT = "flufl"
MAX_ADDRESSES = 50
MAX_INPUT = 64 * 1024
MAX_LINES = 2000
MAX_LINE = 500  # longer lines are cut, not dropped: the work of a quadratic detector is n^2 per line


def bounded(raw: bytes) -> bytes:
    """The first MAX_INPUT bytes and MAX_LINES lines of a message, each line cut to MAX_LINE
    bytes; ``raw`` itself when it is within all three. flufl's detectors run a dozen patterns
    over every line, some of them quadratic in the line's length (``,\\s*\\S+@[^,]+,`` took
    10.6 s on one line of 60,000 characters): a long line or a huge body would cost seconds."""
    head = raw[:MAX_INPUT]
    lines = head.split(b"\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        lines[-1] = b""  # the rest after MAX_LINES lines
    if len(head) == len(raw) and len(lines) <= MAX_LINES and max(map(len, lines)) <= MAX_LINE:
        return raw
    return b"\n".join(line[:MAX_LINE] for line in lines)


def _notice_text(msg: Message) -> str:
    out: list[str] = []
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            break
        if ctype.startswith("text/"):
            out.append(mime.part_text(part))
            if sum(map(len, out)) > 32 * 1024:
                break
    return "\n".join(out)[: 32 * 1024]


def _context(text: str, addr: str) -> str:
    low = text.lower()
    i = low.find(addr.lower())
    if i < 0:
        return ""
    start = low.rfind("\n\n", 0, i)
    end = low.find("\n\n", i)
    para = text[start + 2 if start >= 0 else 0: end if end >= 0 else len(text)]
    return fields.unfold(para)[:1000]


def extract(msg: Message) -> list[Found] | None:
    """Addresses flufl.bounce reports, with codes from the notice; None when it finds none."""
    try:
        from flufl.bounce import all_failures  # lazy: heavy import, rarely needed
    except ImportError:  # pragma: no cover - a hard dependency, but never crash on it
        return None
    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # noqa: BLE001 - flufl re-raises its detectors' errors
        return None
    text = _notice_text(msg)
    out: list[Found] = []
    for raw, action in [(a, "failed") for a in sorted(permanent)] + [(a, "delayed") for a in sorted(temporary)]:
        addr = fields.clean_address(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        if not addr:
            continue
        diagnostic = _context(text, addr)
        codes = smtp.find_codes(diagnostic)
        out.append(Found(recipient=addr, action=action, status=codes.status, reply_code=codes.reply_code,
                         diagnostic=diagnostic))
        if len(out) >= MAX_ADDRESSES:
            break
    return out or None
