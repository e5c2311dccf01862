from __future__ import annotations

import re
import unicodedata

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
    # IDNA 2008, UTS 46 non-transitional: the four characters IDNA 2003 folded are kept
    ("sharp-s", "user@Faß.de", "user@xn--fa-hia.de"),
    ("capital-sharp-s", "user@FAẞ.DE", "user@xn--fa-hia.de"),
    ("a-label", "user@XN--FA-HIA.de", "user@xn--fa-hia.de"),
    ("a-label-beside-u-label", "user@xn--fa-hia.bücher.de", "user@xn--fa-hia.xn--bcher-kva.de"),
    ("final-sigma", "user@ὀδυσσεύς.gr", "user@xn--pxac3bcak3d8526a.gr"),
    ("capital-sigma", "user@ΟΔΟΣ.gr", "user@xn--pxavbq.gr"),
    ("zwnj-persian", "user@نامه\u200cای.ir", "user@xn--mgba3gch31f060k.ir"),
    ("zwj-after-virama", "user@क्\u200dष.in", "user@xn--11b2ezcw70k.in"),
    ("ideographic-full-stop", "user@bücher。de", "user@xn--bcher-kva.de"),
    # refused by IDNA 2008's code point tables, converted by UTS 46 alone (as browsers do)
    ("symbol", "user@☃.net", "user@xn--n3h.net"),
    ("symbol-and-sharp-s", "user@☃ß.net", "user@xn--zca921q.net"),
    ("underscore-beside-idn", "user@mail_relay.faß.de", "user@mail_relay.xn--fa-hia.de"),
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
    ("zwj-between-latin", "x@a\u200db.example", r"domain 'a\\u200db\.example' is not a valid internationalized name"),
    ("digit-full-stop", "x@a\u2488com", "not a valid internationalized name"),  # IDNA 2003 made it a1.com
    ("empty-idn-label", "x@bücher..de", r"domain 'bücher\.\.de' is not a valid internationalized name"),
    ("bad-punycode-beside-idn", "x@xn--zz.bücher.de", "not a valid internationalized name"),
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


def test_the_a_label_and_the_u_label_spelling_give_one_key():
    for u, a in [("faß.de", "xn--fa-hia.de"), ("bücher.de", "XN--BCHER-KVA.DE"), ("☃.net", "xn--n3h.net"),
                 ("ὀδυσσεύς.gr", "xn--pxac3bcak3d8526a.gr")]:
        assert normalize(f"Jane@{u}") == normalize(f"Jane@{a}") == f"jane@{a.lower()}"


def test_symbol_domains_keep_the_key_idna_2003_gave_them():
    """Suppressions stored before the switch to IDNA 2008 under a symbol name stay reachable: for
    every symbol Unicode 3.2 had (the IDNA 2003 repertoire) between U+2000 and U+2FFF whose
    IDNA 2003 name is a host name, the key is the one Python's IDNA 2003 codec gives."""
    checked = 0
    for cp in range(0x2000, 0x3000):
        if unicodedata.ucd_3_2_0.category(chr(cp)) != "So":
            continue
        try:
            old = f"{chr(cp)}.net".encode("idna").decode("ascii").lower()
        except UnicodeError:  # prohibited in IDNA 2003 too
            continue
        if re.fullmatch(r"[a-z0-9-]+\.net", old):
            assert normalize(f"x@{chr(cp)}.net") == f"x@{old}", hex(cp)
            checked += 1
    assert checked > 1000
