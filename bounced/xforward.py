"""XFORWARD (Postfix's SMTP extension, XFORWARD_README): which host really sent us a bounce (pure).

Behind Postfix every bounce arrives from 127.0.0.1; the per-source cap needs the address of the
host that handed the bounce to Postfix. Postfix's SMTP and LMTP clients send it before MAIL when
the server lists XFORWARD in its EHLO/LHLO reply (``smtp_send_xforward_command = yes``,
``lmtp_send_xforward_command = yes``)::

    XFORWARD NAME=mx.example.net ADDR=192.0.2.7 PORT=41234
    XFORWARD PROTO=ESMTP HELO=mx.example.net IDENT=4Y1abc SOURCE=REMOTE

Syntax (XFORWARD_README): ``XFORWARD 1*( SP attribute-name "=" attribute-value )``, names case
insensitive, values xtext (RFC 3461 4: ``+XX`` for "+", "=" and bytes outside "!".."~"); any
value may be ``[UNAVAILABLE]``, NAME also ``[TEMPUNAVAIL]`` (a failed lookup); PROTO is at most 64
characters, SOURCE is LOCAL or REMOTE. Attributes accumulate over several commands and are
forgotten at the end of each mail transaction (after DATA, RSET or a new EHLO).

Anyone who can connect may claim any address this way, so the command is believed only from the
clients in ``server.xforward_from``; others get 550.
"""
from __future__ import annotations

import ipaddress
import re

ATTRIBUTES = ("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE")
UNAVAILABLE = ("[UNAVAILABLE]", "[TEMPUNAVAIL]")
MAX_VALUE = 255  # Postfix's own limit on a decoded XFORWARD value is of this order (hostnames, addresses)

_XTEXT = re.compile(r"(?:[!-*,-<>-~]|\+[0-9A-F]{2})+")


class XforwardError(ValueError):
    """A malformed XFORWARD argument; the message names the offending attribute or value."""


def _decode(name: str, raw: str) -> str:
    if not _XTEXT.fullmatch(raw):
        raise XforwardError(f"{name}: {raw!r} is not xtext (use +XX for '+', '=' and characters outside ! to ~)")
    value = re.sub(r"\+([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), raw)
    if any(not " " < c <= "~" for c in value):
        raise XforwardError(f"{name}: value {raw!r} holds a blank or a control character")
    if len(value) > MAX_VALUE:
        raise XforwardError(f"{name}: value longer than {MAX_VALUE} characters")
    return value


def _check(name: str, value: str) -> str:
    """The value as kept: ADDR as a canonical IP address text; the others as given."""
    if value in UNAVAILABLE:
        if value == "[TEMPUNAVAIL]" and name != "NAME":
            raise XforwardError(f"{name}: [TEMPUNAVAIL] is only for NAME")
        return value
    if name == "ADDR":
        ip = canonical(value[5:] if value[:5].lower() == "ipv6:" else value)
        if ip is None:
            raise XforwardError(f"ADDR: {value!r} is not an IP address")
        return ip
    if name == "PORT" and not (value.isdigit() and int(value) <= 65535):
        raise XforwardError(f"PORT: {value!r} is not a port number")
    if name == "PROTO" and len(value) > 64:
        raise XforwardError("PROTO: longer than 64 characters")
    if name == "SOURCE" and value.upper() not in ("LOCAL", "REMOTE"):
        raise XforwardError(f"SOURCE: {value!r} is not LOCAL or REMOTE")
    return value.upper() if name == "SOURCE" else value


def parse(arg: str) -> dict[str, str]:
    """The attributes of one XFORWARD command, decoded and checked; raises :class:`XforwardError`."""
    items = arg.split()
    if not items:
        raise XforwardError("needs at least one attribute=value")
    out: dict[str, str] = {}
    for item in items:
        name, eq, raw = item.partition("=")
        name = name.upper()
        if not eq:
            raise XforwardError(f"{item!r} is not attribute=value")
        if name not in ATTRIBUTES:
            raise XforwardError(f"unknown attribute {item.partition('=')[0]!r}; one of {' '.join(ATTRIBUTES)}")
        if name in out:
            raise XforwardError(f"{name} given twice")
        out[name] = _check(name, _decode(name, raw))
    return out


def source_of(attributes: dict[str, str], peer: str | None) -> str | None:
    """The address of the host the message came from: XFORWARD's ADDR when known, else the peer's."""
    addr = attributes.get("ADDR")
    if addr and addr not in UNAVAILABLE:
        return addr
    return canonical(peer)


def canonical(address: str | None) -> str | None:
    """An IP address as the store keeps it (IPv4-mapped IPv6 as IPv4); None if not an IP address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


def allowed(peer: str | None, networks: tuple[str, ...]) -> bool:
    """Is ``peer`` one of ``networks`` (addresses or CIDR networks, as ``server.xforward_from``)?"""
    ip = canonical(peer)
    if ip is None:
        return False
    addr = ipaddress.ip_address(ip)
    return any(addr in ipaddress.ip_network(n, strict=False) for n in networks)
