"""Extractors for large mailbox providers and sending services (Gmail, Yahoo, Outlook.com,
Amazon SES, ...) whose bounces are not plain RFC 3464 reports.

``PROVIDER_MODULES`` is the ordered list the lhost package hands to the dispatcher; each module
detects its provider cheaply from headers first, so it never claims another format's message.
"""
from __future__ import annotations

from types import ModuleType

PROVIDER_MODULES: list[ModuleType] = []
