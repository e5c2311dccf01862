"""The store commands through the real CLI (click's runner) on both engines: real SQLite files and a
real PostgreSQL server (--db takes a postgresql:// URL)."""
from __future__ import annotations

import json
import mailbox
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.config import from_dict
from bounced.store import Store
from bounced.timeutil import to_text, utcnow
from tests.storehelp import dsn, open_config


@pytest.fixture
def env(tmp_path, monkeypatch, store_location):
    monkeypatch.setenv("BOUNCED_CONFIG", str(open_config(tmp_path)))  # these test the policy, not trust
    files = []
    for i, (rcpt, status, diag) in enumerate([
        ("gone@example.com", "5.1.1", "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown"),
        ("full@example.net", "4.2.2", "452 4.2.2 Mailbox full"),
        ("x@blocky.example", "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"),
    ]):
        f = tmp_path / f"m{i}.eml"
        f.write_bytes(dsn(rcpt, status, diag, tag=str(i)))
        files.append(str(f))
    Store.open(store_location).close()  # commands never create a database unless told to (--create)
    return tmp_path, store_location, files


def cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_ingest_is_idempotent(env):
    _, db, files = env
    r = cli("ingest", *files, "--db", db)
    assert r.exit_code == 0, r.output
    assert "ingested 3, duplicates 0, unparseable 0" in r.output
    r = cli("ingest", *files, "--db", db)
    assert "ingested 0, duplicates 3" in r.output


def test_ingest_mbox_and_maildir(env):
    tmp, db, files = env
    mb = mailbox.mbox(tmp / "box")
    for f in files:
        mb.add(open(f, "rb").read())
    mb.flush()
    md = mailbox.Maildir(tmp / "md")
    md.add(dsn("another@example.com", tag="md"))
    assert "ingested 3" in cli("ingest", "--mbox", tmp / "box", "--db", db).output
    assert "ingested 1" in cli("ingest", "--maildir", tmp / "md", "--db", db).output


def test_ingest_stdin(env):
    _, db, files = env
    r = cli("ingest", "-", "--db", db, input=open(files[0], "rb").read())
    assert "ingested 1" in r.output


def test_inspect_address_shows_state_history(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    r = cli("inspect", "Gone@Example.com", "--db", db)
    assert r.exit_code == 0, r.output
    assert "SUPPRESSED (hard, user_unknown)" in r.output and "5.1.1" in r.output and "mx.example.com" in r.output
    j = [json.loads(line) for line in cli("inspect", "gone@example.com", "--db", db, "--json").output.splitlines()]
    assert j[0]["type"] == "state" and j[0]["active_now"] is True and j[1]["reason"] == "user_unknown"


def test_a_forwarded_address_shows_where_it_failed(env):
    """The event is keyed on the address we mailed (Original-Recipient); the forward target that
    really failed is its own column in inspect's JSON, table and event listing, and the remote's
    diagnostic is left as the remote wrote it."""
    tmp, db, _ = env
    raw = (b"From: MAILER-DAEMON@relay.example.com\nTo: news@sender.example\nSubject: failure\nMIME-Version: 1.0\n"
           b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
           b"--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\n"
           b"Reporting-MTA: dns; relay.example.com\n\nFinal-Recipient: rfc822; jane.doe@mail.example.net\n"
           b"Original-Recipient: rfc822;jane@example.com\nAction: failed\nStatus: 5.1.1\n"
           b"Diagnostic-Code: smtp; 550 5.1.1 <jane.doe@mail.example.net>: User unknown\n--B--\n")
    (tmp / "fwd.eml").write_bytes(raw)
    assert cli("ingest", tmp / "fwd.eml", "--db", db).exit_code == 0
    lines = [json.loads(x) for x in cli("inspect", "jane@example.com", "--db", db, "--json").output.splitlines()]
    (event,) = [x for x in lines if x["type"] == "event"]
    assert (event["final_recipient"], event["diagnostic"]) == (
        "jane.doe@mail.example.net", "550 5.1.1 <jane.doe@mail.example.net>: User unknown")
    assert lines[0]["active_now"] is True
    assert "jane.doe@mail.example.net" in cli("inspect", "jane@example.com", "--db", db).output
    listed = cli("inspect", "events", "--address", "jane@example.com", "--db", db, "--csv").output
    assert "final_recipient" in listed.splitlines()[0] and "jane.doe@mail.example.net" in listed
    assert cli("inspect", "jane.doe@mail.example.net", "--db", db, "--json").output.count('"type": "event"') == 0


@pytest.mark.parametrize("sub", [["gone@example.com"], ["list"], ["stats"], ["events"]])
def test_inspect_takes_db_before_the_subcommand_too(env, sub):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    r = cli("inspect", "--db", db, *sub, "--json")
    assert r.exit_code == 0, r.output
    assert "gone@example.com" in r.output or '"user_unknown"' in r.output


def test_inspect_piped_into_head_exits_quietly(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    bounced = Path(sys.executable).with_name("bounced")
    # `true` exits at once, so every write of bounced meets a closed pipe
    out = subprocess.run(f"'{bounced}' inspect --db '{db}' events | true", shell=True, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_list_stats_events(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    rows = [json.loads(x) for x in cli("inspect", "list", "--db", db, "--json").output.splitlines()]
    assert [r["address"] for r in rows] == ["gone@example.com"]
    csv_out = cli("inspect", "list", "--db", db, "--csv", "--kind", "hard").output.splitlines()
    assert csv_out[0].startswith("address,") and len(csv_out) == 2
    stats = cli("inspect", "stats", "--db", db, "--by", "reason").output
    assert "sender-side problems" in stats and "blocky.example" in stats.split("sender-side problems")[1]
    ev = [json.loads(x) for x in cli("inspect", "events", "--db", db, "--json", "--reason", "mailbox_full").output.splitlines()]
    assert [e["address"] for e in ev] == ["full@example.net"]
    msg = cli("inspect", "message", "1", "--db", db).output
    assert "parse_status: ok" in msg and "Final-Recipient" in msg


def test_unsuppress_needs_reason_and_audits(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    r = cli("unsuppress", "gone@example.com", "--db", db)
    assert r.exit_code != 0 and "--reason" in r.output
    r = cli("unsuppress", "gone@example.com", "--db", db, "--reason", "  ")
    assert r.exit_code != 0
    r = cli("unsuppress", "gone@example.com", "--db", db, "--reason", "the client cleared the mailbox", "--by", "ann")
    assert r.exit_code == 0 and "lifted by ann" in r.output
    out = cli("inspect", "gone@example.com", "--db", db).output
    assert "not suppressed (lifted" in out and "the client cleared the mailbox" in out and "ann" in out


def test_reprocess_keeps_manual_decisions(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    cli("unsuppress", "gone@example.com", "--db", db, "--reason", "verified by phone")
    cli("suppress", "manual@example.org", "--db", db, "--reason", "asked to stop")
    r = cli("reprocess", "--db", db)
    assert r.exit_code == 0 and "messages 3" in r.output
    assert "not suppressed (lifted" in cli("inspect", "gone@example.com", "--db", db).output
    assert "SUPPRESSED (hard, asked to stop)" in cli("inspect", "manual@example.org", "--db", db).output


def test_import_export_roundtrip(env):
    tmp, db, _ = env
    src = tmp / "in.csv"
    src.write_text("email,reason,created_at\nA@Example.com,bounced,2024-05-01\nb@example.org,complained,\n")
    r = cli("import-suppressions", src, "--db", db)
    assert r.exit_code == 0 and "imported 2" in r.output
    out = cli("export-suppressions", "--db", db).output.splitlines()
    assert out[0] == "email,kind,reason,created_at,expires_at,source"
    assert "a@example.com,hard,bounced,2024-05-01T00:00:00.000Z,,import" in out


def test_prune(env):
    _, db, files = env
    cli("ingest", *files, "--db", db)
    r = cli("prune", "--raw-older-than", "0d", "--db", db)
    assert "pruned raw bytes of 3" in r.output
    assert "raw pruned" in cli("inspect", "message", "1", "--db", db).output


def test_prune_deletes_delivered_webhook_rows_before_the_cutoff_only(env):
    _, db, _ = env
    hooked = from_dict({"bounce": {"trust": "open"},
                        "web": {"webhooks": [{"url": "http://127.0.0.1:9/hook", "secret": "a-long-shared-secret-for-tests"}]}})
    with Store.open(db, hooked) as s:
        for a in ("old@example.com", "new@example.com", "waiting@example.com", "dead@example.com"):
            s.suppress(a, "test")
        ids = {r["address"]: r["id"] for r in s.conn.execute(
            "SELECT o.id, c.address FROM webhook_outbox o JOIN changes c ON c.id = o.change_id").fetchall()}
        for a in ("old@example.com", "new@example.com"):
            s.outbox_done(ids[a], delivered=True)
        s.outbox_done(ids["dead@example.com"], delivered=False, error="gone")
        s._write(lambda: s.conn.execute("UPDATE webhook_outbox SET delivered_at = ? WHERE id = ?",
                                        (to_text(utcnow() - timedelta(days=3)), ids["old@example.com"])))
    dry = cli("prune", "--raw-older-than", "2d", "--dry-run", "--db", db)
    assert dry.exit_code == 0 and "would prune 1 webhook outbox row(s)" in dry.output, dry.output
    r = cli("prune", "--raw-older-than", "2d", "--db", db)
    assert r.exit_code == 0 and "pruned 1 webhook outbox row(s)" in r.output, r.output
    with Store.open(db, readonly=True) as s:
        left = {r["address"]: r["status"] for r in s.conn.execute(
            "SELECT c.address, o.status FROM webhook_outbox o JOIN changes c ON c.id = o.change_id").fetchall()}
    assert left == {"new@example.com": "delivered", "waiting@example.com": "pending", "dead@example.com": "failed"}
    assert "pruned 1 webhook" in cli("prune", "--raw-older-than", "0d", "--db", db).output  # new@ now; pending, failed stay



def test_prune_deletes_alerts_no_webhook_still_waits_for(env):
    """An alert goes once it is older than the cutoff and every outbox row for it was delivered
    before the cutoff (or no webhook subscribed to it); one still pending stays, so does a new one."""
    _, db, _ = env
    hooked = from_dict({"web": {"webhooks": [{"url": "http://127.0.0.1:9/hook", "secret": "a-long-shared-secret-for-tests",
                                              "events": ["breaker.tripped"]}]}})
    old, new = utcnow() - timedelta(days=3), utcnow()
    with Store.open(db, hooked) as s:
        for typ, at in (("breaker.tripped", old), ("breaker.tripped", old), ("held.released", old),
                        ("breaker.tripped", new)):
            s._write(lambda typ=typ, at=at: s._record_alert(typ, at, {"domain": "example.com"}))
        rows = s.conn.execute("SELECT o.id, a.id FROM webhook_outbox o JOIN alerts a ON a.id = o.alert_id "
                              "ORDER BY a.id").fetchall()
        assert len(rows) == 3  # nobody subscribed to held.released
        s.outbox_done(rows[0][0], delivered=True)
        s._write(lambda: s.conn.execute("UPDATE webhook_outbox SET delivered_at = ? WHERE id = ?",
                                        (to_text(old), rows[0][0])))
    dry = cli("prune", "--raw-older-than", "2d", "--dry-run", "--db", db)
    assert "would prune 2 alert(s)" in dry.output, dry.output
    r = cli("prune", "--raw-older-than", "2d", "--db", db)
    assert r.exit_code == 0 and "pruned 2 alert(s)" in r.output, r.output
    with Store.open(db, readonly=True) as s:
        left = [(t, a == to_text(new)) for t, a in s.conn.execute("SELECT type, at FROM alerts ORDER BY id")]
    assert left == [("breaker.tripped", False), ("breaker.tripped", True)]  # the pending one, the new one

BAD = [
    ("missing-file", ["ingest", "/nonexistent/x.eml"], "No such file"),
    ("malformed-address", ["inspect", "nobody@", "--db", "{db}"], "missing domain"),
    ("no-database", ["inspect", "list", "--db", "{tmp}/none.db"], "no such database"),
    ("corrupt-database", ["inspect", "list", "--db", "{tmp}/corrupt.db"], "not a usable bounced database"),
    ("unwritable-dir", ["suppress", "a@example.com", "--reason", "x", "--create", "--db", "{tmp}/missing-dir/b.db"],
     "does not exist"),
    ("bad-duration", ["prune", "--raw-older-than", "soon", "--db", "{db}"], "not a duration"),
    ("bad-config", ["inspect", "list", "--config", "{tmp}/bad.toml"], "store.nope"),
    ("not-suppressed", ["unsuppress", "who@example.com", "--reason", "x", "--db", "{db}"], "is not suppressed"),
    ("import-no-column", ["import-suppressions", "{tmp}/nocol.csv", "--db", "{db}"], "no address column"),
]


@pytest.mark.parametrize("args,message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_one_clear_line(env, args, message):
    tmp, db, files = env
    cli("ingest", files[0], "--db", db)
    (tmp / "corrupt.db").write_bytes(b"garbage" * 1000)
    (tmp / "bad.toml").write_text("[store]\nnope = 1\n")
    (tmp / "nocol.csv").write_text("name,reason\nx,y\n")
    r = cli(*[a.format(db=db, tmp=tmp) for a in args])
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output and not isinstance(r.exception, (AttributeError, TypeError, KeyError))


def test_newer_schema_is_one_line(env):
    from bounced.store import Store

    _, db, files = env
    cli("ingest", files[0], "--db", db)
    with Store.open(db) as s:
        s.conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    r = cli("inspect", "list", "--db", db)
    assert r.exit_code == 2 and "newer than this bounced" in r.output
