"""SMTP reply codes -> reason: weak evidence, used only when nothing else decided.

A row is ``(code, reason, strength, note)``. Most codes (421, 450, 550, 554) say nothing beyond
"temporary" or "permanent" and are deliberately absent. So are 551 and 553: RFC 5321's own texts
("User not local; please try <forward-path>", "mailbox name not allowed") are phrase rows, but
MTAs use both codes for refusals that say nothing about the recipient's mailbox: the envelope
sender's domain (Sendmail proto.m4 "553 Domain of sender address ... does not exist"), relaying
(qmail-smtpd "553 sorry, that domain isn't in my list of allowed rcpthosts", Zoho "553 Relaying
disallowed"), a sender/login mismatch (Postfix reject_sender_login_mismatch 553). A bare code
there would make any such reply a dead address, so only the words may. ``strong`` rows (RFC 7504's 521/556: the
host or domain accepts no mail at all) count like a strong status code; ``weak`` rows only fill
in when nothing else decided. Sources: RFC 5321 section 4.2.2/4.2.3 reply texts,
RFC 7504 (521/556), RFC 4954 (530/534/535/538).
"""
from __future__ import annotations

from .status import STRONG, WEAK

REPLY_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("452", "system_full", WEAK, "RFC 5321 4.2.2: 452 requested action not taken: insufficient system storage"),
    ("500", "syntax_error", WEAK, "RFC 5321 4.2.2: 500 syntax error, command unrecognized"),
    ("501", "syntax_error", WEAK, "RFC 5321 4.2.2: 501 syntax error in parameters or arguments"),
    ("502", "syntax_error", WEAK, "RFC 5321 4.2.2: 502 command not implemented"),
    ("503", "syntax_error", WEAK, "RFC 5321 4.2.2: 503 bad sequence of commands"),
    ("504", "syntax_error", WEAK, "RFC 5321 4.2.2: 504 command parameter not implemented"),
    ("521", "not_accept", STRONG, "RFC 7504 section 3: 521 host does not accept mail"),
    ("525", "suspend", STRONG, "RFC 5248: 525 5.7.13 user account disabled"),
    ("530", "security_error", WEAK, "RFC 4954 section 6: 530 5.7.0 authentication required"),
    ("534", "security_error", WEAK, "RFC 4954 section 6: 534 5.7.9 authentication mechanism is too weak"),
    ("535", "security_error", WEAK, "RFC 4954 section 6: 535 5.7.8 authentication credentials invalid"),
    ("538", "security_error", WEAK, "RFC 4954 section 6: 538 5.7.11 encryption required for requested authentication mechanism"),
    ("552", "mailbox_full", WEAK, "RFC 5321 4.2.2: 552 requested mail action aborted: exceeded storage allocation"),
    ("556", "not_accept", STRONG, "RFC 7504 section 3: 556 domain does not accept mail"),
)
