"""systemd/bounced-web.service: the same checks and standard as bounced.service (test_systemd.py)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_systemd import ANALYZE, directives, needs_analyze

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "bounced-web.service"
DAEMON = UNIT.with_name("bounced.service")


HARDENING = [k for k in directives(DAEMON) if k.startswith(("Protect", "Private", "Restrict", "Capability",
                                                              "NoNew", "SystemCall", "MemoryDeny", "LockPersonality",
                                                              "IPAddress", "UMask", "DynamicUser", "DevicePolicy",
                                                              "KeyringMode", "RemoveIPC", "ProcSubset"))]


@pytest.mark.parametrize("key", HARDENING)
def test_hardened_exactly_like_the_daemon(key: str) -> None:
    assert directives(UNIT).get(key) == directives(DAEMON)[key], key


def test_unit_runs_bounced_web_on_the_daemons_state_and_config() -> None:
    d = directives(UNIT)
    assert re.search(r"/bounced web\b", d["ExecStart"][0])
    for key in ("StateDirectory", "ConfigurationDirectory", "WorkingDirectory"):
        assert d[key] == directives(DAEMON)[key]


@needs_analyze
def test_what_no_retry_fixes_is_not_restarted_like_the_daemon() -> None:
    """`bounced web` exits 78 on a database that refuses it for good (tests/test_startup_pg.py)."""
    assert directives(UNIT)["RestartPreventExitStatus"] == directives(DAEMON)["RestartPreventExitStatus"] == ["78"]


def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    bounced = Path(sys.executable).with_name("bounced")
    unit = tmp_path / "bounced-web.service"
    unit.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={bounced}", UNIT.read_text(), flags=re.M))
    r = subprocess.run([ANALYZE or "systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stderr.splitlines() if "bounced-web.service" in ln] == [], r.stderr


@needs_analyze
def test_security_exposure_is_at_most_2() -> None:
    r = subprocess.run([ANALYZE or "systemd-analyze", "security", "--offline=yes", str(UNIT)], capture_output=True,
                       text=True, timeout=120)
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 2.0, r.stdout
