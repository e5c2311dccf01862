"""The reader API in another process while the daemon ingests at full speed: no error reaches the
caller, and every address acknowledged before a query is suppressed in that query's answer."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bench.procs import ROOT, BouncedServer
from tests.reliability_helpers import RetryingLoad, assert_all_stored_once

SECONDS = 8
# durability, not trust or bursts: every synthetic bounce counts and none is held
COUNT_EVERYTHING = {"bounce": {"trust": "open"}, "breaker": {"enabled": False}}


@pytest.mark.slow
def test_reader_process_sees_no_error_and_every_acknowledged_address_while_daemon_writes(tmp_path):
    ack_log = tmp_path / "acked.txt"
    ack_log.touch()
    server = BouncedServer(tmp_path / "work", overrides=COUNT_EVERYTHING).start()
    load = RetryingLoad(server.port, workers=8, tag="reader", ack_log=ack_log).start()
    try:
        reader = subprocess.run(
            [sys.executable, "-m", "tests.reliability_helpers", "reader", str(server.db_path), str(ack_log),
             str(SECONDS)], cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 60)
        acked_during = len(load.acked)
        load.finish(timeout=60)
    finally:
        load._stop_new.set()
        server.stop()
    assert reader.returncode == 0, reader.stderr
    stats = json.loads(reader.stdout)
    assert stats["errors"] == []
    assert stats["inconsistent"] == []
    assert stats["queries"] > 100 and stats["known"] > 100, stats  # both sides were busy
    assert acked_during > 100
    assert_all_stored_once(load, server.db_path)
