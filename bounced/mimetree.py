"""A fast builder of the standard library's ``email.message.Message`` tree (compat32).

Why: the standard parser reads a message line by line in Python; on bounces (header-heavy, a
few parts) that was a third of bounced's parse time. This builder makes the same tree -- real
``Message`` objects with compat32 header values, multipart payload lists, ``message/rfc822``
sub-messages and ``message/delivery-status`` header blocks -- but finds header blocks and MIME
boundaries with C-speed string searches. Only the structure is built here; header parsing and
decoding stay with the standard library (``policy.header_source_parse``, ``get_boundary``...).

Semantics follow the standard feedparser where bounces need them: a header block ends at an
empty line or at the first line that is neither a field nor a continuation; a multipart whose
opening boundary never appears keeps its body as text; a missing closing boundary ends the last
part at the end of the input. Depth and part counts are bounded by the caller's limits.
:func:`bounced.mime.load` falls back to the standard parser if this builder fails.
"""
from __future__ import annotations

import binascii
import email.policy
import email.utils
import quopri
import re
from email.message import Message

_POLICY = email.policy.compat32
# recipients one delivery report may carry, and so its blocks (plus the per-message one): Postfix's
# default smtpd_recipient_limit, so one message's DSN fits. Reports beyond it are cut, and the
# count cut is kept on the part (blocks_cut) for the parser to report.
MAX_REPORTED = 1000
MAX_STATUS_BLOCKS = MAX_REPORTED + 1


_MISSING = object()
# set on a report part whose body was transfer-decoded before its fields were read
DECODED = "transfer_decoded"
_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]+")


def decode_transfer(body: bytes, cte: str) -> bytes:
    """Undo a Content-Transfer-Encoding leniently: broken base64 keeps what decodes."""
    cte = cte.strip().lower()
    if cte == "base64":
        data = _B64_JUNK.sub(b"", body.split(b"=", 1)[0])  # padding ends the data
        if len(data) % 4 == 1:  # a lone trailing sextet cannot make a byte
            data = data[:-1]
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            return b""
    if cte == "quoted-printable":
        # RFC 2045 6.7 (3): trailing blanks were added in transport and are deleted, so "=  "
        # still ends in a soft line break (Exchange and some relays pad lines)
        if b" \n" in body or b"\t\n" in body or body.endswith((b" ", b"\t")):
            body = b"\n".join(line.rstrip(b" \t") for line in body.split(b"\n"))
        try:
            return quopri.decodestring(body)
        except Exception:  # noqa: BLE001
            return body
    return body


def _decoded_report(msg: Message, body: str) -> str:
    """A delivery-status body with its transfer encoding undone, before it is split into fields.

    RFC 3464 2.1 allows only 7bit there and RFC 6533 3 allows base64/quoted-printable for the
    global form, but gateways encode either: a quoted-printable soft line break inside a
    Diagnostic-Code would otherwise end the field, cutting the reply in two."""
    cte = str(msg.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte not in ("base64", "quoted-printable"):
        return body
    msg.__dict__[DECODED] = True
    data = decode_transfer(body.encode("ascii", "surrogateescape"), cte)
    return data.decode("ascii", "surrogateescape").replace("\r\n", "\n")


def _unquote(value: str | tuple[str, str, str]) -> str | tuple[str, str, str]:
    """What the standard ``get_param`` does to a value: RFC 2231 triples keep charset and language."""
    if isinstance(value, tuple):
        return value[0], value[1], email.utils.unquote(value[2])
    return email.utils.unquote(value)


class Part(Message):
    """A compat32 ``Message`` that remembers its header index and content type.

    Every format module asks the same parts for the same headers; the standard ``get`` scans
    all fields each time. The caches are dropped by every method that changes the headers."""

    def _index(self) -> dict[str, tuple[str, object]]:
        idx = self.__dict__.get("_bounced_index")
        if idx is None:  # the first occurrence of each name: written last when read backwards
            idx = self.__dict__["_bounced_index"] = {kv[0].lower(): kv for kv in reversed(self._headers)}
        return idx

    def _changed(self) -> None:
        self.__dict__.pop("_bounced_index", None)
        self.__dict__.pop("_bounced_ctype_std", None)
        self.__dict__.pop("_bounced_params", None)

    def _params(self, header: str) -> list | None:
        """The header's parameters as ``_get_params_preserve`` lists them (None when absent),
        parsed once per part."""
        cache = self.__dict__.setdefault("_bounced_params", {})
        key = header.lower()
        if key not in cache:
            hit = self._index().get(key)
            value = hit[1] if hit is not None else None
            if isinstance(value, str) and value.isascii() and self.policy is _POLICY and "*" not in value \
                    and "\\" not in value:
                got = _plain_params(value)
            else:
                got = super()._get_params_preserve(_MISSING, header)
            cache[key] = None if got is _MISSING else got
        return cache[key]

    def _get_params_preserve(self, failobj, header):  # noqa: ANN001, ANN202 - stdlib internal
        got = self._params(header)
        return failobj if got is None else list(got)

    def get_param(self, param, failobj=None, header="content-type", unquote=True):  # noqa: ANN001, ANN201
        """The standard method over the cached parameters (it copied the list on every call)."""
        if header not in self:
            return failobj
        params = self._params(header)
        if params is None:  # unreachable while the header exists; as the standard method would
            return super().get_param(param, failobj, header, unquote)
        wanted = param.lower()
        for k, v in params:
            if k.lower() == wanted:
                return _unquote(v) if unquote else v
        return failobj

    def get(self, name, failobj=None):  # noqa: ANN001, ANN201 - the standard signature
        hit = self._index().get(name.lower())
        if hit is None:
            return failobj
        return self.policy.header_fetch_parse(*hit)

    def __getitem__(self, name):  # noqa: ANN001, ANN204
        return self.get(name)

    def __contains__(self, name):  # noqa: ANN001, ANN204 - get_param asks this before every lookup
        return name.lower() in self._index()

    def get_content_type(self) -> str:
        ctype = self.__dict__.get("_bounced_ctype_std")
        if ctype is None:
            value = _first_content_type(self._headers)
            if isinstance(value, str) and value.isascii() and self.policy is _POLICY:
                # the standard method's answer for a plain value (compat32 returns it as is),
                # without its three calls per part
                ctype = value.partition(";")[0].strip().lower()
                if ctype.count("/") != 1:
                    ctype = "text/plain"
            else:
                ctype = super().get_content_type()
            self.__dict__["_bounced_ctype_std"] = ctype
        return ctype

    def __setitem__(self, name, val):  # noqa: ANN001, ANN204
        super().__setitem__(name, val)
        self._changed()

    def __delitem__(self, name):  # noqa: ANN001, ANN204
        super().__delitem__(name)
        self._changed()

    def replace_header(self, _name, _value):  # noqa: ANN001, ANN201
        super().replace_header(_name, _value)
        self._changed()

    def add_header(self, _name, _value, **_params):  # noqa: ANN001, ANN003, ANN201
        super().add_header(_name, _value, **_params)
        self._changed()

    def set_raw(self, name, value):  # noqa: ANN001, ANN201
        super().set_raw(name, value)
        self._changed()

    def set_boundary(self, boundary):  # noqa: ANN001, ANN201
        super().set_boundary(boundary)
        self._changed()

    def set_default_type(self, ctype):  # noqa: ANN001, ANN201
        super().set_default_type(ctype)
        self._changed()


def _first_content_type(headers: list[tuple[str, object]]) -> object | None:
    """The first Content-Type value, found without building the part's header index (most
    parts, delivery-status blocks among them, are asked for nothing else)."""
    for k, v in headers:
        if len(k) == 12 and k.lower() == "content-type":
            return v
    return None


def _plain_params(value: str) -> list[tuple[str, str]]:
    """compat32's parameter list (as ``_get_params_preserve`` returns it) for an ASCII value with
    no backslash and no ``*``: then no escaped quote and no RFC 2231 name can occur, and the
    standard code's per-character quote counting and per-name regex reduce to these splits.
    Every part's charset and boundary are looked up this way."""
    pieces: list[str] = []
    pending: str | None = None
    for chunk in value.split(";"):  # a ";" inside a quoted string does not separate
        pending = chunk if pending is None else f"{pending};{chunk}"
        if pending.count('"') % 2 == 0:
            pieces.append(pending)
            pending = None
    if pending is not None:
        pieces.append(pending)
    params: list[tuple[str, str]] = []
    for piece in pieces:
        name, eq, val = piece.partition("=")
        if eq:
            params.append((name.strip().lower(), val.strip()))
        else:
            params.append((piece.strip(), ""))
    return params[:1] + [(name, f'"{email.utils.quote(email.utils.unquote(val))}"') for name, val in params[1:]]


# a header field line as the standard parser recognises it (printable name and a colon)
_FIELD = re.compile(r"[\041-\071\073-\176]*:")


def build(text: str, max_depth: int, max_parts: int) -> Message:
    """The message tree of ``text`` (str with surrogate-escaped 8-bit bytes, LF line ends)."""
    budget = [max_parts]
    return _build(text, "text/plain", 0, max_depth, budget)


def _build(text: str, default_type: str, depth: int, max_depth: int, budget: list[int]) -> Message:
    msg = Part(_POLICY)
    body = _headers(msg, text)
    if default_type != "text/plain":
        msg.set_default_type(default_type)
    budget[0] -= 1
    if depth >= max_depth or budget[0] <= 0:
        msg._payload = body  # noqa: SLF001
        return msg
    ctype = msg.get_content_type()
    maintype = ctype.split("/", 1)[0]
    if ctype in _STATUS_TYPES:
        body = _decoded_report(msg, body)
    if maintype == "multipart":
        boundary = msg.get_boundary()
        split = _split(body, boundary) if boundary else None
        if split is None:
            msg._payload = body  # noqa: SLF001 - as the standard parser: no boundary, text body
            return msg
        preamble, parts, epilogue = split
        child = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        payload = []
        for p in parts:
            if budget[0] <= 0:
                break
            payload.append(_build(p, child, depth + 1, max_depth, budget))
        msg._payload = payload  # noqa: SLF001
        msg.preamble = preamble
        msg.epilogue = epilogue
    elif ctype == "message/delivery-status":
        blocks = []
        pieces = body.split("\n\n")  # blocks end at an empty line, as for the standard parser
        for k, block in enumerate(pieces):
            block = block.lstrip("\n")
            if not block.strip():
                continue
            if len(blocks) >= MAX_STATUS_BLOCKS:
                msg.__dict__["blocks_cut"] = sum(1 for b in pieces[k:] if b.strip())
                break
            sub = Part(_POLICY)
            rest = _headers(sub, block + "\n")
            if rest.strip():
                sub._payload = rest  # noqa: SLF001
            blocks.append(sub)
        msg._payload = blocks  # noqa: SLF001
    elif maintype == "message" and ctype not in ("message/external-body",):
        msg._payload = [_build(body, "text/plain", depth + 1, max_depth, budget)]  # noqa: SLF001
    else:
        msg._payload = body  # noqa: SLF001
    return msg


_BLOCK = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*")
# name, value without the blanks after the colon and the line end (as compat32's
# header_source_parse stores them, when the block holds no CR); only at line starts, where the
# fields of a block begin, so a line that is no field is not rescanned from each of its characters
_FIELD_RUN = re.compile(r"(?<![^\n])([\041-\071\073-\176]+):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)\n")


def _headers(msg: Message, text: str) -> str:
    """Read the header block at the start of ``text`` into ``msg``; return the body.

    The common case (well-formed fields, then an empty line or the end) is one regex pass;
    anything unusual takes the line-by-line path below, which mirrors the standard parser."""
    end = _BLOCK.match(text).end()
    if end == len(text) or text.startswith("\n", end):
        fields = _FIELD_RUN.findall(text, 0, end)
        if text.find("\r", 0, end) >= 0:
            fields = [(k, v.rstrip("\r\n")) for k, v in fields]
        msg._headers.extend(fields)  # noqa: SLF001
        return text[end + 1:]
    return _headers_slow(msg, text)


def _headers_slow(msg: Message, text: str) -> str:
    pos = 0
    n = len(text)
    lines: list[str] = []
    headers = msg._headers  # noqa: SLF001
    first = True
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end + 1
        line = text[pos:end]
        if line in ("\n", ""):
            pos = end
            break
        c = line[0]
        if c in " \t":
            if lines:
                lines.append(line)
            # else: a continuation with nothing to continue; the standard parser drops it
            pos = end
            continue
        if first and line.startswith("From "):
            msg.set_unixfrom(line.rstrip("\n"))
            pos = end
            first = False
            continue
        first = False
        if not _FIELD.match(line):
            break  # not a field: the body begins here (no blank line in between)
        if line[0] == ":":  # an empty field name: the standard parser drops the line
            if lines:
                headers.append(_POLICY.header_source_parse(lines))
            lines = []
            pos = end
            continue
        if lines:
            headers.append(_POLICY.header_source_parse(lines))
        lines = [line]
        pos = end
    if lines:
        headers.append(_POLICY.header_source_parse(lines))
    return text[pos:]


def _split(body: str, boundary: str) -> tuple[str, list[str], str] | None:
    """(preamble, part texts, epilogue) of a multipart body; None when the opening delimiter is
    missing. Delimiter lines are ``--boundary`` (``--boundary--`` closes) at a line start,
    optionally followed by blanks. Plain string searches: no pattern to compile per boundary."""
    marker = "--" + boundary
    parts: list[str] = []
    start: int | None = None
    preamble = ""
    pos = 0
    n = len(body)
    while True:
        i = body.find(marker, pos)
        if i < 0:
            break
        pos = i + len(marker)
        if i > 0 and body[i - 1] != "\n":
            continue  # not at a line start
        line_end = body.find("\n", pos)
        line_end = n if line_end < 0 else line_end
        tail = body[pos:line_end]
        closing = tail.startswith("--")
        if (tail[2:] if closing else tail).strip(" \t"):
            continue  # "--boundaryX": a longer boundary, not ours
        if start is None:
            preamble = body[: max(0, i - 1)]
        else:
            parts.append(body[start: max(start, i - 1)])
        start = line_end + 1
        if closing:
            return preamble, parts, body[start:]
        pos = line_end
    if start is None:
        return None
    parts.append(body[start:])
    return preamble, parts, ""
