"""Builders for store tests: real DSN bytes for a recipient, a status and a diagnostic."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from bounced.config import from_dict

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)

# For tests of the policy through the store, not of trust: every bounce counts (tests/test_trust.py
# covers what "bound" and "signed" refuse).
OPEN = from_dict({"bounce": {"trust": "open"}}, "<tests: trust = open>")


def open_config(directory: Path) -> Path:
    """A config file with trust = "open", for CLI tests of the policy."""
    path = directory / "open.toml"
    path.write_text('[bounce]\ntrust = "open"\n')
    return path


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def dsn(rcpt: str, status: str = "5.1.1", diag: str = "550 5.1.1 user unknown", action: str = "failed",
        tag: str = "") -> bytes:
    """A minimal RFC 3464 report, unique per ``tag`` so its sha256 differs."""
    return (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@localhost\r\n"
        f"Subject: Delivery Status Notification {tag}\r\nMessage-ID: <dsn-{tag}-{rcpt}@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"\r\n\r\n'
        "--BB\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Remote-MTA: dns; mx.{rcpt.rpartition('@')[2]}\r\nDiagnostic-Code: smtp; {diag}\r\n"
        "--BB--\r\n"
    ).encode()
