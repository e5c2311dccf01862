"""The README's mailer examples (examples/mailer.php, .mjs, .py, included verbatim in the README) run
against a real ``bounced web`` on loopback: check before send, report activity, follow the change
feed, verify a webhook signature made by bounced's own signer. (The signed VERP Return-Path, step 1
of each, is the Trust section's code, run by tests/test_signing_languages.py.)"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bounced.config import Config
from bounced.ingest import prepare
from bounced.store import Store
from bounced.web.webhooks import sign
from tests.storehelp import OPEN, dsn, hours
from tests.webhelp import LiveServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [("php", ["php"], "mailer.php"), ("node", ["node"], "mailer.mjs"), ("python", [sys.executable], "mailer.py")]


def runtime(cmd: list[str]):
    found = shutil.which(cmd[0]) or (cmd[0] if Path(cmd[0]).exists() else None)
    return pytest.mark.skipif(found is None and os.environ.get("CI") != "true", reason=f"{cmd[0]} is not installed")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    db = tmp_path_factory.mktemp("ex") / "b.db"
    with Store.open(db, OPEN) as s:
        s.ingest_many([prepare(dsn("Hard@Example.com", tag="1"), "", (), received_at=hours(0))])
    srv = LiveServer(db, OPEN).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("name,cmd,file", [pytest.param(*e, marks=runtime(e[1]), id=e[0]) for e in EXAMPLES])
def test_example_runs_against_a_live_api(live: LiveServer, name: str, cmd: list[str], file: str) -> None:
    token = live.token(f"{name}-mailer", "activity")
    body = '{"id":"7","type":"suppressed","address":"hard@example.com"}'
    good = sign("webhook-secret-of-the-mailer", int(time.time()), body.encode())
    env = {**os.environ, "BOUNCED_URL": live.url, "BOUNCED_TOKEN": token, "WEBHOOK_SECRET": "webhook-secret-of-the-mailer"}

    def run(address: str, signature: str) -> list[str]:
        p = subprocess.run([*cmd, str(ROOT / "examples" / file), address], capture_output=True, text=True, timeout=60,
                           env={**env, "WEBHOOK_SIGNATURE": signature, "WEBHOOK_BODY": body})
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()

    out = run(" <HARD@example.com> ", good)
    assert out[0] == "skip  <HARD@example.com> : hard user_unknown"
    assert out[1] == "recorded 1" and "change suppressed hard@example.com" in out and out[-1] == "signature ok"
    out = run("new@bücher.de", good.replace("v1=", "v1=0"))
    assert out[0] == "send to new@bücher.de"
    assert out[-1] == "signature bad"
    with Store.open(live.db, OPEN, readonly=True) as s:
        assert s.address_report("new@xn--bcher-kva.de").activity[-1]["source"] == f"api:{name}-mailer"


@pytest.mark.parametrize("file", [e[2] for e in EXAMPLES])
def test_readme_shows_the_tested_examples_verbatim(file: str) -> None:
    assert (ROOT / "examples" / file).read_text() in (ROOT / "README.md").read_text()
