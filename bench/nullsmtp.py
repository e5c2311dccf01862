"""The baseline for bench/ingest.py: an aiosmtpd server that accepts everything and stores nothing.

Usage: python bench/nullsmtp.py PORT   (listens on 127.0.0.1:PORT until SIGTERM)
"""
from __future__ import annotations

import asyncio
import signal
import sys

from aiosmtpd.smtp import SMTP


class NullHandler:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd hook
        return "250 2.0.0 OK"


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    handler = NullHandler()
    server = await loop.create_server(lambda: SMTP(handler, hostname="null.test", data_size_limit=10 * 1024 * 1024),
                                      "127.0.0.1", port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
