"""Provider format modules (bounced.parse.lhost.providers): one table row per fixture, the
protocol every module keeps, and checks against the shared corpus (skipped when it is absent)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bounced import mime
from bounced.model import Found
from bounced.parse.lhost import providers as P
from bounced.parse.lhost.providers import PROVIDER_MODULES, _text

DATA = Path(__file__).parent / "data" / "providers"
CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


def load(name: str):
    return mime.load((DATA / name).read_bytes())


# module, fixture, [(recipient, status, reply code, action)]
CASES = [
    (P.gmail, "gmail-permanent.eml", [("nobody.here@example.org", "5.1.1", "550", "failed")]),
    (P.gmail, "gmail-delayed.eml", [("busy.box@example.com", "4.2.2", "452", "delayed")]),
    (P.googleworkspace, "googleworkspace.eml", [("far.away@example.net", "5.7.1", "550", "failed")]),
    (P.googlegroups, "googlegroups.eml", [("closed-list@googlegroups.com", None, None, "failed")]),
    (P.yahoo, "yahoo-current.eml", [("gone.user@example.jp", "5.1.1", "550", "failed")]),
    (P.yahoo, "yahoo-legacy.eml", [("first@example.com", None, None, "failed"),
                                   ("second@example.com", None, None, "failed")]),
    (P.yahoo, "yahoo-summary.eml", [("reader@example.com", None, None, "failed")]),
    (P.aol, "aol.eml", [("somescreen@aol.com", None, None, "failed")]),
    (P.amazonses, "amazonses-sns.eml", [("missing@example.org", "5.1.1", "550", "failed"),
                                        ("second@example.org", "5.2.2", "552", "failed")]),
    (P.amazonses, "amazonses-text.eml", [("no.such@example.org", "5.1.1", "550", "failed")]),
    (P.amazonses, "amazonses-folded.eml", [("stuffed@example.jp", "4.2.2", "452", "failed")]),
    (P.amazonses, "amazonses-expired.eml", [("unreachable@example.org", "4.4.2", "421", "failed")]),
    (P.amazonses, "amazonses-complaint.eml", [("angry@example.org", None, None, None)]),
    (P.amazonworkmail, "amazonworkmail.eml", [("full.box@example.jp", "5.2.2", "552", "failed")]),
    (P.office365, "office365.eml", [("absent@contoso.example", "5.1.10", "550", "failed")]),
    (P.office365, "office365-wrapped.eml", [("stuffed@fabrikam.example", "5.2.2", "552", "failed")]),
    (P.mailru, "mailru.eml", [("missing@example.jp", "5.1.1", "550", "failed")]),
    (P.mailru, "mailru-delayed.eml", [("slow@example.jp", "4.7.1", "451", "delayed")]),
    (P.gmx, "gmx.eml", [("slow.host@example.co.jp", None, None, "failed")]),
    (P.gmx, "gmx-quoted.eml", [("nobody@example.jp", "5.1.1", None, "failed")]),
    (P.einsundeins, "einsundeins.eml", [("someone@example.fr", "5.1.1", "550", "failed")]),
    (P.zoho, "zoho.eml", [("nobody@example.org", "5.1.1", "550", "failed")]),
    (P.zoho, "zoho-softbreak.eml", [("lost.user@example.co.jp", "5.1.1", "550", "failed")]),
    (P.kddi, "kddi.eml", [("phone@1234.dion.ne.jp", None, None, "failed")]),
    (P.ezweb, "ezweb.eml", [("handset@ezweb.ne.jp", None, "550", "failed")]),
    (P.verizon, "verizon.eml", [("5550100@vzwpix.com", None, None, "failed")]),
    (P.dragonfly, "dragonfly.eml", [("moved@example.net", "5.1.6", "550", "failed")]),
    (P.fml, "fml.eml", [("members-only@example.org", None, None, "failed")]),
    (P.mfilter, "mfilter.eml", [("nouser@example.co.jp", "5.1.1", "550", "failed")]),
    (P.activehunter, "activehunter.eml", [("gone@example.org", "5.1.1", "550", "failed")]),
    (P.biglobe, "biglobe.eml", [("stuffed@example.biglobe.ne.jp", None, None, "failed")]),
    (P.facebook, "facebook.eml", [("someone@facebook.com", "5.1.1", "550", "failed")]),
    (P.hotpop, "hotpop.eml", [("over.quota@example.com", None, None, "failed")]),
    (P.sina, "sina.eml", [("one@sina.com", None, None, "failed"), ("two@sina.com", None, None, "failed")]),
    (P.newmailru, "newmailru.eml", [("full@newmail.ru", None, None, "failed")]),
]


def _id(case) -> str:
    mod, fixture, expected = case
    first = expected[0]
    return f"{mod.FORMAT}-{fixture.removesuffix('.eml')}-{first[2] or 'nocode'}-{first[1] or 'nostatus'}"


@pytest.mark.parametrize("mod,fixture,expected", CASES, ids=[_id(c) for c in CASES])
def test_extracts_fixture(mod, fixture, expected):
    found = mod.extract(load(fixture))
    assert found is not None, f"{mod.FORMAT} did not claim {fixture}"
    got = [(f.recipient, f.status, f.reply_code, f.action) for f in found]
    assert got == expected
    for f in found:
        if f.reason != "feedback":
            assert f.diagnostic, f"{fixture}: empty diagnostic for {f.recipient}"
        assert "\n" not in f.diagnostic


def test_reasons_stated_by_the_format():
    assert [f.reason for f in P.googlegroups.extract(load("googlegroups.eml"))] == ["rejected"]
    assert [f.reason for f in P.fml.extract(load("fml.eml"))] == ["rejected"]
    complaint = P.amazonses.extract(load("amazonses-complaint.eml"))
    assert [(f.reason, f.feedback_type) for f in complaint] == [("feedback", "abuse")]
    # everything else is left to the classifier
    assert all(f.reason is None for f in P.gmail.extract(load("gmail-permanent.eml")))


def test_diagnostic_is_the_remote_text():
    (f,) = P.gmail.extract(load("gmail-delayed.eml"))
    assert f.diagnostic == "452 4.2.2 Over quota, try later"  # Google's wrapper, doubled code, state removed
    (f,) = P.gmail.extract(load("gmail-permanent.eml"))
    assert f.remote_mta == "mx1.example.org"
    (f,) = P.yahoo.extract(load("yahoo-current.eml"))
    assert f.diagnostic == "550 5.1.1 <gone.user@example.jp>: no such user"


def test_office365_remote_server_returned_in_either_case():
    """Exchange Online now writes "Remote server returned '...'" (lower-case s): the remote's reply
    is the diagnostic either way, not an empty one."""
    raw = (DATA / "office365.eml").read_bytes().replace(b"Remote Server returned", b"Remote server returned")
    (f,) = P.office365.extract(mime.load(raw))
    assert (f.status, f.reply_code) == ("5.1.10", "550")
    assert f.diagnostic.startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound")


def test_non_ascii_recipient_kept():
    raw = ("From: MAILER-DAEMON@yahoo.com\nSubject: Failure Notice\nContent-Type: text/plain; charset=utf-8\n\n"
           "Sorry, we were unable to deliver your message to the following address.\n\n"
           "<почта@пример.рф>:\nRemote host said: 550 5.1.1 mailbox unavailable [RCPT_TO]\n").encode()
    (f,) = P.yahoo.extract(mime.load(raw))
    assert (f.recipient, f.status) == ("почта@пример.рф", "5.1.1")


@pytest.mark.parametrize("name,expected", [("RCPT_TO", "RCPT"), ("MAIL FROM", "MAIL"), ("final DATA", "DATA"),
                                           ("end of data", "DATA"), ("TEXT", "DATA"), ("EHLO", "EHLO"), ("AUTH", None)])
def test_smtp_command_names(name, expected):
    assert _text.smtp_command(name) == expected


# fixture -> the SMTP command the notice says was refused
COMMANDS = [(P.yahoo, "yahoo-current.eml", "RCPT"), (P.dragonfly, "dragonfly.eml", "RCPT"),
            (P.mfilter, "mfilter.eml", "RCPT"), (P.mailru, "mailru.eml", "RCPT"),
            (P.einsundeins, "einsundeins.eml", "RCPT"), (P.gmx, "gmx-quoted.eml", "RCPT")]


@pytest.mark.parametrize("mod,fixture,command", COMMANDS, ids=[c[1] for c in COMMANDS])
def test_refused_command_passed_on(monkeypatch, mod, fixture, command):
    """Found has no ``command`` field yet; once it has, the modules fill it (shown with a stand-in)."""
    @dataclasses.dataclass(frozen=True)
    class FoundWithCommand(Found):
        command: str | None = None

    monkeypatch.setattr(_text, "Found", FoundWithCommand)
    monkeypatch.setattr(_text, "_FOUND_FIELDS", frozenset(f.name for f in dataclasses.fields(FoundWithCommand)))
    assert [f.command for f in mod.extract(load(fixture))] == [command]


def test_protocol():
    formats = [m.FORMAT for m in PROVIDER_MODULES]
    assert len(formats) == len(set(formats)), "FORMAT names must be unique"
    for mod in PROVIDER_MODULES:
        assert isinstance(mod.FORMAT, str) and mod.FORMAT.isidentifier()
        assert callable(mod.extract)
        assert mod.__doc__ and len(mod.__doc__) > 40, f"{mod.__name__} needs a docstring on its format"
    covered = {c[0] for c in CASES}
    assert covered == set(PROVIDER_MODULES), "every module needs a fixture row"


PLAIN = b"From: friend@example.com\nTo: me@example.org\nSubject: Failure Notice\n\nSee you tomorrow.\n"


@pytest.mark.parametrize("mod", PROVIDER_MODULES, ids=lambda m: m.FORMAT)
def test_not_mine(mod):
    """A plain message, and every other module's fixture, is not claimed."""
    assert mod.extract(mime.load(PLAIN)) is None
    for other, fixture, _ in CASES:
        if other is not mod:
            assert mod.extract(load(fixture)) is None, f"{mod.FORMAT} claims {fixture}"


# ordinary mail that carries a provider's marks but is no bounce
LOOKALIKES = {
    "gmx-user": b"From: someone@gmx.net\nSubject: re: order\n\nThe parcel could not be delivered to one of\n"
                b"its recipients. The following address failed:\n  shop@example.com\n    closed\n",
    "fml-post": b"From: member@example.org\nX-MLServer: fml [fml 4.0.3]\nSubject: loop question (neko ML)\n\n"
                b"You are not a member of <team@example.org> yet?\n",
    "zoho-user": b"From: person@zoho.com\nX-ZohoMail: Si\nX-Mailer: Zoho Mail\nSubject: hi\n\n"
                 b"x@example.org Invalid Address, ERROR_CODE :550, seen in our logs\n",
    "workmail-user": b"From: boss@corp.example\nX-Mailer: Amazon WorkMail\nX-SES-Outgoing: 2024.01.01-192.0.2.1\n"
                     b"Subject: lunch\n\nSee you at noon.\n",
    "ses-user": b"From: news@shop.example\nX-SES-Outgoing: 2024.01.01-192.0.2.1\nSubject: Sale\n\n"
                b"The following message to <you@example.org> is a sale.\n",
    "vzw-phone": b"From: 5550100@vzwpix.com\nSubject: pic\n\nError: my camera\nTo: me@example.org\n",
    "gmail-user": b"From: friend@gmail.com\nSubject: Delivery Status Notification (Failure)\n\n"
                  b"Delivery to the following recipient failed permanently: funny, right?\n",
}


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_lookalikes_not_claimed(name):
    msg = mime.load(LOOKALIKES[name])
    assert [m.FORMAT for m in PROVIDER_MODULES if m.extract(msg) is not None] == []


HOSTILE_BODIES = (
    b"{" * 50_000,
    b'{"a":' * 20_000,
    b"Sorry, we were unable to deliver your message to the following address.\n" + b"<a@b.example>:\n" * 5_000,
    b"a" * 200_000,
    b"x [" * 30_000,
    b"[Status: Error, Address: <a@b.example>, ResponseCode 421," * 2_000,
    b'{"Message": 5}',
    b'{"notificationType": "Bounce", "bounce": {"bouncedRecipients": [null, 5, {"emailAddress": 7}]}}',
    b'{"notificationType": "Complaint", "complaint": [1, 2]}',
)


@pytest.mark.parametrize("mod", PROVIDER_MODULES, ids=lambda m: m.FORMAT)
def test_garbage_does_not_raise(mod):
    for raw in (b"", b"\x00\xff" * 50, b"From: MAILER-DAEMON@yahoo.com\n\n<:\n", b"Content-Type: multipart/mixed\n\n--",
                *(b"From: mailer-daemon@sns.amazonaws.com\nx-amz-sns-message-id: 1\n\n" + b for b in HOSTILE_BODIES)):
        result = mod.extract(mime.load(raw))
        assert result is None or all(isinstance(f, Found) for f in result)


# ---- corpus --------------------------------------------------------------------------------

def _corpus() -> Path:
    if not (CORPUS / "sisimai" / "labels.json").is_file():
        pytest.skip("shared corpus not present")
    return CORPUS


def _claim(raw: bytes):
    msg = mime.load(raw)
    for mod in PROVIDER_MODULES:
        found = mod.extract(msg)
        if found is not None:
            return mod, found
    return None, None


# Sisimai sample families whose non-RFC 3464 samples these modules must read
FAMILIES = ("gmail", "googlegroups", "googleworkspace", "gsuite", "yahoo", "amazonses", "amazonworkmail", "office365", "mailru", "gmx",
            "einsundeins", "zoho", "kddi", "ezweb", "verizon", "dragonfly", "fml", "mfilter", "activehunter", "biglobe", "facebook")


def test_corpus_provider_samples():
    corpus = _corpus()
    labels = json.loads((corpus / "sisimai" / "labels.json").read_text())
    checked = 0
    for name, expected in sorted(labels.items()):
        family = name.removeprefix("lhost-").rsplit("-", 1)[0]
        if not name.startswith("lhost-") or family not in FAMILIES:
            continue
        raw = (corpus / "sisimai" / name).read_bytes()
        mod, found = _claim(raw)
        if mod is None:
            continue  # an RFC 3464 report: the rfc3464 module reads it
        checked += 1
        got = {f.recipient: f for f in found}
        for e in expected:
            assert e["recipient"].lower() in got, f"{name}: missing {e['recipient']} ({mod.FORMAT})"
            status = e["status"]
            if status and not status.split(".")[1] == "0" and got[e["recipient"].lower()].status:
                assert got[e["recipient"].lower()].status[0] == status[0], name
        assert len(got) == len(expected), f"{name}: extra recipients {set(got) - {e['recipient'] for e in expected}}"
    assert checked >= 60


def test_corpus_flufl_provider_samples():
    corpus = _corpus()
    labels = json.loads((corpus / "flufl" / "labels.json").read_text())
    checked = 0
    for name, entry in sorted(labels.items()):
        if not name.startswith(("yahoo", "aol", "hotpop", "sina", "newmailru")) or "addresses" not in entry:
            continue
        mod, found = _claim((corpus / "flufl" / name).read_bytes())
        if mod is None:
            continue
        checked += 1
        assert sorted(f.recipient for f in found) == sorted(a.lower() for a in entry["addresses"]), name
    assert checked >= 15


def test_corpus_not_bounces_unclaimed():
    corpus = _corpus()
    for path in sorted((corpus / "not-bounces").glob("*.eml")):
        mod, _ = _claim(path.read_bytes())
        assert mod is None, f"{path.name} claimed by {mod.FORMAT}"
