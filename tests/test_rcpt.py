"""Which recipients the daemon accepts: the bounce addresses and their VERP forms, nothing else."""
from __future__ import annotations

import pytest

from bounced.config import BounceConfig
from bounced.rcpt import is_bounce_address

CFG = BounceConfig(local_parts=("bounces", "fbl"), domains=("bounce.example", "Mail.Example.ORG"), verp_delimiter="+")


@pytest.mark.parametrize("address,accepted", [
    ("bounces@bounce.example", True),
    ("fbl@bounce.example", True),
    ("bounces+user=remote.example@bounce.example", True),
    ("bounces+anything-at-all@mail.example.org", True),
    ("BOUNCES@BOUNCE.EXAMPLE", True),
    ("bounces@bounce.example.", True),
    ("<bounces@bounce.example>", True),
    ("bounces+@bounce.example", False),  # a delimiter with nothing after it is not VERP
    ("bouncesX@bounce.example", False),
    ("bounce@bounce.example", False),
    ("postmaster@bounce.example", False),
    ("bounces@other.example", False),
    ("bounces@sub.bounce.example", False),
    ("bounces", False),
    ("@bounce.example", False),
    ("bounces-user=x@bounce.example", False),  # other delimiter than the configured one
], ids=lambda v: str(v))
def test_bounce_addresses(address: str, accepted: bool) -> None:
    assert is_bounce_address(address, CFG) is accepted


def test_empty_domain_list_accepts_any_domain() -> None:
    cfg = BounceConfig(local_parts=("bounces",), domains=())
    assert is_bounce_address("bounces+x=y.example@anything.example", cfg)
    assert not is_bounce_address("someone@anything.example", cfg)


def test_other_verp_delimiter() -> None:
    cfg = BounceConfig(local_parts=("bounces",), domains=("b.example",), verp_delimiter="-")
    assert is_bounce_address("bounces-user=x.example@b.example", cfg)
    assert not is_bounce_address("bounces+user=x.example@b.example", cfg)
