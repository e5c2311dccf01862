"""bounced.web.pages.search: pasted text -> the same key the reader and the store use."""
from __future__ import annotations

import pytest

from bounced.addresses import InvalidAddress, normalize
from bounced.web.pages.search import Query, parse_query

ROWS = [
    ("display-name", '"Jane Doe" <Jane@Example.COM> ', Query("address", "jane@example.com")),
    ("bare-spaces", "  jane@example.com\t", Query("address", "jane@example.com")),
    ("brackets", "<JANE@EXAMPLE.COM>", Query("address", "jane@example.com")),
    ("mailto", "mailto:jane@example.com?subject=hi", Query("address", "jane@example.com")),
    ("trailing-comma", "jane@example.com,", Query("address", "jane@example.com")),
    ("quoted", "'jane@example.com'", Query("address", "jane@example.com")),
    ("idn", "Jane@Bücher.Example", Query("address", "jane@xn--bcher-kva.example")),
    ("name-without-quotes", "Jane Doe <jane@example.com>;", Query("address", "jane@example.com")),
    ("domain", "Example.COM", Query("domain", "example.com")),
    ("at-domain", "@example.com", Query("domain", "example.com")),
    ("idn-domain", "bücher.example", Query("domain", "xn--bcher-kva.example")),
]


@pytest.mark.parametrize("text, expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_pasted(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize("text", ["jane@example.com", " <Jane@Example.com> ", "JANE@EXAMPLE.COM"])
def test_same_key_as_the_store(text: str) -> None:
    assert parse_query(text).key == normalize(text.strip().strip("<>"))


@pytest.mark.parametrize("text, why", [("", "nothing"), ("jane", "neither"), ("jane@", "missing domain"),
                                       ("a b@example.com", "quoting")])
def test_bad_input_names_itself(text: str, why: str) -> None:
    with pytest.raises(InvalidAddress) as e:
        parse_query(text)
    assert why in str(e.value) and repr(text) in str(e.value)
