"""Format modules for non-standard bounces: plain-text and odd-MIME reports from real MTAs.

``MODULES`` is the one ordered list the dispatcher consults after RFC 3464 / ARF / RFC 3834.
Order, and why:

1. Provider modules (``bounced.parse.lhost.providers.PROVIDER_MODULES``): large mailbox
   providers are recognised by very specific headers (their own From/Received/X- headers), so
   they are cheap to rule out and must win over the MTA software they happen to run on.
2. MTA modules, each recognising its MTA's own wording and layout:
   ``postfix``, ``exim`` (also MXLogic and other copies of Exim's text), ``mcafee`` (before
   ``sendmail``: its "had delivery problems" banner looks like Sendmail's), ``sendmail``
   (V8, V5, X1-style lists), ``qmail`` (and forks), ``exchange`` (5.5 to 2007 text NDRs),
   ``domino`` (Domino and Notes), ``imail``.
3. ``generic``, last: it accepts any message that looks like a bounce and pairs recipient
   addresses with nearby SMTP error lines, so it would shadow the precise modules if it ran
   earlier.

All of them leave a message with an RFC 3464 delivery-status part naming Final-Recipients to
the RFC 3464 parser, and answer ``None`` rather than ``[]`` when they find no recipient, so the
modules after them (and the dispatcher's own fallbacks) still get their turn. They share one
decoded report text per message (``_common.report_text``).
"""
from __future__ import annotations

from types import ModuleType

from bounced.parse.lhost import domino, exchange, exim, generic, imail, mcafee, postfix, qmail, sendmail

try:  # P3b's package may not exist yet on every branch
    from bounced.parse.lhost.providers import PROVIDER_MODULES as _PROVIDERS
except ImportError:  # pragma: no cover - depends on merge order
    _PROVIDERS = []

MODULES: list[ModuleType] = [*_PROVIDERS, postfix, exim, mcafee, sendmail, qmail, exchange, domino, imail, generic]
