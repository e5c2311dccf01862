"""Signed return paths and headers: short HMAC tags that prove a bounce answers mail we sent.

Anyone can mail a DSN to the bounce address; only the holder of the secret can make a tag. A tag
is ten base32 letters: a two-letter day stamp (so old tags expire) and eight letters (40 bits)
of an HMAC-SHA256 over the day stamp and the recipient (for VERP) or over the day stamp, the
Message-ID and the recipient (for the ``X-Bounced-Sig`` header). Guessing one takes about 2^39
messages per victim address. The day stamp is days since 1970 modulo 1024, the scheme SRS
(the Sender Rewriting Scheme, libsrs2) uses for the same purpose, so it never needs more than
two letters. Only ASCII letters are lower-cased before signing, so PHP's ``strtolower`` and
Node's regex replacement give the same bytes as Python; the exact recipe is in the README.

Pure functions: the keys come in as a :class:`Keyring` (loaded by :mod:`bounced.keyfiles`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from bounced.parse import verp

B32 = "abcdefghijklmnopqrstuvwxyz234567"
SIG_HEADER = "X-Bounced-Sig"
LOCAL_PART_LIMIT = 64  # RFC 5321 4.5.3.1.1
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class SigningError(ValueError):
    """A return path that cannot be built; the message names the input."""


@dataclass(frozen=True)
class Keyring:
    """HMAC keys: the first signs, every one verifies (rotation). ``repr`` never shows a key."""

    keys: tuple[bytes, ...]
    sources: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Keyring({len(self.keys)} keys from {', '.join(self.sources) or '<memory>'})"


@dataclass(frozen=True, slots=True)
class TagCheck:
    """The verdict on one tag: ``ok`` and a phrase an operator can read (never the key)."""

    ok: bool
    why: str


def day_number(at: datetime) -> int:
    """Days since 1970-01-01 UTC."""
    return int(at.astimezone(timezone.utc).timestamp() // 86400)


def stamp(day: int) -> str:
    d = day % 1024
    return B32[d >> 5] + B32[d & 31]


def _stamp_day(s: str) -> int:
    return B32.index(s[0]) * 32 + B32.index(s[1])


def ascii_lower(s: str) -> str:
    return s.translate(_ASCII_LOWER)


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


def _verp_message(st: str, recipient: str) -> str:
    return f"verp {st} {ascii_lower(recipient.strip())}"


def _sig_message(st: str, message_id: str, recipient: str) -> str:
    mid = message_id.strip().strip("<>").strip()
    return f"sig {st} {ascii_lower(mid)} {ascii_lower(recipient.strip())}"


def verp_tag(key: bytes, recipient: str, day: int) -> str:
    st = stamp(day)
    return st + _mac(key, _verp_message(st, recipient))


def header_sig(key: bytes, message_id: str, recipient: str, day: int) -> str:
    """The ``X-Bounced-Sig`` value for one message to one recipient."""
    st = stamp(day)
    return st + _mac(key, _sig_message(st, message_id, recipient))


def encode(recipient: str, keyring: Keyring, *, local_part: str = "bounces", domain: str = "localhost",
           delimiter: str = "+", at: datetime | None = None) -> str:
    """``jane@example.com`` -> ``bounces+jane=example.com=<tag>@domain``; raises SigningError."""
    rlocal, sep, rdomain = recipient.strip().rpartition("@")
    if not sep or not rlocal or "." not in rdomain and not rdomain.startswith("["):
        raise SigningError(f"cannot sign {recipient!r}: not an address with a dotted domain")
    if any(c in rlocal for c in ' "\\<>@') or delimiter in rdomain or "=" in rdomain:
        raise SigningError(f"cannot sign {recipient!r}: characters that do not survive a return path")
    if not keyring.keys:
        raise SigningError("no VERP secret to sign with")
    day = day_number(at or datetime.now(timezone.utc))
    local = f"{local_part}{delimiter}{rlocal}={rdomain}={verp_tag(keyring.keys[0], recipient, day)}"
    if len(local.encode("utf-8")) > LOCAL_PART_LIMIT:
        raise SigningError(f"cannot sign {recipient!r}: the return path's local part would be {len(local.encode())} "
                           f"octets, over RFC 5321's {LOCAL_PART_LIMIT}; send with the plain bounce address and an "
                           f"{SIG_HEADER} header instead")
    return f"{local}@{domain}"


def _check(tag: str | None, message_for: Callable[[str], str], keyring: Keyring, at: datetime, max_age_days: int) -> TagCheck:
    if not tag:
        return TagCheck(False, "no tag")
    tag = tag.strip().lower()
    if not verp.TAG.match(tag):
        return TagCheck(False, "malformed tag")
    st = tag[:2]
    want = tag[2:]
    if not any(hmac.compare_digest(_mac(k, message_for(st)), want) for k in keyring.keys):
        return TagCheck(False, "wrong tag")
    age = (day_number(at) - _stamp_day(st)) % 1024
    if age == 1023:  # signed "tomorrow": the mailer's clock is a little ahead
        age = 0
    if age > max_age_days:
        return TagCheck(False, f"expired tag ({age} days old, limit {max_age_days})")
    return TagCheck(True, "valid tag")


def check_verp(v: verp.VerpAddress, keyring: Keyring, at: datetime, max_age_days: int) -> TagCheck:
    """Is ``v``'s tag ours, for its recipient, and young enough at ``at``?"""
    return _check(v.tag, lambda st: _verp_message(st, v.recipient), keyring, at, max_age_days)


def check_header(sig: str | None, message_id: str | None, recipient: str, keyring: Keyring, at: datetime,
                 max_age_days: int) -> TagCheck:
    """Does ``sig`` (the returned original's X-Bounced-Sig) sign this Message-ID for ``recipient``?"""
    if not message_id:
        return TagCheck(False, "no Message-ID in the returned original")
    return _check(sig, lambda st: _sig_message(st, message_id, recipient), keyring, at, max_age_days)
