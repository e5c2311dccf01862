"""Hostile SMTP clients against the real `bounced serve`: each gets the right reply or is
disconnected within its timeout, the server keeps serving, and its memory stays bounded."""
from __future__ import annotations

import asyncio
import sqlite3
import time
import zlib

import pytest

from bench.procs import BouncedServer
from bench.synth import SMTPClient, dsn, wire

LIMITS = {"max_message_size": 100_000, "max_connections": 10, "max_recipients": 100,
          "command_timeout": 2.0, "data_timeout": 3.0}
SLACK = 6.0  # seconds beyond a timeout before "not disconnected on time" (a loaded 2-core box)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BouncedServer(tmp_path_factory.mktemp("hostile"), overrides={"server": LIMITS}).start()
    yield srv
    srv.stop()


def stored_raws(srv: BouncedServer) -> list[bytes]:
    con = sqlite3.connect(f"file:{srv.db_path}?mode=ro", uri=True)
    try:
        return [zlib.decompress(r) for r, in con.execute("SELECT raw FROM messages ORDER BY id")]
    finally:
        con.close()


async def connect(srv: BouncedServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port, limit=1 << 20)
    banner = await asyncio.wait_for(reader.readline(), 10)
    return reader, writer, banner


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server says until it closes the connection; fails if it stays open.

    A reset counts as closed: a client still dripping bytes leaves unread data in the server's
    socket when it hangs up, and the kernel then sends RST instead of FIN. What arrived before
    the reset (the 421) is kept."""
    async def until_closed() -> bytes:
        data = b""
        try:
            while chunk := await reader.read(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    return await asyncio.wait_for(until_closed(), seconds)


async def drip(writer: asyncio.StreamWriter, data: bytes, interval: float) -> None:
    try:
        for b in data:
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(interval)
    except (ConnectionError, OSError):
        pass


async def _slow_command(srv):
    reader, writer, _ = await connect(srv)
    dripper = asyncio.create_task(drip(writer, b"EHLO slowloris.example.net\r\n", 1.0))
    out = await closed_within(reader, LIMITS["command_timeout"] + SLACK)
    assert not dripper.done()  # cut off before the line was complete
    dripper.cancel()
    return out


async def _slow_data(srv):
    client = await SMTPClient.connect("127.0.0.1", srv.port)
    assert (await client.command(b"MAIL FROM:<>"))[0] == 250
    assert (await client.command(b"RCPT TO:<bounces@localhost>"))[0] == 250
    assert (await client.command(b"DATA"))[0] == 354
    dripper = asyncio.create_task(drip(client.writer, wire(dsn(1, tag="slowdata")), 1.0))
    out = await closed_within(client.reader, LIMITS["data_timeout"] + SLACK)
    assert not dripper.done()
    dripper.cancel()
    return out


async def _no_data(srv):
    client = await SMTPClient.connect("127.0.0.1", srv.port)
    assert (await client.command(b"MAIL FROM:<>"))[0] == 250
    assert (await client.command(b"RCPT TO:<bounces@localhost>"))[0] == 250
    return await closed_within(client.reader, LIMITS["command_timeout"] + SLACK)


@pytest.mark.slow
@pytest.mark.parametrize("client", [_slow_command, _slow_data, _no_data],
                         ids=["one-byte-per-second-command", "one-byte-per-second-data", "never-sends-data"])
def test_stalling_client_is_disconnected_with_421_timeout(server, client):
    before = len(stored_raws(server))
    out = asyncio.run(client(server))
    assert out.startswith(b"421 4.4.2"), out
    assert len(stored_raws(server)) == before
    assert server.alive()


def test_oversized_message_is_refused_with_552_by_size_and_by_content(server):
    async def run():
        client = await SMTPClient.connect("127.0.0.1", server.port)
        by_size = await client.command(f"MAIL FROM:<> SIZE={LIMITS['max_message_size'] + 1}".encode())
        too_big = wire(dsn(2, tag="big", padding=LIMITS["max_message_size"] + 10_000))
        by_content = await client.send(too_big)
        after = await client.send(wire(dsn(3, tag="afterbig")))
        await client.quit()
        return by_size, by_content, after
    by_size, by_content, after = asyncio.run(run())
    assert by_size[0] == 552 and by_content[0] == 552, (by_size, by_content)
    assert after[0] == 250  # the session goes on
    assert not any(b"big.2." in r for r in stored_raws(server))


def test_a_thousand_recipients_are_capped_and_the_message_stored_once(server):
    async def run():
        client = await SMTPClient.connect("127.0.0.1", server.port)
        assert (await client.command(b"MAIL FROM:<>"))[0] == 250
        codes = [(await client.command(b"RCPT TO:<bounces@localhost>"))[0] for _ in range(1000)]
        assert (await client.command(b"DATA"))[0] == 354
        client.writer.write(wire(dsn(4, tag="rcpts")))
        final = await client.reply()
        await client.quit()
        return codes, final
    codes, final = asyncio.run(run())
    assert codes[: LIMITS["max_recipients"]] == [250] * LIMITS["max_recipients"]
    assert set(codes[LIMITS["max_recipients"]:]) == {452}
    assert final[0] == 250
    assert sum(b"rcpts.4." in r for r in stored_raws(server)) == 1


def test_overlong_lines_get_500_and_the_session_goes_on(server):
    async def run():
        client = await SMTPClient.connect("127.0.0.1", server.port)
        long_cmd = await client.command(b"NOOP " + b"x" * 10_000)
        long_mail = await client.command(b"MAIL FROM:<" + b"a" * 5000 + b"@example.com>")
        raw = dsn(5, tag="longline").replace(b"Hello,", b"Hello," + b"y" * 5000)  # a quoted 5 kB line
        quoted = await client.send(wire(raw))
        huge = dsn(6, tag="hugeline").replace(b"Hello,", b"Hello," + b"z" * 90_000)  # under the size limit
        huge_line = await client.send(wire(huge))
        after = await client.send(wire(dsn(7, tag="afterlong")))
        await client.quit()
        return long_cmd, long_mail, quoted, huge_line, after
    long_cmd, long_mail, quoted, huge_line, after = asyncio.run(run())
    assert long_cmd[0] == 500 and long_mail[0] == 500
    assert quoted[0] == 250  # long quoted lines are common in real bounces
    assert huge_line[0] in (250, 500, 552)
    assert after[0] == 250
    assert server.alive()


def test_nul_bytes_and_bare_lf_are_stored_and_cannot_smuggle_a_second_message(server):
    smuggled = (b"\n.\nMAIL FROM:<>\r\nRCPT TO:<bounces@localhost>\r\nDATA\r\nSmuggled: yes\r\n\r\nsmuggled\r\n"
                b"\r.\r\nMAIL FROM:<>\r\n")
    async def run():
        client = await SMTPClient.connect("127.0.0.1", server.port)
        nul = await client.send(wire(dsn(8, tag="nul").replace(b"Hello,", b"Hel\x00lo,\x00")))
        nul_cmd = await client.command(b"NOOP \x00\x00")
        # bare LF inside the body, written by hand (wire() would normalize it)
        assert (await client.command(b"MAIL FROM:<>"))[0] == 250
        assert (await client.command(b"RCPT TO:<bounces@localhost>"))[0] == 250
        assert (await client.command(b"DATA"))[0] == 354
        body = dsn(9, tag="barelf").replace(b"Hello,\r\n", b"Hello,\nbare\nlines\n" + smuggled)
        client.writer.write(body + b"\r\n.\r\n")
        final = await client.reply()
        extra = await client.command(b"NOOP")  # the next reply belongs to this NOOP, not to a smuggled DATA
        await client.quit()
        return nul, nul_cmd, final, extra
    before = len(stored_raws(server))
    nul, nul_cmd, final, extra = asyncio.run(run())
    assert nul[0] == 250 and final[0] == 250
    assert 500 <= nul_cmd[0] < 600 or nul_cmd[0] == 250
    assert extra[0] == 250 and "OK" in extra[1].upper()
    raws = stored_raws(server)
    assert len(raws) == before + 2
    assert b"Hel\x00lo," in raws[-2]
    assert b"Smuggled: yes" in raws[-1] and not raws[-1].startswith(b"Smuggled")


def test_pipelined_session_and_command_flood_are_answered_in_order(server):
    async def run():
        reader, writer, _ = await connect(server)
        writer.write(b"EHLO pipe.example\r\nMAIL FROM:<>\r\nRCPT TO:<bounces@localhost>\r\nDATA\r\n"
                     + wire(dsn(10, tag="pipe")) + b"NOOP\r\n" * 5000 + b"QUIT\r\n")
        out = await closed_within(reader, 60)
        return out
    out = asyncio.run(run())
    codes = [line[:3] for line in out.split(b"\r\n") if line and line[3:4] == b" "]
    assert codes[:4] == [b"250", b"250", b"250", b"354"]
    assert codes[4] == b"250"  # the message, committed
    # then the junk-command limit (default 100 after a message) ends the NOOP flood with a 421
    assert codes[5:] == [b"250"] * 100 + [b"421"]
    assert sum(b"pipe.10." in r for r in stored_raws(server)) == 1


def test_connections_beyond_the_limit_get_421_and_service_resumes(server):
    async def run():
        held = [await connect(server) for _ in range(LIMITS["max_connections"])]
        assert all(b.startswith(b"220") for _, _, b in held)
        extra = []
        for _ in range(5):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            extra.append(await closed_within(reader, 10))
            writer.close()
        for _, w, _ in held:
            w.close()
        await asyncio.sleep(0.3)
        client = await SMTPClient.connect("127.0.0.1", server.port)
        after = await client.send(wire(dsn(11, tag="afterlimit")))
        await client.quit()
        return extra, after
    extra, after = asyncio.run(run())
    assert all(e.startswith(b"421 4.7.0") for e in extra), extra
    assert after[0] == 250


def test_server_memory_stays_bounded_after_the_hostile_clients(server):
    # runs last in this module: the peak resident size over everything above
    assert server.alive()
    assert server.peak_rss_kb() < 150 * 1024, f"peak RSS {server.peak_rss_kb() / 1024:.0f} MB"
