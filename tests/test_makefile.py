"""`make run` as a new user meets it: quiet install, and a config file when given one."""
from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def test_make_run_takes_a_config_file() -> None:
    assert "bounced serve --config '/etc/x y.toml'" in dry_run("run", "CONFIG=/etc/x y.toml", "-o", ".venv/.installed")
    assert dry_run("run", "-o", ".venv/.installed").rstrip().endswith("bounced serve")


def test_install_output_goes_to_a_log_not_the_terminal() -> None:
    recipe = dry_run("-B", "/nonexistent-venv/.installed", "VENV=/nonexistent-venv")
    assert ">/nonexistent-venv/install.log 2>&1" in recipe


def test_license_is_an_spdx_string() -> None:
    """A license table makes setuptools print a 10-line deprecation warning twice per build."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "Apache-2.0"
    assert any(r.startswith("setuptools>=77") for r in meta["build-system"]["requires"])
