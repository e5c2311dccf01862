"""Start and stop the servers under measurement: ``bounced serve`` on a temp config and database, and
a do-nothing aiosmtpd server as the baseline. Shared by the benchmarks and the reliability tests.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.synth import wait_for_banner
from bounced.config import is_url
from bounced.tomlout import dumps

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bounced_command() -> list[str]:
    """``bounced`` from the same environment as this interpreter (the project's .venv)."""
    exe = Path(sys.executable).with_name("bounced")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bounced"]


def child_env() -> dict[str, str]:
    """This environment with this checkout first on PYTHONPATH: the children run in temp dirs, where a
    relative ``PYTHONPATH=.`` or the venv's editable install would import another checkout's code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    path.write_text(dumps(sections) + "\n", encoding="utf-8")
    return path


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` memory field (VmRSS, VmHWM) in kB, 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                out += [int(k) for k in kids]
                todo += [int(k) for k in kids]
        except OSError:
            continue
    return out


class BouncedServer:
    """``bounced serve`` as a subprocess on a free loopback port with its own config and database.

    ``overrides`` are merged into the config sections (e.g. ``{"server": {"max_connections": 5}}``).
    Logs go to ``log_path``; the database stays in place across :meth:`kill`/:meth:`start`.
    """

    def __init__(self, workdir: Path, overrides: dict[str, dict[str, Any]] | None = None,
                 db_path: Path | str | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        # a postgresql:// URL (a str) puts the store on that server; anything else is the SQLite file
        self.db_path: Any = db_path if is_url(str(db_path)) else Path(db_path) if db_path else self.workdir / "bounced.db"
        self.log_path = self.workdir / "serve.log"
        sections: dict[str, dict[str, Any]] = {
            "server": {"listeners": [{"host": "127.0.0.1", "port": self.port}], "hostname": "bounced.test"},
            "store": {"url": self.db_path} if is_url(str(self.db_path)) else {"path": str(self.db_path)},
            "metrics": {"enabled": False},
            "log": {"format": "json", "level": "info"},
        }
        for name, values in (overrides or {}).items():
            sections.setdefault(name, {}).update(values)
        self.config_path = write_config(self.workdir / "bounced.toml", sections)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = None

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to listen."""
        self._log = open(self.log_path, "ab")
        env = child_env()
        env.pop("NOTIFY_SOCKET", None)
        self.proc = subprocess.Popen(bounced_command() + ["serve", "--config", str(self.config_path)],
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, env=env)
        return self.proc

    def start(self, timeout: float = 30.0) -> "BouncedServer":
        self.spawn()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bounced serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                asyncio.run(wait_for_banner("127.0.0.1", self.port, timeout=0.5))
                return self
            except TimeoutError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"bounced serve did not listen within {timeout}s:\n{self.log_tail()}") from None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def peak_rss_kb(self) -> int:
        """Peak resident memory (VmHWM) of the server plus any worker processes it started."""
        return sum(status_kb(p, "VmHWM") for p in [self.pid, *descendants(self.pid)])

    def rss_kb(self) -> int:
        return sum(status_kb(p, "VmRSS") for p in [self.pid, *descendants(self.pid)])

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no cleanup runs."""
        if self.proc is not None and self.proc.poll() is None:
            kids = descendants(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._close_log()

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()
        return self.proc.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def __enter__(self) -> "BouncedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class NullServer:
    """The baseline: an aiosmtpd server whose DATA handler only answers 250 (bench/nullsmtp.py)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "NullServer":
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "nullsmtp.py"), str(self.port)],
                                     stdin=subprocess.DEVNULL)
        asyncio.run(wait_for_banner("127.0.0.1", self.port))
        return self

    def peak_rss_kb(self) -> int:
        assert self.proc is not None
        return status_kb(self.proc.pid, "VmHWM")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
