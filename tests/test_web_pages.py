"""The support page over HTTP (a real uvicorn and store file): sign-in, throttling, the proxy header,
roles, CSRF, reasons, the browse list, stats, raw messages and the first start."""
from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bounced.config import from_dict
from bounced.store import Store
from bounced.timeutil import utcnow
from tests.webpages_helpers import PASSWORDS, add_users, ingest_bounces, serve_pages

JANE = "jane@example.com"


@pytest.fixture
def db(store_location: str) -> str:
    """The support page's tests run on both engines: a SQLite file and a PostgreSQL database."""
    p = store_location
    add_users(p)
    now = utcnow()
    ingest_bounces(p, JANE, [now - timedelta(days=d) for d in (3, 2, 1)])
    return p


@pytest.fixture
def site(db: Path) -> Iterator:
    srv = serve_pages(db)
    yield srv
    srv.stop()


def login_form(c: httpx.Client, nxt: str = "/") -> str:
    r = c.get("/login", params={"next": nxt})
    return re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)


def signed_in(site, name: str) -> httpx.Client:
    c = httpx.Client(base_url=site.url)
    r = c.post("/login", data={"csrf": login_form(c), "name": name, "password": PASSWORDS[name], "next": "/"})
    assert r.status_code == 303, r.text
    return c


def csrf_of(c: httpx.Client, path: str = "/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def active(db: Path, address: str = JANE) -> bool:
    with Store.open(db) as s:
        return s.address_report(address).active_now


def test_session_cookie_flags_and_security_headers(site) -> None:
    c = httpx.Client(base_url=site.url)
    r = c.get("/login")
    for h in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert h in r.headers
    assert "script-src" not in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    r = c.post("/login", data={"csrf": login_form(c), "name": "sam", "password": PASSWORDS["sam"], "next": "/"})
    cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("bounced_session=")][0]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; over TLS (or a trusted proxy's https) it is set


def test_wrong_password_and_unknown_user_get_the_same_answer(site) -> None:
    c = httpx.Client(base_url=site.url)
    a = c.post("/login", data={"csrf": login_form(c), "name": "sam", "password": "wrong wrong wrong"})
    b = c.post("/login", data={"csrf": login_form(c), "name": "nobody", "password": "wrong wrong wrong"})
    assert a.status_code == b.status_code == 401
    assert "Wrong user name or password." in a.text and "Wrong user name or password." in b.text


def test_sign_in_is_throttled_after_repeated_failures(site) -> None:
    c = httpx.Client(base_url=site.url)
    for _ in range(5):
        assert c.post("/login", data={"csrf": login_form(c), "name": "sam", "password": "guess guess"}).status_code == 401
    r = c.post("/login", data={"csrf": login_form(c), "name": "sam", "password": PASSWORDS["sam"]})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in r.text and "bounced_session" not in r.headers.get("set-cookie", "")


def test_throttle_behind_a_proxy_counts_the_forwarded_address(db: Path) -> None:
    srv = serve_pages(db, trusted_proxies=["127.0.0.1"])
    try:
        c = httpx.Client(base_url=srv.url)
        for _ in range(5):
            c.post("/login", headers={"X-Forwarded-For": "203.0.113.66"},
                   data={"csrf": login_form(c), "name": "nobody", "password": "guess guess"})
        blocked = c.post("/login", headers={"X-Forwarded-For": "203.0.113.66"},
                         data={"csrf": login_form(c), "name": "sam", "password": PASSWORDS["sam"]})
        other = c.post("/login", headers={"X-Forwarded-For": "198.51.100.7"},
                       data={"csrf": login_form(c), "name": "sam", "password": PASSWORDS["sam"]})
        assert blocked.status_code == 429 and other.status_code == 303
    finally:
        srv.stop()


def test_login_form_without_its_token_is_refused(site) -> None:
    c = httpx.Client(base_url=site.url)
    r = c.post("/login", data={"name": "sam", "password": PASSWORDS["sam"]})
    assert r.status_code == 403 and "bounced_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("nxt", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_no_open_redirect_after_sign_in(site, nxt: str) -> None:
    c = httpx.Client(base_url=site.url)
    r = c.post("/login", data={"csrf": login_form(c), "name": "sam", "password": PASSWORDS["sam"], "next": nxt})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_pages_need_a_session(site) -> None:
    c = httpx.Client(base_url=site.url)
    for path in ("/", "/address?a=" + JANE, "/suppressions", "/stats", "/messages/1/raw"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_proxy_header_is_believed_only_from_the_configured_proxy(db: Path) -> None:
    srv = serve_pages(db, trusted_proxies=["127.0.0.1"])
    try:
        c = httpx.Client(base_url=srv.url)
        r = c.get("/address", params={"a": JANE}, headers={"X-Forwarded-User": "sam"})
        assert r.status_code == 200 and "sam (support)" in r.text
        assert c.get("/", headers={"X-Forwarded-User": "stranger"}).status_code == 303  # no such user
        # a real proxy also says who connected to it; that must not change whom the page trusts
        r = c.get("/", headers={"X-Forwarded-User": "sam", "X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 200 and "sam (support)" in r.text
        # behind the proxy, https makes the session cookie Secure
        r = c.post("/login", headers={"X-Forwarded-Proto": "https"},
                   data={"csrf": login_form(c), "name": "vera", "password": PASSWORDS["vera"]})
        assert "Secure" in r.headers["set-cookie"]
    finally:
        srv.stop()
    srv = serve_pages(db, trusted_proxies=["10.9.8.7"])
    try:
        r = httpx.get(srv.url + "/", headers={"X-Forwarded-User": "ada"})
        assert r.status_code == 303 and "/login" in r.headers["location"]
        # claiming to come through the proxy does not make a loopback client the proxy
        r = httpx.get(srv.url + "/", headers={"X-Forwarded-User": "ada", "X-Forwarded-For": "10.9.8.7"})
        assert r.status_code == 303 and "/login" in r.headers["location"]
    finally:
        srv.stop()


def test_lift_needs_a_reason_and_a_confirmation(site, db: Path) -> None:
    c = signed_in(site, "sam")
    token = csrf_of(c, "/address?a=" + JANE)
    r = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "  ", "confirm": "yes"})
    assert r.status_code == 400 and "Write down why" in r.text and active(db)
    r = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "client cleared the mailbox"})
    assert r.status_code == 400 and "Tick the confirmation box" in r.text and active(db)
    r = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "client cleared the mailbox",
                                      "confirm": "yes"})
    assert r.status_code == 303 and not active(db)
    r = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "again", "confirm": "yes"})
    assert r.status_code == 400 and "not suppressed" in r.text


def test_resuppress_by_hand_is_audited_under_the_users_name(site, db: Path) -> None:
    c = signed_in(site, "sam")
    token = csrf_of(c)
    c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "cleared", "confirm": "yes"})
    r = c.post("/address/suppress", data={"csrf": token, "address": JANE, "kind": "hard",
                                          "reason": "customer asked to stop", "confirm": "yes"})
    assert r.status_code == 303 and active(db)
    with Store.open(db) as s:
        audit = s.address_report(JANE).audit
    assert [(a["actor"], a["action"], a["reason"]) for a in audit[-2:]] == [
        ("sam", "unsuppress", "cleared"), ("sam", "suppress", "customer asked to stop")]
    page = c.get("/address", params={"a": JANE}).text
    assert "Suppressed by hand since" in page and "customer asked to stop" in page


def test_the_address_page_names_the_forward_target_that_failed(site, db: Path) -> None:
    from bounced.ingest import prepare
    from tests.storehelp import dsn

    raw = dsn("bob.smith@mail.example.net", tag="fwd").replace(
        b"Action: failed", b"Original-Recipient: rfc822;bob@example.com\r\nAction: failed")
    with Store.open(db, from_dict({"bounce": {"trust": "open"}})) as s:
        s.ingest_many([prepare(raw, "", ("bounces@localhost",))])
    page = signed_in(site, "sam").get("/address", params={"a": "bob@example.com"}).text
    assert "Forwarded; failed at bob.smith@mail.example.net" in page


def test_a_wrong_csrf_token_is_refused(site, db: Path) -> None:
    c = signed_in(site, "sam")
    other = signed_in(site, "ada")
    r = c.post("/address/lift", data={"csrf": csrf_of(other), "address": JANE, "reason": "x", "confirm": "yes"})
    assert r.status_code == 403 and active(db)


def test_raw_bounce_is_for_admins_only(site) -> None:
    sam, ada = signed_in(site, "sam"), signed_in(site, "ada")
    assert "/raw" not in sam.get("/address", params={"a": JANE}).text
    link = re.search(r'href="(/messages/\d+/raw)"', ada.get("/address", params={"a": JANE}).text).group(1)
    assert sam.get(link).status_code == 403
    r = ada.get(link)
    assert r.status_code == 200 and b"Final-Recipient: rfc822; jane@example.com" in r.content
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("pasted, why", [("jane", "neither an address nor a domain"), ("jane@", "missing domain")])
def test_search_names_what_was_pasted(site, pasted: str, why: str) -> None:
    c = signed_in(site, "vera")
    r = c.get("/", params={"q": pasted})
    assert r.status_code == 400 and f"“{pasted}”" in r.text and why in r.text


def test_domain_search_lists_its_addresses(site) -> None:
    c = signed_in(site, "vera")
    r = c.get("/", params={"q": "Example.COM"})
    assert r.status_code == 303 and "domain=example.com" in r.headers["location"]
    assert JANE in c.get(r.headers["location"]).text


def test_browse_filters_and_pages(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    add_users(db)
    t0 = utcnow() - timedelta(days=5)
    with Store.open(db) as s:
        for i in range(120):
            s.suppress(f"user{i:03d}@{'a' if i % 2 else 'b'}.example", "imported by test", kind="hard",
                       by="setup", when=t0 + timedelta(minutes=i))
        s.unsuppress("user007@a.example", "client asked again", by="sam")
    srv = serve_pages(db)
    try:
        c = signed_in(srv, "vera")
        first = c.get("/suppressions").text
        rows = re.findall(r'<a href="/address\?a=([^"]+)">', first)
        assert len(rows) == 50 and rows[0] == "user119%40a.example"  # newest first
        assert 'rel="next"' in first and 'rel="prev"' not in first
        third = c.get("/suppressions", params={"page": 3}).text
        assert len(re.findall(r'<a href="/address\?a=', third)) == 19 and 'rel="next"' not in third
        lifted = c.get("/suppressions", params={"state": "lifted"}).text
        assert re.findall(r'<a href="/address\?a=([^"]+)">', lifted) == ["user007%40a.example"]
        assert "sam: client asked again" in lifted
        b_only = c.get("/suppressions", params={"domain": "b.example", "state": "any"}).text
        assert all("b.example" in a for a in re.findall(r'<a href="/address\?a=([^"]+)">', b_only))
        bad = c.get("/suppressions", params={"reason": "nonsense"})
        assert bad.status_code == 400 and "unknown reason 'nonsense'" in html.unescape(bad.text)
    finally:
        srv.stop()


def test_stats_draw_the_chart_and_keep_sender_side_apart(db: Path) -> None:
    ingest_bounces(db, "bob@blocky.example", [utcnow() - timedelta(hours=2)], status="5.7.1",
                   diag="550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Spamhaus")
    srv = serve_pages(db)
    try:
        page = signed_in(srv, "vera").get("/stats").text
        svg = page[page.index("<svg"):page.index("</svg>")]
        assert svg.count("<rect") >= 3 and "role=\"img\"" in svg
        sender = page[page.index('class="sender"'):page.index("</section>", page.index('class="sender"'))]
        assert "blocky.example" in sender and "example.com" not in sender
    finally:
        srv.stop()


def test_logout_ends_the_session(site) -> None:
    c = signed_in(site, "vera")
    assert c.post("/logout", data={"csrf": csrf_of(c)}).status_code == 303
    assert c.get("/").status_code == 303


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_first_start_creates_admin_and_prints_a_one_time_link(tmp_path: Path) -> None:
    db, port = tmp_path / "fresh.db", _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bounced", "web", "--create", "--db", str(db), "--listen", f"127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "BOUNCED_CONFIG": ""})
    try:
        link, deadline = None, time.monotonic() + 30
        while link is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            m = re.search(r"(http://127\.0\.0\.1:\d+/signin\?token=\S+)", line)
            link = m.group(1) if m else None
        assert link, "no sign-in link printed"
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        c = httpx.Client()
        r = c.get(link)
        assert r.status_code == 303
        home = c.get(f"http://127.0.0.1:{port}/")
        assert home.status_code == 200 and "admin (admin)" in home.text
        assert httpx.get(link).status_code == 403  # used up
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    with Store.open(db) as s:
        assert [u["name"] for u in s.users()] == ["admin"]


def test_admin_creates_a_token_shown_once_that_the_api_accepts_then_revokes_it(site, db: Path) -> None:
    ada, sam = signed_in(site, "ada"), signed_in(site, "sam")
    assert sam.get("/tokens").status_code == 403
    assert sam.post("/tokens/create", data={"csrf": csrf_of(sam), "name": "x", "scope": "admin"}).status_code == 403
    r = ada.post("/tokens/create", data={"csrf": csrf_of(ada), "name": "php-mailer", "scope": "read"})
    assert r.status_code == 200
    token = re.search(r'id="new-token" class="token" readonly value="([^"]+)"', r.text).group(1)
    api = httpx.get(site.url + "/api/v1/suppressions/" + JANE, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    listing = ada.get("/tokens").text
    assert "php-mailer" in listing and token not in listing
    with Store.open(db) as s:
        assert [(t["name"], t["created_by"]) for t in s.tokens()] == [("php-mailer", "ada")]
    bad = ada.post("/tokens/create", data={"csrf": csrf_of(ada), "name": "other", "scope": "root"})
    assert bad.status_code == 400 and "unknown scope" in html.unescape(bad.text)
    assert ada.post("/tokens/revoke", data={"csrf": csrf_of(ada), "name": "php-mailer", "confirm": "yes"}).status_code == 303
    # the API remembers a valid token for a moment (bounced.web.auth.Authenticator), so poll
    for _ in range(100):
        api = httpx.get(site.url + "/api/v1/suppressions/" + JANE, headers={"Authorization": f"Bearer {token}"})
        if api.status_code != 200:
            break
        time.sleep(0.1)
    assert api.status_code == 401


def test_oversized_forms_are_refused(site, db: Path) -> None:
    c = signed_in(site, "sam")
    token = csrf_of(c)
    big = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "x" * 20000, "confirm": "yes"})
    many = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "ok", "confirm": "yes",
                                         **{f"f{i}": "1" for i in range(60)}})
    login = httpx.post(site.url + "/login", data={"name": "x" * 20000})
    assert big.status_code == many.status_code == login.status_code == 413
    assert active(db)


def test_a_locked_database_is_a_503_not_a_traceback(db: Path) -> None:
    import sqlite3

    if str(db).startswith("postgresql://"):
        pytest.skip("SQLite's busy timeout; on PostgreSQL writers wait on row locks instead")

    srv = serve_pages(db, store={"busy_timeout_ms": 50})
    blocker = sqlite3.connect(db, isolation_level=None)
    try:
        c = signed_in(srv, "sam")
        token = csrf_of(c)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
        r = c.post("/address/lift", data={"csrf": token, "address": JANE, "reason": "cleared", "confirm": "yes"})
        assert r.status_code == 503 and "database" in r.text and "Traceback" not in r.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        srv.stop()
    assert active(db)
