"""The SMTP command a refusal answered -> what the refusal can mean.

A row is ``(command, reasons it corrects, corrected reason, note)``. Recipients are accepted or
refused at RCPT (RFC 5321 section 3.3), so the stage says whose fault a vague refusal is: before
MAIL FROM only the client host is known, at MAIL FROM the envelope sender, and after DATA the
recipient had already been accepted. A status code of the addressing subject (X.1.X) is explicit
and is never corrected, nor is a decision from a receiver's own table or an MTA error identifier;
security errors (authentication, TLS) are about the session at any stage and stay as they are.

Used only when the format module knows the command (``Found.command``:
Postfix "(in reply to end of DATA command)", a Sendmail transcript ">>> DATA", Exim "after RCPT TO:").
"""
from __future__ import annotations

STAGE_ROWS: tuple[tuple[str, frozenset[str], str, str], ...] = (
    ("MAIL", frozenset({"user_unknown", "host_unknown", "system_error", "undefined"}), "rejected",
     "RFC 5321 3.3: a refusal of MAIL FROM is about the envelope sender"),
    ("EHLO", frozenset({"user_unknown", "host_unknown", "rejected", "system_error", "undefined"}), "blocked",
     "RFC 5321 4.1.1.1: refused at EHLO/HELO, before any address: the client host"),
    ("HELO", frozenset({"user_unknown", "host_unknown", "rejected", "system_error", "undefined"}), "blocked",
     "RFC 5321 4.1.1.1: refused at EHLO/HELO, before any address: the client host"),
    ("CONN", frozenset({"user_unknown", "host_unknown", "rejected", "system_error", "undefined"}), "blocked",
     "RFC 5321 3.1: refused at the greeting, before any address: the client host"),
)
