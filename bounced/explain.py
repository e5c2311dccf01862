"""An address's state in plain words, for support staff who do not know bounce codes.

Pure: :func:`explain` turns :class:`Facts` (what the store knows, plus the policy's numbers and
"now") into :class:`Sentence` values (a gettext message id and its parameters); :func:`render`
translates them and formats dates in the reader's locale. The sentences are rows of tables, the
first matching row wins, so adding a case is adding a row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


def N_(msgid: str) -> str:
    """Marks a string for extraction into the catalogs; translated later, at render time."""
    return msgid


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about one address: its suppressions row (if any) and its newest event."""

    now: datetime
    known: bool = False  # a suppressions row exists
    active: bool = False  # suppressed now (active and not expired)
    kind: str | None = None
    reason: str | None = None  # a reason name for the policy, the operator's words for manual/import
    source: str | None = None  # policy | manual | import
    suppressed_at: datetime | None = None
    expires_at: datetime | None = None
    soft_count: int = 0
    soft_first_at: datetime | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lifted_reason: str | None = None
    last_reason: str | None = None  # of the newest event
    last_code: str | None = None  # "550 5.1.1": reply code and status of the newest event
    last_sender_side: bool = False  # the newest event's reason is a sender-side problem
    events: int = 0
    soft_threshold: int = 3
    soft_window_days: float = 30.0
    untrusted: int = 0  # reports that did not count: nothing proved they answer mail we sent (issue 15)
    untrusted_note: str | None = None  # why the newest of them did not count (the trust check's words)
    held: int = 0  # suppressions held by the brake on bursts or the per-message cap, pending a decision


@dataclass(frozen=True, slots=True)
class Sentence:
    msgid: str
    params: tuple[tuple[str, Any], ...] = ()


# What each reason means, in the words a customer would understand (RFC 3463 status classes and the
# project's reason vocabulary, bounced/reasons.py).
REASON_WORDS: dict[str, str] = {
    "user_unknown": N_("the receiving server said the mailbox does not exist"),
    "host_unknown": N_("the recipient's domain does not exist or accepts no mail"),
    "has_moved": N_("the receiving server said the mailbox has moved"),
    "not_accept": N_("the recipient's domain accepts no mail at all"),
    "suspend": N_("the mailbox is disabled or suspended"),
    "mailbox_full": N_("the mailbox is full"),
    "message_too_big": N_("the message was too large for the mailbox"),
    "exceed_limit": N_("the mailbox is over a size or rate limit"),
    "expired": N_("delivery was retried until it gave up"),
    "filtered": N_("the receiving server filtered the message out"),
    "rejected": N_("the receiving server refused our sender address"),
    "blocked": N_("the receiving server blocked our sending server"),
    "spam_detected": N_("the receiving server took the message for spam"),
    "virus_detected": N_("the receiving server found a virus in the message"),
    "policy_violation": N_("the receiving server's policy refused the message"),
    "auth_failure": N_("our mail failed the receiver's authentication checks (SPF, DKIM, DMARC)"),
    "security_error": N_("a security check between the servers failed"),
    "require_ptr": N_("our sending server has no valid reverse DNS name"),
    "bad_reputation": N_("the receiving server distrusts our sending server's reputation"),
    "too_many_conn": N_("we opened too many connections to the receiving server"),
    "speeding": N_("we sent too fast for the receiving server"),
    "no_relaying": N_("the receiving server refused to relay the message"),
    "network_error": N_("the receiving server could not be reached"),
    "system_error": N_("the receiving server had an internal error"),
    "system_full": N_("the receiving server is out of space"),
    "mailer_error": N_("the receiving mail program failed"),
    "content_error": N_("the receiving server refused the message's content"),
    "not_compliant_rfc": N_("the message broke a mail standard the receiver enforces"),
    "syntax_error": N_("the servers did not understand each other"),
    "on_hold": N_("the message is held at the receiving server"),
    "undefined": N_("the receiving server gave no usable reason"),
    "feedback": N_("the recipient reported a message as spam"),
    "vacation": N_("an automatic reply came back"),
    "challenge": N_("the recipient's spam filter asks the sender to confirm being human"),
    "delivered": N_("the message was delivered"),
}


def reason_words(reason: str | None) -> str:
    return REASON_WORDS.get(reason or "", N_("the receiving server gave no usable reason"))


Rule = tuple[Callable[[Facts], bool], str]


def _soft_live(f: Facts) -> bool:
    window = timedelta(days=f.soft_window_days)
    return f.soft_count > 0 and f.soft_first_at is not None and f.now - f.soft_first_at <= window


# The headline: the first row whose test is true. Order matters: suppressed before not suppressed,
# the specific source before the generic.
HEADLINES: tuple[Rule, ...] = (
    (lambda f: not f.known and f.events == 0,
     N_("Not suppressed: bounced has no bounce, complaint or manual decision recorded for this address.")),
    (lambda f: f.active and f.source == "manual",
     N_("Suppressed by hand since {since}: “{reason}”.")),
    (lambda f: f.active and f.source == "import",
     N_("Suppressed since {since}: imported from an earlier list (“{reason}”).")),
    (lambda f: f.active and f.kind == "complaint",
     N_("Suppressed since {since}: the recipient reported our message as spam.")),
    (lambda f: f.active and f.last_code is not None,
     N_("Suppressed since {since}: {words} ({code}).")),
    (lambda f: f.active,
     N_("Suppressed since {since}: {words}.")),
    (lambda f: f.lifted_at is not None and f.lifted_by == "policy",
     N_("Not suppressed: the soft-bounce suppression expired on {lifted}.")),
    (lambda f: f.lifted_at is not None,
     N_("Not suppressed: {by} lifted the suppression on {lifted}: “{why}”.")),
    (_soft_live,
     N_("Not suppressed: {count} of {threshold} soft bounces ({words}) in the last {days} days.")),
    (lambda f: True,
     N_("Not suppressed: nothing recorded for this address stops mail to it.")),
)

# What follows the headline: every row whose test is true, in order.
DETAILS: tuple[Rule, ...] = (
    (lambda f: f.active and f.source == "policy" and f.kind == "hard",
     N_("Hard bounce: bounced stopped mail at once.")),
    (lambda f: f.active and f.kind == "complaint" and f.source == "policy",
     N_("A complaint stops mail at once; mail resumes only when someone lifts it with a reason.")),
    (lambda f: f.active and f.source == "policy" and f.kind == "soft" and f.expires_at is not None,
     N_("Repeated soft bounces: the suppression ends by itself on {expires} unless another soft bounce renews it.")),
    (lambda f: not f.active and _soft_live(f) and f.soft_count == f.soft_threshold - 1,
     N_("One more soft bounce within the window suppresses it.")),
    (lambda f: not f.active and _soft_live(f) and f.soft_count < f.soft_threshold - 1,
     N_("{more} more soft bounces within the window suppress it.")),
    (lambda f: f.held == 1,
     N_("One suppression for this address is held, not applied: a brake on bursts stopped it until someone "
        "releases or discards it on the Held page.")),
    (lambda f: f.held > 1,
     N_("{held} suppressions for this address are held, not applied: a brake on bursts stopped them until someone "
        "releases or discards them on the Held page.")),
    (lambda f: f.untrusted == 1,
     N_("One report for this address did not count: nothing proved it answers mail we sent ({note}).")),
    (lambda f: f.untrusted > 1,
     N_("{untrusted} reports for this address did not count: nothing proved they answer mail we sent "
        "(the newest: {note}).")),
    (lambda f: f.last_sender_side,
     N_("The newest failure was on our side ({words_last}): it does not count against this address; "
        "the sending side must fix it.")),
)


def _params(f: Facts) -> dict[str, Any]:
    return {
        "since": f.suppressed_at, "reason": f.reason or "", "words": reason_words(f.reason if f.source == "policy"
                                                                                  or not f.active else f.last_reason),
        "code": f.last_code, "lifted": f.lifted_at, "by": f.lifted_by or "", "why": f.lifted_reason or "",
        "count": f.soft_count, "threshold": f.soft_threshold, "days": round(f.soft_window_days),
        "expires": f.expires_at, "more": max(f.soft_threshold - f.soft_count, 0),
        "words_last": reason_words(f.last_reason),
        "held": f.held, "untrusted": f.untrusted, "note": f.untrusted_note or "",
    }


def _sentence(msgid: str, values: dict[str, Any]) -> Sentence:
    names = [k for k in values if "{" + k + "}" in msgid]
    return Sentence(msgid, tuple((k, values[k]) for k in names))


def explain(f: Facts) -> tuple[Sentence, ...]:
    """The headline sentence and the details that apply, in reading order."""
    values = _params(f)
    if not f.known and f.events == 0:
        return (_sentence(HEADLINES[0][1], values),)
    if not f.active and _soft_live(f):  # the words name the reason being counted, not an old suppression's
        values["words"] = reason_words(f.last_reason or f.reason)
    head = next(msgid for test, msgid in HEADLINES if test(f))
    return (_sentence(head, values), *(_sentence(m, values) for test, m in DETAILS if test(f)))


def render(sentences: tuple[Sentence, ...], gettext: Callable[[str], str],
           format_date: Callable[[datetime], str]) -> list[str]:
    """Translated sentences; datetimes in the reader's locale, reason words translated too."""
    out = []
    for s in sentences:
        values = {}
        for k, v in s.params:
            if isinstance(v, datetime):
                v = format_date(v)
            elif k.startswith("words"):
                v = gettext(v)
            values[k] = v
        out.append(gettext(s.msgid).format(**values))
    return out


def facts_from_report(report: Any, soft_threshold: int, soft_window_days: float, sender_side: frozenset[str] | tuple[str, ...],
                      now: datetime) -> Facts:
    """Facts from a :class:`bounced.store.AddressReport` (its state row and events, oldest first)."""
    from bounced.timeutil import from_text

    st = report.state or {}
    untrusted = [e for e in report.events if e.get("trusted") == 0]
    counted = [e for e in report.events if e.get("trusted") != 0 and e.get("held_status") not in ("pending", "discarded")]
    last = counted[-1] if counted else None
    # the code quoted beside the suppression's reason is that reason's newest event, not whatever came last
    cause = next((e for e in reversed(counted) if e["reason"] == st.get("reason")), None) if st.get("active") else last
    code = " ".join(x for x in (cause.get("reply_code"), cause.get("status")) if x) or None if cause else None
    return Facts(
        now=now, known=bool(st), active=report.active_now, kind=st.get("kind"), reason=st.get("reason"),
        source=st.get("source"), suppressed_at=from_text(st.get("suppressed_at")),
        expires_at=from_text(st.get("expires_at")), soft_count=st.get("soft_count") or 0,
        soft_first_at=from_text(st.get("soft_first_at")), lifted_at=from_text(st.get("lifted_at")),
        lifted_by=st.get("lifted_by"), lifted_reason=st.get("lifted_reason"),
        last_reason=last["reason"] if last else None, last_code=code,
        last_sender_side=bool(last and last["reason"] in sender_side), events=len(report.events),
        soft_threshold=soft_threshold, soft_window_days=soft_window_days, untrusted=len(untrusted),
        untrusted_note=untrusted[-1].get("trust_note") if untrusted else None,
        held=sum(1 for e in report.events if e.get("held_status") == "pending"))
