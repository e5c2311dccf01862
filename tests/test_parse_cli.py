"""``bounced parse``: the real command (subprocess), JSON Lines schema, errors per file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "parse"
BOUNCED = [sys.executable, "-m", "bounced"]
KEYS = {"file", "format", "message_id", "original_message_id", "original_headers", "recipients", "error"}
RKEYS = {"recipient", "original_recipient", "action", "status", "reply_code", "diagnostic", "remote_mta",
         "last_attempt", "reason", "kind", "feedback_type"}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BOUNCED, "parse", *args], input=stdin, capture_output=True, timeout=120)


def test_json_lines_one_object_per_file_in_order() -> None:
    files = [str(DATA / n) for n in ("rfc3464-multi.eml", "arf-abuse.eml", "not-bounce-plain.eml")]
    proc = run("--json", *files)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [o["file"] for o in lines] == files
    for o in lines:
        assert set(o) == KEYS
        for r in o["recipients"]:
            assert set(r) == RKEYS
    assert [r["kind"] for r in lines[0]["recipients"]] == ["soft", "hard", "delay"]
    assert lines[1]["recipients"][0]["feedback_type"] == "abuse"
    assert lines[2]["recipients"] == [] and lines[2]["error"] is None


def test_unreadable_file_is_an_error_line_and_nonzero_exit() -> None:
    missing = str(DATA / "no-such-file.eml")
    proc = run("--json", missing, str(DATA / "rfc3464-single.eml"))
    assert proc.returncode != 0
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert lines[0]["file"] == missing and "no-such-file.eml" in lines[0]["error"]
    assert lines[1]["recipients"][0]["recipient"] == "nobody@rcpt.example"
    assert b"Traceback" not in proc.stderr
    assert b"could not be read" in proc.stderr


def test_stdin_and_summary() -> None:
    proc = run("-", stdin=(DATA / "rfc3464-single.eml").read_bytes())
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert out.startswith("-: rfc3464 nobody@rcpt.example hard user_unknown 5.1.1")
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize(("args", "header"), [
    pytest.param(["--header", "X-Campaign-ID"], "X-Campaign-ID", id="option"),
])
def test_extra_headers(args: list[str], header: str) -> None:
    proc = run("--json", *args, str(DATA / "rfc3464-single.eml"))
    assert json.loads(proc.stdout)["original_headers"][header] == "spring-2026"


def test_config_supplies_verp_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "bounced.toml"
    cfg.write_text('[bounce]\nlocal_parts = ["rt"]\nverp_delimiter = "-"\noriginal_headers = ["X-Campaign-ID"]\n')
    proc = run("--json", "--config", str(cfg), "--envelope-rcpt", "rt-zed=rcpt.example@b.example",
               str(DATA / "envelope-only.eml"))
    assert proc.returncode == 0, proc.stderr
    assert [r["recipient"] for r in json.loads(proc.stdout)["recipients"]] == ["zed@rcpt.example"]


def test_bad_config_is_one_line() -> None:
    proc = run("--config", "/nonexistent/bounced.toml", str(DATA / "rfc3464-single.eml"))
    assert proc.returncode != 0
    assert b"Traceback" not in proc.stderr and b"file not found" in proc.stderr


def test_parse_output_escapes_terminal_sequences(tmp_path) -> None:
    """A Diagnostic-Code carrying an OSC sequence is shown escaped, in the summary and in JSON."""
    from click.testing import CliRunner

    from bounced.cli import main
    from tests.storehelp import dsn

    f = tmp_path / "evil.eml"
    f.write_bytes(dsn("x@example.com", diag="550 5.1.1 \x1b]0;pwned\x07 user unknown \x9b31m"))
    for args in ([], ["--json"]):
        out = CliRunner().invoke(main, ["parse", *args, str(f)]).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, args
        assert "]0;pwned" in out
