"""Turn the raw bytes of a returned message into a classified :class:`ParseResult`.

Skeleton: the dispatcher owns the order of format modules and the fallback; it never lets an
exception escape (a result with kind unknown and an error string instead).
"""
from __future__ import annotations

from dataclasses import dataclass

from bounced.model import ParseResult


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs to know about the site: its bounce addresses (for VERP) and which
    extra headers of the returned original to keep."""

    bounce_local_parts: tuple[str, ...] = ("bounces",)
    bounce_domains: tuple[str, ...] = ()
    verp_delimiter: str = "+"
    extra_headers: tuple[str, ...] = ()


def parse_message(raw: bytes, options: ParseOptions = ParseOptions(), envelope_rcpt: str | None = None) -> ParseResult:
    """Parse one message; never raises."""
    return ParseResult(format="unknown", error="parser not implemented yet")
