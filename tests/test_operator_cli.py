"""What a mail administrator meets in the first hour, through the real CLI on real SQLite files:
listings, output safety, which database a command uses, actors, erasure, backup, retention."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced import config as config_mod
from bounced.cli import main
from bounced.config import Config
from bounced.ingest import prepare
from bounced.store import Store
from tests.storehelp import OPEN, dsn, open_config

BOUNCED = Path(sys.executable).with_name("bounced")


@pytest.fixture(autouse=True)
def trust_open(tmp_path, monkeypatch):
    """These test the operator's commands and the policy, not trust (tests/test_trust.py does)."""
    monkeypatch.setenv("BOUNCED_CONFIG", str(open_config(tmp_path)))


def cli(*args, input=None, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "b.db"
    Store.open(path).close()
    return str(path)


def fill(db: str, n: int, rcpt: str = "u{i}@example.com", diag: str = "550 5.1.1 user unknown") -> None:
    with Store.open(db, OPEN) as s:
        s.ingest_many([prepare(dsn(rcpt.format(i=i), diag=diag, tag=f"f{i}")) for i in range(n)])


# ------------------------------------------------------------------ item 6: per-type fields
@pytest.mark.parametrize("fmt", ["--json", "--csv"])
def test_inspect_address_keeps_every_record_types_fields(db: str, fmt: str) -> None:
    fill(db, 1, rcpt="gone@example.com")
    assert cli("unsuppress", "gone@example.com", "--reason", "checked", "--by", "ann", "--db", db).exit_code == 0
    out = cli("inspect", "gone@example.com", "--db", db, fmt).stdout
    rows = ([json.loads(x) for x in out.splitlines()] if fmt == "--json"
            else list(csv.DictReader(io.StringIO(out))))
    event = next(r for r in rows if r["type"] == "event")
    audit = next(r for r in rows if r["type"] == "audit")
    assert event["status"] == "5.1.1" and "user unknown" in event["diagnostic"] and event["remote_mta"]
    assert audit["actor"] == "ann" and audit["action"] == "unsuppress" and audit["reason"] == "checked"


# ------------------------------------------------------------------ item 7: no silent truncation
def test_listings_say_what_they_leave_out(db: str) -> None:
    fill(db, 130, rcpt="u{i}@d{i}.example")  # one domain each: no hard-bounce breaker holds them
    r = cli("inspect", "events", "--db", db)
    assert len(r.stdout.splitlines()) == 101  # header + 100
    assert "showing 100 of 130 events; --limit N or --all" in r.stderr
    r = cli("inspect", "list", "--db", db, "--json", "--limit", "7")
    assert len(r.stdout.splitlines()) == 7 and "showing 7 of 130 suppressions" in r.stderr
    r = cli("inspect", "events", "--db", db, "--csv", "--all")
    assert len(r.stdout.splitlines()) == 131 and "showing" not in r.stderr
    r = cli("inspect", "events", "--db", db, "--limit", "200")
    assert "showing" not in r.stderr


# ------------------------------------------------------------------ issue 12 item 10: terminal escapes
EVIL = "550 5.1.1 \x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07 user unknown \x9b31m"


def test_table_output_escapes_control_characters(db: str) -> None:
    fill(db, 1, rcpt="esc@example.com", diag=EVIL)
    for args in (["inspect", "esc@example.com"], ["inspect", "events"], ["inspect", "events", "--json"]):
        out = cli(*args, "--db", db).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, args
        assert "\\x1b]0;pwned" in out or "\\u001b]0;pwned" in out, args


def test_inspect_message_raw_bytes_only_when_asked_or_piped(db: str) -> None:
    fill(db, 1, rcpt="esc@example.com", diag=EVIL)
    piped = subprocess.run([str(BOUNCED), "inspect", "message", "1", "--db", db], capture_output=True, timeout=60)
    assert b"\x1b]0;pwned" in piped.stdout  # not a terminal: the text as stored
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(BOUNCED), [str(BOUNCED), "inspect", "message", "1", "--db", db])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    assert b"\x1b]0;pwned" not in out and b"\\x1b]0;pwned" in out


# ------------------------------------------------------------------ item 9: which database
def test_write_commands_never_create_a_database_by_accident(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    r = cli("suppress", "a@example.com", "--reason", "x", env={"BOUNCED_CONFIG": ""})
    assert r.exit_code == 2 and "no such database" in r.output and "--create" in r.output
    assert not (tmp_path / "bounced.db").exists()
    r = cli("suppress", "a@example.com", "--reason", "x", "--create", env={"BOUNCED_CONFIG": ""})
    assert r.exit_code == 0 and (tmp_path / "bounced.db").exists()


def test_check_with_a_wrong_database_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text("jane@example.com\n")
    r = cli("check", f, "--offline", "--db", tmp_path / "typo.db")
    assert r.exit_code == 2 and "typo.db" in r.output and "no such database" in r.output
    assert cli("check", f, "--offline", "--no-store").exit_code == 0


def test_the_cli_finds_the_daemons_database_from_the_system_config(tmp_path: Path, monkeypatch) -> None:
    """The system config's relative store.path is the daemon's, in its StateDirectory, wherever the
    command runs; `config show` says where each value came from."""
    system = tmp_path / "etc" / "bounced.toml"
    system.parent.mkdir()
    system.write_text('[store]\npath = "bounced.db"\n[server]\nmax_connections = 7\n')
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setattr(config_mod, "SYSTEM_CONFIG", system)
    monkeypatch.setattr(config_mod, "SYSTEM_STATE_DIR", state)
    monkeypatch.delenv("BOUNCED_CONFIG", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert config_mod.load().store.path == str(state / "bounced.db")
    # the daemon under systemd (STATE_DIRECTORY set, same file) agrees
    assert config_mod.load(environ={"STATE_DIRECTORY": str(state)}).store.path == str(state / "bounced.db")
    Store.open(state / "bounced.db").close()
    assert cli("suppress", "a@example.com", "--reason", "x").exit_code == 0
    assert not (elsewhere / "bounced.db").exists()
    shown = cli("config", "show").output
    assert f'store.path = "{state / "bounced.db"}"' in " ".join(shown.split())
    line = next(ln for ln in shown.splitlines() if ln.startswith("server.max_connections"))
    assert str(system) in line
    line = next(ln for ln in shown.splitlines() if ln.startswith("server.max_recipients"))
    assert "built-in default" in line


# ------------------------------------------------------------------ item 10: the actor behind sudo
def test_actor_is_the_sudo_user_unless_by_is_given(db: str) -> None:
    fill(db, 2)
    assert cli("unsuppress", "u0@example.com", "--reason", "ok", "--db", db, env={"SUDO_USER": "alice"}).exit_code == 0
    assert cli("unsuppress", "u1@example.com", "--reason", "ok", "--by", "bob", "--db", db,
               env={"SUDO_USER": "alice"}).exit_code == 0
    assert cli("suppress", "s@example.com", "--reason", "x", "--db", db, env={"SUDO_USER": "carol"}).exit_code == 0
    actors = {}
    for a in ("u0@example.com", "u1@example.com", "s@example.com"):
        rows = [json.loads(x) for x in cli("inspect", a, "--db", db, "--json").stdout.splitlines()]
        actors[a] = [r["actor"] for r in rows if r["type"] == "audit"][-1]
    assert actors == {"u0@example.com": "alice", "u1@example.com": "bob", "s@example.com": "carol"}


# ------------------------------------------------------------------ item 11: reprocess in batches
def test_reprocess_lets_other_writers_in_between_batches(db: str) -> None:
    """While reprocess runs, another connection (the daemon's writer) can commit: the re-parse runs
    outside any transaction and each batch is one short write."""
    fill(db, 30)
    other = Store.open(db, Config())
    other.conn.execute("PRAGMA busy_timeout = 200")
    writes = []

    def reparse(raw, mail_from, rcpts):
        other.ingest_many([prepare(dsn(f"w{len(writes)}@example.com", tag=f"w{len(writes)}"))])  # raises if locked
        writes.append(1)
        return prepare(raw, mail_from, rcpts).result

    with Store.open(db) as s:
        seen = []
        counts = s.reprocess(reparse, batch=7, progress=seen.append)
    other.close()
    assert counts["messages"] == 30 and len(writes) == 30 and seen == [7, 7, 7, 7, 2]


# ------------------------------------------------------------------ item 16: retention, erase, backup
def test_prune_dry_run_changes_nothing(db: str) -> None:
    fill(db, 3)
    r = cli("prune", "--raw-older-than", "0d", "--dry-run", "--db", db)
    assert r.exit_code == 0 and "would prune raw bytes of 3" in r.output
    assert "raw pruned" not in cli("inspect", "message", "1", "--db", db).output
    unit = Path(__file__).parent.parent / "systemd"
    timer, service = (unit / "bounced-prune.timer").read_text(), (unit / "bounced-prune.service").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    assert "ExecStart=/usr/local/bin/bounced prune --raw-older-than" in service


def test_erase_removes_the_address_and_keeps_a_pseudonymous_audit(db: str) -> None:
    with Store.open(db, OPEN) as s:
        two = dsn("gone@example.com", tag="m").replace(
            b"--BB--", b"--BB\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: gone@example.com\r\n--BB--")
        s.ingest_many([prepare(two), prepare(dsn("keep@example.com", tag="k"))])
        unparsed = b"From: x@y.example\r\nSubject: hello\r\n\r\nplease stop mailing Gone@Example.com\r\n"
        s.ingest_many([prepare(unparsed)])
    assert cli("unsuppress", "gone@example.com", "--reason", "r", "--db", db).exit_code == 0
    r = cli("erase", "gone@example.com", "--yes", "--db", db)
    assert r.exit_code == 0, r.output
    dump = "\n".join(sqlite3.connect(db).iterdump()).lower()
    assert "gone@example.com" not in dump and "gone=example.com" not in dump
    with Store.open(db) as s:
        assert s.message(3) is None  # the unparsed message that only named the address
        assert s.address_report("keep@example.com").active_now
        audit = s._rows("SELECT actor, action, address, detail FROM audit WHERE action = 'erase'")
    assert len(audit) == 1 and audit[0]["address"].startswith("erased:")
    assert "not suppressed, no events" in cli("inspect", "gone@example.com", "--db", db).output


def test_backup_is_a_consistent_copy_while_writing(tmp_path: Path, db: str) -> None:
    fill(db, 50)
    stop = threading.Event()

    def writer() -> None:
        i = 0
        with Store.open(db) as s:
            while not stop.is_set() and i < 2000:
                s.ingest_many([prepare(dsn(f"bg{i}@example.com", tag=f"bg{i}"))])
                i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        r = cli("backup", tmp_path / "copy.db", "--db", db)
    finally:
        stop.set()
        t.join()
    assert r.exit_code == 0 and "integrity check ok" in r.output, r.output
    with Store.open(tmp_path / "copy.db", readonly=True) as c:
        n = c.count_messages()
        events = c._rows("SELECT count(*) AS n FROM events")[0]["n"]
    assert n >= 50 and events == n  # every copied message has its event: one consistent moment
    assert oct(os.stat(tmp_path / "copy.db").st_mode & 0o777) == "0o600"
    r = cli("backup", tmp_path / "copy.db", "--db", db)
    assert r.exit_code != 0 and "already exists" in r.output


# ------------------------------------------------------------------ item 17: one set of rules
def test_unknown_reason_names_the_valid_ones(db: str) -> None:
    r = cli("inspect", "events", "--reason", "mailboxfull", "--db", db)
    assert r.exit_code == 2 and "unknown reason 'mailboxfull'" in r.output and "mailbox_full" in r.output


def test_suppress_and_check_agree_on_an_address(tmp_path: Path, db: str) -> None:
    f = tmp_path / "l.txt"
    f.write_text("a@b\n")
    checked = cli("check", f, "--offline", "--no-store")
    assert "invalid" in checked.stdout
    r = cli("suppress", "a@b", "--reason", "x", "--db", db)
    assert r.exit_code != 0 and "a@b" in r.output


def test_soft_suppression_by_hand_expires(db: str) -> None:
    assert cli("suppress", "s@example.com", "--kind", "soft", "--reason", "full", "--db", db).exit_code == 0
    assert cli("suppress", "t@example.com", "--reason", "moving", "--expires", "2d", "--db", db).exit_code == 0
    states = {a: json.loads(cli("inspect", a, "--db", db, "--json").stdout.splitlines()[0])
              for a in ("s@example.com", "t@example.com")}
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    soft = datetime.fromisoformat(states["s@example.com"]["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=13) < soft - now <= timedelta(days=14)
    hand = datetime.fromisoformat(states["t@example.com"]["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=1) < hand - now <= timedelta(days=2)


def test_a_schema_upgrade_is_announced(db: str) -> None:
    """A database from an older bounced is migrated by the first command that writes, and says so."""
    from bounced.store import SCHEMA_VERSION

    import sqlite_utils

    from bounced.store import MIGRATIONS

    os.unlink(db)
    c = sqlite3.connect(db, isolation_level=None)  # a database as bounced's schema version 2 left it
    old = sqlite_utils.Database(c)
    for v in (1, 2):
        MIGRATIONS[v](old)
    c.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
    c.close()
    r = cli("suppress", "m@example.com", "--reason", "x", "--db", db)
    assert r.exit_code == 0, r.output
    assert f"upgrading the database schema from version 2 to {SCHEMA_VERSION}" in r.stderr
    assert "schema upgraded in" in r.stderr
    assert Store.schema_version_of(db) == SCHEMA_VERSION


def test_erase_works_for_any_stored_address(db: str) -> None:
    """An address from a bounce need not pass the input validator (root@mailhost) to be erased."""
    fill(db, 1, rcpt="root@mailhost")
    assert "SUPPRESSED" in cli("inspect", "root@mailhost", "--db", db).output
    r = cli("erase", "root@mailhost", "--yes", "--db", db)
    assert r.exit_code == 0 and "erased root@mailhost: 1 event(s)" in r.output, r.output


def test_progress_line_has_an_estimate_and_stays_off_pipes() -> None:
    from bounced.cli.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    with Progress("checked", 10, stream=tty, interval=0) as p:
        p._start -= 20  # 20 s in
        p.advance(4)
    assert "checked 4 of 10 (40%), about 0:30 left" in tty.getvalue()
    with Progress("checked", 10, stream=pipe, interval=0) as p:
        p.advance(4)
    assert pipe.getvalue() == ""
