"""Which recipients of one returned message may change a suppression, and why (pure, no I/O).

The threat: anyone can mail a DSN to the bounce address naming any Final-Recipient. A report
proves something only when it is tied to mail we sent, by one of:

========================  ============================================  =================
proof                     what it binds                                 counts under
========================  ============================================  =================
signed VERP return path   the one recipient named in the envelope       signed, bound
                          (or in a feedback report's Original-Mail-From)
X-Bounced-Sig header      the original's Message-ID + one recipient     signed, bound
registered Message-ID     the recipients the mailer said it sent to     bound
anything                  every recipient the report names              open
========================  ============================================  =================

A VERP envelope binds the message to its recipient whatever the report claims: other recipients
it names are untrusted even under ``bound``; a tag that is present but wrong or expired makes
the whole message untrusted. Untrusted results are still stored, marked with the reason.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bounced.config import BounceConfig
from bounced.parse import verp
from bounced.signing import Keyring, check_header, check_verp


@dataclass(frozen=True, slots=True)
class Verdict:
    trusted: bool
    why: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one message offers as proof, gathered by the store before :func:`assess`."""

    rcpt_tos: tuple[str, ...]
    original_message_id: str | None
    sig: str | None  # the returned original's X-Bounced-Sig
    registered: frozenset[str]  # keys the mailer registered for original_message_id
    original_mail_from: str | None = None  # a feedback report's: our VERP return path, when it is ours


def assess(recipients: Sequence[str], ev: Evidence, bounce: BounceConfig, keyring: Keyring | None, at: datetime,
           key: Callable[[str], str]) -> dict[str, Verdict]:
    """A verdict per recipient key in ``recipients``; ``key`` normalizes an address (may raise ValueError)."""
    if bounce.trust == "open":
        return {r: Verdict(True, "trust = open (forgeable)") for r in recipients}
    keys = keyring or Keyring(())
    named: set[str] = set()
    signed: set[str] = set()
    bad: list[str] = []
    # a complaint goes to a fixed feedback address, not to VERP; its Original-Mail-From names the
    # return path we sent with, and binds it exactly as an envelope recipient would
    for rcpt in (*ev.rcpt_tos, *([ev.original_mail_from] if ev.original_mail_from else [])):
        v = verp.split(rcpt, bounce.local_parts, bounce.verp_delimiter)
        if v is None:
            continue
        try:
            k = key(v.recipient)
        except ValueError:
            continue
        named.add(k)
        check = check_verp(v, keys, at, bounce.verp_max_age_days)
        if check.ok:
            signed.add(k)
        elif v.tag is not None:
            bad.append(f"VERP {check.why}")
    return {r: _one(r, ev, bounce, keys, at, named, signed, bad) for r in recipients}


def _one(r: str, ev: Evidence, bounce: BounceConfig, keys: Keyring, at: datetime, named: Collection[str],
         signed: Collection[str], bad: list[str]) -> Verdict:
    if bad:
        return Verdict(False, "; ".join(bad))
    if named and r not in named:
        return Verdict(False, f"the report names {r} but the VERP envelope names {', '.join(sorted(named))}")
    if r in signed:
        return Verdict(True, "signed VERP")
    sig = check_header(ev.sig, ev.original_message_id, r, keys, at, bounce.verp_max_age_days)
    if sig.ok:
        return Verdict(True, "X-Bounced-Sig")
    if r in ev.registered:
        if bounce.trust == "bound":
            return Verdict(True, "registered Message-ID")
        return Verdict(False, "registered Message-ID, not enough under trust = signed")
    envelope = "unsigned VERP" if named else "no VERP"
    header = f"X-Bounced-Sig: {sig.why}" if ev.sig else "no X-Bounced-Sig"
    registered = "" if bounce.trust == "signed" else ", Message-ID not registered for it"
    return Verdict(False, f"no proof: {envelope}, {header}{registered}")
