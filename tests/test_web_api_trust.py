"""The HTTP API's side of issue 15 against a real uvicorn and a real store file: registering sent
mail, signed return paths (the secret stays on the server), held suppressions released or
discarded under the token's name."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bounced import keyfiles, signing
from bounced.config import from_dict
from bounced.ingest import parse_options, prepare
from bounced.parse import verp
from bounced.store import Store
from tests.storehelp import T0
from tests.test_trust import report
from tests.webhelp import LiveServer

LIST = [f"u{i}@list.example" for i in range(4)]


@pytest.fixture
def cfg():
    return from_dict({"bounce": {"trust": "open", "domains": ["bounce.example"]},
                      "breaker": {"max_per_message": 2}, "web": {"max_batch": 5}})


@pytest.fixture
def live(tmp_path: Path, cfg):
    db = tmp_path / "b.db"
    with Store.open(db, cfg) as s:  # one report naming four: two apply, two are held by the per-message cap
        s.ingest_many([prepare(report(LIST, "cap"), "", (), parse_options(cfg), received_at=T0)])
    srv = LiveServer(db, cfg).start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(live: LiveServer):
    out = {scope: live.client(live.token(f"{scope}-token", scope)) for scope in ("read", "activity", "write")}
    yield out
    for c in out.values():
        c.close()


def problem(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    for w in words:
        assert w in r.json()["detail"], r.json()


def test_registered_sent_mail_is_stored_normalized_and_all_or_nothing(live, clients):
    c = clients["activity"]
    r = c.post("/sent", json={"sent": [{"message_id": "<m1@mailer.example>", "recipients": ["Jane@Example.com", "bob@example.com"]},
                                       {"message_id": "m2@mailer.example", "recipients": ["carl@bücher.de"]}]})
    assert r.status_code == 200, r.text
    assert r.json()["messages"] == 2 and r.json()["recipients"] == 3
    problem(c.post("/sent", json={"sent": [{"message_id": "<m3@x>", "recipients": ["ok@example.com"]},
                                           {"message_id": "<m4@x>", "recipients": ["no-at-sign"]}]}),
            400, "sent[1].recipients[0]")
    problem(c.post("/sent", json={"message_id": "<>", "recipients": ["a@example.com"]}), 400, "sent[0].message_id")
    problem(c.post("/sent", json={"message_id": "<m5@x>", "recipients": []}), 400, "at least one")
    problem(c.post("/sent", json={"message_id": "<m5@x>", "recipients": [f"a{i}@x.example" for i in range(6)]}),
            413, "web.max_batch")
    problem(clients["read"].post("/sent", json={"message_id": "<m6@x>", "recipients": ["a@example.com"]}), 403, "activity")
    with Store.open(live.db, live.cfg, readonly=True) as s:
        rows = {tuple(r) for r in s.conn.execute("SELECT message_id, address FROM sent")}
    assert rows == {("m1@mailer.example", "jane@example.com"), ("m1@mailer.example", "bob@example.com"),
                    ("m2@mailer.example", "carl@xn--bcher-kva.de")}  # nothing of the refused batch


def test_verp_answers_a_return_path_the_daemon_verifies_and_never_the_secret(live, clients):
    c = clients["activity"]
    one = c.get("/verp/Jane@Example.com")
    assert one.status_code == 200, one.text
    path = one.json()["return_path"]
    assert path.startswith("bounces+jane=example.com=") and path.endswith("@bounce.example")
    keyring = keyfiles.load(live.cfg, str(live.db))
    v = verp.split(path, live.cfg.bounce.local_parts, live.cfg.bounce.verp_delimiter)
    assert v is not None and v.recipient == "jane@example.com"
    assert signing.check_verp(v, keyring, signing.datetime.now(signing.timezone.utc), 30).ok
    batch = c.post("/verp", json={"addresses": ["a@example.com", "b@example.com"], "message_id": "<m@x>"})
    assert batch.status_code == 200, batch.text
    items = batch.json()["return_paths"]
    assert [i["normalized"] for i in items] == ["a@example.com", "b@example.com"]
    assert signing.check_header(items[0][signing.SIG_HEADER], "<m@x>", "a@example.com", keyring,
                                signing.datetime.now(signing.timezone.utc), 30).ok
    secret = keyring.keys[0].decode()
    assert secret not in one.text and secret not in batch.text
    problem(c.get("/verp/nobody"), 400, "address")
    problem(c.post("/verp", json={"addresses": ["a@example.com"], "domain": "evil.example"}), 400, "evil.example")
    problem(c.post("/verp", json={"addresses": ["a@example.com", "no-at"]}), 400, "addresses[1]")
    problem(c.post("/verp", json={"addresses": [42]}), 400, "addresses[0]: expected an address as a string")
    problem(clients["read"].get("/verp/a@example.com"), 403)


def test_held_suppressions_are_listed_and_decided_under_the_tokens_name(live, clients):
    held = clients["read"].get("/held").json()["items"]
    assert sorted(h["address"] for h in held) == LIST[2:]
    assert all("per-message cap" in h["cause"] for h in held)
    w = clients["write"]
    problem(w.post("/held/release", json={"event_ids": [held[0]["event_id"]]}), 400, "reason")
    problem(w.post("/held/release", json={"event_ids": [held[0]["event_id"]], "domain": "list.example", "reason": "x"}),
            400, "either")
    problem(clients["activity"].post("/held/release", json={"domain": "list.example", "reason": "x"}), 403, "write")
    r = w.post("/held/release", json={"event_ids": [held[0]["event_id"]], "reason": "checked: mailbox gone"})
    assert r.status_code == 200 and r.json()["released"] == 1, r.text
    problem(w.post("/held/discard", json={"event_ids": [held[0]["event_id"]], "reason": "again"}), 409, "not pending")
    r = w.post("/held/discard", json={"domain": "list.example", "reason": "list import error"})
    assert r.json()["discarded"] == 1
    assert clients["read"].get("/held").json()["items"] == []
    decided = {h["address"]: (h["status"], h["decided_by"]) for h in clients["read"].get("/held?status=all").json()["items"]}
    assert decided == {held[0]["address"]: ("released", "write-token"), held[1]["address"]: ("discarded", "write-token")}
    assert clients["read"].get(f"/suppressions/{held[0]['address']}").json()["suppressed"] is True
    assert clients["read"].get(f"/suppressions/{held[1]['address']}").json()["suppressed"] is False
    feed = [c for c in clients["read"].get("/changes").json()["changes"] if c["address"] == held[0]["address"]]
    assert [c["actor"] for c in feed] == ["write-token"]
    problem(clients["read"].get("/held?status=maybe"), 400, "status")


def test_the_openapi_document_describes_the_new_endpoints(live, clients):
    paths = clients["read"].get("/openapi.json").json()["paths"]
    assert {"/sent", "/verp", "/verp/{address}", "/held", "/held/release", "/held/discard"} <= set(paths)
    assert "`write`" in paths["/held/release"]["post"]["description"]


def test_promote_lets_an_untrusted_event_count_under_the_tokens_name(store_location: str):
    """On both engines, like tests/test_web_api.py."""
    cfg = from_dict({"bounce": {"trust": "signed", "domains": ["bounce.example"]}})
    db = store_location
    with Store.open(db, cfg) as s:  # an unsigned report under trust = "signed": stored, counts for nobody
        s.ingest_many([prepare(report(["jane@example.com"], "promote"), "", (), parse_options(cfg), received_at=T0)])
        (event_id, trusted), = s.conn.execute("SELECT id, trusted FROM events").fetchall()
    assert trusted == 0
    srv = LiveServer(db, cfg).start()
    w, act = srv.client(srv.token("write-token", "write")), srv.client(srv.token("activity-token", "activity"))
    try:
        problem(w.post(f"/events/{event_id}/promote", json={}), 400, "reason")
        problem(w.post(f"/events/{event_id}/promote", json={"reason": "  "}), 400, "reason")
        problem(w.post("/events/abc/promote", json={"reason": "x"}), 400, "id")
        problem(w.post(f"/events/{event_id + 100}/promote", json={"reason": "x"}), 404, f"no event {event_id + 100}")
        problem(act.post(f"/events/{event_id}/promote", json={"reason": "x"}), 403, "write")
        assert w.get("/suppressions/jane@example.com").json()["suppressed"] is False
        r = w.post(f"/events/{event_id}/promote", json={"reason": "checked with the customer: mailbox closed"})
        assert r.status_code == 200, r.text
        assert r.json() == {"event_id": event_id, "promoted_by": "write-token",
                            "reason": "checked with the customer: mailbox closed", "suppressed": True}
        problem(w.post(f"/events/{event_id}/promote", json={"reason": "again"}), 409, "not untrusted")
        assert w.get("/suppressions/jane@example.com").json()["suppressed"] is True
        audit = w.get("/addresses/jane@example.com").json()["audit"]
        assert any(a["action"] == "promote" and a["actor"] == "write-token" for a in audit), audit
        doc = w.get("/openapi.json").json()["paths"]["/events/{id}/promote"]["post"]
        assert doc["requestBody"]["content"]["application/json"]["schema"]["required"] == ["reason"]
        assert {"404", "409"} <= set(doc["responses"])
    finally:
        w.close()
        act.close()
        srv.stop()
