"""bounced.explain: one row per case, the facts in, the English sentences out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bounced.explain import HEADLINES, REASON_WORDS, Facts, explain, render
from bounced.reasons import REASONS

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
DEC3 = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)


def english(f: Facts) -> str:
    return " ".join(render(explain(f), lambda s: s, lambda d: f"{d.day} {d:%B %Y}"))


CASES = [
    ("unknown", Facts(NOW),
     "Not suppressed: bounced has no bounce, complaint or manual decision recorded for this address."),
    ("hard-user-unknown", Facts(NOW, known=True, active=True, kind="hard", reason="user_unknown", source="policy",
                                suppressed_at=DEC3, last_reason="user_unknown", last_code="550 5.1.1", events=1),
     "Suppressed since 3 December 2026: the receiving server said the mailbox does not exist (550 5.1.1). "
     "Hard bounce: bounced stopped mail at once."),
    ("hard-no-code", Facts(NOW, known=True, active=True, kind="hard", reason="host_unknown", source="policy",
                           suppressed_at=DEC3, last_reason="host_unknown", events=1),
     "Suppressed since 3 December 2026: the recipient's domain does not exist or accepts no mail. "
     "Hard bounce: bounced stopped mail at once."),
    ("soft-suppressed", Facts(NOW, known=True, active=True, kind="soft", reason="mailbox_full", source="policy",
                              suppressed_at=DEC3, expires_at=DEC3 + timedelta(days=14), soft_count=3,
                              soft_first_at=DEC3 - timedelta(days=2), last_reason="mailbox_full",
                              last_code="452 4.2.2", events=3),
     "Suppressed since 3 December 2026: the mailbox is full (452 4.2.2). Repeated soft bounces: the suppression "
     "ends by itself on 17 December 2026 unless another soft bounce renews it."),
    ("complaint", Facts(NOW, known=True, active=True, kind="complaint", reason="feedback", source="policy",
                        suppressed_at=DEC3, last_reason="feedback", events=1),
     "Suppressed since 3 December 2026: the recipient reported our message as spam. A complaint stops mail at "
     "once; mail resumes only when someone lifts it with a reason."),
    ("manual", Facts(NOW, known=True, active=True, kind="hard", reason="customer asked to stop", source="manual",
                     suppressed_at=DEC3),
     "Suppressed by hand since 3 December 2026: “customer asked to stop”."),
    ("import", Facts(NOW, known=True, active=True, kind="hard", reason="old ESP list", source="import",
                     suppressed_at=DEC3),
     "Suppressed since 3 December 2026: imported from an earlier list (“old ESP list”)."),
    ("lifted-by-person", Facts(NOW, known=True, kind="soft", reason="mailbox_full", source="policy",
                               lifted_at=DEC3, lifted_by="alice", lifted_reason="client cleared the mailbox",
                               last_reason="mailbox_full", events=3),
     "Not suppressed: alice lifted the suppression on 3 December 2026: “client cleared the mailbox”."),
    ("expired", Facts(NOW, known=True, kind="soft", reason="mailbox_full", source="policy", lifted_at=DEC3,
                      lifted_by="policy", lifted_reason="soft suppression expired", events=3),
     "Not suppressed: the soft-bounce suppression expired on 3 December 2026."),
    ("two-of-three-soft", Facts(NOW, known=True, soft_count=2, soft_first_at=NOW - timedelta(days=3),
                                last_reason="mailbox_full", events=2),
     "Not suppressed: 2 of 3 soft bounces (the mailbox is full) in the last 30 days. "
     "One more soft bounce within the window suppresses it."),
    ("one-of-three-soft", Facts(NOW, known=True, soft_count=1, soft_first_at=NOW - timedelta(days=1),
                                last_reason="mailbox_full", events=1),
     "Not suppressed: 1 of 3 soft bounces (the mailbox is full) in the last 30 days. "
     "2 more soft bounces within the window suppress it."),
    ("soft-run-too-old", Facts(NOW, known=True, soft_count=2, soft_first_at=NOW - timedelta(days=40),
                               last_reason="mailbox_full", events=2),
     "Not suppressed: nothing recorded for this address stops mail to it."),
    ("sender-side-only", Facts(NOW, known=True, last_reason="blocked", last_sender_side=True, events=1),
     "Not suppressed: nothing recorded for this address stops mail to it. The newest failure was on our side "
     "(the receiving server blocked our sending server): it does not count against this address; the sending "
     "side must fix it."),
    ("forged-report-only", Facts(NOW, untrusted=1, untrusted_note="no proof: no VERP, no X-Bounced-Sig", events=1),
     "Not suppressed: nothing recorded for this address stops mail to it. One report for this address did not "
     "count: nothing proved it answers mail we sent (no proof: no VERP, no X-Bounced-Sig)."),
    ("held-and-untrusted", Facts(NOW, held=2, untrusted=3, untrusted_note="VERP tag expired", events=5),
     "Not suppressed: nothing recorded for this address stops mail to it. 2 suppressions for this address are "
     "held, not applied: a brake on bursts stopped them until someone releases or discards them on the Held page. "
     "3 reports for this address did not count: nothing proved they answer mail we sent (the newest: VERP tag "
     "expired)."),
    ("one-held", Facts(NOW, held=1, events=1),
     "Not suppressed: nothing recorded for this address stops mail to it. One suppression for this address is "
     "held, not applied: a brake on bursts stopped it until someone releases or discards it on the Held page."),
]


@pytest.mark.parametrize("facts, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sentences(facts: Facts, expected: str) -> None:
    assert english(facts) == expected


def test_every_headline_is_reached() -> None:
    assert {explain(c[1])[0].msgid for c in CASES} == {msgid for _, msgid in HEADLINES}


def test_every_reason_has_words() -> None:
    assert set(REASON_WORDS) == set(REASONS)


def test_translation_applies_to_sentence_and_reason_words() -> None:
    f = CASES[1][1]
    table = {"the receiving server said the mailbox does not exist": "MAILBOX GONE"}
    out = render(explain(f), lambda s: table.get(s, s), lambda d: d.date().isoformat())
    assert out[0] == "Suppressed since 2026-12-03: MAILBOX GONE (550 5.1.1)."


def test_report_quotes_the_code_of_the_suppressions_own_reason() -> None:
    """Hard-suppressed for user_unknown, then a full-mailbox bounce: the sentence names user_unknown
    with its 5.1.1, not the newer 4.2.2."""
    from bounced.explain import facts_from_report
    from bounced.store import AddressReport

    ev = [{"reason": "user_unknown", "reply_code": "550", "status": "5.1.1", "kind": "hard"},
          {"reason": "mailbox_full", "reply_code": "452", "status": "4.2.2", "kind": "soft"}]
    state = {"active": 1, "kind": "hard", "reason": "user_unknown", "source": "policy",
             "suppressed_at": "2026-12-03T09:30:00.000Z", "soft_count": 1}
    report = AddressReport("a@example.com", state, True, ev, [], None, [])
    f = facts_from_report(report, 3, 30.0, ("blocked",), NOW)
    assert english(f).startswith("Suppressed since 3 December 2026: the receiving server said the mailbox does not "
                                 "exist (550 5.1.1).")


def test_report_counts_untrusted_and_held_events_apart_from_those_that_counted() -> None:
    """An untrusted report and a held one neither name the state's reason nor its code; they are counted."""
    from bounced.explain import facts_from_report
    from bounced.store import AddressReport

    ev = [{"reason": "user_unknown", "reply_code": "550", "status": "5.1.1", "kind": "hard", "trusted": 1},
          {"reason": "blocked", "reply_code": "554", "status": "5.7.1", "kind": "hard", "trusted": 0,
           "trust_note": "no proof: no VERP, no X-Bounced-Sig"},
          {"reason": "user_unknown", "reply_code": "550", "status": "5.1.1", "kind": "hard", "trusted": 1,
           "held_status": "pending"}]
    report = AddressReport("a@example.com", None, False, ev, [], None, [])
    f = facts_from_report(report, 3, 30.0, ("blocked",), NOW)
    assert (f.untrusted, f.held, f.last_reason, f.last_sender_side) == (1, 1, "user_unknown", False)
    assert f.untrusted_note == "no proof: no VERP, no X-Bounced-Sig"
