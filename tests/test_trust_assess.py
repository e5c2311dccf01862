"""bounced.trust.assess, the pure verdict: whatever a report names, at most the proven recipient counts."""
from __future__ import annotations

import string
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bounced import signing
from bounced.addresses import normalize
from bounced.config import BounceConfig
from bounced.signing import Keyring
from bounced.trust import Evidence, assess

KEYS = Keyring((b"s" * 32,))
T = datetime(2026, 12, 5, tzinfo=timezone.utc)
addresses = st.builds(lambda l, d: f"{l}@{d}.example", st.text(string.ascii_lowercase, min_size=1, max_size=6),
                      st.sampled_from(["a", "b", "big"]))


@settings(max_examples=300, deadline=None)
@given(named=st.lists(addresses, min_size=1, max_size=8, unique=True), verp_rcpt=addresses,
       level=st.sampled_from(["signed", "bound"]), sign=st.booleans(), registered=st.lists(addresses, max_size=3))
def test_at_most_the_bound_recipient_is_trusted(named, verp_rcpt, level, sign, registered):
    envelope = signing.encode(verp_rcpt, KEYS, at=T) if sign else f"bounces+{verp_rcpt.replace('@', '=')}@localhost"
    verdicts = assess(named, Evidence((envelope,), "<m@x>", None, frozenset(registered)),
                      BounceConfig(trust=level), KEYS, T, normalize)
    trusted = {r for r, v in verdicts.items() if v.trusted}
    assert trusted <= {verp_rcpt}
    if sign:
        assert trusted == ({verp_rcpt} & set(named))
    elif level == "bound":
        assert trusted == ({verp_rcpt} & set(named) & set(registered))
    else:
        assert trusted == set()
    assert all(v.why for v in verdicts.values())


def test_open_trusts_everything_and_says_it_is_forgeable():
    v = assess(["a@b.example"], Evidence((), None, None, frozenset()), BounceConfig(trust="open"), None, T, normalize)
    assert v["a@b.example"].trusted and "forgeable" in v["a@b.example"].why
