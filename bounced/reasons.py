"""The reason vocabulary operators search and report by, and each reason's default kind.

The names are a public contract (stored in the database, shown by ``bounced inspect``, matched by
config keys): never rename one. The policy may override the kind per reason from config
(``[policy.reason_kinds]``), which is how an operator settles the choices reasonable operators
make differently; the defaults here are:

* ``suspend`` (a disabled or suspended account) is soft: providers re-enable accounts, and three
  soft bounces over a day still suppress it. ``suspend = "hard"`` suppresses at once.
* ``no_relaying`` ("relaying denied") is sender-side: usually our route or the recipient
  domain's MX setup, not the address. ``no_relaying = "hard"`` treats it as a dead address.
* ``challenge`` (a challenge-response request) is soft and recipient-side: it counts toward the
  soft threshold, never suppresses at once.
* Feedback reports are complaints only for the recipient's own report (abuse, fraud, opt-out,
  other); an RFC 6591 authentication failure report is ``auth_failure``, sender-side.
"""
from __future__ import annotations

from types import MappingProxyType

from bounced.model import Kind

_H, _S = Kind.HARD, Kind.SOFT

DEFAULT_KINDS = MappingProxyType({
    "user_unknown": _H,
    "host_unknown": _H,
    "has_moved": _H,
    "not_accept": _H,
    "suspend": _S,
    "mailbox_full": _S,
    "message_too_big": _S,
    "exceed_limit": _S,
    "expired": _S,
    "filtered": _S,
    "rejected": _S,
    "blocked": _S,
    "spam_detected": _S,
    "virus_detected": _S,
    "policy_violation": _S,
    "auth_failure": _S,
    "security_error": _S,
    "require_ptr": _S,
    "bad_reputation": _S,
    "too_many_conn": _S,
    "speeding": _S,
    "no_relaying": _S,
    "network_error": _S,
    "system_error": _S,
    "system_full": _S,
    "mailer_error": _S,
    "content_error": _S,
    "not_compliant_rfc": _S,
    "syntax_error": _S,
    "on_hold": _S,
    "challenge": _S,  # a challenge-response request: held until the sender proves to be human
    "undefined": _S,
    "feedback": Kind.COMPLAINT,
    "vacation": Kind.AUTO_REPLY,
    "delivered": Kind.DELIVERED,
})

REASONS: frozenset[str] = frozenset(DEFAULT_KINDS)

# The problem is the sender's (our IP, our DNS, our rate), not the recipient's: these never count
# against an address, and stats show them apart because they need fixing on our side.
SENDER_SIDE: frozenset[str] = frozenset({
    "blocked", "bad_reputation", "require_ptr", "auth_failure", "too_many_conn", "speeding",
    "no_relaying", "rejected", "not_compliant_rfc",
})
