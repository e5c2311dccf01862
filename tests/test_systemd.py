"""systemd/bounced.service: systemd's own checks (verify, security rating) and the settings the
daemon relies on (Type=notify with a watchdog, state and config directories)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "bounced.service"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None and os.environ.get("CI") != "true",
                                   reason="systemd-analyze is not installed")


def directives(unit: Path = UNIT) -> dict[str, list[str]]:
    """A unit file's settings, each key with its values in order."""
    out: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


@pytest.mark.parametrize("key,value", [
    ("Type", "notify"), ("DynamicUser", "yes"), ("StateDirectory", "bounced"),
    ("ConfigurationDirectory", "bounced"), ("CapabilityBoundingSet", ""), ("ProtectSystem", "strict"),
    ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("NoNewPrivileges", "yes"),
    ("MemoryDenyWriteExecute", "yes"), ("SystemCallFilter", "@system-service"),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"), ("ProtectProc", "invisible"), ("UMask", "0077"),
])
def test_unit_settings(key: str, value: str) -> None:
    assert value in directives().get(key, []), f"{key}={value} missing"


def test_unit_runs_bounced_serve_with_a_watchdog() -> None:
    d = directives()
    assert re.search(r"/bounced serve\b", d["ExecStart"][0])
    assert int(d["WatchdogSec"][0]) > 0
    assert "kill -HUP" in d["ExecReload"][0]


@needs_analyze
def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    # verify needs ExecStart's binary to exist: check a copy that points at this environment's bounced
    bounced = Path(sys.executable).with_name("bounced")
    assert bounced.exists(), bounced
    unit = tmp_path / "bounced.service"
    unit.write_text(re.sub(r"^ExecStart=\S+", f"ExecStart={bounced}", UNIT.read_text(), flags=re.M))
    r = subprocess.run([ANALYZE or "systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    problems = [ln for ln in r.stderr.splitlines() if "bounced.service" in ln
                and not (_systemd_version() < 254 and re.search(r"Unknown key (name )?'(RestartSteps|RestartMaxDelaySec)'", ln))]
    assert problems == [], r.stderr


def _systemd_version() -> int:
    out = subprocess.run([ANALYZE or "systemd-analyze", "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.match(r"systemd (\d+)", out)
    return int(m.group(1)) if m else 0


def test_the_unit_keeps_restarting_with_back_off_and_bounded_resources() -> None:
    """Issue 12, item 16: StartLimitBurst=5 in 60 s with RestartSec=2 left the unit failed ~10 s
    into a start-time fault, for good; and nothing bounded memory, tasks or descriptors."""
    d = directives()
    assert d["StartLimitIntervalSec"] == ["0"] and "StartLimitBurst" not in d
    assert d["Restart"] == ["on-failure"]
    assert int(d["RestartSteps"][0]) > 0 and int(d["RestartMaxDelaySec"][0]) > int(d["RestartSec"][0])
    assert d["RestartPreventExitStatus"] == ["78"]
    assert d["KillMode"] == ["mixed"]
    assert d["MemoryMax"] and d["TasksMax"] and int(d["LimitNOFILE"][0]) >= 1024


def test_a_bad_config_exits_78_which_the_unit_does_not_restart(tmp_path: Path) -> None:
    conf = tmp_path / "bounced.toml"
    conf.write_text("[server]\nmax_connections = 0\n")
    bounced = Path(sys.executable).with_name("bounced")
    r = subprocess.run([str(bounced), "serve", "--config", str(conf)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 78 and "server.max_connections" in r.stderr, r.stderr
    assert str(r.returncode) in directives()["RestartPreventExitStatus"]


@needs_analyze
def test_security_exposure_is_at_most_2() -> None:
    r = subprocess.run([ANALYZE or "systemd-analyze", "security", "--offline=yes", str(UNIT)], capture_output=True,
                       text=True, timeout=120)
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 2.0, r.stdout
