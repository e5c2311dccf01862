"""`bounced serve` and `bounced web` started while PostgreSQL is down: they start, answer 451 (the
daemon) or 503 (the API), say why on /healthz, and work as soon as the server is back; a database
that refuses them for good (wrong password, no such database) ends them with exit status 78, which
their units do not restart, and one line naming the problem."""
from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.procs import BouncedServer, child_env, free_port, write_config
from bench.synth import dsn, sha256_as_received
from bounced.config import EXIT_CONFIG, from_dict
from bounced.store import Store
from bounced.web.auth import hash_token, new_token
from tests.pgserver import PgServer

OPEN = {"bounce": {"trust": "open"}, "breaker": {"enabled": False}}


def send(port: int, raw: bytes) -> int:
    """One message over SMTP; the reply code to DATA (or to whatever refused it first)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.sendmail("", ["bounces@localhost"], raw)
        return 250
    except smtplib.SMTPResponseException as exc:
        return exc.smtp_code
    except smtplib.SMTPRecipientsRefused as exc:
        return next(iter(exc.recipients.values()))[0]


def wait_for(what, timeout: float = 60.0, step: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(step)


@pytest.fixture
def pg():
    server = PgServer().start()
    yield server
    server.destroy()


@pytest.mark.slow
def test_daemon_started_while_the_database_is_down_answers_451_then_accepts_when_it_is_back(tmp_path, pg):
    url = pg.create_database()
    pg.stop()
    mport = free_port()
    server = BouncedServer(tmp_path, db_path=url, overrides={
        **OPEN, "metrics": {"enabled": True, "host": "127.0.0.1", "port": mport}}).start()
    health = f"http://127.0.0.1:{mport}/healthz"
    raw = dsn(1, rcpt="jane@example.com", tag="startup")
    try:
        assert send(server.port, raw) == 451
        assert send(server.port, raw) == 451
        r = httpx.get(health, trust_env=False)
        assert r.status_code == 503 and "cannot connect" in r.text, r.text
        assert server.alive()
        pg.start()
        back = time.monotonic()
        assert wait_for(lambda: send(server.port, raw) == 250, timeout=60), server.log_tail()
        accepted_after = time.monotonic() - back
        assert send(server.port, raw) == 250  # the same bytes again: a duplicate, stored once
        assert wait_for(lambda: httpx.get(health, trust_env=False).status_code == 200, timeout=30)
    finally:
        code = server.stop()
    print(f"accepted {accepted_after:.2f}s after PostgreSQL came back")
    assert code == 0
    with Store.open(url, from_dict(OPEN)) as s:  # migrated by the daemon once it connected
        rows = s.conn.execute("SELECT sha256 FROM messages").fetchall()
        assert [r[0] for r in rows] == [sha256_as_received(raw)]
        assert s.conn.execute("SELECT count(*) FROM events WHERE address = 'jane@example.com'").fetchone()[0] == 1
    log = server.log_text()
    assert log.count('"store_unavailable"') <= 2  # logged per interval, not per message or check
    assert '"store_recovered"' in log and "Traceback" not in log


@pytest.mark.slow
def test_daemon_waiting_for_the_database_exits_78_when_it_answers_with_a_refusal(tmp_path, pg):
    import psycopg

    with psycopg.connect(pg.url(), autocommit=True) as c:
        c.execute("CREATE ROLE mx LOGIN PASSWORD 'right-password'")
    pg.stop()
    (tmp_path / "pgpass").write_text("wrong-password\n")
    server = BouncedServer(tmp_path, db_path=f"postgresql://mx@127.0.0.1:{pg.port}/postgres", overrides={
        **OPEN, "store": {"password_file": str(tmp_path / "pgpass")}}).start()
    try:
        assert send(server.port, dsn(1, tag="refused")) == 451
        pg.start()
        assert wait_for(lambda: not server.alive(), timeout=60), server.log_tail()
    finally:
        code = server.stop()
    assert code == EXIT_CONFIG
    log = server.log_text()
    assert '"store_refused"' in log and "password authentication failed" in log
    assert "Traceback" not in log and "wrong-password" not in log


def _serve(tmp_path: Path, url: str, password: str, *command: str) -> subprocess.CompletedProcess:
    pw = tmp_path / "pgpass"
    pw.write_text(password + "\n")
    cfg = write_config(tmp_path / "bounced.toml", {
        "server": {"listeners": [{"host": "127.0.0.1", "port": free_port()}]},
        "store": {"url": url, "password_file": str(pw), "connect_timeout": 5},
        "metrics": {"enabled": False}, "log": {"format": "json"}, **OPEN})
    env = {k: v for k, v in child_env().items() if not k.startswith("PG")}
    return subprocess.run([sys.executable, "-m", "bounced", *command, "--config", str(cfg)], capture_output=True,
                          text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture
def role(pg_server):
    """A login role with a password, reached over TCP (where the test server asks for passwords)."""
    import psycopg

    name = f"r{os.getpid()}"
    with psycopg.connect(pg_server.url(), autocommit=True) as c:
        c.execute(f"DROP ROLE IF EXISTS {name}")
        c.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'right-password'")
        c.execute(f"GRANT CREATE ON DATABASE postgres TO {name}")
    yield name
    with psycopg.connect(pg_server.url(), autocommit=True) as c:
        c.execute(f"DROP OWNED BY {name}")
        c.execute(f"DROP ROLE {name}")


@pytest.mark.parametrize("command", [["serve"], ["web", "--listen", "127.0.0.1:0"]], ids=["serve", "web"])
@pytest.mark.parametrize("case", ["wrong password", "no such database"])
def test_a_database_that_refuses_us_ends_it_with_78_and_one_line(tmp_path, pg_server, role, case, command):
    db = "no_such_db" if case == "no such database" else "postgres"
    url = f"postgresql://{role}@127.0.0.1:{pg_server.port}/{db}"
    r = _serve(tmp_path, url, "wrong-password" if case == "wrong password" else "right-password", *command)
    assert r.returncode == EXIT_CONFIG, r.stderr
    expected = "password authentication failed" if case == "wrong password" else 'database "no_such_db" does not exist'
    assert expected in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert "wrong-password" not in r.stderr + r.stdout  # the password is never shown


def _web(tmp_path: Path, url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cfg = write_config(tmp_path / "web.toml", {"store": {"url": url}, "web": {"pages": {"enabled": False}}, **OPEN})
    log = open(tmp_path / "web.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bounced", "web", "--config", str(cfg), "--listen",
                             f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=child_env())
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_web_started_while_the_database_is_down_answers_503_problems_then_lookups(tmp_path, pg):
    url = pg.create_database()
    token = new_token()
    with Store.open(url, from_dict(OPEN)) as s:
        s.create_token("mailer", "read", hash_token(token))
        s.suppress("jane@example.com", "asked by phone")
    pg.stop()
    proc, base = _web(tmp_path, url)
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30, trust_env=False)
    try:
        assert wait_for(lambda: _answers(client), timeout=30), (tmp_path / "web.log").read_text()
        for r in (client.get("/api/v1/suppressions/jane@example.com"),
                  client.post("/api/v1/suppressions/check", json={"addresses": ["jane@example.com"]})):
            assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
            assert "cannot connect" in r.json()["detail"] and r.headers["retry-after"]
        assert client.get("/healthz").status_code == 503
        pg.start()
        assert wait_for(lambda: client.get("/api/v1/suppressions/jane@example.com").status_code == 200, timeout=30)
        assert client.get("/api/v1/suppressions/jane@example.com").json()["suppressed"] is True
        assert proc.poll() is None
    finally:
        client.close()
        proc.terminate()
        proc.wait(20)
    assert "Traceback" not in (tmp_path / "web.log").read_text()


def _answers(client: httpx.Client) -> bool:
    try:
        client.get("/healthz")
        return True
    except httpx.TransportError:
        return False
