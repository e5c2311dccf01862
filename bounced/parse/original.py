"""Find the returned original message inside a bounce, and the headers the operator wants.

Where MTAs put it: a ``message/rfc822`` (or RFC 6532 ``message/global``) part; only its headers
as ``text/rfc822-headers`` (also spelled ``message/rfc822-headers``, ``text/rfc822-header``,
``message/global-headers``); or, in plain-text bounces, quoted inline below a line such as
"----- Original message -----", where it is recognised as a run of header lines that includes a
Message-ID or From and a Date/Subject/To.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from bounced import mime

HEADER_TYPES = frozenset({"text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header",
                          "message/global-headers", "text/rfc822"})
MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
STANDARD = ("Message-ID", "From", "To", "Subject", "Date")

# a header line an original starts with (used to find an inline-quoted copy)
_HEADER_LINE = re.compile(r"^[ \t>|]{0,4}([A-Za-z][A-Za-z0-9-]{1,60}):[ \t]", re.M)
_KEY_FIELDS = {"message-id", "from"}
_KEY_LINE = re.compile(r"^[ \t>|]{0,4}(?:Message-I[Dd]|From|FROM|Message-id|MESSAGE-ID):[ \t]", re.M)
_OTHER_FIELDS = {"date", "subject", "to", "received", "return-path", "mime-version", "content-type"}
MAX_INLINE = 64 * 1024


@dataclass(frozen=True)
class Original:
    """The returned original's headers (a Message holding headers; its body may be absent)."""

    headers: Message
    inline: bool = False


def find_original(msg: Message) -> Original | None:
    """The first attached original (or its headers), else an inline-quoted one; None if absent.

    Remembered on the message (the ARF module and the dispatcher both ask)."""
    memo = msg.__dict__
    if "_bounced_original" not in memo:
        memo["_bounced_original"] = _find_original(msg)
    return memo["_bounced_original"]


def _find_original(msg: Message) -> Original | None:
    for part, depth in mime.walk(msg):
        if depth == 0:
            continue
        ctype = mime.content_type(part)
        if ctype in MESSAGE_TYPES:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                inner = payload[0]
                if mime.has_headers(inner) and not _only_junk(inner):
                    return Original(inner)
                text = mime.part_raw_text(part)
            else:
                text = mime.part_text(part)
            headers = mime.parse_headers_text(text.lstrip("\n"))
            if mime.has_headers(headers):
                return Original(headers)
        elif ctype in HEADER_TYPES:
            headers = mime.parse_headers_text(mime.part_text(part).lstrip("\n"))
            if mime.has_headers(headers):
                return Original(headers)
    return _inline(msg)


def _only_junk(m: Message) -> bool:
    """A base64/QP encoded message/rfc822 part parses to nonsense headers; detect that."""
    keys = {k.lower() for k in m.keys()}
    return not (keys & (_KEY_FIELDS | _OTHER_FIELDS))


def _inline(msg: Message) -> Original | None:
    for part, _depth in mime.walk(msg):
        if mime.content_type(part) != "text/plain":
            continue
        text = mime.part_text(part)[:MAX_INLINE]
        found = inline_headers(text)
        if found is not None:
            return Original(found, inline=True)
    return None


def inline_headers(text: str) -> Message | None:
    """The headers of an original quoted inside a plain-text notice, or None.

    Looks for the first run of consecutive header lines (continuations allowed) that contains a
    Message-ID or From and at least one other typical field."""
    first = _KEY_LINE.search(text)
    if first is None:
        return None
    # start a little before the first Message-ID/From line: the run may begin with Received
    begin = max(0, text.rfind("\n\n", 0, first.start()))
    lines = text[begin:begin + MAX_INLINE].split("\n")
    i = 0
    n = len(lines)
    while i < n:
        m = _HEADER_LINE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        names = set()
        while i < n and (lines[i][:1] in (" ", "\t") and i > start and lines[i].strip() or _HEADER_LINE.match(lines[i])):
            hm = _HEADER_LINE.match(lines[i])
            if hm:
                names.add(hm.group(1).lower())
            i += 1
        if names & _KEY_FIELDS and len(names & (_KEY_FIELDS | _OTHER_FIELDS)) >= 2:
            block = "\n".join(re.sub(r"^[ \t>|]{1,4}(?=[A-Za-z])", "", ln) for ln in lines[start:i])
            headers = mime.parse_headers_text(block + "\n\n")
            if mime.has_headers(headers):
                return headers
        i = max(i, start + 1)
    return None


def selected_headers(original: Original | None, extra: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """(name, value) pairs of the standard headers plus the configured extra ones that exist."""
    if original is None:
        return ()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in (*STANDARD, *extra):
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        value = mime.header(original.headers, name)
        if value:
            out.append((name, value[:1000]))
    return tuple(out)
