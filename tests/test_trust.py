"""Only genuine bounces suppress (issue 15): real daemons on loopback, real SQLite files, the real CLI.

The attack: anyone who can mail the bounce address sends a 15-line DSN naming other people as
Final-Recipients. Under trust "bound" and "signed" it must change no suppression and stay
visible as untrusted; a signed VERP return path suppresses exactly its own recipient.
"""
from __future__ import annotations

import json
import os
import smtplib
import sqlite3
import stat
import subprocess
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bounced import keyfiles, signing
from bounced.config import from_dict
from bounced.store import Store
from tests.daemon_helpers import BOUNCE_DOMAIN, config_dict, make_config, serve_cmd, write_toml

CEO, CFO, ALICE = "ceo@bigcustomer.example", "cfo@bigcustomer.example", "alice@example.com"


def report(recipients: list[str], token: str, *, original_id: str | None = None, sig: str | None = None,
           status: str = "5.1.1") -> bytes:
    """A DSN naming ``recipients``; with ``original_id`` (and ``sig``) it quotes the original's headers."""
    blocks = "".join(f"Final-Recipient: rfc822; {r}\r\nAction: failed\r\nStatus: {status}\r\n"
                     f"Diagnostic-Code: smtp; 550 {status} user unknown\r\n\r\n" for r in recipients)
    original = ""
    if original_id:
        original = ("--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: news@sender.example\r\n"
                    f"Message-ID: {original_id}\r\n" + (f"X-Bounced-Sig: {sig}\r\n" if sig else "") + "Subject: hi\r\n\r\n")
    return ("From: MAILER-DAEMON@mx.attacker.example\r\nTo: bounces@bounce.example\r\n"
            f"Subject: Undelivered Mail {token}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.attacker.example\r\n\r\n"
            f"{blocks}{original}--B--\r\n").encode()


def send(port: int, rcpt: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
        c.sendmail("<>", [rcpt], raw)  # raises unless 250: an untrusted bounce is still stored


def active(db: Path) -> set[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT address FROM active_suppressions")}
    finally:
        con.close()


def cli(db: Path, *args: str, config: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    extra = ["--config", str(config)] if config else []
    return subprocess.run(serve_cmd(*args, "--db", str(db), *extra), capture_output=True, text=True, check=check,
                          env={**os.environ, "BOUNCED_CONFIG": ""})


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def keyring_of(db: Path):
    return keyfiles.load(make_config(db), str(db))


def signed(db: Path, recipient: str, at: datetime | None = None) -> str:
    return signing.encode(recipient, keyring_of(db), domain=BOUNCE_DOMAIN, at=at)


# ---------------------------------------------------------------------------------- the forged DSN
@pytest.mark.parametrize("level", ["bound", "signed"])
def test_forged_dsn_suppresses_nobody_and_is_visible_as_untrusted(start_daemon, db_path, level):
    d = start_daemon(bounce={"trust": level})
    send(d.port(), f"bounces+alice=example.com@{BOUNCE_DOMAIN}", report([CEO, CFO], "forged"))
    assert active(db_path) == set()
    rows = json_lines(cli(db_path, "inspect", "events", "--untrusted", "--json").stdout)
    assert {r["address"] for r in rows} == {CEO, CFO}
    assert all(r["policy_action"] == "untrusted" and "VERP envelope names alice@example.com" in r["trust_note"]
               for r in rows)
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{d.metrics_port}/metrics", timeout=10).read().decode()
    assert "bounced_untrusted_events_total 2.0" in metrics


def test_forged_dsn_to_the_plain_address_suppresses_nobody(start_daemon, db_path):
    d = start_daemon()  # default trust: bound
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([CEO, CFO], "plain"))
    assert active(db_path) == set()
    notes = {r["trust_note"] for r in json_lines(cli(db_path, "inspect", "events", "--json").stdout)}
    assert notes == {"no proof: no VERP, no X-Bounced-Sig, Message-ID not registered for it"}


def test_open_trust_is_forgeable_as_documented(start_daemon, db_path):
    d = start_daemon(bounce={"trust": "open"})
    send(d.port(), f"bounces+alice=example.com@{BOUNCE_DOMAIN}", report([CEO, CFO], "open"))
    assert active(db_path) == {CEO, CFO}


# ---------------------------------------------------------------------------------- signed VERP
def test_signed_verp_suppresses_exactly_its_recipient(start_daemon, db_path):
    d = start_daemon()
    send(d.port(), signed(db_path, ALICE), report([ALICE, CEO], "signed"))
    assert active(db_path) == {ALICE}
    untrusted = json_lines(cli(db_path, "inspect", "events", "--untrusted", "--json").stdout)
    assert [r["address"] for r in untrusted] == [CEO]


def test_a_dsn_with_500_recipients_suppresses_at_most_the_verp_one(start_daemon, db_path):
    d = start_daemon()
    victims = [f"user{i}@victim{i % 7}.example" for i in range(499)]
    send(d.port(), signed(db_path, ALICE), report([ALICE, *victims], "many"))
    assert active(db_path) == {ALICE}
    con = sqlite3.connect(db_path)
    untrusted = con.execute("SELECT count(DISTINCT address), count(DISTINCT domain) FROM events WHERE trusted = 0").fetchone()
    assert untrusted[0] >= 100 and untrusted[1] == 7  # however many of the 499 the parser reads, none counts


@pytest.mark.parametrize("mangle, why", [
    (lambda a: a.rsplit("=", 1)[0] + "=aaaaaaaaaa@" + BOUNCE_DOMAIN, "wrong tag"),
    (lambda a: a.upper(), None),  # an MTA that upper-cases the return path: still valid
])
def test_tag_checks(start_daemon, db_path, mangle, why):
    d = start_daemon()
    send(d.port(), mangle(signed(db_path, ALICE)), report([ALICE], "tag"))
    if why is None:
        assert active(db_path) == {ALICE}
    else:
        assert active(db_path) == set()
        assert why in json_lines(cli(db_path, "inspect", "events", "--json").stdout)[0]["trust_note"]


def test_expired_tag_proves_nothing(start_daemon, db_path):
    d = start_daemon(bounce={"verp_max_age_days": 30})
    old = signed(db_path, ALICE, at=datetime.now(timezone.utc) - timedelta(days=40))
    fresh = signed(db_path, "bob@example.com", at=datetime.now(timezone.utc) - timedelta(days=29))
    send(d.port(), old, report([ALICE], "old"))
    send(d.port(), fresh, report(["bob@example.com"], "fresh"))
    assert active(db_path) == {"bob@example.com"}
    notes = {r["address"]: r["trust_note"] for r in json_lines(cli(db_path, "inspect", "events", "--json").stdout)}
    assert notes[ALICE] == "VERP expired tag (40 days old, limit 30)"


def test_rotated_secret_old_tags_verify_until_the_old_file_goes(start_daemon, tmp_path, db_path):
    old_file, new_file = tmp_path / "old.key", tmp_path / "new.key"
    old_file.write_text("old-secret-0123456789abcdef\n")
    new_file.write_text("new-secret-0123456789abcdef\n")
    old_ring = keyfiles.load(make_config(db_path, bounce={"verp_secret_files": [str(old_file)]}))
    by_old = signing.encode(ALICE, old_ring, domain=BOUNCE_DOMAIN)
    d = start_daemon(bounce={"verp_secret_files": [str(new_file), str(old_file)]})
    send(d.port(), by_old, report([ALICE], "rotated"))
    assert active(db_path) == {ALICE}
    d.stop()
    d = start_daemon(bounce={"verp_secret_files": [str(new_file)]})
    send(d.port(), signing.encode("bob@example.com", old_ring, domain=BOUNCE_DOMAIN), report(["bob@example.com"], "gone"))
    assert active(db_path) == {ALICE}


def test_rotation_by_reload_a_new_first_secret_signs_the_old_still_verifies(start_daemon, tmp_path, db_path):
    old_file, new_file = tmp_path / "old.key", tmp_path / "new.key"
    old_file.write_text("old-secret-0123456789abcdef\n")
    new_file.write_text("new-secret-0123456789abcdef\n")
    conf = write_toml(tmp_path / "b.toml", config_dict(db_path, bounce={"verp_secret_files": [str(old_file)]}))
    d = start_daemon(config_path=str(conf), bounce={"verp_secret_files": [str(old_file)]})
    new_ring = keyfiles.load(make_config(db_path, bounce={"verp_secret_files": [str(new_file)]}))
    send(d.port(), signing.encode(CEO, new_ring, domain=BOUNCE_DOMAIN), report([CEO], "before-reload"))
    assert active(db_path) == set()  # the daemon does not know the new secret yet
    write_toml(conf, config_dict(db_path, bounce={"verp_secret_files": [str(new_file), str(old_file)]}))
    assert d.call(d.daemon.reload) is True  # systemctl reload bounced
    old_ring = keyfiles.load(make_config(db_path, bounce={"verp_secret_files": [str(old_file)]}))
    send(d.port(), signing.encode(ALICE, old_ring, domain=BOUNCE_DOMAIN), report([ALICE], "old-key"))
    send(d.port(), signing.encode(CFO, new_ring, domain=BOUNCE_DOMAIN), report([CFO], "new-key"))
    assert active(db_path) == {ALICE, CFO}


# ---------------------------------------------------------------------------------- without VERP
def test_registered_message_id_binds_the_registered_recipients(start_daemon, db_path):
    d = start_daemon()
    cli(db_path, "sent", "register", "<news-1@sender.example>", ALICE)
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([ALICE, CEO], "reg", original_id="<news-1@sender.example>"))
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([CFO], "unreg", original_id="<news-2@sender.example>"))
    assert active(db_path) == {ALICE}
    notes = {r["address"]: r["trust_note"] for r in json_lines(cli(db_path, "inspect", "events", "--json").stdout)}
    assert notes[ALICE] == "registered Message-ID"
    assert notes[CEO].startswith("no proof") and notes[CFO].startswith("no proof")


def test_registered_message_id_is_not_enough_under_signed(start_daemon, db_path):
    d = start_daemon(bounce={"trust": "signed"})
    cli(db_path, "sent", "register", "<news-1@sender.example>", ALICE)
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([ALICE], "reg", original_id="<news-1@sender.example>"))
    assert active(db_path) == set()


def test_signed_header_binds_message_id_and_recipient(start_daemon, db_path):
    d = start_daemon(bounce={"trust": "signed"})
    mid = "<news-7@sender.example>"
    sig = cli(db_path, "verp", "sign-header", mid, ALICE).stdout.strip()
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([ALICE], "sig", original_id=mid, sig=sig))
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([CEO], "sig-reused", original_id=mid, sig=sig))
    assert active(db_path) == {ALICE}


# ---------------------------------------------------------------------------------- promotion
def test_an_operator_promotes_an_untrusted_event_with_a_reason(start_daemon, db_path):
    d = start_daemon()
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report([CEO], "promote"))
    event_id = json_lines(cli(db_path, "inspect", "events", "--untrusted", "--json").stdout)[0]["id"]
    assert cli(db_path, "promote", str(event_id), "--reason", "", check=False).returncode != 0
    out = cli(db_path, "promote", str(event_id), "--reason", "confirmed by phone", "--by", "ops").stdout
    assert "suppressed" in out and active(db_path) == {CEO}
    with Store.open(db_path, readonly=True) as store:
        audit = store.address_report(CEO).audit
    assert [(a["actor"], a["action"]) for a in audit] == [("ops", "promote")]
    assert "confirmed by phone" in audit[0]["detail"]
    # reprocess rebuilds from stored messages and the audit log: the promotion stays
    cli(db_path, "reprocess")
    assert active(db_path) == {CEO}


# ---------------------------------------------------------------------------------- the breaker
def test_breaker_holds_a_burst_alerts_and_releases_by_hand(start_daemon, db_path):
    d = start_daemon(breaker={"min_hard": 5, "multiple": 10.0})
    burst = [f"user{i}@burst.example" for i in range(12)]
    for i, rcpt in enumerate(burst):
        send(d.port(), signed(db_path, rcpt), report([rcpt], f"burst{i}"))
    assert active(db_path) == set(burst[:5])
    held = json_lines(cli(db_path, "held", "list", "--json").stdout)
    assert sorted(h["address"] for h in held) == sorted(burst[5:])
    assert all(h["cause"].startswith("breaker:") for h in held)
    assert len(d.log.events("breaker_tripped")) == 1  # one alert per trip, not one per message
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{d.metrics_port}/metrics", timeout=10).read().decode()
    assert 'bounced_breaker_trips_total{domain="burst.example"} 1.0' in metrics
    assert "bounced_held_suppressions_total 7.0" in metrics
    assert "held 7 (bounced held list), untrusted events 0" in cli(db_path, "inspect", "stats").stdout
    out = cli(db_path, "held", "release", "--domain", "burst.example", "--reason", "checked: real unknown users").stdout
    assert "released 7" in out
    assert active(db_path) == set(burst)
    assert json_lines(cli(db_path, "held", "list", "--json").stdout) == []


def test_discarded_held_suppressions_never_apply(start_daemon, db_path, tmp_path):
    sections = {"bounce": {"trust": "open"}, "breaker": {"max_per_message": 3}}
    d = start_daemon(**sections)
    conf = write_toml(tmp_path / "b.toml", config_dict(db_path, **sections))  # the CLI reprocesses as the daemon ran
    rcpts = [f"u{i}@list.example" for i in range(5)]
    send(d.port(), f"bounces@{BOUNCE_DOMAIN}", report(rcpts, "cap"))
    assert active(db_path) == set(rcpts[:3])
    held = json_lines(cli(db_path, "held", "list", "--json").stdout)
    assert {h["address"] for h in held} == set(rcpts[3:]) and all("per-message cap" in h["cause"] for h in held)
    ids = [str(h["event_id"]) for h in held]
    assert "discarded 2" in cli(db_path, "held", "discard", *ids, "--reason", "list import error").stdout
    cli(db_path, "reprocess", config=conf)
    assert active(db_path) == set(rcpts[:3])
    assert json_lines(cli(db_path, "held", "list", "--json").stdout) == []  # the decision survives reprocess
    assert cli(db_path, "held", "release", ids[0], "--reason", "x", check=False).returncode != 0


# ---------------------------------------------------------------------------------- the secret file
def test_the_default_secret_is_created_once_beside_the_database_and_private(start_daemon, db_path):
    d = start_daemon()
    path = keyfiles.default_path(str(db_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    address = cli(db_path, "verp", "encode", ALICE, "--domain", BOUNCE_DOMAIN).stdout.strip()
    assert path.read_text().strip() == key  # the CLI used the daemon's secret, did not make another
    send(d.port(), address, report([ALICE], "cli-signed"))
    assert active(db_path) == {ALICE}
    assert key not in json.dumps(d.log.records, default=str)
    assert key not in repr(keyring_of(db_path))


def test_an_unusable_secret_file_is_named_never_shown(tmp_path):
    short = tmp_path / "short.key"
    short.write_text("tiny")
    cfg = from_dict({"bounce": {"verp_secret_files": [str(short)]}})
    with pytest.raises(keyfiles.KeyFileError, match="short.key.*shorter than 16") as exc:
        keyfiles.load(cfg)
    assert "tiny" not in str(exc.value)
    r = subprocess.run(serve_cmd("verp", "encode", ALICE), capture_output=True, text=True,
                       env={**os.environ, "BOUNCED_CONFIG": str(tmp_path / "c.toml")}, check=False,
                       input=None) if (tmp_path / "c.toml").write_text(
        f'[bounce]\nverp_secret_files = ["{short}"]\n') else None
    assert r is not None and r.returncode == 1 and "short.key" in r.stderr and "Traceback" not in r.stderr


def test_verp_check_says_valid_or_why_not(tmp_path):
    db = tmp_path / "b.db"
    good = cli(db, "verp", "encode", ALICE, "--domain", "bounce.example").stdout.strip()
    assert cli(db, "verp", "check", good).stdout.strip() == f"{ALICE}: valid tag"
    bad = cli(db, "verp", "check", good.rsplit("=", 1)[0] + "=aaaaaaaaaa@bounce.example", check=False)
    old = cli(db, "verp", "check", cli(db, "verp", "encode", ALICE, "--at", "2026-01-01").stdout.strip(),
              "--at", "2026-03-01", check=False)
    plain = cli(db, "verp", "check", "someone@example.com", check=False)
    assert (bad.returncode, old.returncode, plain.returncode) == (1, 1, 1)
    assert bad.stdout.strip() == f"{ALICE}: wrong tag"
    assert "expired tag (59 days old, limit 30)" in old.stdout
    assert "not a VERP form" in plain.stderr and "Traceback" not in plain.stderr


def test_cli_ingest_judges_trust_by_the_envelope_it_is_given(tmp_path):
    db, f = tmp_path / "b.db", tmp_path / "m.eml"
    f.write_bytes(report([ALICE, CEO], "ingest"))
    rp = cli(db, "verp", "encode", ALICE, "--domain", "localhost").stdout.strip()
    out = cli(db, "ingest", str(f), "--envelope-rcpt", rp, "--create").stdout  # a new database, deliberately
    assert "events 2 (untrusted 1, held 0)" in out
    assert active(db) == {ALICE}
