"""`bounced ingest` of stored mail through the real CLI on real SQLite files: times, bytes, inputs."""
from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.store import Store
from tests.storehelp import open_config


def report(rcpt: str, date: str, status: str = "4.2.2", diag: str = "452 4.2.2 Mailbox full",
           last_attempt: str | None = None) -> bytes:
    """An RFC 3464 report written at ``date`` (RFC 5322), LF line ends as an mbox holds them."""
    la = f"Last-Attempt-Date: {last_attempt}\n" if last_attempt else ""
    return (
        "From: MAILER-DAEMON@mx.example.net\nTo: bounces@localhost\n"
        f"Date: {date}\nSubject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: <{abs(hash((rcpt, date)))}@mx.example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status;\n boundary="BB"\n\n'
        "--BB\nContent-Type: text/plain\n\nDelivery failed.\n"
        "--BB\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
        f"Arrival-Date: {date}\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: {status}\n{la}"
        f"Remote-MTA: dns; mx.example.org\nDiagnostic-Code: smtp; {diag}\n"
        "--BB--\n"
    ).encode()


@pytest.fixture(autouse=True)
def trust_open(tmp_path, monkeypatch):
    """These test ingest and the policy, not trust (tests/test_trust.py does)."""
    monkeypatch.setenv("BOUNCED_CONFIG", str(open_config(tmp_path)))


def cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "b.db"
    Store.open(path).close()
    return str(path)


def write_mbox(path: Path, messages: list[tuple[str, bytes]]) -> None:
    """An mbox as an MTA's local delivery writes it: a From_ line with the delivery time, then the bytes."""
    with path.open("wb") as fh:
        for from_time, raw in messages:
            fh.write(f"From MAILER-DAEMON {from_time}\n".encode() + raw + b"\n")


def events(db: str, *args: str) -> list[dict]:
    r = cli("inspect", "events", "--db", db, "--json", "--all", *args)
    assert r.exit_code == 0, r.output
    return [json.loads(x) for x in r.stdout.splitlines()]


def test_archive_keeps_the_reports_own_times(tmp_path: Path, db: str) -> None:
    """Three mailbox-full bounces two days apart in 2014: stored at their own dates, so the soft-bounce
    policy sees a run over four days and suppresses (it would not for three bounces within seconds)."""
    box = tmp_path / "archive.mbox"
    days = ["Sat, 01 Mar 2014 10:00:00 +0000", "Mon, 03 Mar 2014 10:00:00 +0000", "Wed, 05 Mar 2014 10:00:00 +0000"]
    write_mbox(box, [(f"Sat Mar  {d[5:7].lstrip('0'):>2} 10:00:05 2014".replace("Sat", d[:3]), report("full@example.org", d))
                     for d in days])
    r = cli("ingest", "--mbox", box, "--db", db)
    assert r.exit_code == 0 and "ingested 3" in r.output, r.output
    got = events(db, "--since", "2014-01-01", "--until", "2015-01-01")
    assert sorted(e["at"][:10] for e in got) == ["2014-03-01", "2014-03-03", "2014-03-05"]
    state = json.loads(cli("inspect", "full@example.org", "--db", db, "--json").stdout.splitlines()[0])
    assert state["kind"] == "soft" and state["suppressed_at"].startswith("2014-03-05")


def test_report_time_is_bounded_by_the_received_time(tmp_path: Path, db: str) -> None:
    """A report dated after its delivery (or in the future) is stamped with the delivery time instead;
    Last-Attempt-Date wins over Date when both are sane."""
    box = tmp_path / "box.mbox"
    write_mbox(box, [
        ("Tue Jun 10 08:00:00 2014", report("late@example.org", "Fri, 01 Jan 2100 00:00:00 +0000", status="5.1.1",
                                            diag="550 5.1.1 user unknown")),
        ("Tue Jun 10 08:00:00 2014", report("la@example.org", "Tue, 10 Jun 2014 07:00:00 +0000", status="5.1.1",
                                            diag="550 5.1.1 user unknown",
                                            last_attempt="Tue, 10 Jun 2014 06:30:00 +0000")),
    ])
    assert cli("ingest", "--mbox", box, "--db", db).exit_code == 0
    by = {e["address"]: e["at"] for e in events(db)}
    assert by["late@example.org"].startswith("2014-06-10T08:00:00")
    assert by["la@example.org"].startswith("2014-06-10T06:30:00")


def test_mbox_stores_the_original_bytes(tmp_path: Path, db: str) -> None:
    """The same bounce from a file and from an mbox is one message, not two."""
    raw = report("dup@example.org", "Tue, 10 Jun 2014 07:00:00 +0000", status="5.1.1", diag="550 5.1.1 user unknown")
    raw = raw.replace(b"Subject: Undelivered Mail Returned to Sender",
                      b"Subject: Undelivered Mail Returned to Sender because of a very long reason that\n"
                      b"\tgoes on and on")  # folded header: re-serializing changes it
    eml = tmp_path / "one.eml"
    eml.write_bytes(raw)
    box = tmp_path / "box.mbox"
    write_mbox(box, [("Tue Jun 10 08:00:00 2014", raw)])
    assert "ingested 1" in cli("ingest", eml, "--db", db).output
    r = cli("ingest", "--mbox", box, "--db", db)
    assert "ingested 0, duplicates 1" in r.output, r.output
    with Store.open(db) as s:
        assert s.message(1)["raw"] == raw


def test_maildir_is_listed_once_not_per_message(tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One Maildir object for the whole folder: the directory is listed a fixed number of times, not
    once per message (5,000 messages took 74.9 s that way against 5.6 s as an mbox)."""
    md = mailbox.Maildir(tmp_path / "md")
    for i in range(40):
        md.add(report(f"u{i}@example.org", "Tue, 10 Jun 2014 07:00:00 +0000", status="5.1.1", diag="550 5.1.1 no"))
    calls = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda p=".": calls.append(p) or real(p))
    r = cli("ingest", "--maildir", tmp_path / "md", "--db", db)
    assert r.exit_code == 0 and "ingested 40" in r.output, r.output
    assert len(calls) < 10, f"{len(calls)} directory listings for 40 messages"


def test_maildir_keeps_delivery_time_as_bound(tmp_path: Path, db: str) -> None:
    md = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "new" / "1402387200.M1P1.host").write_bytes(  # 2014-06-10T08:00:00Z
        report("md@example.org", "Sat, 01 Jan 2050 00:00:00 +0000", status="5.1.1", diag="550 5.1.1 no"))
    assert cli("ingest", "--maildir", md, "--db", db).exit_code == 0
    assert events(db)[0]["at"].startswith("2014-06-10T08:00:00")


def test_mbox_on_stdin_is_read_as_an_mbox(tmp_path: Path, db: str) -> None:
    box = tmp_path / "box.mbox"
    write_mbox(box, [("Tue Jun 10 08:00:00 2014", report(f"s{i}@example.org", "Tue, 10 Jun 2014 07:00:00 +0000",
                                                          status="5.1.1", diag="550 5.1.1 no")) for i in range(5)])
    r = cli("ingest", "-", "--db", db, input=box.read_bytes())
    assert r.exit_code == 0 and "ingested 5" in r.output, r.output
    assert len(events(db)) == 5


def test_mbox_option_refuses_a_single_message(tmp_path: Path, db: str) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(report("x@example.org", "Tue, 10 Jun 2014 07:00:00 +0000"))
    r = cli("ingest", "--mbox", eml, "--db", db)
    assert r.exit_code != 0 and "not an mbox" in r.output and "one.eml" in r.output
    assert "Traceback" not in r.output


def test_ingest_applies_the_daemons_size_limit(tmp_path: Path, db: str) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text(f'[server]\nmax_message_size = 100000\n[store]\npath = "{db}"\n')
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300_000))
    ok = tmp_path / "ok.eml"
    ok.write_bytes(report("fine@example.org", "Tue, 10 Jun 2014 07:00:00 +0000", status="5.1.1", diag="550 5.1.1 no"))
    r = cli("ingest", big, ok, "--config", conf)
    assert r.exit_code == 1, r.output
    assert "big.bin" in r.output and "max_message_size" in r.output and "ingested 1" in r.output
    r = cli("ingest", "-", "--config", conf, input=os.urandom(300_000))
    assert r.exit_code == 1 and "<stdin>" in r.output and "max_message_size" in r.output
    with Store.open(db) as s:
        assert s.count_messages() == 1


def test_ingest_shows_progress_on_a_terminal_only(tmp_path: Path, db: str) -> None:
    """Under a pseudo-terminal the run shows a count with an estimate; in a pipe only the summary."""
    box = tmp_path / "box.mbox"
    write_mbox(box, [("Tue Jun 10 08:00:00 2014", report(f"p{i}@example.org", "Tue, 10 Jun 2014 07:00:00 +0000",
                                                          status="5.1.1", diag="550 5.1.1 no")) for i in range(3)])
    bounced = Path(sys.executable).with_name("bounced")
    piped = subprocess.run([str(bounced), "ingest", "--mbox", str(box), "--db", db], capture_output=True, text=True,
                           timeout=60)
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout.startswith("ingested 3")
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: stderr is the terminal
        os.execv(str(bounced), [str(bounced), "ingest", "--mbox", str(box), "--db", db, "--create"])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    assert b"ingested 3 of 3 (100%)" in out, out


def test_daemon_time_is_untouched_by_report_dates() -> None:
    """prepare() without a received time stamps now (the daemon's receive time), whatever the Date says."""
    from bounced.ingest import prepare

    inc = prepare(report("d@example.org", "Sat, 01 Mar 2014 10:00:00 +0000"))
    assert inc.received_at.year == datetime.now(timezone.utc).year
