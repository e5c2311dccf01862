"""Format modules for non-standard bounces: plain-text and odd-MIME reports from real MTAs.

``MODULES`` is the one ordered list the dispatcher consults after RFC 3464 / ARF / RFC 3834.
Order, and why:

1. Provider modules (``bounced.parse.lhost.providers.PROVIDER_MODULES``): large mailbox
   providers are recognised by very specific headers (their own From/Received/X- headers), so
   they are cheap to rule out and must win over the MTA software they happen to run on.
2. MTA modules (Postfix, Sendmail, Exim, qmail, ...): recognised by the MTA's own wording and
   headers; each knows its format's layout exactly.
3. The generic plain-text scanner, last: it accepts any message that looks like a bounce and
   pairs recipient addresses with nearby SMTP error lines, so it would shadow the precise
   modules if it ran earlier.
"""
from __future__ import annotations

from types import ModuleType

from bounced.parse.lhost import domino, exchange, exim, generic, imail, postfix, qmail, sendmail

try:  # P3b's package may not exist yet on every branch
    from bounced.parse.lhost.providers import PROVIDER_MODULES as _PROVIDERS
except ImportError:  # pragma: no cover - depends on merge order
    _PROVIDERS = []

MODULES: list[ModuleType] = [*_PROVIDERS, postfix, exim, sendmail, qmail, exchange, domino, imail, generic]
