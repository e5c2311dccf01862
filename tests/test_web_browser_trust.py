"""The Held page and an untrusted report in a real headless Chromium against `bounced web` on
uvicorn over a real store file: support releases a held suppression with the page's own form,
and axe-core finds no WCAG violation on the new pages."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bounced.store import Store
from tests.test_web_browser import axe_violations, browser, pytestmark, sign_in  # noqa: F401  (fixture and skip marker)
from tests.test_web_pages_trust import FORGED, LIST, db  # noqa: F401  (the store with held and untrusted events)
from tests.webpages_helpers import serve_pages


@pytest.fixture
def site(db: Path) -> Iterator:  # noqa: F811
    srv = serve_pages(db)
    srv.db = db
    yield srv
    srv.stop()


def test_support_releases_a_held_suppression_from_the_held_page(browser, site) -> None:  # noqa: F811
    page = sign_in(browser, site, "sam")
    page.get_by_role("link", name="Held", exact=True).click()
    page.wait_for_url(site.url + "/held")
    assert "held.example (2)" in page.locator("h2").all_inner_texts()
    page.get_by_label("Which").select_option(index=1)
    chosen = page.get_by_label("Which").evaluate("s => s.options[s.selectedIndex].text").split(" · ")[0]
    page.get_by_label("Reason (kept in the audit trail)").fill("checked with the customer: mailbox closed")
    page.get_by_role("button", name="Release").click()
    assert "/held" in page.url and "Tick the confirmation box" not in page.content()  # required: the browser asks
    page.get_by_label(re.compile("I confirm this decision")).check()
    page.get_by_role("button", name="Release").click()
    page.wait_for_url(re.compile(r"/held\?done=release"))
    assert "Released 1" in page.locator("[role=status]").inner_text()
    with Store.open(site.db) as s:
        assert s.address_report(chosen).active_now
        assert [(a["actor"], a["action"]) for a in s.address_report(chosen).audit] == [("sam", "release")]
    page.context.close()


def test_axe_finds_no_wcag_violations_on_held_and_untrusted(browser, site) -> None:  # noqa: F811
    ctx = browser.new_context(locale="en-GB", bypass_csp=True)
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.fill("#name", "sam")
    page.fill("#password", "support password 1")
    page.press("#password", "Enter")
    page.wait_for_url(site.url + "/")
    found = {}
    for path in ("/held", "/address?a=" + FORGED, "/address?a=" + LIST[3]):
        result = axe_violations(page, site.url + path)
        if result:
            found[path] = result
    assert found == {}
    ctx.close()
