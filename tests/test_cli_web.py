"""``bounced web``, ``bounced token``: the real CLI over a real store; bad input is one clear line."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.cli.web import parse_listen
from bounced.config import Config
from bounced.store import Store
from bounced.web.auth import hash_token


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_token_printed_once_alone_on_the_last_line_and_stored_as_a_hash(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    assert "no such database" in run("token", "create", "php-mailer", "--db", db).output  # never by accident
    r = run("token", "create", "php-mailer", "--scope", "activity", "--db", db, "--create")
    assert r.exit_code == 0, r.output
    token = r.output.rstrip("\n").splitlines()[-1]
    assert token.startswith("bnc_") and len(token) > 40 and " " not in token
    with Store.open(db, Config()) as s:
        assert s.token_by_hash(hash_token(token)) == ("php-mailer", "activity")
        dump = "\n".join(s.conn.iterdump())
    assert token not in dump and hash_token(token) in dump
    listed = run("token", "list", "--db", db).output
    assert "php-mailer" in listed and "activity" in listed and token not in listed
    assert "exists" in run("token", "create", "php-mailer", "--db", db).output
    assert run("token", "revoke", "php-mailer", "--db", db).exit_code == 0
    r = run("token", "revoke", "php-mailer", "--db", db)
    assert r.exit_code == 1 and "no token named 'php-mailer'" in r.output
    assert "audit" not in run("token", "create", "bad name!", "--db", db).output
    assert run("token", "create", "x", "--scope", "root", "--db", db).exit_code == 2


@pytest.mark.parametrize("value,expect", [
    ("127.0.0.1:8025", ("127.0.0.1", 8025)), ("[::1]:80", ("::1", 80)), ("localhost:0", ("localhost", 0)),
])
def test_parse_listen(value: str, expect) -> None:
    assert parse_listen(value) == expect


@pytest.mark.parametrize("value", ["8025", "127.0.0.1", "127.0.0.1:99999", "::1:80", "host:port"])
def test_bad_listen_is_one_clear_line(tmp_path: Path, value: str) -> None:
    r = run("web", "--db", str(tmp_path / "b.db"), "--create", "--listen", value)
    assert r.exit_code == 2 and "HOST:PORT" in r.output and "Traceback" not in r.output


def test_web_refuses_a_missing_directory_and_a_busy_port(tmp_path: Path) -> None:
    for extra in ([], ["--create"]):
        r = run("web", "--db", str(tmp_path / "nope" / "b.db"), *extra)
        assert r.exit_code != 0 and "nope" in r.output and "Traceback" not in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([sys.executable, "-m", "bounced", "web", "--create", "--db", str(tmp_path / "b.db"), "--listen",
                            f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in p.stderr and "Traceback" not in p.stderr
