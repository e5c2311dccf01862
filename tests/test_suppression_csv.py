"""Suppression lists in and out through the real CLI on real SQLite files: round trips, other
providers' exports, hostile and broken files."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.store import Store
from bounced.suppression_csv import COLUMNS, KIND_VALUES, neutralize


def cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "b.db"
    Store.open(path).close()
    return str(path)


def state(db: str, address: str) -> dict:
    r = cli("inspect", address, "--db", db, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout.splitlines()[0])


def import_file(tmp_path: Path, db: str, data: bytes | str, *args: str, name: str = "in.csv"):
    f = tmp_path / name
    f.write_bytes(data if isinstance(data, bytes) else data.encode())
    return cli("import-suppressions", f, "--db", db, *args)


def test_export_then_import_round_trips_every_column(tmp_path: Path, db: str) -> None:
    """A soft suppression keeps its expiry, a manual one its source and reason, through export and import."""
    assert cli("suppress", "soft@example.org", "--kind", "soft", "--reason", "mailbox full for a week",
               "--db", db).exit_code == 0
    assert cli("suppress", "hard@example.org", "--reason", "asked by phone", "--db", db).exit_code == 0
    assert cli("suppress", "c@example.org", "--kind", "complaint", "--reason", "feedback", "--expires", "90d",
               "--db", db).exit_code == 0
    first = cli("export-suppressions", "--db", db).stdout
    db2 = tmp_path / "b2.db"
    r = cli("import-suppressions", "-", "--db", db2, "--create", input=first)
    assert r.exit_code == 0 and "imported 3, skipped 0" in r.output, r.output
    second = cli("export-suppressions", "--db", db2).stdout
    assert second == first
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(second))}
    assert rows["soft@example.org"]["expires_at"] and rows["hard@example.org"]["expires_at"] == ""
    assert rows["hard@example.org"]["source"] == "manual"
    # reprocess replays the import from the audit log, expiry included
    assert cli("reprocess", "--db", db2).exit_code == 0
    assert cli("export-suppressions", "--db", db2).stdout == first


PROVIDERS = [
    ("ses-headerless", "jane@example.com,BOUNCE\njoe@example.com, COMPLAINT\n",
     {"jane@example.com": "hard", "joe@example.com": "complaint"}, {}),
    ("ses-api", "EmailAddress,Reason,LastUpdateTime\njane@example.com,BOUNCE,1589318400\n"
                "joe@example.com,COMPLAINT,2020-05-13T00:00:00Z\n",
     {"jane@example.com": "hard", "joe@example.com": "complaint"},
     {"jane@example.com": "2020-05-12T21:20:00", "joe@example.com": "2020-05-13T00:00:00"}),
    ("postmark", "EmailAddress,SuppressionReason,Origin,CreatedAt\n"
                 "jane@example.com,HardBounce,Recipient,2020-03-10T12:00:00-05:00\n"
                 "joe@example.com,SpamComplaint,Recipient,2020-03-11T00:00:00Z\n"
                 "ann@example.com,ManualSuppression,Customer,2020-03-12T00:00:00Z\n",
     {"jane@example.com": "hard", "joe@example.com": "complaint", "ann@example.com": "hard"},
     {"jane@example.com": "2020-03-10T17:00:00"}),
    ("mailgun-rfc2822", "address,code,error,created_at\n"
                        'jane@example.com,550,"550 5.1.1 The email account does not exist","Fri, 21 Oct 2011 11:02:55 GMT"\n'
                        'joe@example.com,452,"452 4.2.2 Mailbox full","Sat, 22 Oct 2011 11:02:55 GMT"\n',
     {"jane@example.com": "hard", "joe@example.com": "soft"},
     {"jane@example.com": "2011-10-21T11:02:55", "joe@example.com": "2011-10-22T11:02:55"}),
    ("sendgrid", "email,created,reason,status\n"
                 'jane@example.com,1443651125,"550 5.1.1 unknown user",5.1.1\n'
                 'joe@example.com,2015-10-01 12:00:00,"452 4.2.2 over quota",4.2.2\n',
     {"jane@example.com": "hard", "joe@example.com": "soft"},
     {"jane@example.com": "2015-09-30T22:12:05", "joe@example.com": "2015-10-01T12:00:00"}),
    ("semicolon-e-mail", "E-Mail;Grund\njane@example.com;x\n", {"jane@example.com": "hard"}, {}),
]


@pytest.mark.parametrize("text,kinds,dates", [p[1:] for p in PROVIDERS], ids=[p[0] for p in PROVIDERS])
def test_other_providers_exports(tmp_path: Path, db: str, text: str, kinds: dict, dates: dict) -> None:
    r = import_file(tmp_path, db, text)
    assert r.exit_code == 0, r.output
    assert f"imported {len(kinds)}, skipped 0" in r.output
    for address, kind in kinds.items():
        s = state(db, address)
        assert s["kind"] == kind, (address, s)
        # hard and complaint until lifted; soft for the policy's 14 days from its own date
        assert (s["expires_at"] is None) == (kind != "soft") and s["active_now"] is (kind != "soft"), (address, s)
    for address, date in dates.items():
        assert state(db, address)["suppressed_at"].startswith(date), address


def test_a_temporary_failure_is_never_imported_as_hard(tmp_path: Path, db: str) -> None:
    r = import_file(tmp_path, db, "email,kind,status\njoe@example.com,hard,4.2.2\n")
    assert r.exit_code == 0 and "temporary failure" in r.output
    s = state(db, "joe@example.com")
    assert s["kind"] == "soft" and s["expires_at"]  # and a soft suppression expires by the policy


def test_each_bad_row_is_named_and_the_rest_imported(tmp_path: Path, db: str) -> None:
    huge = "x" * (200 * 1024)
    text = ("email,created_at\n"
            "ok1@example.com,2020-01-01\n"
            f'big@example.com,"{huge}"\n'
            "future@example.com,2999-01-01\n"
            "epoch@example.com,1970-01-01T00:00:00Z\n"
            "nul@exam\x00ple.com,2020-01-01\n"
            "a@b,2020-01-01\n"
            'ok2@example.com,"Mon, 06 Jan 2020 10:00:00 +0000"\n')
    r = import_file(tmp_path, db, text)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and "imported 2, skipped 5" in r.output
    for line, why in ((3, "larger than 128 KiB"), (4, "in the future"), (5, "before 1996"), (6, "NUL"), (7, "a@b")):
        assert any(f"line {line}:" in ln and why in ln for ln in r.output.splitlines()), (line, r.output)
    assert state(db, "ok2@example.com")["suppressed_at"].startswith("2020-01-06T10:00:00")


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-16-le"])
def test_encodings_are_detected(tmp_path: Path, db: str, encoding: str) -> None:
    data = "email,reason\njosé@example.com,café fermé\n".encode(encoding)
    r = import_file(tmp_path, db, data)
    assert r.exit_code == 0, r.output
    assert state(db, "josé@example.com")["reason"] == "café fermé"


def test_encoding_option(tmp_path: Path, db: str) -> None:
    data = "email,reason\nmax@example.com,Größe\n".encode("cp850")
    assert import_file(tmp_path, db, data, "--encoding", "cp850").exit_code == 0
    assert state(db, "max@example.com")["reason"] == "Größe"
    r = import_file(tmp_path, db, data, "--encoding", "klingon")
    assert r.exit_code != 0 and "unknown encoding" in r.output


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)"]


@pytest.mark.parametrize("payload", FORMULAS)
def test_export_neutralizes_formulas_and_import_restores_them(tmp_path: Path, db: str, payload: str) -> None:
    assert cli("suppress", "x@example.org", "--reason", payload, "--db", db).exit_code == 0
    out = cli("export-suppressions", "--db", db).stdout
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["reason"] == "'" + payload
    db2 = tmp_path / "b2.db"
    assert cli("import-suppressions", "-", "--db", db2, "--create", input=out).exit_code == 0
    assert state(str(db2), "x@example.org")["reason"] == payload


def test_check_output_neutralizes_formulas(tmp_path: Path) -> None:
    f = tmp_path / "list.csv"
    f.write_text("email,name\njane@example.com,=HYPERLINK(\"http://x\")\n")
    r = cli("check", f, "--offline", "--no-store")
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    assert row["name"].startswith("'=")


def test_tables_cite_their_sources() -> None:
    for row in (*COLUMNS, *KIND_VALUES):
        assert row[-1].strip() and row[-2].strip(), row
    assert neutralize("plain") == "plain" and neutralize(None) == ""


def test_import_and_check_accept_the_same_address_columns(tmp_path: Path, db: str) -> None:
    for header in ("E-Mail", "EmailAddress", "address", "email_address", "recipient"):
        f = tmp_path / f"{header}.csv"
        f.write_text(f"{header}\njane@mx.example\n")
        assert cli("check", f, "--offline", "--no-store").exit_code == 0, header
        assert cli("import-suppressions", f, "--db", db).exit_code == 0, header
