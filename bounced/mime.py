"""Never-raising helpers over the standard library's email package.

Every parser goes through these, so decoding quirks (missing or wrong charsets, broken base64,
bare-CR line endings, non-ASCII headers) are handled once.
"""
from __future__ import annotations

import email
import email.header
import email.policy
from email.message import Message

_POLICY = email.policy.compat32  # lenient and fast; we decode headers ourselves


def load(raw: bytes) -> Message:
    """Parse raw bytes into a message tree; mbox 'From ' lines and bare CRs are tolerated."""
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        raw = raw[nl + 1:] if nl >= 0 else b""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return email.message_from_bytes(raw, policy=_POLICY)


def header(msg: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words, raw 8-bit as UTF-8), unfolded; '' if absent."""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        if isinstance(value, email.header.Header):
            parts = email.header.decode_header(value)
        else:
            parts = email.header.decode_header(str(value))
        out = []
        for text, charset in parts:
            if isinstance(text, bytes):
                out.append(_decode_bytes(text, charset))
            else:
                out.append(text)
        s = "".join(out)
    except Exception:  # noqa: BLE001 - a header must never break parsing
        s = str(value)
    return " ".join(s.split())


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for cs in (charset, "utf-8"):
        if not cs:
            continue
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def part_text(part: Message) -> str:
    """The decoded text of a non-multipart part; never raises."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw
        if isinstance(raw, list):  # message/* parts hold sub-messages
            return "\n".join(str(p) for p in raw)
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return _decode_bytes(payload, charset)
