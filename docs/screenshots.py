"""Regenerate the support-page screenshots in docs/ (README, "For support staff").

    .venv/bin/python docs/screenshots.py

Builds a demo store in a temporary directory (real DSNs through the real ingest path), serves
`bounced web`'s app on a loopback port and photographs it with Debian's chromium.
"""
from __future__ import annotations

import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from bounced.timeutil import utcnow  # noqa: E402
from tests.webpages_helpers import PASSWORDS, add_users, ingest_bounces, serve_pages  # noqa: E402

OUT = Path(__file__).resolve().parent
FULL = "452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to support"
GONE = "550 5.1.1 The email account that you tried to reach does not exist"
BLOCKED = "550 5.7.1 Service unavailable; client host [192.0.2.10] blocked using zen.spamhaus.org"


def demo(db: Path) -> None:
    add_users(db)
    now, rnd = utcnow(), random.Random(7)
    ingest_bounces(db, "jane.doe@example.com", [now - timedelta(days=d, hours=3) for d in (6, 4, 2)], diag=FULL)
    for i in range(40):
        when = now - timedelta(days=rnd.randrange(0, 30), hours=rnd.randrange(0, 24))
        domain = rnd.choice(["example.com", "example.net", "mail.example.org", "example.de"])
        if rnd.random() < 0.6:
            ingest_bounces(db, f"user{i}@{domain}", [when], status="5.1.1", diag=GONE)
        else:
            ingest_bounces(db, f"user{i}@{domain}", [when], diag=FULL)
    for i in range(6):
        ingest_bounces(db, f"list{i}@example.net", [now - timedelta(days=i * 3)], status="5.7.1", diag=BLOCKED)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bounced.db"
        demo(db)
        srv = serve_pages(db)
        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = b.new_page(viewport={"width": 1200, "height": 800}, locale="en-GB")
                page.goto(srv.url + "/login")
                page.fill("#name", "sam")
                page.fill("#password", PASSWORDS["sam"])
                page.press("#password", "Enter")
                page.wait_for_url(srv.url + "/")
                page.fill("#q", '"Jane Doe" <Jane.Doe@Example.COM>')
                page.press("#q", "Enter")
                page.wait_for_url("**/address?**")
                page.fill("#lift-reason", "the client confirmed that they cleared their mailbox")
                page.screenshot(path=str(OUT / "support-search-result.png"))
                page.check("#lift-confirm")
                page.click("button:text('Lift')")
                page.wait_for_url("**done=lift**")
                page.locator("#events-h").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / "support-history.png"), full_page=True)
                page.goto(srv.url + "/stats")
                page.screenshot(path=str(OUT / "support-stats.png"), full_page=True)
                b.close()
        finally:
            srv.stop()
    print("wrote", *(OUT / n for n in ("support-search-result.png", "support-history.png", "support-stats.png")))


if __name__ == "__main__":
    main()
