"""SMTP and LMTP on top of aiosmtpd: protocol only, complete messages are handed to a sink.

What this adds to aiosmtpd, and why:
- RCPT is accepted only for our bounce addresses; with a ``handle_RCPT`` hook aiosmtpd no longer
  records the recipient itself, so the hook appends it.
- Our own trouble never reaches the client as aiosmtpd's ``500 Error``: that is permanent and
  makes the MTA bounce the bounce. Storage problems and unexpected exceptions answer
  ``451 4.3.0`` so the MTA keeps the message and retries.
- LMTP (RFC 2033) needs one reply per accepted recipient after DATA; aiosmtpd's ``LMTP`` sends one.
  :class:`LMTPServer` repeats the final reply for every recipient, in RCPT order (the message is
  stored once for all of them, so they share one fate).
- Limits: concurrent connections, in all and per client address (excess get 421 and are
  closed), recipients per message (452 4.5.3), SIZE (aiosmtpd enforces it; its replies are
  rewritten to carry 5.3.4), an idle command timeout and a separate timeout for the DATA
  transfer, both ending with 421 4.4.2, commands that do not move a message forward (NOOP, RSET,
  HELO... 421 4.7.0 past ``max_junk_commands``, since any command resets the idle timer) and a
  maximum session time (421 4.4.2). DATA is received into a spool file and held in memory only
  within an in-flight byte budget (:class:`ByteBudget`; 452 4.3.1 when a whole budget waits).
- Envelope addresses that are not UTF-8 are refused at MAIL/RCPT with 553 naming the problem;
  accepted, they could not be stored, and every retry would end in 451.
- XFORWARD (:mod:`bounced.xforward`): offered in EHLO/LHLO and believed only from the clients in
  ``server.xforward_from`` (the MTA in front); its ADDR, else the peer's address, goes with the
  message as its source, which the per-source cap counts by.
"""
from __future__ import annotations

import asyncio
import re
import socket
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from bounced import xforward
from bounced.config import Config
from bounced.rcpt import is_bounce_address

# Replies, named for what they mean to the sending MTA.
OK_RCPT = "250 2.1.5 Recipient OK"
STORED = "250 2.0.0 Stored as {id}"
NO_SUCH_USER = "550 5.1.1 <{address}>: not a bounce address of this system"
TOO_MANY_RCPTS = "452 4.5.3 Too many recipients"
TOO_BIG = "552 5.3.4 Message too big for this system"
TRY_AGAIN = "451 4.3.0 Temporary local problem, please try again later"
BUSY = "452 4.3.1 Insufficient system storage, please try again later"
LINE_TOO_LONG = "500 5.5.2 Line too long (see RFC 5321 4.5.3.1.6)"
TOO_MANY_CONNECTIONS = "421 4.7.0 {host} Too many connections, try again later"
TOO_MANY_FROM_CLIENT = "421 4.7.0 {host} Too many connections from your address, try again later"
TOO_MANY_JUNK = "421 4.7.0 {host} Too many commands without a message, closing connection"
SESSION_TOO_LONG = "421 4.4.2 {host} Session time limit exceeded, closing connection"
TIMEOUT = "421 4.4.2 {host} Timeout exceeded, closing connection"
# RFC 5321 paths are ASCII or, with SMTPUTF8, UTF-8; other bytes cannot be stored as text
BAD_SENDER_BYTES = "553 5.1.7 The sender address is not valid UTF-8"
BAD_RECIPIENT_BYTES = "553 5.1.3 The recipient address is not valid UTF-8"
SHUTTING_DOWN = "421 4.3.2 {host} Service shutting down, try again later"
# XFORWARD replies, as XFORWARD_README lists them
XFORWARD_OK = "250 2.0.0 Ok"
XFORWARD_DENIED = "550 5.7.0 Error: insufficient authorization for XFORWARD"
XFORWARD_IN_TRANSACTION = "503 5.5.1 Error: XFORWARD not allowed during a mail transaction"
XFORWARD_SYNTAX = "501 5.5.4 Syntax: XFORWARD attribute=value... ({problem})"
XFORWARD_EHLO = "250-XFORWARD " + " ".join(xforward.ATTRIBUTES)

# <local@domain> with a dot-atom local part and a host name, and the blanks after it: what the
# email header parser returns as (addr_spec, rest) for such input (tests check it against aiosmtpd)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(rf"[ \t]*<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*")

# aiosmtpd's size-limit replies lack an enhanced status code; MTAs log and classify by it.
_REWRITE = {
    "552 Error: Too much mail data": TOO_BIG,
    "552 Error: message size exceeds fixed maximum message size": TOO_BIG,
}


# A message is received into memory up to this size and into a temporary file beyond it, so 100
# clients sending 10 MB at once cost 100 x 256 KiB while they transfer, not 1 GB.
SPOOL_IN_MEMORY = 256 * 1024


class ByteBudget:
    """Bytes of messages held in memory for their commit, over all connections.

    Memory was bounded only by max_connections x max_message_size (100 parallel 10 MB messages:
    1.75 GB). A message reserves its size before it is read back from its spool file and
    returns it once its commit is answered; one that does not fit waits, so the daemon holds
    about ``limit`` bytes of messages (a message larger than the whole budget still goes, alone).
    ``waiting`` (bytes queued for a reservation) lets DATA turn new messages away when a full
    budget is already waiting."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.waiting = limit, 0, 0
        self._changed = asyncio.Condition()

    async def acquire(self, size: int, timeout: float) -> bool:
        """Reserve ``size`` bytes; False when they did not fit within ``timeout`` seconds. A
        reservation goes ahead alone when nothing else is held, whatever its size (a message
        above a budget lowered by a reload must not wait for ever)."""
        async with self._changed:
            self.waiting += size
            try:
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: self.used == 0 or self.used + size <= self.limit), timeout)
            except asyncio.TimeoutError:
                return False
            finally:
                self.waiting -= size
            self.used += size
            return True

    async def release(self, size: int) -> None:
        """Give back what :meth:`acquire` reserved."""
        async with self._changed:
            self.used -= size
            self._changed.notify_all()


class TemporaryFailure(Exception):
    """The sink could not store the message now; the client should retry (451)."""


@dataclass(frozen=True)
class Delivery:
    """One complete message as received; what the sink stores."""

    raw: bytes
    mail_from: str  # "" for the null sender
    rcpt_tos: tuple[str, ...]
    peer: Any
    source: str | None = None  # the sending host's address: XFORWARD ADDR, else the peer's


Sink = Callable[[Delivery], Awaitable[str]]  # returns an id for the reply; raises TemporaryFailure


@dataclass
class ServerState:
    """Shared by every connection of one daemon; ``config`` is replaced on reload."""

    config: Config
    sink: Sink
    on_reject: Callable[[str], None] = lambda cause: None
    on_connections: Callable[[int], None] = lambda n: None
    log: Any = None
    tls: ssl.SSLContext | None = None
    hostname: str = ""
    connections: set["SMTPServer"] = field(default_factory=set)
    per_client: dict[str, int] = field(default_factory=dict)  # open connections by client address
    in_data: int = 0  # connections inside DATA (transfer or commit): in-flight messages
    stopping: bool = False  # shutting down: no new transactions
    budget: ByteBudget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = ByteBudget(self.config.server.max_inflight_bytes)
        self.update(self.config, self.tls)

    def update(self, config: Config, tls: ssl.SSLContext | None) -> None:
        """Switch to a reloaded config; open connections keep their limits, new ones get these."""
        self.config, self.tls = config, tls
        self.hostname = config.server.hostname or socket.getfqdn()
        self.budget.limit = config.server.max_inflight_bytes


class Handler:
    """aiosmtpd hooks: who may be a recipient, and what happens to a complete message."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        cfg = self.state.config
        if not _utf8(address):
            self.state.on_reject("bad_address")
            return BAD_RECIPIENT_BYTES
        if not is_bounce_address(address, cfg.bounce):
            self.state.on_reject("unknown_recipient")
            return NO_SUCH_USER.format(address=address)
        if len(envelope.rcpt_tos) >= cfg.server.max_recipients:
            self.state.on_reject("too_many_recipients")
            return TOO_MANY_RCPTS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return OK_RCPT

    async def handle_EHLO(self, server: "SMTPServer", session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        """aiosmtpd's EHLO/LHLO reply, with XFORWARD for the clients allowed to send it."""
        session.host_name = hostname
        if server.xforward_allowed():
            responses.insert(len(responses) - 1, XFORWARD_EHLO)
        return responses

    async def handle_DATA(self, server: "SMTPServer", session: Session, envelope: Envelope) -> str:
        mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        peer = session.peer[0] if isinstance(session.peer, tuple) and session.peer else None
        delivery = Delivery(raw=bytes(envelope.original_content or b""), mail_from=mail_from,
                            rcpt_tos=tuple(envelope.rcpt_tos), peer=session.peer,
                            source=xforward.source_of(getattr(envelope, "xforward", {}), peer))
        try:
            stored_id = await self.state.sink(delivery)
        except TemporaryFailure:
            self.state.on_reject("store_unavailable")
            return TRY_AGAIN
        except Exception as exc:  # noqa: BLE001 - never a 5xx for our own trouble
            self.state.on_reject("internal_error")
            if self.state.log is not None:
                self.state.log.exception("delivery_failed", error=repr(exc))
            return TRY_AGAIN
        return STORED.format(id=stored_id)


class SMTPServer(SMTP):
    """One SMTP connection with the limits and replies described in the module docstring."""

    lmtp = False
    # RFC 5321 caps lines at 1000 octets, but real bounces quote originals with longer lines;
    # refusing them with aiosmtpd's 500 would bounce the bounce. Still bounded, for memory.
    line_length_limit = 1 << 16

    def __init__(self, state: ServerState) -> None:
        s = state.config.server
        super().__init__(Handler(state), data_size_limit=s.max_message_size, hostname=state.hostname,
                         ident="bounced", timeout=s.command_timeout, tls_context=state.tls,
                         enable_SMTPUTF8=True)
        self.state = state
        self._data_timeout = s.data_timeout
        self._max_junk, self._max_session = s.max_junk_commands, s.max_session_time
        self._junk = 0  # commands since the last message that did not move one forward
        self._session_timer: asyncio.TimerHandle | None = None
        self._in_data = False
        self._expired = False  # the session time ran out during DATA: close after its reply
        self._client: str | None = None
        self._refused = False
        self._final_reply_pending = False
        self._data_rcpts = 1

    # -- connection limit ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None:  # a new connection, not the STARTTLS upgrade
            limits = self.state.config.server
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
            refusal = None
            if len(self.state.connections) >= limits.max_connections:
                refusal = ("too_many_connections", TOO_MANY_CONNECTIONS)
            elif self.state.per_client.get(client, 0) >= limits.max_connections_per_client:
                refusal = ("too_many_from_client", TOO_MANY_FROM_CLIENT)
            if refusal is not None:
                self._refused = True
                self.state.on_reject(refusal[0])
                transport.write((refusal[1].format(host=self.state.hostname) + "\r\n").encode())  # type: ignore[attr-defined]
                transport.close()
                return
            self._client = client
            self.state.per_client[client] = self.state.per_client.get(client, 0) + 1
            self.state.connections.add(self)
            self.state.on_connections(len(self.state.connections))
            self._session_timer = asyncio.get_running_loop().call_later(self._max_session, self._session_expired)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._session_timer is not None:
            self._session_timer.cancel()
        if self in self.state.connections:
            self.state.connections.discard(self)
            self.state.on_connections(len(self.state.connections))
            left = self.state.per_client.get(self._client or "", 1) - 1
            if left > 0:
                self.state.per_client[self._client or ""] = left
            else:
                self.state.per_client.pop(self._client or "", None)
        super().connection_lost(error)

    # -- session limits ------------------------------------------------------------------------
    def _session_expired(self) -> None:
        """max_session_time is up: close now, or after the reply to the message in DATA (a
        message being stored is finished; one being transferred may still make it)."""
        self.state.on_reject("session_time")
        if self._in_data:
            self._expired = True
        else:
            self.close_with(SESSION_TOO_LONG.format(host=self.state.hostname))

    async def _junk_over_limit(self) -> bool:
        """Count a command that does not move a message forward; past max_junk_commands, say 421
        and close (True). A stored message resets the count. As Postfix's
        smtpd_junk_command_limit, refused MAIL and RCPT do not count (an MTA sending more
        recipients than max_recipients is normal); the session time limit ends those loops."""
        self._junk += 1
        if self._junk <= self._max_junk:
            return False
        self.state.on_reject("junk_commands")
        self.close_with(TOO_MANY_JUNK.format(host=self.state.hostname))
        return True

    async def smtp_NOOP(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_NOOP(arg)

    async def smtp_RSET(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_RSET(arg)

    async def smtp_HELO(self, hostname: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_HELO(hostname)

    async def smtp_EHLO(self, hostname: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_EHLO(hostname)

    async def smtp_VRFY(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_VRFY(arg)

    async def smtp_HELP(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_HELP(arg)

    async def smtp_EXPN(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_EXPN(arg)

    # -- XFORWARD --------------------------------------------------------------------------
    def _create_envelope(self) -> Envelope:
        """A new transaction's envelope; its XFORWARD attributes start empty, so they are forgotten
        after DATA, RSET and EHLO, as XFORWARD_README asks."""
        envelope = super()._create_envelope()
        envelope.xforward = {}  # type: ignore[attr-defined]
        return envelope

    def xforward_allowed(self) -> bool:
        return xforward.allowed(self._client, self.state.config.server.xforward_from)

    async def smtp_XFORWARD(self, arg: str) -> None:
        if await self._junk_over_limit() or await self.check_helo_needed():
            return
        assert self.envelope is not None
        if not self.xforward_allowed():
            self.state.on_reject("xforward_denied")
            await self.push(XFORWARD_DENIED)
            return
        if self.envelope.mail_from is not None:
            await self.push(XFORWARD_IN_TRANSACTION)
            return
        try:
            attributes = xforward.parse(arg or "")
        except xforward.XforwardError as exc:
            self.state.on_reject("xforward_syntax")
            await self.push(XFORWARD_SYNTAX.format(problem=exc))
            return
        self.envelope.xforward.update(attributes)  # type: ignore[attr-defined]
        await self.push(XFORWARD_OK)

    def eof_received(self) -> bool | None:
        if self._refused:
            return None
        return super().eof_received()

    def close_with(self, reply: str) -> None:
        """Say ``reply`` (a 421) and close; used on shutdown."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        try:
            transport.write((reply + "\r\n").encode())  # type: ignore[attr-defined]
        except (OSError, AttributeError, RuntimeError):
            pass  # already half-gone (a TLS layer torn down under us): just close
        transport.close()

    # -- address parsing -----------------------------------------------------------------
    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's MAIL/RCPT address parsing with the same results, minus its cost: its version
        defines a ``typing.Protocol`` class on every call (25 us, twice a message), and the email
        header parser takes 9 us for a plain ``<local@domain>``, which :data:`_PLAIN_PATH` answers
        directly. ``('', '')`` for no argument, ``(None, None)`` when unparsable or the local
        part is too long; anything unusual (quoting, comments, literals, UTF-8) goes to the parser."""
        if not arg:
            return "", ""
        m = _PLAIN_PATH.match(arg)
        if m is not None and not arg.startswith("(", m.end()):
            address, rest = m.group(1), arg[m.end():]
        else:
            parse = get_angle_addr if arg.lstrip().startswith("<") else get_addr_spec
            try:
                token, rest = parse(arg)
            except HeaderParseError:
                return None, None
            address = token.addr_spec
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    # -- timeouts --------------------------------------------------------------------------
    def _timeout_cb(self) -> None:
        self.state.on_reject("timeout")
        self.close_with(TIMEOUT.format(host=self.state.hostname))

    def hold_timeout(self) -> None:
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()

    async def smtp_MAIL(self, arg: str | None) -> None:
        if self.state.stopping:
            self.close_with(SHUTTING_DOWN.format(host=self.state.hostname))
            return
        if arg is not None and not _utf8(arg):
            self.state.on_reject("bad_address")
            await self.push(BAD_SENDER_BYTES)
            return
        await super().smtp_MAIL(arg)

    async def smtp_DATA(self, arg: str) -> None:
        """DATA, received into a spool (memory up to :data:`SPOOL_IN_MEMORY`, then a temporary
        file), then read back for the sink once the message fits the in-flight byte budget.
        aiosmtpd's own DATA keeps every line of every message in memory while it arrives."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        budget = self.state.budget
        if budget.waiting >= budget.limit:  # a whole budget is already waiting to be stored
            self.state.on_reject("memory_budget")
            await self.push(BUSY)
            return
        self._reset_timeout(self._data_timeout)
        self.state.in_data += 1
        self._in_data = True
        try:
            await self._data()
        finally:
            self.state.in_data -= 1
            self._in_data = False
            self._final_reply_pending = False
            if self._expired:
                self.close_with(SESSION_TOO_LONG.format(host=self.state.hostname))
            elif self.transport is not None:
                self._reset_timeout()

    async def _data(self) -> None:
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="bounced-data-") as spool:
            problem = await self._receive(spool)
            if problem is not None:
                self._set_post_data_state()
                await self.push(problem)
                return
            size = spool.tell()
            self.hold_timeout()  # storing is our time, not the client's
            budget = self.state.budget
            if not await budget.acquire(size, self._data_timeout):
                self.state.on_reject("memory_budget")
                self._set_post_data_state()
                await self.push(TRY_AGAIN)
                return
            try:
                spool.seek(0)
                self.envelope.original_content = self.envelope.content = spool.read()
                spool.close()  # the file's space back before the commit
                status = await self._call_handler_hook("DATA")
            finally:
                await budget.release(size)
        self._set_post_data_state()
        await self.push(status)

    async def _receive(self, spool: Any) -> str | None:
        """Read the message up to the lone dot into ``spool``, undoing dot-stuffing (RFC 5321
        4.5.2); None, or the reply for a message that was too big or had a line too long (sent
        after the whole message is read, RFC 5321 4.2.5)."""
        limit = self.data_size_limit
        total, problem = 0, None
        pieces: list[bytes] = []  # the current line, when it arrived in pieces
        partial = False  # inside a line whose start has been read
        while self.transport is not None:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as e:  # a line beyond the reader's limit: drain it
                line = await self._reader.read(e.consumed)
                problem = problem or LINE_TOO_LONG
            if not partial and line == b".\r\n":
                break
            total += len(line)
            if problem is None and limit and total > limit:
                problem = TOO_BIG
                self.state.on_reject("too_big")
            if problem is not None:  # read on to the end, keep nothing
                pieces.clear()
                partial = not line.endswith(b"\r\n")
                continue
            pieces.append(line)
            partial = not line.endswith(b"\r\n")
            if partial:
                continue
            whole = b"".join(pieces) if len(pieces) > 1 else pieces[0]
            pieces.clear()
            if len(whole) > self.line_length_limit:
                problem = LINE_TOO_LONG
                continue
            spool.write(whole[1:] if whole.startswith(b".") else whole)
        return problem

    # -- replies ---------------------------------------------------------------------------
    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            if status in _REWRITE:
                status = _REWRITE[status]
                self.state.on_reject("too_big")
            if status.startswith("354"):
                self._final_reply_pending = True
                # aiosmtpd resets the envelope before it sends the final reply: count now
                self._data_rcpts = len(self.envelope.rcpt_tos) if self.envelope is not None else 1
            elif self._final_reply_pending:
                self._final_reply_pending = False
                if status.startswith("250"):
                    self._junk = 0
                status = self._final_reply(status)
        await super().push(status)

    def _final_reply(self, status: str) -> str:
        """The reply that ends DATA; LMTP turns it into one reply per recipient."""
        return status

    async def handle_exception(self, error: Exception) -> str:
        if self.state.log is not None:
            self.state.log.error("smtp_session_error", peer=str(self.session.peer if self.session else None),
                                 error=repr(error))
        self.state.on_reject("internal_error")
        self._set_rset_state()  # a failed transaction must not leave a half envelope behind
        return TRY_AGAIN


class LMTPServer(LMTP, SMTPServer):
    """LMTP: LHLO instead of EHLO, and one reply per accepted recipient after DATA."""

    lmtp = True

    async def smtp_LHLO(self, arg: str) -> None:
        if not await self._junk_over_limit():
            await super().smtp_LHLO(arg)

    def _final_reply(self, status: str) -> str:
        return "\r\n".join([status] * max(self._data_rcpts, 1))


def _utf8(text: str) -> bool:
    """aiosmtpd decodes command arguments as UTF-8 with surrogateescape; a lone surrogate means
    the client sent bytes that are not UTF-8, which no store column (nor log line) can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def tls_context(cfg: Config) -> ssl.SSLContext | None:
    """The STARTTLS context from config, or None; errors name the files."""
    s = cfg.server
    if not s.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(s.tls_cert, s.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load TLS certificate {s.tls_cert} / key {s.tls_key}: {exc}") from None
    return ctx


def factory(state: ServerState, lmtp: bool) -> Callable[[], SMTPServer]:
    """Protocol factory for ``loop.create_server``: limits come from the config current at connect."""
    cls = LMTPServer if lmtp else SMTPServer
    return lambda: cls(state)
