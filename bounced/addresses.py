"""Address normalization: the one place that decides when two spellings are the same mailbox.

The domain is case-insensitive (RFC 5321 2.4) and stored in its ASCII (IDNA) form; the local part
is case-sensitive by the RFC but treated case-insensitively by every large provider, so by default
the lookup key lower-cases it too (``store.local_part_case_sensitive`` turns that off).

A non-ASCII domain is converted as mail software, browsers and registries do: IDNA 2008 (RFC 5891)
with UTS #46 mapping, non-transitional (``faß.de`` -> ``xn--fa-hia.de``, a domain of its own, not
``fass.de``), through the ``idna`` package. Python's ``"idna"`` codec is IDNA 2003, which folds
``ß``, ``ς`` and the zero-width joiners away and so merged different domains into one key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna


class InvalidAddress(ValueError):
    """An address that cannot be stored; carries the offending input."""

    def __init__(self, address: object, why: str) -> None:
        super().__init__(f"invalid address {address!r}: {why}")
        self.address, self.why = address, why


@dataclass(frozen=True, slots=True)
class Address:
    local: str
    domain: str  # lower-case ASCII (IDNA A-labels)

    @property
    def text(self) -> str:
        return f"{self.local}@{self.domain}"


_BAD_LOCAL = set(' \t\r\n\x00<>()[]\\,;:"')


def parse_address(raw: object) -> Address:
    """Split and normalize one address; raises :class:`InvalidAddress`."""
    if not isinstance(raw, str):
        raise InvalidAddress(raw, "not a string")
    s = raw.strip()
    if s.lower().startswith(("rfc822;", "utf-8;")):
        s = s.split(";", 1)[1].strip()
    while s.startswith("<") and s.endswith(">"):
        s = s[1:-1].strip()
    if not s:
        raise InvalidAddress(raw, "empty")
    if len(s) > 320:
        raise InvalidAddress(raw, "longer than 320 characters")
    if "@" not in s:
        raise InvalidAddress(raw, "missing '@'")
    local, _, domain = s.rpartition("@")
    if not local:
        raise InvalidAddress(raw, "missing local part")
    if len(local) > 64 * 4:  # generous for UTF-8 local parts, still bounded
        raise InvalidAddress(raw, "local part too long")
    if not _BAD_LOCAL.isdisjoint(local) or "@" in local:
        raise InvalidAddress(raw, "local part contains characters that need quoting")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress(raw, "local part has a misplaced dot")
    try:
        return Address(local, _domain(domain))
    except InvalidAddress as exc:
        raise InvalidAddress(raw, exc.why) from None


_ASCII_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


@lru_cache(maxsize=16384)  # a mailing list has far fewer domains than addresses
def _domain(domain: str) -> str:
    raw = domain
    d = domain.strip().rstrip(".")
    if not d:
        raise InvalidAddress(raw, "missing domain")
    if d.startswith("[") and d.endswith("]"):  # address literal, kept as given
        return d.lower()
    if d.isascii():  # an A-label (xn--...) is kept as written: the key its U-label spelling gets too
        ascii_d = d.lower()
    else:
        ascii_d = _to_ascii(d)
        if ascii_d is None:
            raise InvalidAddress(raw, f"domain {d!r} is not a valid internationalized name")
    if len(ascii_d) <= 253 and _ASCII_DOMAIN.fullmatch(ascii_d):
        return ascii_d
    labels = ascii_d.split(".")
    if len(ascii_d) > 253 or any(not lab or len(lab) > 63 for lab in labels):
        raise InvalidAddress(raw, f"domain {d!r} is malformed")
    for lab in labels:
        if lab.startswith("-") or lab.endswith("-") or not all(c.isalnum() or c in "-_" for c in lab):
            raise InvalidAddress(raw, f"domain {d!r} has an invalid label {lab!r}")
    return ascii_d


def _to_ascii(d: str) -> str | None:
    """The A-label form of the non-ASCII name ``d``, or None when it is no valid name.

    IDNA 2008 through the ``idna`` package first. It also holds every code point to IDNA 2008's
    own tables, which leave out symbols and emoji: ``☃.net`` exists and receives mail. Such a name
    is converted by UTS #46 processing alone (:func:`_uts46_lenient`), as browsers, Node's
    ``url.domainToASCII`` and PHP's ``idn_to_ascii`` convert it. For symbols that gives the A-label
    IDNA 2003 gave (``xn--n3h.net``), so keys stored before stay reachable. Falling back to
    IDNA 2003 itself instead would fold ``ß``, ``ς`` and the joiners again inside such names
    (``mail_relay.faß.de`` -> ``mail_relay.fass.de``, another domain) and disagree with what the
    mailers' own functions compute. What even UTS #46 refuses is refused: a joiner between two
    Latin letters, which IDNA 2003 dropped (the key it gave, ``ab.example``, is still reached by
    that plain spelling), or a character holding a full stop (``⒈``, which IDNA 2003 split)."""
    try:
        return idna.encode(d, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        pass
    try:
        return _uts46_lenient(d)
    except UnicodeError:  # idna.IDNAError is one, and so is a bad punycode A-label
        return None


def _uts46_lenient(d: str) -> str:
    """UTS #46 ToASCII, non-transitional, with the WHATWG URL standard's flags (what Node's
    ``domainToASCII`` does): CheckBidi and CheckJoiners on, CheckHyphens and UseSTD3ASCIIRules off
    (the ASCII check is :func:`_domain`'s). Raises UnicodeError."""
    labels = []
    for label in idna.uts46_remap(d, std3_rules=False).split("."):
        if not label:
            raise idna.IDNAError("empty label")
        if label.startswith("xn--"):
            decoded = label[4:].encode("ascii").decode("punycode")
            if not decoded or decoded.isascii() or idna.uts46_remap(decoded, std3_rules=False) != decoded:
                raise idna.IDNAError("invalid A-label")
            _check_label(decoded)
            labels.append(label)
        elif label.isascii():
            labels.append(label)
        else:
            _check_label(label)
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    return ".".join(labels)


def _check_label(label: str) -> None:
    """UTS #46 4.1's validity criteria that its mapping step leaves to check (RFC 5893's bidi
    rule, RFC 5892's CONTEXTJ rules for the joiners, no leading combining mark)."""
    idna.check_initial_combiner(label)
    for pos, ch in enumerate(label):
        if ch in "\u200c\u200d" and not idna.valid_contextj(label, pos):
            raise idna.IDNAError(f"joiner at position {pos} of {label!r}")
    idna.check_bidi(label)


# A plain ASCII dot-atom address with a host name, the shape of nearly every address a mailer
# checks: for it the key is the input lower-cased, and parse_address (with its IDNA and quoting
# checks) has nothing to add. 3x faster on 10,000 addresses; tests/test_addresses_fast.py checks
# both paths give the same key (or both refuse) on generated addresses.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_PLAIN = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)*{_LABEL}")


def normalize(raw: object, *, case_sensitive: bool = False) -> str:
    """The lookup key for an address: what the store, the reader, the CLI and the HTTP API compare."""
    if isinstance(raw, str) and len(raw) <= 254 and _PLAIN.fullmatch(raw):
        if not case_sensitive:
            return raw.lower()
        local, _, domain = raw.rpartition("@")
        return f"{local}@{domain.lower()}"
    a = parse_address(raw)
    local = a.local if case_sensitive else a.local.lower()
    return f"{local}@{a.domain}"


def domain_of(key: str) -> str:
    return key.rpartition("@")[2]


def validate(raw: object, *, case_sensitive: bool = False) -> str:
    """The one check for an address a person gives bounced (``suppress``, ``unsuppress``, ``erase``,
    ``import-suppressions``, ``check``): the store's syntax rules plus what mail on the internet
    needs (email-validator: a fully qualified domain, RFC 5321 2.3.5). Returns the lookup key.

    Addresses found in bounces are not held to this: a DSN about ``root@mailhost`` is still kept."""
    key = normalize(raw, case_sensitive=case_sensitive)
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(str(raw).strip().removeprefix("<").removesuffix(">"), check_deliverability=False,
                       allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(raw, str(exc).rstrip(".")) from None
    return key
