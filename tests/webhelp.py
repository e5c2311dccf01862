"""A real uvicorn serving ``bounced web``'s app on a free loopback port, in a thread of the test."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bounced.config import Config, from_dict
from bounced.store import Store
from bounced.web.app import create_app
from bounced.web.auth import hash_token, new_token
from tests.storehelp import OPEN


def web_config(**web: Any) -> Config:
    """trust = "open": these tests are about the API, not about which bounces are genuine."""
    return from_dict({"bounce": {"trust": "open"}, "web": web})


class LiveServer:
    def __init__(self, db: Path, cfg: Config) -> None:
        self.db, self.cfg = db, cfg
        self.app = create_app(cfg, lambda: Store.open(db, cfg))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only with proto set
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()

    def token(self, name: str, scope: str) -> str:
        t = new_token()
        with Store.open(self.db, self.cfg) as s:
            s.create_token(name, scope, hash_token(t))
        return t

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=30, trust_env=False)
