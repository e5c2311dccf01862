"""Tests for the plain-text MTA modules in bounced.parse.lhost (not the provider modules).

One table of synthetic fixtures (tests/data/lhost/, written for this project in each format's
real shape), a protocol check over every module in MODULES, and aggregate checks against the
shared corpus that skip when it is absent.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bounced import mime
from bounced.parse import smtp
from bounced.parse.lhost import MODULES, _common, domino, exchange, exim, generic, imail, mcafee, postfix, qmail, sendmail

DATA = Path(__file__).parent / "data" / "lhost"
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
MINE = [postfix, exim, mcafee, sendmail, qmail, exchange, domino, imail, generic]


def _load(name: str):
    return mime.load((DATA / name).read_bytes())


def _first(msg, modules=MODULES):
    """What the ordered list yields: the first module with recipients, else the first claim."""
    claim = None
    for mod in modules:
        found = mod.extract(msg)
        if found:
            return mod.FORMAT, found
        if found is not None and claim is None:
            claim = (mod.FORMAT, found)
    return claim or (None, None)


# fixture, module expected to claim it, [(recipient, status, reply code, action)]
CASES = [
    ("postfix-550-5.1.1.eml", postfix, [("bob@example.com", "5.1.1", "550", "failed"),
                                        ("carol@example.com", "5.2.2", "552", "failed")]),
    ("postfix-transcript.eml", postfix, [("dave@example.net", "4.3.1", "452", "failed")]),
    ("postfix-transcript-rcpt.eml", postfix, [("gone@example.net", "5.1.1", "550", "failed")]),
    ("exim-rcpt-550.eml", exim, [("erin@example.com", "5.1.1", "550", "failed")]),
    ("exim-delay.eml", exim, [("gina@example.net", "4.7.1", "451", "delayed")]),
    ("exim-undisclosed.eml", exim, [("henry@example.org", None, None, "failed")]),
    ("exim-pipe.eml", exim, [("sue@host.example.org", None, None, "failed")]),
    ("sendmail-x1-style.eml", sendmail, [("wendy@x1.example.com", None, None, "failed")]),
    ("mcafee.eml", mcafee, [("gail@mx.example.com", "5.1.1", "550", "failed")]),
    ("sendmail-fatal-crlf.eml", sendmail, [("judy@example.com", "5.1.1", "550", "failed")]),
    ("sendmail-v5.eml", sendmail, [("leo@mail.example.invalid", None, "550", "failed")]),
    ("sendmail-old-warning.eml", sendmail, [("peter@slow.example.net", None, None, "delayed")]),
    ("sendmail-pipe.eml", sendmail, [("support@example.com", "5.3.0", "554", "failed")]),
    ("qmail-two.eml", qmail, [("oscar@example.com", "5.1.1", "550", "failed"),
                              ("pam@example.com", "5.2.2", "552", "failed")]),
    ("qmail-hash-status.eml", qmail, [("quinn@nowhere.example", "5.1.2", None, "failed")]),
    ("exchange-ims.eml", exchange, [("rita@corp.example.com", None, None, "failed")]),
    ("exchange-2003.eml", exchange, [("tina@ad.example.com", "5.1.1", None, "failed")]),
    ("exchange-2007-fr.eml", exchange, [("cedric@ex.example.fr", "5.1.1", "550", "failed")]),
    ("exchange-kerio-style.eml", exchange, [("karl@remote.example.net", "5.1.1", "550", "failed")]),
    ("domino.eml", domino, [("victor@notes.example.com", None, None, "failed")]),
    ("domino-two.eml", domino, [("dora@notes.example.com", None, None, "failed"),
                                 ("egon@notes.example.com", None, None, "failed")]),
    ("notes.eml", domino, [("xena@n.example.co.jp", None, None, "failed")]),
    ("imail.eml", imail, [("zack@imail.example.com", "5.1.1", "550", "failed")]),
    ("generic-opensmtpd.eml", generic, [("beth@example.com", "5.7.1", "550", "failed")]),
    ("generic-mailmarshal.eml", generic, [("dina@gw.example.com", "5.1.1", "550", "failed")]),
    ("generic-interscan.eml", generic, [("fay@scan.example.com", "5.1.1", "550", "failed")]),
    ("generic-bulleted.eml", generic, [("hana@example.com", "5.3.0", "553", "failed")]),
    ("generic-messagingserver.eml", generic, [("ursula@ms.example.com", "5.1.1", "550", "failed")]),
    ("generic-james.eml", generic, [("yvonne@james.example.com", None, "550", "failed")]),
    ("generic-plain-dsn-fields.eml", generic, [("adam@bf.example.com", "5.1.1", "553", "failed")]),
    ("generic-mdaemon.eml", generic, [("iris@md-remote.example.com", "5.1.1", "550", "failed")]),
    ("generic-exim-german.eml", generic, [("marco@example.de", None, None, "failed")]),
    ("generic-delay-warning.eml", generic, [("otto@slow.example.com", None, None, "delayed")]),
    ("generic-sender-noise.eml", generic, [("jade@example.com", "5.7.1", "550", "failed")]),
]


@pytest.mark.parametrize(("fixture", "module", "expected"), CASES, ids=[c[0].removesuffix(".eml") for c in CASES])
def test_fixture(fixture, module, expected):
    fmt, found = _first(_load(fixture), MINE)
    assert fmt == module.FORMAT
    got = [(f.recipient, f.status, f.reply_code, f.action) for f in found]
    assert got == expected
    assert all(f.diagnostic for f in found if f.status or f.reply_code)
    assert all(f.reason is None for f in found)  # the classifier decides


def test_alias_is_kept_as_original_recipient():
    _, found = _first(_load("postfix-550-5.1.1.eml"), MINE)
    assert [f.original_recipient for f in found] == [None, "team@example.org"]


@pytest.mark.parametrize("module", MINE, ids=[m.FORMAT for m in MINE])
def test_module_protocol(module):
    assert isinstance(module.FORMAT, str) and module.FORMAT
    assert module.__doc__ and len(module.__doc__) > 80  # each explains its format's quirks
    assert module.extract(_load("not-bounce.eml")) is None
    assert not module.extract(_load("not-bounce-challenge.eml"))
    assert module.extract(mime.load(b"")) is None
    for raw in (b"From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n<a@b.example>:\n",
                b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n\xff\xfe@@<>:\n--x",
                b"From: postmaster@x.example\n\n" + b"did not reach the following recipient(s):\n" * 2000):
        result = module.extract(mime.load(raw))
        assert result is None or isinstance(result, list)


_HOSTILE_HEAD = (b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\nX-Mailer: <SMTP32 v1>\n\n"
                 b"This is the Postfix program at host x\nThe following address(es) failed:\n"
                 b"did not reach the following recipient(s):\n   ----- Transcript of session follows -----\n")
HOSTILE = {
    "dash-line": b"-" * 300_000 + b"\n",
    "space-run": (b" " * 60_000 + b"x\n") * 3,
    "status-spaces": b"Final-Recipient: rfc822; a@b.example\nStatus: " + b" " * 60_000 + b"x\n",
    "reply-then-words": (b"550 " + b"x " * 1000 + b"a@b.example\n") * 30,
    "dashed-section": (b"--- " + b"a-" * 2000 + b"\n") * 10,
    "at-run": b"a@" * 200_000,
    "long-domain": b"a" * 64 + b"@" + (b"a" * 63 + b".") * 500 + b"-\n",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_answered(body):
    """Patterns are bounded (possessive prefixes, capped lines): these finish at once rather than
    backtracking for minutes; the test only checks that every module answers."""
    msg = mime.load(_HOSTILE_HEAD + body)
    for module in MODULES:
        result = module.extract(msg)
        assert result is None or isinstance(result, list)


@pytest.mark.parametrize("fixture", sorted(p.name for p in DATA.glob("*.eml")))
def test_mangled_fixtures_are_answered(fixture):
    """Truncated, byte-flipped and charset-mangled versions of every fixture never raise."""
    raw = (DATA / fixture).read_bytes()
    variants = [raw[: len(raw) * k // 7] for k in range(1, 7)]
    variants.append(raw.replace(b"\n", b"\r"))
    variants.append(raw.replace(b"Content-Type: text/plain", b"Content-Type: text/plain; charset=\"us-ascii\x00\xff\""))
    variants.append(bytes(b ^ 0x20 if i % 97 == 0 else b for i, b in enumerate(raw)))
    for variant in variants:
        msg = mime.load(variant)
        for module in MINE:
            result = module.extract(msg)
            assert result is None or all(f.recipient for f in result)


def test_modules_list_order():
    names = [m.__name__ for m in MODULES]
    mine = [m.__name__ for m in MINE]
    assert names[-1] == generic.__name__  # the scanner would shadow precise modules
    assert [n for n in names if n in mine] == mine
    assert all(n.startswith("bounced.parse.lhost.providers.") for n in names[: len(names) - len(mine)])


def test_dsn_with_recipients_is_left_to_rfc3464():
    raw = (b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
           b"Content-Type: text/plain\n\nThis is the Postfix program at host x.example.\n\n"
           b"<a@y.example>: host y.example[192.0.2.1] said: 550 5.1.1 unknown\n--b\n"
           b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n"
           b"Final-Recipient: rfc822; a@y.example\nAction: failed\nStatus: 5.1.1\n--b--\n")
    assert all(m.extract(mime.load(raw)) is None for m in MINE)


def test_codes_ignore_ip_addresses_and_versions():
    assert smtp.codes("host 192.0.2.250 said: 550 5.1.1 no") == ("5.1.1", "550")
    assert smtp.codes("relay 203.0.113.5 (8.14.4/8.14.4) failed") == (None, None)
    assert smtp.codes("Sorry (#4.4.1) later") == ("4.4.1", None)
    assert smtp.codes("connect to mx port 465 refused (code 451)") == (None, "451")
    assert smtp.codes("remote said 550-5.7.26 unauthenticated") == ("5.7.26", "550")
    assert smtp.codes("<<< 250 2.1.5 ok\n<<< 550 5.1.1 unknown") == ("5.1.1", "550")


# ---------------------------------------------------------------------------------------------
# the shared corpus (skips in a plain clone)
# ---------------------------------------------------------------------------------------------
MY_PREFIXES = ("lhost-postfix", "lhost-sendmail", "lhost-v5sendmail", "lhost-exim", "lhost-qmail",
               "lhost-courier", "lhost-opensmtpd", "lhost-exchange", "lhost-domino", "lhost-notes",
               "lhost-messagingserver", "lhost-x", "lhost-imailserver", "lhost-mailmarshal",
               "lhost-mailfoundry", "lhost-mcafee", "lhost-trendmicro", "lhost-barracuda",
               "lhost-mxlogic", "lhost-amavis")


def _corpus(name: str) -> Path:
    path = CORPUS / name
    if not (path / "labels.json").is_file():
        pytest.skip(f"corpus {name} not available")
    return path


def _score(pairs):
    exp = sum(len(e) for e, _ in pairs)
    got = sum(len(g) for _, g in pairs)
    hit = sum(len(e & g) for e, g in pairs)
    return hit / max(exp, 1), hit / max(got, 1)


def test_corpus_sisimai_plain_formats():
    path = _corpus("sisimai")
    labels = json.loads((path / "labels.json").read_text())
    pairs = []
    for name, entries in sorted(labels.items()):
        if not name.startswith(MY_PREFIXES):
            continue
        msg = mime.load((path / name).read_bytes())
        if _common.has_dsn_recipients(msg):
            continue  # RFC 3464's
        _, found = _first(msg)
        pairs.append(({e["recipient"].lower() for e in entries if e["recipient"]},
                      {f.recipient.lower() for f in found or []}))
    assert len(pairs) >= 40
    recall, precision = _score(pairs)
    assert recall >= 0.97, recall
    assert precision >= 0.99, precision


def test_corpus_flufl_plain():
    path = _corpus("flufl")
    labels = json.loads((path / "labels.json").read_text())
    pairs = []
    for name, entry in sorted(labels.items()):
        msg = mime.load((path / name).read_bytes())
        if "note" in entry or _common.has_dsn_recipients(msg):
            continue
        _, found = _first(msg)
        pairs.append(({a.lower() for a in entry["addresses"]}, {f.recipient.lower() for f in found or []}))
    recall, precision = _score(pairs)
    assert recall >= 0.93, recall
    assert precision >= 0.98, precision


def test_corpus_not_bounces_yield_nothing_from_mta_modules():
    path = _corpus("not-bounces")
    labels = json.loads((path / "labels.json").read_text())
    for name, entry in labels.items():
        if entry.get("bounce") is False:
            msg = mime.load((path / name).read_bytes())
            assert not any(m.extract(msg) for m in MINE), name
