"""The support page in a real headless Chromium (Debian's `chromium`, driven by Playwright) against
`bounced web`'s real app on uvicorn over a real store file."""
from __future__ import annotations

import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bounced.store import Store
from bounced.timeutil import utcnow
from tests.webpages_helpers import PASSWORDS, add_users, ingest_bounces, serve_pages

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")

JANE = "jane@example.com"
PASTED = '  "Jane Doe" <Jane@Example.COM> '


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator:
    """A store with users of every role and a soft-suppressed address (three full-mailbox bounces)."""
    db = tmp_path / "bounced.db"
    add_users(db)
    now = utcnow()
    ingest_bounces(db, JANE, [now - timedelta(days=d) for d in (3, 2, 1)])
    srv = serve_pages(db)
    srv.db = db
    yield srv
    srv.stop()


def sign_in(browser, site, name: str, locale: str = "en-GB"):
    ctx = browser.new_context(locale=locale)
    page = ctx.new_page()
    page.goto(site.url + "/")
    assert "/login" in page.url
    page.get_by_label(re.compile("User name|Benutzername|Nazwa użytkownika|Nome utente")).fill(name)
    page.locator("#password").fill(PASSWORDS[name])
    page.locator("#password").press("Enter")
    page.wait_for_url(site.url + "/")
    return page


def state(db: Path) -> dict:
    with Store.open(db) as s:
        r = s.address_report(JANE)
    return {"active": r.active_now, "audit": r.audit}


def test_support_finds_a_pasted_address_reads_why_and_lifts_it(browser, site) -> None:
    page = sign_in(browser, site, "sam")
    page.get_by_label("Address or domain").fill(PASTED)
    page.get_by_label("Address or domain").press("Enter")
    page.wait_for_url(re.compile(r"/address\?a=jane%40example.com"))
    assert page.locator("h1").inner_text() == JANE
    words = page.locator("section.state").inner_text()
    assert "Suppressed since" in words and "the mailbox is full" in words and "4.2.2" in words
    assert "ends by itself on" in words
    events = page.locator("#events-h + div table tbody tr")
    assert events.count() == 3
    assert "over quota" in events.first.inner_text()
    assert "mx.example.com" in events.first.inner_text()
    page.get_by_label("Reason (kept in the audit trail)").fill("the client confirmed that they cleared their mailbox")
    page.get_by_label("I confirm: mail to this address resumes now.").check()
    page.get_by_role("button", name="Lift").click()
    page.wait_for_url(re.compile(r"done=lift"))
    assert "The suppression is lifted" in page.get_by_role("status").inner_text()
    words = page.locator("section.state").inner_text()
    assert "Not suppressed: sam lifted the suppression on" in words
    assert "the client confirmed that they cleared their mailbox" in words
    audit = page.locator("#audit table tbody tr").first.inner_text()
    assert "sam" in audit and "unsuppress" in audit and "cleared their mailbox" in audit
    st = state(site.db)
    assert not st["active"] and st["audit"][-1]["actor"] == "sam"
    page.context.close()


def test_a_viewer_reads_but_cannot_lift(browser, site) -> None:
    page = sign_in(browser, site, "vera")
    page.goto(site.url + "/address?a=" + JANE)
    assert "Suppressed since" in page.locator("section.state").inner_text()
    assert page.locator("form[action='/address/lift']").count() == 0
    # the same request a support user's form makes, sent with the viewer's own session and CSRF token
    csrf = page.locator("form.logout input[name=csrf]").get_attribute("value")
    resp = page.request.post(site.url + "/address/lift", form={"csrf": csrf, "address": JANE, "reason": "x",
                                                                 "confirm": "yes"})
    assert resp.status == 403 and "role does not allow" in resp.text()
    assert state(site.db)["active"]
    page.context.close()


class _Attacker(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802
        body = (f'<form method="post" action="{self.target}/address/lift"><input name="address" value="{JANE}">'
                '<input name="reason" value="forged"><input name="confirm" value="yes">'
                '<input name="csrf" value="guessed"><button>win a prize</button></form>').encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a) -> None:
        pass


def test_a_forged_form_from_another_page_is_refused(browser, site) -> None:
    """Another port on the same host is the same site, so the SameSite cookie IS sent: the CSRF token
    is what stops it."""
    page = sign_in(browser, site, "sam")
    handler = type("Attacker", (_Attacker,), {"target": site.url})
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        with page.expect_navigation():
            page.get_by_role("button", name="win a prize").click()
        assert "did not come from this page" in page.content()
        assert state(site.db)["active"]
    finally:
        evil.shutdown()
    page.context.close()


def test_german_from_accept_language_then_polish_from_the_switch(browser, site) -> None:
    page = sign_in(browser, site, "sam", locale="de-DE")
    assert page.locator("html").get_attribute("lang") == "de"
    page.goto(site.url + "/address?a=" + JANE)
    words = page.locator("section.state").inner_text()
    assert "Gesperrt seit" in words and "Postfach ist voll" in words
    assert re.search(r"\d+\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}", words)
    page.get_by_role("link", name="Polski").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "pl"
    assert "/address?a=" in page.url
    words = page.locator("section.state").inner_text()
    assert "Zablokowany od" in words and "skrzynka jest pełna" in words
    assert page.get_by_role("button", name="Zdejmij blokadę").count() == 1
    page.context.close()


def test_every_control_has_a_label_and_lifting_works_from_the_keyboard(browser, site) -> None:
    page = sign_in(browser, site, "sam")
    for path in ("/", "/address?a=" + JANE, "/suppressions", "/stats"):
        page.goto(site.url + path)
        unlabeled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.innerText.trim())
            .map(el => el.outerHTML)""")
        assert unlabeled == [], path
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert page.locator("h1").count() == 1
    page.goto(site.url + "/")
    # keyboard only: Tab to the search box, type, Enter; Tab to the reason, the box, the button
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "q":
            break
    page.keyboard.type(PASTED)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/address\?"))
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "lift-reason":
            break
    assert page.evaluate("() => document.activeElement.id") == "lift-reason"
    page.keyboard.type("client cleared the mailbox (keyboard)")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "lift-confirm"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Lift"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=lift"))
    assert not state(site.db)["active"]
    page.context.close()


def test_no_inline_script_and_the_csp_holds(browser, site) -> None:
    page = sign_in(browser, site, "sam")
    page.goto(site.url + "/address?a=" + JANE)
    assert page.locator("script").count() == 0
    resp = page.request.get(site.url + "/address?a=" + JANE)
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    page.context.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, url: str) -> list[str]:
    """The WCAG 2.1 A/AA violations axe-core (vendored) finds on ``url``: rule and elements each.
    The page's context must bypass the CSP to inject it; the site itself never runs a script."""
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => v.id + ': ' +
        v.nodes.map(n => n.target.join(' ')).join(', '))""")


@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_axe_finds_no_wcag_violations(browser, site, locale: str) -> None:
    """axe-core (vendored) on every page; the test's browser context may inject it despite the CSP,
    the site itself never runs a script."""
    ctx = browser.new_context(locale=locale, bypass_csp=True)
    page = ctx.new_page()
    found = {}
    for path in ("/login", None, "/", "/address?a=" + JANE, "/suppressions?state=any", "/stats", "/tokens"):
        if path is None:  # sign in between the public page and the others
            page.fill("#name", "ada")
            page.fill("#password", PASSWORDS["ada"])
            page.press("#password", "Enter")
            page.wait_for_url(site.url + "/")
            continue
        result = axe_violations(page, site.url + path)
        if result:
            found[path] = result
    assert found == {}
    ctx.close()
