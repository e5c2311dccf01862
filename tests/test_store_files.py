"""The database file itself (issue 12, items 11, 12, 14, 17): odd paths opened read-only, the
mode of new files, permission problems and damaged schemas named at start, and a file deleted
under a running daemon. Real SQLite files, the real CLI and the real daemon throughout."""
from __future__ import annotations

import os
import shutil
import smtplib
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bounced.config import EXIT_CONFIG, Config, StoreConfig
from bounced.daemon import StartupError
from bounced.reader import SuppressionList
from bounced.store import Store, StoreError
from tests.daemon_helpers import (
    BOUNCE_DOMAIN,
    ROOT,
    config_dict,
    dsn,
    serve_cmd,
    stored_sha256s,
    wait_for,
    write_toml,
)
from tests.test_metrics import http


def _cfg(**store: object) -> Config:
    return Config(store=StoreConfig(**store))  # type: ignore[arg-type]


# -- item 12: read-only URIs ---------------------------------------------------------------------

@pytest.mark.parametrize("dirname", ["we#ird", "q?x", "pc%41", "sp ace"], ids=["hash", "question-mark", "percent", "space"])
def test_readonly_opens_take_any_path(tmp_path: Path, dirname: str) -> None:
    d = tmp_path / dirname
    d.mkdir()
    db = d / "a.db"
    with Store.open(db) as s:
        s.suppress("someone@example.com", "user_unknown")
    before = sorted(p.name for p in tmp_path.iterdir())
    with Store.open(db, readonly=True) as ro:
        assert ro.address_report("someone@example.com").active_now
        with pytest.raises(StoreError):  # mode=ro reached SQLite
            ro.suppress("other@example.com", "user_unknown")
    assert SuppressionList(db).is_suppressed("someone@example.com")
    r = subprocess.run(serve_cmd("inspect", "list", "--db", str(db), "--json"), cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "someone@example.com" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray files beside the directory
    assert {p.name for p in d.iterdir()} <= {"a.db", "a.db-wal", "a.db-shm", "a.db.verp-secret"}


# -- item 14: file mode --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o640, 0o600], ids=["0640", "0600"])
def test_new_database_files_get_the_configured_mode_whatever_the_umask(tmp_path: Path, mode: int) -> None:
    db = tmp_path / "bounced.db"
    old = os.umask(0o002)  # a umask that alone would leave the files world-readable
    try:
        with Store.open(db, _cfg(path=str(db), file_mode=mode)) as s:
            s.suppress("someone@example.com", "user_unknown")
            files = [db, db.with_name("bounced.db-wal"), db.with_name("bounced.db-shm")]
            modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    finally:
        os.umask(old)
    assert modes == {p.name: oct(mode) for p in files}


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "bounced.db"
    Store.open(db).close()
    db.chmod(0o660)
    Store.open(db, _cfg(path=str(db), file_mode=0o600)).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o660


# -- item 17: what stops a start is named ---------------------------------------------------------

def _as_nobody() -> list[str]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the CLI as another user")
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    bounced = str(Path(sys.executable).with_name("bounced"))
    if subprocess.run([*prefix, sys.executable, "-c", f"open({bounced!r}).close()"], capture_output=True).returncode:
        pytest.skip(f"nobody cannot read {bounced} (the checkout lies in a directory private to root)")
    return prefix


@pytest.fixture
def shared_dir() -> Path:
    """A directory another user can enter (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="bounced-perm-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("case", ["unreadable-file", "unwritable-directory"])
def test_permission_denied_at_start_says_so(shared_dir: Path, case: str) -> None:
    prefix = _as_nobody()
    db = shared_dir / "state" / "bounced.db"
    db.parent.mkdir()
    Store.open(db).close()  # root's database: 0640, root:root
    if case == "unwritable-directory":
        db.chmod(0o666)  # the file is fine, but SQLite must create its -wal beside it
        db.parent.chmod(0o755)
    else:
        db.parent.chmod(0o777)
    config = write_toml(shared_dir / "bounced.toml", config_dict(db))
    config.chmod(0o644)
    r = subprocess.run(prefix + serve_cmd("serve", "--config", str(config)), cwd="/", capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "nobody (uid" in r.stderr and ("not readable and writable" in r.stderr or "not writable" in r.stderr), r.stderr
    assert "not a usable" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert str(db.parent if case == "unwritable-directory" else db) in r.stderr


def _drop_table(db: Path, table: str) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()


def test_a_database_missing_a_table_does_not_start(tmp_path: Path, db_path: Path) -> None:
    Store.open(db_path).close()
    _drop_table(db_path, "events")
    with pytest.raises(StoreError, match=r"missing table\(s\) events"):
        Store.open(db_path)
    config = write_toml(tmp_path / "bounced.toml", config_dict(db_path))
    r = subprocess.run(serve_cmd("serve", "--config", str(config)), cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == EXIT_CONFIG  # no restart fixes a damaged file: the unit waits for the operator
    assert "missing table(s) events" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_the_daemon_refuses_a_database_missing_a_table(start_daemon, db_path: Path) -> None:
    Store.open(db_path).close()
    _drop_table(db_path, "suppressions")
    with pytest.raises(StartupError, match="suppressions"):
        start_daemon()


# -- item 11: the file deleted under a running daemon ----------------------------------------------

@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_deleted_database_stops_the_250s(start_daemon, db_path: Path, how: str) -> None:
    d = start_daemon()
    rcpt = [f"bounces@{BOUNCE_DOMAIN}"]
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.sendmail("", rcpt, dsn(token="before"))
    saved = stored_sha256s(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    if how == "replaced":  # a restore copied over the live file
        Store.open(db_path).close()
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        with pytest.raises(smtplib.SMTPDataError) as err:
            s.sendmail("", rcpt, dsn(token="after"))
    assert err.value.smtp_code == 451
    code, body = wait_for(lambda: (r := http(d.metrics_port, "/healthz"))[0] == 503 and r, 20, "503")
    assert f"was {how if how == 'deleted' else 'replaced'}" in body
    logged = d.log.events("store_unavailable") + d.log.events("store_unhealthy")
    assert any(f"was {how if how == 'deleted' else 'replaced'}" in str(e) for e in logged), logged
    assert len(saved) == 1
