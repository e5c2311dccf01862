"""The README's PHP and Node signing code, run as written, gives the tags Python makes and checks.

The code blocks are taken from README.md itself (the ```php and ```js blocks of the Trust
section), so the documentation cannot drift from the implementation.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bounced import signing
from bounced.parse import verp
from bounced.signing import Keyring

README = Path(__file__).resolve().parent.parent / "README.md"
SECRET = "0123456789abcdef0123456789abcdef"
TIME = int(datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc).timestamp())
CASES = [("Jane@Example.com", "<123@mailer.example.org>"), ("o'neil+news@sub.example.co.uk", "abc.DEF@host"),
         ("x{s}y@example.org", "<{s}@m>")]


def block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, f"one ```{language} block in the README"
    return blocks[0]


def python_answers() -> list[str]:
    ring, at = Keyring((SECRET.encode(),)), datetime.fromtimestamp(TIME, timezone.utc)
    out = []
    for rcpt, mid in CASES:
        address = signing.encode(rcpt, ring, domain="bounce.example.org", at=at)
        assert signing.check_verp(verp.split(address), ring, at, 30).ok
        out += [address, signing.header_sig(ring.keys[0], mid, rcpt, signing.day_number(at))]
    return out


def run(language: str, binary: str | None) -> list[str]:
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{language} is not installed (.ci/run installs it)")
        pytest.skip(f"{language} is not installed")
    calls = []
    for rcpt, mid in CASES:
        if language == "php":
            calls.append(f"echo bounced_verp({rcpt!r}, '{SECRET}', 'bounce.example.org', {TIME}), \"\\n\";\n"
                         f"echo bounced_sig({mid!r}, {rcpt!r}, '{SECRET}', {TIME}), \"\\n\";\n")
        else:
            calls.append(f"console.log(bouncedVerp({rcpt!r}, '{SECRET}', 'bounce.example.org', {TIME}000));\n"
                         f"console.log(bouncedSig({mid!r}, {rcpt!r}, '{SECRET}', {TIME}000));\n")
    r = subprocess.run([binary, "-r" if language == "php" else "-e", block(language) + "".join(calls)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_php_matches_python():
    assert run("php", shutil.which("php")) == python_answers()


def test_node_matches_python():
    assert run("js", shutil.which("node")) == python_answers()


def test_the_readme_states_the_tested_vector():
    text = README.read_text()
    assert "bounces+Jane=Example.com=jyjvrxq223@bounce.example.org" in text and "`jyc764h6ff`" in text
