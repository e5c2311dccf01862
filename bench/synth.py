"""Synthetic returned mail and a minimal SMTP client, shared by the benchmarks and the reliability tests.

The synthetic DSNs are RFC 3464 reports shaped like Postfix's, each with a unique recipient and
Message-ID so that no two share a sha256 (the store would treat them as duplicates). The client
speaks SMTP over raw asyncio streams without pipelining, one command per round trip like an MTA
that was not offered PIPELINING: it costs little CPU, so a benchmark measures the server, not the
client.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# (status, reply code, diagnostic) rows covering hard, soft and sender-side outcomes
FAILURES: tuple[tuple[str, str, str], ...] = (
    ("5.1.1", "550", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"),
    ("4.2.2", "452", "452 4.2.2 <{rcpt}>: Mailbox full, try again later"),
    ("5.7.1", "554", "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org"),
    ("5.1.2", "550", "550 5.1.2 Host or domain name not found. Name service error for name=example.invalid"),
)


def dsn(seq: int, *, rcpt: str | None = None, failure: int | None = None, padding: int = 0,
        tag: str = "bench") -> bytes:
    """One RFC 3464 delivery status notification for recipient ``rcpt`` (unique per ``seq``).

    ``padding`` adds that many bytes of incompressible text to the returned original, so tests can
    fill a disk quickly even though the store compresses raw messages.
    """
    rcpt = rcpt or f"user{seq}@example.com"
    status, code, diag = FAILURES[seq % len(FAILURES) if failure is None else failure]
    diag = diag.format(rcpt=rcpt)
    boundary = f"B{seq:08d}.{tag}/mx.example.net"
    body_pad = ""
    if padding:
        hexpad = os.urandom(padding // 2 + 1).hex()[:padding]
        body_pad = "\r\n".join(hexpad[i:i + 76] for i in range(0, len(hexpad), 76)) + "\r\n"
    date = "Mon, 2 Nov 2026 10:00:00 +0000"
    text = (
        f"Return-Path: <>\r\n"
        f"Received: by mx.example.net (Postfix) id {seq:X}; {date}\r\n"
        f"Date: {date}\r\n"
        f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"To: bounces@localhost\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f"\tboundary=\"{boundary}\"\r\n"
        f"Message-Id: <{tag}.{seq}.dsn@mx.example.net>\r\n"
        f"\r\n"
        f"This is a MIME-encapsulated message.\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Notification\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n"
        f"\r\n"
        f"This is the mail system at host mx.example.net.\r\n"
        f"\r\n"
        f"I'm sorry to have to inform you that your message could not\r\n"
        f"be delivered to one or more recipients.\r\n"
        f"\r\n"
        f"<{rcpt}>: host mail.example.com[198.51.100.25] said: {diag}\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Delivery report\r\n"
        f"Content-Type: message/delivery-status\r\n"
        f"\r\n"
        f"Reporting-MTA: dns; mx.example.net\r\n"
        f"X-Postfix-Queue-ID: {seq:X}\r\n"
        f"Arrival-Date: {date}\r\n"
        f"\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\n"
        f"Original-Recipient: rfc822;{rcpt}\r\n"
        f"Action: {'delayed' if status.startswith('4') and seq % 2 else 'failed'}\r\n"
        f"Status: {status}\r\n"
        f"Remote-MTA: dns; mail.example.com\r\n"
        f"Diagnostic-Code: smtp; {diag}\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Undelivered Message\r\n"
        f"Content-Type: message/rfc822\r\n"
        f"\r\n"
        f"Return-Path: <bounces+{rcpt.replace('@', '=')}@localhost>\r\n"
        f"From: news@sender.example\r\n"
        f"To: {rcpt}\r\n"
        f"Subject: Our newsletter\r\n"
        f"Message-ID: <{tag}.{seq}.orig@sender.example>\r\n"
        f"Date: {date}\r\n"
        f"\r\n"
        f"Hello,\r\n"
        f"{body_pad}"
        f"\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode("ascii")


def hard_dsn(seq: int, tag: str = "bench", padding: int = 0) -> tuple[str, bytes]:
    """A DSN whose recipient (returned with it) must end up suppressed as hard user_unknown."""
    rcpt = f"{tag}{seq}@example.com"
    return rcpt, dsn(seq, rcpt=rcpt, failure=0, tag=tag, padding=padding)


def load_corpus(directory: str | os.PathLike[str]) -> list[bytes]:
    """Every regular file below ``directory`` as raw bytes, mbox 'From ' separator lines removed."""
    out = []
    for p in sorted(Path(directory).rglob("*")):
        if not p.is_file() or p.suffix in {".json", ".md"} or "LICENSES" in p.parts:
            continue
        raw = p.read_bytes()
        if raw.startswith(b"From "):
            nl = raw.find(b"\n")
            raw = raw[nl + 1:]
        out.append(raw)
    return out


def uniquify(raw: bytes, seq: int, tag: str = "bench") -> bytes:
    """``raw`` with a leading header making it unique, so corpus files are not deduplicated."""
    return f"X-Bench-Seq: {tag}-{seq}\r\n".encode() + raw


def wire(raw: bytes) -> bytes:
    """The DATA payload for ``raw``: CRLF line ends, dot-stuffed, terminated by CRLF.CRLF."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    stuffed = [b"." + ln if ln.startswith(b".") else ln for ln in lines]
    return b"\r\n".join(stuffed) + b"\r\n.\r\n"


def received_content(raw: bytes) -> bytes:
    """The bytes an SMTP server receives for ``wire(raw)`` after removing the dot-stuffing."""
    body = wire(raw)[:-3]
    return b"\r\n".join(ln[1:] if ln.startswith(b".") else ln for ln in body.split(b"\r\n"))


def sha256_as_received(raw: bytes) -> str:
    return hashlib.sha256(received_content(raw)).hexdigest()


class SMTPReplyError(Exception):
    """The server answered something other than what the step needs."""

    def __init__(self, step: str, code: int, text: str) -> None:
        super().__init__(f"{step}: {code} {text}")
        self.step, self.code, self.text = step, code, text


class SMTPClient:
    """One SMTP session over asyncio streams; no pipelining."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int, helo: str = "client.example.net",
                      timeout: float = 30.0) -> "SMTPClient":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 20), timeout)
        client = cls(reader, writer)
        try:
            code, text = await asyncio.wait_for(client.reply(), timeout)
            if code != 220:
                raise SMTPReplyError("banner", code, text)
            code, text = await client.command(b"EHLO " + helo.encode())
            if code != 250:
                raise SMTPReplyError("EHLO", code, text)
        except BaseException:
            client.abort()
            raise
        return client

    async def reply(self) -> tuple[int, str]:
        lines = []
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionResetError("server closed the connection")
            lines.append(line[4:].strip().decode("utf-8", "replace"))
            if line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    async def command(self, line: bytes) -> tuple[int, str]:
        self.writer.write(line + b"\r\n")
        return await self.reply()

    async def send(self, data: bytes, mail_from: str = "", rcpts: Sequence[str] = ("bounces@localhost",)) -> tuple[int, str]:
        """One transaction; ``data`` is a :func:`wire` payload. Returns the reply after DATA (or
        the first refusal before it, after resetting the transaction)."""
        code, text = await self.command(f"MAIL FROM:<{mail_from}>".encode())
        if code != 250:
            return code, text
        accepted = 0
        last = (0, "")
        for rcpt in rcpts:
            last = await self.command(f"RCPT TO:<{rcpt}>".encode())
            accepted += last[0] == 250
        if not accepted:
            await self.command(b"RSET")
            return last
        code, text = await self.command(b"DATA")
        if code != 354:
            return code, text
        self.writer.write(data)
        return await self.reply()

    async def quit(self) -> None:
        try:
            await asyncio.wait_for(self.command(b"QUIT"), 5)
        except (OSError, asyncio.TimeoutError, ConnectionError, ValueError):
            pass
        self.abort()

    def abort(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001 - closing a dead socket
            pass


@dataclass
class LoadResult:
    concurrency: int
    sent: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)  # indexes of messages answered 250
    refused: dict[int, int] = field(default_factory=dict)  # index -> reply code (not 250)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.acked) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def drive(host: str, port: int, payloads: Sequence[bytes], concurrency: int, per_connection: int = 0,
                rcpts: Sequence[str] = ("bounces@localhost",)) -> LoadResult:
    """Send every payload (already :func:`wire`-encoded) over ``concurrency`` parallel connections.

    ``per_connection`` messages per session before reconnecting (0 = one session per worker for
    the whole run). A failed session's current message counts as an error and the worker reconnects.
    """
    result = LoadResult(concurrency)
    it: Iterator[int] = iter(range(len(payloads)))

    async def worker() -> None:
        client: SMTPClient | None = None
        in_session = 0
        for i in it:
            try:
                if client is None:
                    client = await SMTPClient.connect(host, port)
                    in_session = 0
                t0 = time.perf_counter()
                code, text = await client.send(payloads[i], rcpts=rcpts)
                result.latencies.append(time.perf_counter() - t0)
                if code == 250:
                    result.acked.append(i)
                else:
                    result.refused[i] = code
                in_session += 1
                if per_connection and in_session >= per_connection:
                    await client.quit()
                    client = None
            except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    SMTPReplyError, ValueError) as exc:
                result.errors.append(f"message {i}: {type(exc).__name__}: {exc}")
                if client is not None:
                    client.abort()
                client = None
        if client is not None:
            await client.quit()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - t0
    result.sent = len(payloads)
    return result


async def wait_for_banner(host: str, port: int, timeout: float = 20.0) -> None:
    """Until an SMTP server answers 220 on host:port (raises TimeoutError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = await SMTPClient.connect(host, port, timeout=2)
            await client.quit()
            return
        except (OSError, ConnectionError, asyncio.TimeoutError, SMTPReplyError) as exc:
            last = exc
            await asyncio.sleep(0.05)
    raise TimeoutError(f"no SMTP banner on {host}:{port} after {timeout}s: {last}")


def chunks(seq: Sequence[bytes], n: int) -> Iterable[Sequence[bytes]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]
