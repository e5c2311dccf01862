"""`bounced check` through the real CLI, with DNS answered by a responder on 127.0.0.1."""
from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from bounced.check import DnsAnswer, Problem, parse, verdict
from bounced.cli import main
from bounced.config import Config
from bounced.store import Store
from bounced.typos import suggest
from tests.dnsserver import DnsServer

ZONE = {
    "mx.example": {"MX": [(10, "mail.mx.example.")]},
    "aonly.example": {"A": ["192.0.2.10"]},
    "v6only.example": {"AAAA": ["2001:db8::1"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "nomail.example": {"TXT": []},  # exists, but no MX/A/AAAA
    "broken.example": "SERVFAIL",
    "slow.example": "SLOW",
    "gmial.com": {"A": ["192.0.2.20"]},
}

CASES = [
    ("mx-ok", "jane@mx.example", "ok"),
    ("a-record-implicit-mx", "jane@aonly.example", "ok"),
    ("aaaa-implicit-mx", "jane@v6only.example", "ok"),
    ("null-mx", "jane@nullmx.example", "null_mx"),
    ("no-records", "jane@nomail.example", "no_mail_domain"),
    ("nxdomain", "jane@doesnotexist.example", "no_mail_domain"),
    ("servfail-is-unknown", "jane@broken.example", "dns_unknown"),
    ("timeout-is-unknown", "jane@slow.example", "dns_unknown"),
    ("typo-even-if-resolving", "jane@gmial.com", "typo"),
    ("invalid-syntax", "jane@@mx.example", "invalid"),
    ("missing-at", "jane.mx.example", "invalid"),
    ("role", "postmaster@mx.example", "role"),
]


@pytest.fixture(scope="module")
def dns_server():
    with DnsServer(ZONE) as s:
        yield s


def run_check(tmp_path, text, *args):
    f = tmp_path / "list.csv"
    f.write_text(text)
    r = CliRunner().invoke(main, ["check", str(f), "--no-store", *args])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    return r, rows


@pytest.mark.parametrize("address,status", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_case(tmp_path, dns_server, address, status, monkeypatch):
    monkeypatch.setenv("BOUNCED_CONFIG", str(tmp_path / "c.toml"))
    (tmp_path / "c.toml").write_text("[check]\ndns_timeout = 0.5\n")
    r, rows = run_check(tmp_path, f"email\n{address}\n", "--nameserver", f"127.0.0.1:{dns_server.port}")
    assert rows[0]["status"] == status, rows
    assert r.exit_code == (0 if status == "ok" else 1)


def test_each_domain_looked_up_once_and_duplicates(tmp_path, dns_server):
    dns_server.queries.clear()
    r, rows = run_check(tmp_path, "email,name\nA@mx.example,x\na@MX.example,y\nb@mx.example,z\n",
                        "--nameserver", f"127.0.0.1:{dns_server.port}")
    assert [x["status"] for x in rows] == ["ok", "duplicate", "ok"]
    assert [x["name"] for x in rows] == ["x", "y", "z"]  # original columns kept
    assert dns_server.queries.count(("mx.example", "MX")) == 1
    assert "duplicate 1" in r.stderr and "ok 2" in r.stderr


def test_suppressed_addresses_from_the_store(tmp_path):
    db = tmp_path / "b.db"
    with Store.open(db, Config()) as s:
        s.suppress("gone@mx.example", "hard bounce last year", kind="hard")
    f = tmp_path / "l.txt"
    f.write_text("Gone@MX.example\nfine@mx.example\n")
    r = CliRunner().invoke(main, ["check", str(f), "--offline", "--db", str(db)])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["status"] for x in rows] == ["suppressed", "ok"]
    assert "hard bounce last year" in rows[0]["detail"]


def test_typo_suggestion_and_output_file(tmp_path):
    out = tmp_path / "out.csv"
    f = tmp_path / "l.txt"
    f.write_text("jane@hotmial.com\n")
    r = CliRunner().invoke(main, ["check", str(f), "--offline", "-o", str(out), "--no-store"])
    row = next(csv.DictReader(out.open()))
    assert (row["status"], row["suggestion"]) == ("typo", "jane@hotmail.com")
    assert r.exit_code == 1


@pytest.mark.parametrize("domain,expected", [
    ("gmial.com", "gmail.com"), ("outlookk.com", "outlook.com"), ("hotmial.com", "hotmail.com"),
    ("yaho.com", "yahoo.com"), ("gmail.con", "gmail.com"), ("yahoo.cmo", "yahoo.com"), ("aol.con", "aol.com"),
    ("gmail.com", None), ("example.com", None), ("web.be", None), ("cox.com", None),
], ids=lambda v: str(v))
def test_typo_rule(domain, expected):
    assert suggest(domain) == expected


def test_verdict_orders_problems_by_severity():
    v = verdict(parse("info@gmial.com"), DnsAnswer.NONE, duplicate=True, suppressed=None)
    assert v.status == Problem.NO_MAIL_DOMAIN
    assert v.problems == (Problem.NO_MAIL_DOMAIN, Problem.TYPO, Problem.DUPLICATE, Problem.ROLE)


@pytest.mark.parametrize("content,args,message", [
    (None, [], "No such file"),
    ("name,phone\nx,y\n", [], "no address column"),
    ("email\na@b.example\n", ["--db", "{tmp}/corrupt.db"], "not a usable bounced database"),
], ids=["missing-file", "no-address-column", "corrupt-db"])
def test_bad_input_exits_2(tmp_path, content, args, message):
    f = tmp_path / "l.csv"
    if content is not None:
        f.write_text(content)
    (tmp_path / "corrupt.db").write_bytes(b"junk" * 1000)
    r = CliRunner().invoke(main, ["check", str(f), "--offline", *[a.format(tmp=tmp_path) for a in args]])
    assert r.exit_code == 2 and message in r.output


def test_latin1_and_utf16_lists_are_read(tmp_path) -> None:
    for enc in ("latin-1", "utf-16"):
        f = tmp_path / f"{enc}.csv"
        f.write_bytes("email,name\njose@mx.example,José\n".encode(enc))
        r = CliRunner().invoke(main, ["check", str(f), "--offline", "--no-store"])
        assert r.exit_code == 0, r.output
        assert list(csv.DictReader(io.StringIO(r.stdout)))[0]["name"] == "José"
