from __future__ import annotations

import pytest

from bounced.addresses import InvalidAddress, normalize

OK = [
    ("plain", "a@example.com", "a@example.com"),
    ("domain-case", "A.B@Example.COM", "a.b@example.com"),
    ("brackets-space", "  <x@example.org> ", "x@example.org"),
    ("address-type", "rfc822; x@example.org", "x@example.org"),
    ("idna", "user@bücher.de", "user@xn--bcher-kva.de"),
    ("trailing-dot", "u@example.com.", "u@example.com"),
    ("plus", "u+tag@example.com", "u+tag@example.com"),
]
BAD = [
    ("no-at", "user.example.com", "missing '@'"),
    ("no-domain", "user@", "missing domain"),
    ("no-local", "@example.com", "missing local part"),
    ("space", "a b@example.com", "quoting"),
    ("double-dot", "a..b@example.com", "misplaced dot"),
    ("bad-label", "a@exa_mple..com", "malformed"),
    ("empty", "  ", "empty"),
    ("not-string", None, "not a string"),
]


@pytest.mark.parametrize("raw,key", [c[1:] for c in OK], ids=[c[0] for c in OK])
def test_normalize(raw, key):
    assert normalize(raw) == key


@pytest.mark.parametrize("raw,why", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_invalid(raw, why):
    with pytest.raises(InvalidAddress, match=why) as e:
        normalize(raw)
    assert e.value.address == raw


def test_case_sensitive_local_part():
    assert normalize("John@Example.COM", case_sensitive=True) == "John@example.com"
