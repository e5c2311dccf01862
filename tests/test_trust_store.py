"""The store's side of trust (schema v6): migration of older files, registration expiry, bad input."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
import sqlite_utils

from bounced.config import from_dict
from bounced.ingest import parse_options, prepare
from bounced.store import MIGRATIONS, SCHEMA_VERSION, Store
from tests.storehelp import T0, dsn


def test_a_version_3_database_gains_trust_columns_and_keeps_its_history(tmp_path):
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for v in (1, 2, 3):
        MIGRATIONS[v](db)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.execute("INSERT INTO messages (id, received_at, sha256, parse_status) VALUES (1, '2026-01-01T00:00:00.000Z', 'x', 'ok')")
    conn.execute("INSERT INTO events (message_id, address, domain, at, kind, reason, policy_action) VALUES "
                 "(1, 'old@example.com', 'example.com', '2026-01-01T00:00:00.000Z', 'hard', 'user_unknown', 'suppressed')")
    conn.execute("INSERT INTO suppressions (address, domain, active, kind, reason, source, suppressed_at) VALUES "
                 "('old@example.com', 'example.com', 1, 'hard', 'user_unknown', 'policy', '2026-01-01T00:00:00.000Z')")
    conn.close()
    cfg = from_dict({"store": {"path": str(path)}})
    with Store.open(path, cfg) as s:
        assert s.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        report = s.address_report("old@example.com")
        assert report.active_now and report.events[0]["trusted"] is None  # stored when everything counted
        s.ingest_many([prepare(dsn("new@example.com", tag="n"), "", (), parse_options(cfg))])
        assert s.events(untrusted=True)[0]["address"] == "new@example.com"
        plan = " ".join(r[3] for r in s.conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE kind = 'hard' AND domain = ? AND at >= ? AND at < ? "
            "AND (trusted IS NULL OR trusted = 1)", ("example.com", "a", "b")))
        assert "idx_events_hard_domain" in plan, plan


def test_registrations_expire_and_bad_input_is_named(tmp_path, store_location):
    cfg = from_dict({"bounce": {"sent_keep_days": 2.0}, "store": {"path": str(tmp_path / "b.db")}})
    with Store.open(store_location, cfg) as s:
        assert s.register_sent("<m1@sender.example>", ["A@Example.com", "a@example.com"], when=T0) == 1
        s.register_sent("<m2@sender.example>", ["b@example.com"], when=T0 + timedelta(days=3))  # drops m1
        assert [tuple(r) for r in s.conn.execute("SELECT message_id, address FROM sent")] == [
            ("m2@sender.example", "b@example.com")]
        with pytest.raises(ValueError, match="invalid Message-ID '<>'"):
            s.register_sent("<>", ["b@example.com"])
        with pytest.raises(ValueError, match="no recipients"):
            s.register_sent("<m3@x>", [])
        with pytest.raises(ValueError, match="'nobody'"):
            s.register_sent("<m3@x>", ["nobody"])
        with pytest.raises(LookupError, match="no event 99"):
            s.promote(99, "because")


@pytest.mark.parametrize("signed", [True, False], ids=["signed-original", "unsigned-original"])
def test_a_complaint_is_bound_by_the_quoted_originals_signature(tmp_path, signed, store_location):
    """Feedback loops report to a fixed address, not to VERP: the original's X-Bounced-Sig proves it."""
    from pathlib import Path

    from bounced import keyfiles, signing

    cfg = from_dict({"bounce": {"trust": "signed"}, "store": {"path": str(tmp_path / "b.db")}})
    raw = (Path(__file__).parent / "data" / "parse" / "arf-abuse.eml").read_bytes()
    with Store.open(store_location, cfg) as s:
        if signed:
            sig = signing.header_sig(keyfiles.load(cfg).keys[0], "<sale-2026@sender.example>", "annoyed@rcpt.example",
                                     signing.day_number(T0))
            raw = raw.replace(b"X-Campaign-ID: sale-7", b"X-Bounced-Sig: " + sig.encode())
        s.ingest_many([prepare(raw, "", ("fbl@sender.example",), parse_options(cfg), received_at=T0)])
        ev = s.events()[0]
        assert (ev["address"], ev["kind"]) == ("annoyed@rcpt.example", "complaint")
        # the sample's Original-Mail-From is an unsigned VERP return path: it names the recipient, proves nothing
        assert ev["trust_note"] == ("X-Bounced-Sig" if signed else "no proof: unsigned VERP, no X-Bounced-Sig")
        assert s.address_report("annoyed@rcpt.example").active_now is signed


def test_the_change_feed_names_the_operator_who_released_or_promoted(tmp_path):
    """A suppression that a release or a promote applies is the operator's doing, not a reprocess's."""
    from tests.test_trust import report

    path = tmp_path / "b.db"
    cfg = from_dict({"bounce": {"trust": "open"}, "breaker": {"max_per_message": 1}, "store": {"path": str(path)}})
    with Store.open(path, cfg) as s:
        s.ingest_many([prepare(report(["a@list.example", "b@list.example"], "cap"), "", (), parse_options(cfg),
                               received_at=T0)])
        held = s.held()
        assert len(held) == 1
        assert s.decide_held([held[0]["event_id"]], True, "checked by hand", by="api:ops") == 1
        feed = {r["address"]: r["actor"] for r in s.changes_after(0, 100)}
        assert feed[held[0]["address"]] == "api:ops"

    bound = from_dict({"bounce": {"trust": "bound"}, "store": {"path": str(tmp_path / "c.db")}})
    with Store.open(tmp_path / "c.db", bound) as s:
        s.ingest_many([prepare(dsn("x@example.com", tag="u"), "", (), parse_options(bound), received_at=T0)])
        ev = s.events(untrusted=True)[0]
        assert s.promote(ev["id"], "customer confirmed", by="web:maria").active
        assert [(r["address"], r["actor"]) for r in s.changes_after(0, 100)] == [("x@example.com", "web:maria")]


def _forwarded_dsn(final: str, original: str | None) -> bytes:
    """A DSN from a forwarder: we mailed ``original``, its .forward sent it on to ``final``, which bounced."""
    orcpt = f"Original-Recipient: rfc822;{original}\r\n" if original else ""
    return ("From: MAILER-DAEMON@relay.example.com\r\nTo: bounces@localhost\r\nSubject: Undelivered Mail\r\n"
            f"Message-ID: <fwd-{final}-{original}@relay.example.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example.com\r\n\r\n"
            f"Final-Recipient: rfc822; {final}\r\n{orcpt}Action: failed\r\nStatus: 5.1.1\r\n"
            "Remote-MTA: dns; gmail-smtp-in.l.google.com\r\n"
            "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. - gsmtp\r\n"
            "--B--\r\n").encode()


@pytest.mark.parametrize("verp_for,original,suppressed,note", [
    ("jane@example.com", "jane@example.com", {"jane@example.com"}, "signed VERP"),
    ("bob@example.com", "jane@example.com", set(), "the report names jane@example.com but the VERP envelope names bob@example.com"),
    ("jane@example.com", None, set(), "the report names jane.doe@gmail.com but the VERP envelope names jane@example.com"),
], ids=["original-agrees-with-verp", "original-disagrees-with-verp", "no-original-recipient"])
def test_a_forwarded_address_is_suppressed_under_the_address_we_mailed(tmp_path, store_location, verp_for, original,
                                                                         suppressed, note):
    """RFC 3464 2.3.1: the Original-Recipient is the address we sent to; the event is keyed on it
    and shows the Final-Recipient, and the signed VERP recipient must be that same address."""
    from bounced import keyfiles, signing

    cfg = from_dict({"bounce": {"trust": "signed"}, "store": {"path": str(tmp_path / "b.db")}})
    rcpt_to = signing.encode(verp_for, keyfiles.load(cfg), at=T0)
    raw = _forwarded_dsn("jane.doe@gmail.com", original)
    with Store.open(store_location, cfg) as s:
        s.ingest_many([prepare(raw, "", (rcpt_to,), parse_options(cfg), received_at=T0)])
        (ev,) = s.events()
        assert ev["address"] == (original or "jane.doe@gmail.com")
        assert ev["trust_note"] == note
        assert ev["diagnostic"].startswith("550-5.1.1")
        assert ev["final_recipient"] == ("jane.doe@gmail.com" if original else None)
        assert {a for a in ("jane@example.com", "jane.doe@gmail.com", "bob@example.com")
                if s.address_report(a).active_now} == suppressed
