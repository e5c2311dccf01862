"""The support page's view of trust (issue 15) over HTTP, a real uvicorn and store file: reports that
did not count and why, held suppressions by domain, and the support role's decisions on them
(reason, confirmation, CSRF), audited under the signed-in user's name."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from bounced.config import from_dict
from bounced.ingest import parse_options, prepare
from bounced.store import Store
from tests.storehelp import T0, dsn
from tests.test_trust import report
from tests.test_web_pages import csrf_of, signed_in, site  # noqa: F401  (the site fixture, over this module's db)
from tests.webpages_helpers import add_users

FORGED = "ceo@bigcustomer.example"
LIST = [f"u{i}@held.example" for i in range(4)]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    p = tmp_path / "bounced.db"
    add_users(p)
    bound = from_dict({"bounce": {"trust": "bound"}})
    with Store.open(p, bound) as s:  # no VERP, no signature, nothing registered: does not count
        s.ingest_many([prepare(dsn(FORGED, tag="forged"), "", ("bounces@localhost",), parse_options(bound), received_at=T0)])
    capped = from_dict({"bounce": {"trust": "open"}, "breaker": {"max_per_message": 2}})
    with Store.open(p, capped) as s:  # one report naming four: two apply, two are held
        s.ingest_many([prepare(report(LIST, "cap"), "", (), parse_options(capped), received_at=T0)])
    return p


def text(r) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text)))


def audit(db: Path, address: str) -> list[tuple[str, str]]:
    with Store.open(db) as s:
        return [(a["actor"], a["action"]) for a in s.address_report(address).audit]


def test_an_untrusted_report_is_shown_with_why_and_changes_nothing(site) -> None:
    c = signed_in(site, "vera")
    page = text(c.get("/address", params={"a": FORGED}))
    assert "Not suppressed: nothing recorded for this address stops mail to it." in page
    assert "One report for this address did not count: nothing proved it answers mail we sent (no proof" in page
    assert "Reports that did not count (1)" in page and "did not count: no proof" in page
    assert "Let a report count after all" not in page  # a viewer sees it, cannot promote
    de = c.get("/address", params={"a": FORGED}, headers={"accept-language": "de"})
    assert "Berichte, die nicht zählten" in text(de)


def test_support_promotes_an_untrusted_report_with_reason_and_confirmation(site, db: Path) -> None:
    c = signed_in(site, "sam")
    page = c.get("/address", params={"a": FORGED}).text
    event = re.search(r'<option value="(\d+)">', page).group(1)
    token = csrf_of(c, f"/address?a={FORGED}")
    r = c.post("/address/promote", data={"csrf": token, "address": FORGED, "event": event, "reason": "",
                                         "confirm": "yes"})
    assert r.status_code == 400 and "Write down why" in text(r)
    r = c.post("/address/promote", data={"csrf": token, "address": FORGED, "event": event, "reason": "phoned"})
    assert r.status_code == 400 and "Tick the confirmation box" in text(r)
    r = c.post("/address/promote", data={"csrf": "forged", "address": FORGED, "event": event, "reason": "x",
                                         "confirm": "yes"})
    assert r.status_code == 403
    assert audit(db, FORGED) == []
    r = c.post("/address/promote", data={"csrf": token, "address": FORGED, "event": event,
                                         "reason": "the customer confirmed the mailbox is closed", "confirm": "yes"})
    assert r.status_code == 303 and "done=promote" in r.headers["location"]
    assert audit(db, FORGED) == [("sam", "promote")]
    page = text(c.get(r.headers["location"]))
    assert "The report counts now" in page and "Suppressed since" in page
    with Store.open(db) as s:
        assert [ch["actor"] for ch in s.changes_after(0, 100) if ch["address"] == FORGED] == ["sam"]
    r = c.post("/address/promote", data={"csrf": token, "address": FORGED, "event": event, "reason": "again",
                                         "confirm": "yes"})
    assert r.status_code == 400 and "nothing to promote" in text(r)


def test_the_held_page_lists_by_domain_and_viewers_cannot_decide(site, db: Path) -> None:
    vera = signed_in(site, "vera")
    page = text(vera.get("/held"))
    assert "held.example (2)" in page and "per-message cap" in page
    assert all(a in page for a in LIST[2:]) and FORGED in page  # the newest reports that did not count
    assert "Release" not in re.sub(r"released|Released", "", page)
    r = vera.post("/held/release", data={"csrf": csrf_of(vera, "/held"), "domain": "held.example", "which": "all",
                                         "reason": "x", "confirm": "yes"})
    assert r.status_code == 403
    held_addr = text(vera.get("/address", params={"a": LIST[3]}))
    assert "One suppression for this address is held, not applied" in held_addr


def test_support_releases_one_and_discards_the_rest_under_their_name(site, db: Path) -> None:
    c = signed_in(site, "sam")
    page = c.get("/held").text
    first = re.search(r'<option value="(\d+)">(u\d@held\.example)', page)
    token = csrf_of(c, "/held")
    r = c.post("/held/release", data={"csrf": token, "domain": "held.example", "which": first.group(1), "reason": ""})
    assert r.status_code == 400 and "Write down why" in text(r)
    r = c.post("/held/release", data={"csrf": token, "domain": "held.example", "which": first.group(1),
                                      "reason": "checked: mailbox gone"})
    assert r.status_code == 400 and "Tick the confirmation box" in text(r)
    r = c.post("/held/release", data={"csrf": token, "domain": "held.example", "which": first.group(1),
                                      "reason": "checked: mailbox gone", "confirm": "yes"})
    assert r.status_code == 303
    assert "Released 1" in text(c.get(r.headers["location"]))
    r = c.post("/held/discard", data={"csrf": token, "domain": "held.example", "which": "all",
                                      "reason": "provider outage", "confirm": "yes"})
    assert r.status_code == 303 and "Discarded 1" in text(c.get(r.headers["location"]))
    assert "Nothing is held." in text(c.get("/held"))
    released, discarded = first.group(2), next(a for a in LIST[2:] if a != first.group(2))
    assert audit(db, released) == [("sam", "release")] and audit(db, discarded) == [("sam", "discard")]
    with Store.open(db) as s:
        assert s.address_report(released).active_now and not s.address_report(discarded).active_now
        assert {ch["actor"] for ch in s.changes_after(0, 100) if ch["address"] == released} == {"sam"}
    r = c.post("/held/release", data={"csrf": token, "domain": "held.example", "which": first.group(1),
                                      "reason": "again", "confirm": "yes"})
    assert r.status_code == 400 and "decided on these already" in text(r)
