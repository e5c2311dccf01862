"""A real PostgreSQL server in a temporary directory, for the tests and the benchmarks.

Debian's ``postgresql`` package ships initdb and pg_ctl under /usr/lib/postgresql/<major>/bin.
PostgreSQL refuses to run as root, so when we are root the cluster directory is given to the
``postgres`` user and the binaries run as that user (``runuser``). The server listens on a unix
socket in its own directory and on a loopback port (the outage tests stop and start it), with
``trust`` authentication for local connections only. ``durable=False`` turns fsync off: the tests
never crash the server itself, so they need its answers, not its disk flushes; the benchmarks keep
fsync on so that a commit costs what it costs in production.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def pg_bin() -> Path | None:
    """The newest installed server binaries, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """``PgServer().start()``; ``url(dbname)``; ``create_database()``; ``stop()``/``start()`` for outages."""

    def __init__(self, *, durable: bool = False) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = bindir
        self.durable = durable
        self.dir = Path(tempfile.mkdtemp(prefix="bounced-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self._as: list[str] = []
        self._n = 0
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.dir.chmod(0o755)

    def _run(self, *argv: str, **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *argv], check=True, capture_output=True, text=True, **kw)

    def init(self) -> "PgServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions")
        conf = {
            "listen_addresses": "'127.0.0.1'", "port": str(self.port), "unix_socket_directories": f"'{self.dir}'",
            "max_connections": "100", "shared_buffers": "32MB", "log_min_messages": "warning",
            "fsync": "on" if self.durable else "off", "full_page_writes": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        return self

    def start(self) -> "PgServer":
        if not self.data.exists():
            self.init()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, dbname: str = "postgres", *, tcp: bool = False) -> str:
        if tcp:
            return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def create_database(self) -> str:
        """A fresh empty namespace; returns its URL (unix socket). A schema of its own in one shared
        database, named by ``search_path`` in the URL: CREATE SCHEMA is instant where CREATE DATABASE
        copies a template (0.3 s here), and nothing the store does names a schema."""
        import psycopg

        self._n += 1
        name = f"t{os.getpid()}_{self._n}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url() + f"&options=-csearch_path%3D{name}"

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("%3D", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
