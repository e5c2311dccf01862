"""Signed VERP and X-Bounced-Sig tags (bounced.signing) and the VERP layout (bounced.parse.verp)."""
from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounced import signing
from bounced.parse import verp
from bounced.signing import Keyring, SigningError

KEYS = Keyring((b"k" * 32,))
T = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"

local_parts = st.lists(st.text(ATEXT, min_size=1, max_size=12), min_size=1, max_size=3).map(".".join)
labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
domains = st.lists(labels, min_size=2, max_size=3).map(".".join)


@settings(max_examples=500, deadline=None)
@given(local=local_parts, domain=domains, delimiter=st.sampled_from("+-"), days=st.integers(0, 30))
def test_encode_then_decode_gives_the_recipient_and_a_valid_tag(local, domain, delimiter, days):
    recipient = f"{local}@{domain}"
    try:
        address = signing.encode(recipient, KEYS, domain="bounce.example.org", delimiter=delimiter, at=T)
    except SigningError as exc:
        assert "over RFC 5321's 64" in str(exc)
        assert len(f"bounces{delimiter}{local}={domain}=0123456789") > 64
        return
    assert len(address.rpartition("@")[0]) <= 64
    v = verp.split(address, ("bounces",), delimiter)
    assert v is not None and v.recipient == recipient
    assert verp.decode(address, ("bounces",), delimiter) == recipient  # the parser's view agrees
    later = T + timedelta(days=days)
    assert signing.check_verp(v, KEYS, later, 30).ok
    other = verp.VerpAddress(recipient + "x", v.tag)  # the tag binds the recipient
    assert not signing.check_verp(other, KEYS, later, 30).ok


@pytest.mark.parametrize("address, expected", [
    ("bounces+jane=example.com@b.example", ("jane@example.com", None)),
    ("bounces+jane=example.com=abcdefgh23@b.example", ("jane@example.com", "abcdefgh23")),
    ("bounces+jane=example.com=ABCDEFGH23@b.example", ("jane@example.com", "abcdefgh23")),
    ("bounces+a=b=example.com=abcdefgh23@b.example", ("a=b@example.com", "abcdefgh23")),
    ("bounces+jane+news=example.com=abcdefgh23@b.example", ("jane+news@example.com", "abcdefgh23")),
    ("bounces+jane=example.com=abcdefgh2@b.example", None),  # 9 letters: neither tag nor domain
    ("bounces+jane=example.com=abcdefgh18@b.example", None),  # 1 and 8 are not base32
    ("bounces+jane=localhost=abcdefgh23@b.example", None),  # a VERP domain needs a dot
    ("other+jane=example.com=abcdefgh23@b.example", None),
], ids=["unsigned", "signed", "upper-cased", "equals-in-local", "plus-in-local", "short-tag", "not-base32",
        "dotless", "not-ours"])
def test_layout(address, expected):
    v = verp.split(address)
    assert (None if v is None else (v.recipient, v.tag)) == expected


def test_day_stamp_expiry_and_clock_skew():
    v = verp.split(signing.encode("jane@example.com", KEYS, at=T))
    assert signing.check_verp(v, KEYS, T + timedelta(days=30), 30).ok
    assert signing.check_verp(v, KEYS, T + timedelta(days=31), 30).why == "expired tag (31 days old, limit 30)"
    assert signing.check_verp(v, KEYS, T - timedelta(days=1), 30).ok  # signed by a clock a day ahead
    assert not signing.check_verp(v, KEYS, T - timedelta(days=2), 30).ok


def test_rotation_first_key_signs_every_key_verifies():
    old, new = Keyring((b"o" * 32,)), Keyring((b"n" * 32, b"o" * 32))
    v_old = verp.split(signing.encode("jane@example.com", old, at=T))
    v_new = verp.split(signing.encode("jane@example.com", new, at=T))
    assert signing.check_verp(v_old, new, T, 30).ok and signing.check_verp(v_new, new, T, 30).ok
    assert signing.check_verp(v_new, old, T, 30).why == "wrong tag"


def test_header_sig_binds_message_id_and_recipient():
    sig = signing.header_sig(KEYS.keys[0], "<m1@sender.example>", "jane@example.com", signing.day_number(T))
    assert signing.check_header(sig, "m1@sender.example", "Jane@Example.com", KEYS, T, 30).ok
    assert not signing.check_header(sig, "<m2@sender.example>", "jane@example.com", KEYS, T, 30).ok
    assert not signing.check_header(sig, "<m1@sender.example>", "ceo@example.com", KEYS, T, 30).ok
    # a VERP tag is no header signature for the same recipient (different message, domain-separated)
    vtag = verp.split(signing.encode("jane@example.com", KEYS, at=T)).tag
    assert not signing.check_header(vtag, "<m1@sender.example>", "jane@example.com", KEYS, T, 30).ok


@pytest.mark.parametrize("recipient, problem", [
    ("jane", "dotted domain"), ("jane@localhost", "dotted domain"), ('"j d"@example.com', "do not survive"),
    ("a" * 50 + "@example.com", "over RFC 5321's 64"),
])
def test_unsignable_recipients_are_named(recipient, problem):
    with pytest.raises(SigningError, match=problem) as exc:
        signing.encode(recipient, KEYS)
    assert repr(recipient) in str(exc.value)


def test_fixed_vector_for_other_languages():
    """The README's PHP and Node examples must print exactly this (tests/test_signing_js.py runs them)."""
    ring = Keyring((b"0123456789abcdef0123456789abcdef",))
    at = datetime(2026, 12, 5, tzinfo=timezone.utc)
    assert signing.day_number(at) == 20792 and signing.stamp(20792) == "jy"
    assert signing.encode("Jane@Example.com", ring, domain="bounce.example.org", at=at) == VECTOR


VECTOR = "bounces+Jane=Example.com=jyjvrxq223@bounce.example.org"
HEADER_VECTOR = "jyc764h6ff"  # X-Bounced-Sig for <123@mailer.example.org> to Jane@Example.com, same key and day
