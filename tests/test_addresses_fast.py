"""normalize()'s shortcut for plain ASCII addresses gives exactly what the full parser gives."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounced.addresses import InvalidAddress, _PLAIN, normalize, parse_address


def slow(raw: str, case_sensitive: bool) -> str | None:
    try:
        a = parse_address(raw)
    except InvalidAddress:
        return None
    return f"{a.local if case_sensitive else a.local.lower()}@{a.domain}"


def fast(raw: str, case_sensitive: bool) -> str | None:
    try:
        return normalize(raw, case_sensitive=case_sensitive)
    except InvalidAddress:
        return None


ALPHABET = string.ascii_letters + string.digits + ".-_+=!#$%&'*/?^`{|}~@ <>;:\\\"[]()," + "ÄéßЖ\t"
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=80)
shaped = st.builds(lambda a, b, c: f"{a}@{b}.{c}", st.text(alphabet=ALPHABET, min_size=1, max_size=20),
                   st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=70),
                   st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=70))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(texts, shaped), st.booleans())
def test_shortcut_agrees_with_the_parser(raw: str, case_sensitive: bool) -> None:
    assert fast(raw, case_sensitive) == slow(raw, case_sensitive)


@pytest.mark.parametrize("raw", [
    "Jane.Doe+tag@Example.COM", "a@b", "x_y@mail_relay.example.org", "o'brien@example.ie",
    "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com", "a.@example.com", ".a@example.com", "a..b@example.com",
    "a@-example.com", "a@example-.com", "a@" + "b" * 64 + ".com", "a@example.com.", " a@example.com",
    "<a@example.com>", "jane@bücher.de", "a@[192.0.2.1]", "rfc822;a@example.com",
])
def test_shortcut_edges(raw: str) -> None:
    for cs in (False, True):
        assert fast(raw, cs) == slow(raw, cs), (raw, cs, bool(_PLAIN.fullmatch(raw)))
