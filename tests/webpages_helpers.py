"""A real uvicorn serving the support page on a loopback port, over a real store file."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from bounced.accounts import Passwords
from bounced.config import from_dict
from bounced.store import Store
from bounced.web.app import create_app

PASSWORDS = {"vera": "viewer password 1", "sam": "support password 1", "ada": "admin password 1"}
ROLES = {"vera": "viewer", "sam": "support", "ada": "admin"}


def add_users(db: Path) -> None:
    ph = Passwords()
    with Store.open(db) as s:
        for name, pw in PASSWORDS.items():
            s.add_user(name, ROLES[name], ph.hash(pw))


class PagesServer:
    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="on", proxy_headers=False))  # as `bounced web`
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "PagesServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve_pages(db: Path, store: dict | None = None, **pages: Any) -> PagesServer:
    """`bounced web`'s whole app (API and pages) over ``db``; ``pages`` are [web.pages] keys."""
    cfg = from_dict({"bounce": {"trust": "open"}, "store": {"path": str(db), **(store or {})}, "web": {"pages": pages}})
    return PagesServer(create_app(cfg, lambda: Store.open(db, cfg))).start()


def ingest_bounces(db: Path, rcpt: str, when: list, status: str = "4.2.2",
                   diag: str = "452 4.2.2 The email account that you tried to reach is over quota",
                   action: str = "failed") -> None:
    """Real DSN bytes through the store's ingest path, one per time in ``when``."""
    from bounced.ingest import prepare
    from tests.storehelp import dsn

    # trust = "open": these bounces are about the page, not about which bounces are genuine
    with Store.open(db, from_dict({"bounce": {"trust": "open"}})) as s:
        s.ingest_many([prepare(dsn(rcpt, status, diag, action, tag=f"{rcpt}-{t.timestamp()}"), "",
                               ("bounces@localhost",), received_at=t) for t in when])
