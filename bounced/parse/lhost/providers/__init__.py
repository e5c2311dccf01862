"""Extractors for large mailbox providers and sending services (Gmail, Yahoo, Outlook.com,
Amazon SES, ...) whose bounces are not plain RFC 3464 reports.

``PROVIDER_MODULES`` is the ordered list the lhost package hands to the dispatcher; each module
detects its provider cheaply from headers first (From domain, X-Mailer, provider X- headers),
so it never claims another format's message. Order only matters where two could match:
Google Groups before Gmail (same sender, narrower wording); Yahoo before Amazon SES (Yahoo's
notice is sometimes relayed by SES); Amazon WorkMail before Amazon SES (WorkMail sends through
SES).
"""
from __future__ import annotations

from types import ModuleType

from . import (
    activehunter,
    amazonses,
    amazonworkmail,
    aol,
    biglobe,
    dragonfly,
    einsundeins,
    ezweb,
    facebook,
    fml,
    gmail,
    gmx,
    googlegroups,
    googleworkspace,
    hotpop,
    kddi,
    mailru,
    mfilter,
    newmailru,
    office365,
    sina,
    verizon,
    yahoo,
    zoho,
)

PROVIDER_MODULES: list[ModuleType] = [
    googlegroups,
    gmail,
    googleworkspace,
    yahoo,
    aol,
    amazonworkmail,
    amazonses,
    office365,
    mailru,
    gmx,
    einsundeins,
    zoho,
    kddi,
    ezweb,
    verizon,
    dragonfly,
    fml,
    mfilter,
    activehunter,
    biglobe,
    facebook,
    hotpop,
    sina,
    newmailru,
]
