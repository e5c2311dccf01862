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

from bounced import mime, mimetree

HEADER_TYPES = frozenset({"text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header",
                          "message/global-headers", "text/rfc822"})
MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
STANDARD = ("Message-ID", "From", "To", "Subject", "Date")

# a header line an original starts with (used to find an inline-quoted copy)
_HEADER_LINE = re.compile(r"^[ \t>|]{0,4}([A-Za-z][A-Za-z0-9-]{1,60}):[ \t]", re.M)
_KEY_FIELDS = {"message-id", "from"}
# searched in the text with a newline put before it: starting with the newline before its line
# (not ^ under re.M), the pattern lets the regex engine skip from newline to newline
_KEY_LINE = re.compile(r"\n[ \t>|]{0,4}(?:Message-I[Dd]|From|FROM|Message-id|MESSAGE-ID):[ \t]")
_KEY_NEEDLES = ("From:", "FROM:", "Message-I", "Message-id", "MESSAGE-ID")  # one is in every match of _KEY_LINE
_OTHER_FIELDS = {"date", "subject", "to", "received", "return-path", "mime-version", "content-type"}
MAX_INLINE = 64 * 1024
_INLINE_TYPES = frozenset({"text/plain", "message/delivery-status", "message/global-delivery-status"})
_QUOTES = re.compile(r"^[ \t>|]{1,4}(?=[A-Za-z])", re.M)  # quoting at each line start


@dataclass(frozen=True)
class Original:
    """The returned original's header fields: lower-case name -> raw value (first occurrence)."""

    fields: dict[str, str]
    inline: bool = False

    def get(self, name: str) -> str:
        """A header of the original, decoded and unfolded; '' when absent."""
        raw = self.fields.get(name.lower())
        return mime.decode_header_value(raw) if raw is not None else ""


def _from_message(m: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        for k, v in m._headers[:500]:  # noqa: SLF001 - raw values keep 8-bit bytes
            out.setdefault(str(k).lower(), v)
    except Exception:  # noqa: BLE001
        return {}
    return out


_FIELD_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,76})[ \t]*:[ \t]*(.*)")


def header_fields(text: str) -> dict[str, str]:
    """Header fields at the start of ``text`` (up to the first blank line), continuations joined.

    Cheaper than the email parser for the few fields a bounce's original is read for."""
    out: dict[str, str] = {}
    last = ""
    for line in text[:MAX_INLINE].lstrip("\n").split("\n", 500):
        if not line.strip():
            break
        if line[0] in " \t":
            if last:
                out[last] = f"{out[last]} {line.strip()}"
            continue
        m = _FIELD_LINE.match(line)
        if not m:
            last = ""
            continue
        name = m.group(1).lower()
        if name in out:
            last = ""
            continue
        out[name] = m.group(2)
        last = name
    return out


def find_original(msg: Message) -> Original | None:
    """The first attached original (or its headers), else an inline-quoted one; None if absent.

    Remembered on the message (the ARF module and the dispatcher both ask)."""
    return mime.memo(msg, "original", _find_original)


def _find_original(msg: Message) -> Original | None:
    for part, depth, ctype in mime.typed_walk(msg):
        if depth == 0:
            continue
        if ctype in MESSAGE_TYPES:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                inner = payload[0]
                if mime.has_headers(inner) and not _only_junk(inner):
                    found = _from_message(inner)
                    body = getattr(inner, "_payload", None)
                    if not _KEY_FIELDS & found.keys() and isinstance(body, str):
                        # a continuation line without its leading blank ended the headers early
                        for k, v in header_fields(body).items():
                            found.setdefault(k, v)
                    return Original(found)
                text = mime.part_raw_text(part)
            else:
                text = mime.part_text(part)
            found = header_fields(text)
            if found:
                return Original(found)
        elif ctype in HEADER_TYPES:
            found = header_fields(mime.part_text(part))
            if found:
                return Original(found)
    return _inline(msg)


def _only_junk(m: Message) -> bool:
    """A base64/QP encoded message/rfc822 part parses to nonsense headers; detect that."""
    keys = m._index().keys() if isinstance(m, mimetree.Part) else {k.lower() for k in m.keys()}  # noqa: SLF001
    return not (keys & (_KEY_FIELDS | _OTHER_FIELDS))


def _inline(msg: Message) -> Original | None:
    """An original quoted in a text part, or swallowed by a status part whose closing boundary
    is broken (the parts after it then arrive as its text)."""
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype not in _INLINE_TYPES:
            continue
        text = mime.part_text(part)[:MAX_INLINE]
        found = inline_headers(text)
        if found:
            return Original(found, inline=True)
    return None


def inline_headers(text: str) -> dict[str, str] | None:
    """The headers of an original quoted inside a plain-text notice, or None.

    Looks for the first run of consecutive header lines (continuations allowed) that contains a
    Message-ID or From and at least one other typical field."""
    if not any(needle in text for needle in _KEY_NEEDLES):
        return None
    first = _KEY_LINE.search("\n" + text)  # at the newline before the line: its start in ``text``
    if first is None:
        return None
    # start a little before the first Message-ID/From line: the run may begin with Received
    begin = max(0, text.rfind("\n\n", 0, first.start()))
    lines = text[begin:begin + MAX_INLINE].split("\n")
    i = 0
    n = len(lines)
    while i < n:
        hm = _HEADER_LINE.match(lines[i])
        if not hm:
            i += 1
            continue
        start = i
        names = set()
        while True:  # the run of header lines (and their continuations) from ``start``
            if hm:
                names.add(hm.group(1).lower())
            i += 1
            if i >= n:
                break
            line = lines[i]
            hm = _HEADER_LINE.match(line)
            if not (hm or line[:1] in (" ", "\t") and line.strip()):
                break
        if names & _KEY_FIELDS and len(names & (_KEY_FIELDS | _OTHER_FIELDS)) >= 2:
            block = _QUOTES.sub("", "\n".join(lines[start:i]))
            found = header_fields(block)
            if found:
                return found
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
        value = original.get(name)
        if value:
            out.append((name, value[:1000]))
    return tuple(out)
