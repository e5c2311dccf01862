"""The HTTP API against a real uvicorn on a loopback port and a real store file: every endpoint,
every scope, normalization shared with the reader and the CLI, bad input of every kind."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from bounced import SuppressionList
from bounced.cli import main
from bounced.config import Config
from bounced.ingest import prepare
from bounced.store import Store
from tests.storehelp import OPEN, dsn, hours
from tests.webhelp import LiveServer, web_config


@pytest.fixture
def db(store_location: str) -> str:
    """The API's tests run on both engines: a SQLite file and a PostgreSQL database."""
    p = store_location
    with Store.open(p, OPEN) as s:
        s.ingest_many([prepare(dsn("Hard@Example.com", tag="1"), "", (), received_at=hours(0))])
        s.suppress("jane@xn--bcher-kva.de", "asked by phone", kind="complaint", when=hours(1))
    return p


@pytest.fixture
def live(db: Path):
    srv = LiveServer(db, web_config(page_size=3, max_batch=50, max_body_bytes=20000)).start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(live: LiveServer) -> dict[str, httpx.Client]:
    out = {scope: live.client(live.token(f"{scope}-token", scope)) for scope in ("read", "activity", "write", "admin")}
    out["none"] = live.client(None)
    out["bad"] = live.client("bnc_not-a-token")
    yield out
    for c in out.values():
        c.close()


def problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# -------------------------------------------------------------------- the normalization table
# (input, key or None when malformed): the reader, the view, the API and the CLI must agree
NORMALIZATION = [
    ("hard@example.com", "hard@example.com"),
    ("HARD@EXAMPLE.COM", "hard@example.com"),
    ("  hard@example.com\t", "hard@example.com"),
    ("<hard@example.com>", "hard@example.com"),
    (" <Hard@Example.Com> ", "hard@example.com"),
    ("hard@example.com.", "hard@example.com"),
    ("jane@bücher.de", "jane@xn--bcher-kva.de"),
    ("JANE@BÜCHER.DE", "jane@xn--bcher-kva.de"),
    ("<Jane@Bücher.de>", "jane@xn--bcher-kva.de"),
    ("jane@xn--bcher-kva.de", "jane@xn--bcher-kva.de"),
    ("other@example.com", "other@example.com"),
    ("no-at-sign", None),
    ("a@", None),
    ("a..b@example.com", None),
]


@pytest.mark.parametrize("raw,key", NORMALIZATION, ids=[repr(r) for r, _ in NORMALIZATION])
def test_reader_view_api_and_cli_agree(db: Path, live: LiveServer, clients, raw: str, key: str | None) -> None:
    reader = SuppressionList(db).is_suppressed(raw)
    with Store.open(db, OPEN, readonly=True) as s:
        view = key is not None and bool(s.conn.execute("SELECT 1 FROM active_suppressions WHERE address = ?",
                                                       (key,)).fetchone())
    r = clients["read"].get(f"/suppressions/{quote(raw, safe='@')}")  # percent-encoded, as a mailer sends it
    cli = CliRunner().invoke(main, ["inspect", "--db", str(db), raw])
    if key is None:
        assert not reader and not view
        assert "invalid address" in problem(r, 400)["detail"]
        assert cli.exit_code != 0 and "invalid address" in cli.output
        return
    assert r.status_code == 200 and r.json()["normalized"] == key
    assert r.json()["suppressed"] == reader == view == (key != "other@example.com")
    assert cli.exit_code == 0 and (("SUPPRESSED" in cli.output) == reader)


# -------------------------------------------------------------------- lookups
def test_single_lookup_says_why(clients) -> None:
    body = clients["read"].get("/suppressions/Hard@Example.com").json()
    assert body["suppressed"] and body["kind"] == "hard" and body["reason"] == "user_unknown"
    assert body["source"] == "policy" and body["since"] == "2026-01-01T12:00:00.000Z" and body["expires_at"] is None
    assert body["last_event"]["status"] == "5.1.1" and "user unknown" in body["last_event"]["diagnostic"]
    assert clients["read"].get("/suppressions/nobody@example.com").json() == {
        "address": "nobody@example.com", "normalized": "nobody@example.com", "suppressed": False}


def test_a_lookup_sees_another_process_commit_at_once(db: str, clients) -> None:
    """No answer is older than the database: the lookup's connection keeps no read open between
    requests (Store.lookup_one reuses one cursor on SQLite), so a commit by another process shows
    in the very next lookup, suppressed and lifted alike, with no cache to wait out."""
    read = clients["read"]

    def suppressed() -> bool:
        r = read.get("/suppressions/Fresh@Example.org")
        assert r.status_code == 200 and r.json()["normalized"] == "fresh@example.org"
        return r.json()["suppressed"]

    def cli(*args: str) -> None:
        r = subprocess.run([sys.executable, "-m", "bounced", *args, "--db", str(db)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    for _ in range(2):
        assert [suppressed() for _ in range(3)] == [False] * 3
        cli("suppress", "fresh@example.org", "--reason", "asked by phone")
        assert suppressed()
        assert read.get("/suppressions/fresh@example.org").json()["reason"] == "asked by phone"
        cli("unsuppress", "fresh@example.org", "--reason", "asked again")
        assert not suppressed()


def test_batch_check(clients) -> None:
    addrs = ["x@example.com", "HARD@example.com", "bad", "jane@bücher.de", "hard@example.com"]
    body = clients["read"].post("/suppressions/check", json={"addresses": addrs}).json()
    assert body["checked"] == 5 and body["suppressed_count"] == 3
    assert [(h["address"], h["kind"]) for h in body["suppressed"]] == [
        ("HARD@example.com", "hard"), ("jane@bücher.de", "complaint"), ("hard@example.com", "hard")]
    assert body["invalid"] == [{"index": 2, "address": "bad", "error": "missing '@'"}]


def test_batch_over_the_limit_is_refused_naming_the_limit(clients) -> None:
    p = problem(clients["read"].post("/suppressions/check", json={"addresses": ["a@b.c"] * 51}), 413)
    assert "51" in p["detail"] and "50" in p["detail"]
    big = {"addresses": ["a" * 450 + "@example.com"] * 49}  # within max_batch, over max_body_bytes
    assert "max_body_bytes" in problem(clients["read"].post("/suppressions/check", json=big), 413)["detail"]


@pytest.mark.parametrize("body,ctype,expect", [
    (b"{not json", "application/json", "not valid JSON"),
    (b"", "application/json", "empty"),
    (b'{"addresses": "a@b.c"}', "application/json", "expected a JSON array"),
    (b'{"addresses": ["a@b.c"]}', "text/plain", "Content-Type"),
], ids=["malformed-json", "empty-body", "not-an-array", "wrong-content-type"])
def test_bad_bodies(clients, body: bytes, ctype: str, expect: str) -> None:
    r = clients["read"].post("/suppressions/check", content=body, headers={"content-type": ctype})
    assert expect in problem(r, 415 if ctype != "application/json" else 400)["detail"]


# -------------------------------------------------------------------- listing with cursors
def test_list_pages_with_a_cursor_and_never_truncates_silently(db: Path, clients) -> None:
    with Store.open(db, OPEN) as s:
        for i in range(5):
            s.suppress(f"p{i}@example.net", "test", when=hours(2 + i))
    seen, cursor, pages = [], None, 0
    while True:
        r = clients["read"].get("/suppressions", params={"cursor": cursor} if cursor else {})
        body = r.json()
        seen += [i["address"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7 and seen == sorted(seen)
    only = clients["read"].get("/suppressions", params={"kind": "complaint"}).json()["items"]
    assert [i["address"] for i in only] == ["jane@xn--bcher-kva.de"]
    dom = clients["read"].get("/suppressions", params={"domain": "example.net", "since": "2026-01-01T16:00:00Z"})
    assert [i["address"] for i in dom.json()["items"]] == ["p2@example.net", "p3@example.net", "p4@example.net"]


@pytest.mark.parametrize("params,expect", [
    ({"kind": "squishy"}, "unknown kind 'squishy'"),
    ({"reason": "because"}, "unknown reason 'because'"),
    ({"state": "maybe"}, "state"),
    ({"since": "yesterday"}, "not an ISO-8601 time: 'yesterday'"),
    ({"limit": "0"}, "limit"),
    ({"limit": "4"}, "limit"),
    ({"cursor": "!!!"}, "cursor"),
])
def test_list_bad_filters(clients, params: dict, expect: str) -> None:
    assert expect in problem(clients["read"].get("/suppressions", params=params), 400)["detail"]


# -------------------------------------------------------------------- writes, audit, history
def test_suppress_and_lift_by_hand_are_audited_under_the_token(db: Path, clients) -> None:
    w = clients["write"]
    r = w.put("/suppressions/ Sam@Example.org ", json={"reason": "asked to stop", "kind": "hard"})
    assert r.status_code == 200 and r.json()["suppressed"] and r.json()["source"] == "manual"
    assert "reason" in problem(w.delete("/suppressions/sam@example.org"), 400)["detail"]
    assert w.request("DELETE", "/suppressions/sam@example.org", json={"reason": "resubscribed"}).status_code == 200
    assert "not suppressed" in problem(w.delete("/suppressions/sam@example.org", params={"reason": "again"}), 404)["detail"]
    hist = clients["read"].get("/addresses/SAM@example.org").json()
    assert [(a["actor"], a["action"], a["reason"]) for a in hist["audit"]] == [
        ("write-token", "suppress", "asked to stop"), ("write-token", "unsuppress", "resubscribed")]
    assert not hist["suppressed"] and hist["state"]["lifted_by"] == "write-token"
    cli = CliRunner().invoke(main, ["inspect", "--db", str(db), "sam@example.org"])
    assert "lifted" in cli.output and "write-token" in cli.output


@pytest.mark.parametrize("body,expect", [
    ({}, "reason: required"),
    ({"reason": "  "}, "reason: required"),
    ({"reason": "x", "kind": "purple"}, "unknown kind 'purple'"),
    ({"reason": "x" * 501}, "longer than 500"),
    (["reason"], "JSON object"),
])
def test_put_bad_input(clients, body, expect: str) -> None:
    assert expect in problem(clients["write"].put("/suppressions/a@example.com", json=body), 400)["detail"]


def test_address_history_has_events_audit_and_activity(clients) -> None:
    clients["activity"].post("/activity", json={"activity": [
        {"address": "Hard@example.com", "at": "2026-01-02T00:00:00Z", "type": "click"}]})
    h = clients["read"].get("/addresses/hard@EXAMPLE.com").json()
    e = h["events"][0]
    assert (e["status"], e["reply_code"], e["reason"], e["remote_mta"]) == ("5.1.1", "550", "user_unknown", "mx.Example.com")
    assert e["message_id"] >= 1
    assert h["activity"] == [{"at": "2026-01-02T00:00:00.000Z", "type": "click", "source": "api:activity-token"}]


# -------------------------------------------------------------------- activity
def test_activity_restarts_the_soft_count_exactly_as_the_python_api(tmp_path: Path) -> None:
    def run(record) -> dict:
        p = tmp_path / f"{record.__name__}.db"
        with Store.open(p, OPEN) as s:
            for h in (0, 12):
                s.ingest_many([prepare(dsn("full@example.com", "4.2.2", "452 4.2.2 mailbox full", tag=str(h)), "", (),
                                       received_at=hours(h))])
        record(p)
        with Store.open(p, OPEN) as s:
            s.ingest_many([prepare(dsn("full@example.com", "4.2.2", "452 4.2.2 mailbox full", tag="30"), "", (),
                                   received_at=hours(30))])
            rep = s.address_report("full@example.com")
        return {"active": rep.active_now, "soft_count": rep.state["soft_count"]}

    def python_api(p: Path) -> None:
        SuppressionList(p).record_activity("full@example.com", when=hours(13))

    def http_api(p: Path) -> None:
        srv = LiveServer(p, OPEN).start()
        try:
            with srv.client(srv.token("m", "activity")) as c:
                r = c.post("/activity", json=[{"address": "FULL@example.com", "at": "2026-01-02T01:00:00Z", "type": "open"}])
                assert r.json() == {"recorded": 1}
        finally:
            srv.stop()

    assert run(python_api) == run(http_api) == {"active": False, "soft_count": 1}


@pytest.mark.parametrize("item,expect", [
    ({"address": "nope", "type": "click"}, "activity[1].address"),
    ({"address": "a@example.com", "at": "tuesday"}, "activity[1].at"),
    ({"address": "a@example.com", "type": "Has Spaces"}, "activity[1].type"),
    ("a@example.com", "activity[1]: expected an object"),
])
def test_activity_batch_is_all_or_nothing(db: Path, clients, item, expect: str) -> None:
    good = {"address": "good@example.com", "type": "click"}
    assert expect in problem(clients["activity"].post("/activity", json={"activity": [good, item]}), 400)["detail"]
    with Store.open(db, OPEN, readonly=True) as s:
        assert s.address_report("good@example.com").activity == []


def test_activity_batch_limit(clients) -> None:
    items = [{"address": f"u{i}@example.com"} for i in range(51)]
    assert "over the limit of 50" in problem(clients["activity"].post("/activity", json=items), 413)["detail"]


# -------------------------------------------------------------------- change feed
def test_change_feed_has_suppressions_lifts_and_expiries_with_stable_cursors(db: Path, clients, live) -> None:
    with Store.open(db, OPEN) as s:
        for h in (0, 12, 30):  # three soft bounces over 30 h: suppressed, expires 14 days later
            s.ingest_many([prepare(dsn("soft@example.com", "4.2.2", "452 4.2.2 mailbox full", tag=f"s{h}"), "", (),
                                   received_at=hours(h))])
    clients["write"].delete("/suppressions/hard@example.com", params={"reason": "fixed"})
    clients["write"].put("/suppressions/hard@example.com", json={"reason": "bounced again"})
    with Store.open(db, OPEN) as s:
        assert s.sweep_expired() == 1  # the soft one expired in January; the web process's sweep writes it
    feed, cursor = [], "0"
    while True:
        body = clients["read"].get("/changes", params={"after": cursor}).json()
        feed += body["changes"]
        cursor = body["next_cursor"]
        if not body["more"]:
            break
    got = [(c["address"], c["change"], c["actor"]) for c in feed]
    assert got == [
        ("hard@example.com", "suppressed", "policy"), ("jane@xn--bcher-kva.de", "complaint", "operator"),
        ("soft@example.com", "suppressed", "policy"), ("hard@example.com", "lifted", "write-token"),
        ("hard@example.com", "re-suppressed", "write-token"), ("soft@example.com", "expired", "policy")]
    assert [int(c["id"]) for c in feed] == sorted(int(c["id"]) for c in feed)
    # the cursor survives a restart: a new server over the same file continues after it
    live.stop()
    again = LiveServer(db, OPEN).start()
    try:
        with again.client(again.token("r2", "read")) as c:
            assert c.get("/changes", params={"after": feed[3]["id"]}).json()["changes"] == feed[4:]
            assert c.get("/changes", params={"after": cursor}).json()["changes"] == []
            assert "cursor" in problem(c.get("/changes", params={"after": "abc"}), 400)["detail"]
    finally:
        again.stop()


# -------------------------------------------------------------------- messages and stats
def test_messages_need_admin_and_return_raw_bytes(db: Path, clients) -> None:
    for scope in ("read", "activity", "write"):
        assert "admin" in problem(clients[scope].get("/messages/1/raw"), 403)["detail"]
    m = clients["admin"].get("/messages/1").json()
    assert m["parse_status"] == "ok" and m["events"][0]["address"] == "hard@example.com" and m["raw_available"]
    raw = clients["admin"].get("/messages/1/raw")
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.content == dsn("Hard@Example.com", tag="1")
    assert "no message 99" in problem(clients["admin"].get("/messages/99"), 404)["detail"]
    assert "message number" in problem(clients["admin"].get("/messages/x1"), 400)["detail"]


def test_stats(clients) -> None:
    st = clients["read"].get("/stats").json()
    assert st["by_reason"][0]["reason"] == "user_unknown" and st["by_kind"][0]["kind"] == "hard"
    assert st["by_domain"][0]["domain"] == "example.com" and st["by_day"][0]["day"] == "2026-01-01"
    assert st["totals"]["active_suppressions"] == 2 and st["sender_side"] == []


# -------------------------------------------------------------------- authentication and scopes
ENDPOINTS = [  # (method, path, json, least scope)
    ("GET", "/suppressions/hard@example.com", None, "read"),
    ("POST", "/suppressions/check", {"addresses": ["a@example.com"]}, "read"),
    ("GET", "/suppressions", None, "read"),
    ("GET", "/addresses/hard@example.com", None, "read"),
    ("GET", "/changes", None, "read"),
    ("GET", "/stats", None, "read"),
    ("POST", "/activity", [{"address": "a@example.com"}], "activity"),
    ("PUT", "/suppressions/z@example.com", {"reason": "r"}, "write"),
    ("DELETE", "/suppressions/z@example.com?reason=r", None, "write"),
    ("GET", "/messages/1", None, "admin"),
    ("GET", "/messages/1/raw", None, "admin"),
]
RANK = ["read", "activity", "write", "admin"]


@pytest.mark.parametrize("method,path,body,least", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_every_endpoint_checks_token_and_scope(clients, method: str, path: str, body, least: str) -> None:
    for who in ("none", "bad"):
        p = problem(clients[who].request(method, path, json=body), 401)
        assert "example.com" not in p["detail"] and set(p) == {"type", "title", "status", "detail", "instance"}
    for scope in RANK:
        if method == "DELETE":  # something to lift each time
            clients["admin"].put("/suppressions/z@example.com", json={"reason": "again"})
        r = clients[scope].request(method, path, json=body)
        if RANK.index(scope) < RANK.index(least):
            assert least in problem(r, 403)["detail"]
        else:
            assert r.status_code == 200, (scope, r.text)


def test_401_and_403_do_not_leak_whether_an_address_exists(clients) -> None:
    for who, status in (("none", 401), ("bad", 401)):
        a = clients[who].get("/addresses/hard@example.com")
        b = clients[who].get("/addresses/nobody@example.com")
        assert a.status_code == b.status_code == status
        assert a.json()["detail"] == b.json()["detail"]
    a = clients["read"].get("/messages/1")
    b = clients["read"].get("/messages/99")
    assert a.status_code == b.status_code == 403 and a.json()["detail"] == b.json()["detail"]


def test_revoked_token_is_refused_soon_after(db: Path, live: LiveServer) -> None:
    """A valid token is remembered for a second (auth.Authenticator): then the revocation holds."""
    tok = live.token("temp", "read")
    with live.client(tok) as c:
        assert c.get("/changes").status_code == 200
        r = CliRunner().invoke(main, ["token", "revoke", "temp", "--db", str(db)])
        assert r.exit_code == 0, r.output
        deadline = time.monotonic() + 30
        while c.get("/changes").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.get("/changes").status_code == 401
        assert c.get("/suppressions/hard@example.com").status_code == 401  # the fast path too


def test_healthz_needs_no_token_and_metrics_need_one(live: LiveServer, clients) -> None:
    with httpx.Client(base_url=live.url, trust_env=False) as c:
        assert c.get("/healthz").text == "ok\n"
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers=clients["read"].headers).status_code == 200


def test_openapi_document_and_docs(clients) -> None:
    doc = clients["none"].get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for method, path, _, _ in ENDPOINTS:
        templ = path.split("?")[0].replace("hard@example.com", "{address}").replace("z@example.com", "{address}")
        templ = templ.replace("/1", "/{id}")
        assert (method, templ) in documented
    page = clients["none"].get("/docs")
    assert page.headers["content-type"].startswith("text/html") and "/api/v1/suppressions/check" in page.text


def test_unknown_endpoint_and_method_are_problems(clients) -> None:
    assert "no such endpoint" in problem(clients["read"].get("/nope"), 404)["detail"]
    assert "PATCH" in problem(clients["read"].patch("/changes"), 405)["detail"]


def test_the_web_process_sweeps_expired_soft_suppressions_into_the_feed(tmp_path: Path) -> None:
    db = tmp_path / "sweep.db"
    with Store.open(db, OPEN) as s:
        for h in (0, 12, 30):  # suppressed at 30 h, expired 14 days later (long ago)
            s.ingest_many([prepare(dsn("soft@example.com", "4.2.2", "452 4.2.2 mailbox full", tag=f"s{h}"), "", (),
                                   received_at=hours(h))])
    srv = LiveServer(db, web_config(sweep_interval=0.05)).start()
    try:
        with srv.client(srv.token("r", "read")) as c:
            deadline = time.monotonic() + 30
            while len(changes := c.get("/changes").json()["changes"]) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        srv.stop()
    assert [(ch["change"], ch["at"]) for ch in changes] == [("suppressed", "2026-01-02T18:00:00.000Z"),
                                                            ("expired", "2026-01-16T18:00:00.000Z")]


def test_a_locked_database_is_a_503_problem_not_a_traceback(db: Path, tmp_path: Path) -> None:
    import sqlite3

    if str(db).startswith("postgresql://"):
        pytest.skip("SQLite's busy timeout; on PostgreSQL the writer waits on row locks instead")

    from bounced.config import from_dict

    cfg = from_dict({"bounce": {"trust": "open"}, "store": {"busy_timeout_ms": 200}})
    srv = LiveServer(db, cfg).start()
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        with srv.client(srv.token("w", "write")) as c:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
            p = problem(c.put("/suppressions/x@example.com", json={"reason": "r"}), 503)
            assert "locked" in p["detail"] and str(db) in p["detail"]
            holder.execute("ROLLBACK")
            assert c.put("/suppressions/x@example.com", json={"reason": "r"}).status_code == 200
    finally:
        holder.close()
        srv.stop()
