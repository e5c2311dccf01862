"""`bounced user add|passwd|remove|list` through click's runner over a real store file."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bounced.accounts import Passwords
from bounced.cli import main
from bounced.store import Store


def run(db: Path, *args: str, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(main, [*args, "--db", str(db)], input=input)


def test_add_stores_only_an_argon2_hash(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    r = run(db, "user", "add", "--create", "alice", "--role", "support", "--password-stdin", input="correct horse battery\n")
    assert r.exit_code == 0, r.output
    with Store.open(db) as s:
        u = s.user("alice")
    assert u["role"] == "support"
    assert u["password_hash"].startswith("$argon2id$") and "correct horse" not in u["password_hash"]
    assert Passwords().verify(u["password_hash"], "correct horse battery")
    assert not Passwords().verify(u["password_hash"], "correct horse batterx")


def test_add_prompts_twice(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    r = run(db, "user", "add", "--create", "bob", "--role", "viewer", input="long enough pw\nlong enough pw\n")
    assert r.exit_code == 0, r.output
    assert r.output.count("assword") == 2
    r = run(db, "user", "add", "--create", "carol", "--role", "viewer", input="long enough pw\ndifferent one!\n"
            "long enough pw\nlong enough pw\n")
    assert "do not match" in r.output.lower() or "match" in r.output.lower()


def test_errors_name_the_input(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    assert run(db, "user", "add", "--create", "alice", "--role", "admin", "--password-stdin", input="0123456789\n").exit_code == 0
    r = run(db, "user", "add", "--create", "alice", "--role", "admin", "--password-stdin", input="0123456789\n")
    assert r.exit_code == 1 and "'alice' exists already" in r.output
    r = run(db, "user", "add", "--create", "bad name", "--role", "admin", "--no-password")
    assert r.exit_code == 1 and "'bad name'" in r.output
    r = run(db, "user", "passwd", "alice", "--password-stdin", input="short\n")
    assert r.exit_code == 1 and "too short" in r.output
    r = run(db, "user", "remove", "nobody")
    assert r.exit_code == 1 and "'nobody'" in r.output
    assert "Traceback" not in r.output


def test_passwd_and_remove_end_sessions(tmp_path: Path) -> None:
    from datetime import timedelta

    from bounced.timeutil import utcnow

    db = tmp_path / "b.db"
    run(db, "user", "add", "--create", "alice", "--role", "viewer", "--password-stdin", input="first password\n")
    with Store.open(db) as s:
        s.create_session("h1", "alice", "csrf", "session", utcnow() + timedelta(hours=1))
        assert s.session("h1")["role"] == "viewer"
    assert run(db, "user", "passwd", "alice", "--password-stdin", input="second password\n").exit_code == 0
    with Store.open(db) as s:
        assert s.session("h1") is None
        assert Passwords().verify(s.user("alice")["password_hash"], "second password")
        s.create_session("h2", "alice", "csrf", "session", utcnow() + timedelta(hours=1))
    assert run(db, "user", "remove", "alice").exit_code == 0
    with Store.open(db) as s:
        assert s.session("h2") is None and s.user("alice") is None
    r = run(db, "user", "list")
    assert "alice" not in r.output
