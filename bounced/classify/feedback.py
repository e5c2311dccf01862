"""ARF feedback types -> reason and kind: which reports are the recipient's own complaint.

A row is ``(feedback type, reason, kind, note)``. RFC 5965 section 7.3 registers the types; only
a report the recipient (or their mailbox provider on their behalf) made about mail they did not
want suppresses the address. A DMARC/SPF/DKIM failure report (RFC 6591) is about the sender's
authentication, a virus report about the message's content, and a not-spam report says the
message was wanted: none of them counts against the recipient.
"""
from __future__ import annotations

from bounced.model import Kind

FEEDBACK_ROWS: tuple[tuple[str, str, Kind, str], ...] = (
    ("abuse", "feedback", Kind.COMPLAINT, "RFC 5965 7.3: unsolicited mail or some other kind of email abuse, reported by the recipient"),
    ("fraud", "feedback", Kind.COMPLAINT, "RFC 5965 7.3: indicates some kind of fraud or phishing activity, reported by the recipient"),
    ("opt-out", "feedback", Kind.COMPLAINT, "RFC 5965 7.3 (from draft-ietf-marf-base): a request to be removed from the sender's list"),
    ("other", "feedback", Kind.COMPLAINT, "RFC 5965 7.3: any other feedback that doesn't fit the registered types; an unknown type is read as this"),
    ("auth-failure", "auth_failure", Kind.SOFT, "RFC 6591: an authentication failure report (SPF, DKIM, DMARC, ADSP) on the sending domain: sender-side, recorded only"),
    ("virus", "virus_detected", Kind.UNKNOWN, "RFC 5965 7.3: a virus was found in the message: the message's problem, not the recipient's; recorded only"),
    ("not-spam", "delivered", Kind.DELIVERED, "RFC 6650 / RFC 5965 7.3: the message was wrongly filtered and the recipient wanted it: it reached the mailbox"),
)

FEEDBACK: dict[str, tuple[str, Kind]] = {ftype: (reason, kind) for ftype, reason, kind, _note in FEEDBACK_ROWS}
