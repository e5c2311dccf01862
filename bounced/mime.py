"""Never-raising helpers over the standard library's email package.

Every parser goes through these, so decoding quirks (missing or wrong charsets, broken base64,
bare-CR line endings, non-ASCII headers, mbox ``From`` lines) are handled once.

The work is bounded so hostile input is answered in bounded time and memory:

* only the first :data:`MAX_BYTES` of a message are parsed (what a bounce says is at its top;
  a huge returned attachment adds nothing),
* a header value is looked at up to :data:`MAX_HEADER` characters,
* a decoded part up to :data:`MAX_TEXT` characters,
* :func:`walk` visits at most :data:`MAX_PARTS` parts, :data:`MAX_DEPTH` levels deep, without
  recursion.

The tree is built by :mod:`bounced.mimetree` (the standard library's Message objects, built
about twice as fast as by its line-by-line parser, nesting and part count bounded); the
standard parser is the fallback.
"""
from __future__ import annotations

import binascii
import codecs
import email
import email.errors
import email.header
import email.parser
import email.policy
import email.utils
import itertools
import quopri
import re
from collections.abc import Callable, Iterator
from email.message import Message
from typing import TypeVar

from bounced import mimetree
from bounced.mimetree import decode_transfer

_T = TypeVar("_T")
_POLICY = email.policy.compat32  # lenient and fast; we decode headers ourselves

MAX_BYTES = 1 << 20
MAX_HEADER = 16 * 1024
MAX_TEXT = 256 * 1024
MAX_PARTS = 200
MAX_DEPTH = 20
# the email package's parser recurses once per nesting level; beyond this the message is cut
_MAX_BOUNDARIES = 64
_TREE_DEPTH = 32  # deeper parts are kept as text
_TREE_PARTS = 400
# four line ends or more with only blanks between: \n(?:[ \t]*\n){3,} unrolled, so that at each
# line end the engine fails on a plain character class instead of entering a group repeat
_BLANK_RUNS = re.compile(rb"\n[ \t]*\n[ \t]*\n[ \t]*\n(?:[ \t]*\n)*")


def load(raw: bytes) -> Message:
    """Parse raw bytes into a message tree; never raises.

    Tolerates mbox ``From`` lines, CRLF and bare CR endings, truncation anywhere, and nesting
    deeper than the standard parser can recurse (then the body is kept as unparsed text)."""
    if not isinstance(raw, (bytes, bytearray)):
        raw = str(raw).encode("utf-8", "surrogateescape")
    raw = without_bom(bytes(raw[:MAX_BYTES]))
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        raw = raw[nl + 1:] if nl >= 0 else b""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    # runs of empty lines say nothing, but cost every line-based scan downstream
    raw = _BLANK_RUNS.sub(b"\n\n\n", raw)
    try:
        # the same tree as email.message_from_bytes (compat32), built without its per-line loop
        text = raw.decode("ascii", "surrogateescape")
        tree = mimetree.build(text, _TREE_DEPTH, _TREE_PARTS)
        implied = _implied_report(tree, text)
        return tree if implied is None else mimetree.build(implied, _TREE_DEPTH, _TREE_PARTS)
    except Exception:  # noqa: BLE001 - fall back to the standard parser
        pass
    if raw.count(b"boundary") > _MAX_BOUNDARIES:
        return _headers_only(raw)
    try:
        return email.message_from_bytes(raw, policy=_POLICY)
    except (RecursionError, MemoryError):
        return _headers_only(raw)
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient, but never trust it blindly
        return _headers_only(raw)


# searched in the body with a newline put before it: a literal first character (not ^ under re.M)
# lets the regex engine skip from line end to line end
_IMPLIED_STATUS = re.compile(r"\ncontent-type:[ \t]*message/((?:global-)?delivery-status|feedback-report)\b", re.I)
_PART_HEAD = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n|[ \t][^\n]*\n)*")
_IMPLIED_WINDOW = 64 * 1024  # where the report part must begin
_PART_HEAD_MAX = 2048


def _implied_report(tree: Message, text: str) -> str | None:
    """``text`` with the multipart/report header it lost, when its MIME headers were dropped.

    Some gateways and list managers strip MIME-Version and Content-Type from the top of a DSN or
    a feedback report (or a store keeps only the RFC 5322 headers), leaving its parts as plain
    text: the body then still holds a boundary line followed by the headers of a
    message/delivery-status (or feedback-report) part, and that boundary once more. Only then is the lost header put back, so a plain notice
    that quotes some other multipart message stays as it is."""
    if tree.get("Content-Type") is not None:
        return None
    body = tree.get_payload()
    if not isinstance(body, str):
        return None
    body = body[:_IMPLIED_WINDOW]
    m = _IMPLIED_STATUS.search("\n" + body)  # at the newline before the line: its start in ``body``
    if not m:
        return None
    line_start = body.rfind("\n--", max(0, m.start() - _PART_HEAD_MAX), m.start()) + 1
    if line_start == 0 and not body.startswith("--"):
        return None
    line_end = body.find("\n", line_start)
    token = body[line_start + 2:line_end].rstrip(" \t")
    if not token or len(token) > 70 or any(c in token for c in ' \t"\\') or token.endswith("--"):
        return None
    head = body[line_end + 1:m.start()]
    delimiter = "\n--" + token
    if _PART_HEAD.fullmatch(head) is None or body.count(delimiter) + body.startswith(delimiter[1:]) < 2:
        return None  # a boundary used once is no multipart's
    kind = m.group(1).lower()
    return f'Content-Type: multipart/report; report-type={kind}; boundary="{token}"\n' + text


def without_bom(raw: bytes) -> bytes:
    """``raw`` without a leading UTF-8 byte order mark: Windows tools (Notepad, PowerShell's
    Out-File, some Outlook exports) save .eml files with one, and the header parser would take
    the mark for part of the first field name, and so lose the whole header block."""
    return raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw


def _headers_only(raw: bytes) -> Message:
    """The top-level headers with the body as one opaque text part."""
    try:
        msg = email.parser.BytesHeaderParser(policy=_POLICY).parsebytes(raw)
    except Exception:  # noqa: BLE001
        msg = Message()
    for name in ("Content-Type", "Content-Transfer-Encoding"):
        del msg[name]
    msg["Content-Type"] = "text/plain"
    head_end = raw.find(b"\n\n")
    body = raw[head_end + 2:] if head_end >= 0 else b""
    msg.set_payload(body.decode("utf-8", "replace"))
    return msg


def has_headers(msg: Message) -> bool:
    """Whether the parser found at least one header field (random bytes give none)."""
    try:
        return bool(msg.keys())
    except Exception:  # noqa: BLE001
        return False


def memo(msg: Message, key: object, compute: Callable[[Message], _T]) -> _T:
    """``compute(msg)`` once per message: the format modules ask every message for the same
    derived values (sender, notice text, part types), so they are kept on the message object
    itself and die with it (no module-level cache). Keys are shared by all callers: name them
    distinctly."""
    cache = msg.__dict__.get("_bounced_memo")
    if cache is None:
        cache = msg.__dict__["_bounced_memo"] = {}
    try:
        return cache[key]
    except KeyError:
        value = cache[key] = compute(msg)
        return value


def header(msg: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words, raw 8-bit as UTF-8), unfolded; '' if absent.

    Remembered on the message: the format modules ask for the same few headers many times."""
    memo = msg.__dict__.get("_bounced_headers")
    if memo is None:
        memo = msg.__dict__["_bounced_headers"] = {}
    key = name.lower()
    value = memo.get(key)
    if value is None:
        values = _raw_values(msg, name, first=True)
        value = memo[key] = decode_header_value(values[0]) if values else ""
    return value


def _raw_values(msg: Message, name: str, first: bool = False) -> list[object]:
    """Header values as parsed. ``Message.get`` turns raw 8-bit values into ``unknown-8bit``
    Header objects whose text is lost; the stored value still holds the bytes."""
    lname = name.lower()
    if first and isinstance(msg, mimetree.Part):
        hit = msg._index().get(lname)  # noqa: SLF001 - the part's own header index
        return [hit[1]] if hit is not None else []
    out: list[object] = []
    try:
        for k, v in msg._headers:  # noqa: SLF001
            if k.lower() == lname:
                out.append(v)
                if first:
                    break
    except Exception:  # noqa: BLE001
        return []
    return out


def header_all(msg: Message, name: str) -> list[str]:
    """Every occurrence of a header, decoded and unfolded."""
    return [decode_header_value(v) for v in _raw_values(msg, name)[:100]]


def decode_header_value(value: object) -> str:
    """Decode one raw header value; never raises."""
    try:
        s = str(value)[:MAX_HEADER]  # a str, or an email.header.Header for 8-bit values
        if "=?" in s:
            out = []
            for text, charset in email.header.decode_header(s):
                out.append(_decode_bytes(text, charset) if isinstance(text, bytes) else text)
            s = "".join(out)
        s = _fix_surrogates(s)
    except Exception:  # noqa: BLE001 - a header must never break parsing
        s = _fix_surrogates(str(value)[:MAX_HEADER])
    return " ".join(s.split())


def _fix_surrogates(s: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes; read them as UTF-8."""
    if s.isascii():  # nothing to fix, and cheaper to tell than a trial encoding
        return s
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_ISO2022_ESC = re.compile(rb"\x1b[$(][@ABDJ]")


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text with the declared charset, else UTF-8, else Latin-1 (which cannot fail).

    ISO-2022-JP escape sequences in text declared as ASCII (or not at all) are decoded as such:
    Japanese MTAs write DSN fields that way."""
    if b"\x1b" in data and _ISO2022_ESC.search(data):
        try:
            return data.decode("iso-2022-jp")
        except (UnicodeDecodeError, LookupError):
            pass
    for cs in (charset, "utf-8"):
        if not cs or not isinstance(cs, str):
            continue
        try:
            return data.decode(cs.strip().strip('"'))
        except (LookupError, UnicodeDecodeError, ValueError, TypeError):
            continue
        except Exception:  # noqa: BLE001 - broken codec implementations
            continue
    return data.decode("latin-1")


def content_type(part: Message) -> str:
    """The part's content type, lower case; ``text/plain`` when unreadable.

    Remembered on the part: every format module asks for the same parts' types, and the
    standard library re-parses the header each time."""
    memo = part.__dict__
    ctype = memo.get("_bounced_ctype")
    if ctype is None:
        try:
            ctype = part.get_content_type()
        except Exception:  # noqa: BLE001
            ctype = "text/plain"
        memo["_bounced_ctype"] = ctype
    return ctype


def param(part: Message, name: str) -> str:
    """A Content-Type parameter as text ('' when absent or unreadable)."""
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001
        return ""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        try:
            value = email.utils.collapse_rfc2231_value(value)
        except Exception:  # noqa: BLE001
            value = str(value[-1])
    return str(value)


def charset(part: Message) -> str | None:
    """The declared charset (lower case) or None; remembered on the part."""
    memo = part.__dict__
    if "_bounced_charset" not in memo:
        try:
            memo["_bounced_charset"] = part.get_content_charset()
        except Exception:  # noqa: BLE001
            memo["_bounced_charset"] = None
    return memo["_bounced_charset"]


def _cte(part: Message) -> str:
    try:
        return str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    except Exception:  # noqa: BLE001
        return ""


def _payload(part: Message) -> object:
    """The payload as parsed. ``get_payload()`` itself re-decodes 8-bit text with the declared
    charset and replaces what fails, which would lose UTF-8 in an undeclared part."""
    return getattr(part, "_payload", None)


def part_bytes(part: Message) -> bytes:
    """The transfer-decoded body of a non-multipart part, at most MAX_TEXT bytes; never raises."""
    raw = _payload(part)
    if isinstance(raw, list):  # message/* and multipart: rebuild the text without the generator
        return part_raw_text(part).encode("utf-8", "surrogateescape")
    if not isinstance(raw, str):
        return b""
    raw = raw[: MAX_TEXT * 2]
    body = raw.encode("ascii", "surrogateescape") if raw.isascii() else raw.encode("utf-8", "surrogateescape")
    return decode_transfer(body, _cte(part))[:MAX_TEXT]


def part_text(part: Message) -> str:
    """The decoded text of a part (charset fallback as in :func:`_decode_bytes`); never raises.

    For a message/* part the text of the enclosed message (headers and bodies) is returned.
    Remembered on the part: several format modules read the same notice text."""
    memo = part.__dict__
    text = memo.get("_bounced_text")
    if text is None:
        if isinstance(_payload(part), list):
            text = part_raw_text(part)
        else:
            text = _ascii_text(part)
            if text is None:
                text = _decode_bytes(part_bytes(part), charset(part))[:MAX_TEXT]
        memo["_bounced_text"] = text
    return text


# codecs that read every ASCII byte as the same character (checked by tests/test_mime.py)
_ASCII_SAFE = frozenset({"ascii", "utf-8", "koi8-r", "koi8-u", *(f"cp{n}" for n in range(1250, 1259)),
                         *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16))})


def _ascii_text(part: Message) -> str | None:
    """What the general path decodes a plain ASCII body to (itself, capped) when no transfer
    encoding, escape sequence or ASCII-changing charset is involved; None otherwise. Most notices
    are such, and the bytes round trip cost more than the rest of reading them."""
    raw = _payload(part)
    if not isinstance(raw, str) or not raw.isascii() or "\x1b" in raw:
        return None
    if _cte(part) in ("base64", "quoted-printable"):
        return None
    declared = charset(part)
    if declared is not None:
        try:
            if codecs.lookup(declared.strip().strip('"')).name not in _ASCII_SAFE:
                return None
        except Exception:  # noqa: BLE001 - unknown or malformed name: the general path decides
            return None
    return raw[:MAX_TEXT]


def part_raw_text(part: Message) -> str:
    """The body of a message/* or multipart part as text, rebuilt from the parsed pieces.

    The standard parser splits message/delivery-status and message/rfc822 bodies into header
    blocks; this puts them back together (no generator: it raises on mangled charsets) and
    undoes a transfer encoding that was declared on the container (base64 delivery-status
    parts exist)."""
    out: list[str] = []
    size = 0
    payload = _payload(part)
    if isinstance(payload, str):
        return part_text(part)
    if not isinstance(payload, list):
        return ""
    status = part.get_content_type() == "message/delivery-status"
    limit = MAX_BYTES if status else MAX_TEXT  # a report's every recipient (mimetree.MAX_STATUS_BLOCKS)
    for sub in payload[:mimetree.MAX_STATUS_BLOCKS if status else MAX_PARTS]:
        if not isinstance(sub, Message):
            continue
        try:
            lines = [f"{k}: {v}" for k, v in sub._headers]  # noqa: SLF001 - raw values, unfolded later
        except Exception:  # noqa: BLE001
            lines = []
        block = "\n".join(str(x) for x in lines)
        if not block.isascii():  # fixed line by line, as a line is what holds the raw bytes
            block = "\n".join(_fix_surrogates(str(x)) for x in lines)
        body = _payload(sub)
        if isinstance(body, str) and body:
            block = f"{block}\n\n{_fix_surrogates(body)}" if block else _fix_surrogates(body)
        elif isinstance(body, list):
            block = f"{block}\n\n{part_raw_text(sub)}" if block else part_raw_text(sub)
        out.append(block)
        size += len(block)
        if size > limit:
            break
    text = "\n\n".join(out)[:limit]
    cte = _cte(part)
    if cte in ("base64", "quoted-printable") and text and not part.__dict__.get(mimetree.DECODED):
        data = decode_transfer(text.encode("utf-8", "surrogateescape"), cte)
        text = _decode_bytes(data, charset(part))
    elif "\x1b" in text:
        text = _decode_bytes(text.encode("utf-8", "surrogateescape"), charset(part))
    return text


def blocks_cut(msg: Message) -> int:
    """How many delivery-status blocks the message held beyond what is kept (see mimetree)."""
    return sum(int(part.__dict__.get("blocks_cut", 0)) for part, _depth in walk(msg)
               if part.get_content_type() == "message/delivery-status")


def walk(msg: Message, max_parts: int = MAX_PARTS, max_depth: int = MAX_DEPTH) -> Iterator[tuple[Message, int]]:
    """Every part (depth first, in document order) with its depth; bounded, never recursive.

    The default walk is computed once per message and remembered on it, without the message
    itself: a cache holding its own owner would be a reference cycle, and every parsed tree
    would stay in memory until the cyclic garbage collector found it (a tenth of the parse time
    went to those collections)."""
    if max_parts == MAX_PARTS and max_depth == MAX_DEPTH:
        memo = msg.__dict__
        below = memo.get("_bounced_walk")
        if below is None:
            parts = _walk(msg, max_parts, max_depth)
            next(parts)  # the message itself
            below = memo["_bounced_walk"] = list(parts)
        return itertools.chain(((msg, 0),), below)
    return _walk(msg, max_parts, max_depth)


def typed_walk(msg: Message) -> Iterator[tuple[Message, int, str]]:
    """The default :func:`walk` with each part's :func:`content_type`, worked out once per message:
    half a dozen modules walk every message looking for parts of some type. (Kept without the
    message itself, as for :func:`walk`.)"""
    below = memo(msg, "typed_walk", lambda m: [(part, depth, content_type(part)) for part, depth in walk(m)][1:])
    return itertools.chain(((msg, 0, content_type(msg)),), below)


def _walk(msg: Message, max_parts: int, max_depth: int) -> Iterator[tuple[Message, int]]:
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < max_parts:
        part, depth = stack.pop()
        seen += 1
        yield part, depth
        if depth >= max_depth:
            continue
        # the parsed payload itself: get_payload() would also decode every 8-bit leaf's text
        # with its charset just to say it has no children
        payload = getattr(part, "_payload", None)
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))


_XTEXT = re.compile(r"\+([0-9A-F]{2})")
_UNITEXT = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")


def decode_unitext(value: str) -> str:
    """RFC 6533 utf-8-addr-unitext/xtext: ``\\x{HHHH}`` and ``+HH`` escapes to characters."""

    def uni(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1), 16))
        except (ValueError, OverflowError):
            return m.group(0)

    value = _UNITEXT.sub(uni, value)
    return _XTEXT.sub(lambda m: chr(int(m.group(1), 16)), value)
