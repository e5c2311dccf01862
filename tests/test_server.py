"""The SMTP/LMTP server at the protocol level: a real daemon on ephemeral loopback ports.

Every reply asserted here is what a sending MTA would see; every "stored" claim is checked in the
SQLite file itself.
"""
from __future__ import annotations

import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.daemon_helpers import (
    BOUNCE_DOMAIN,
    FaultyStore,
    LineClient,
    ServeProcess,
    config_dict,
    dsn,
    StoreWrapper,
    store_opener,
    stored_sha256s,
    wait_for,
    write_toml,
)

BOUNCE = f"bounces@{BOUNCE_DOMAIN}"


def verp(addr: str) -> str:
    return f"bounces+{addr.replace('@', '=')}@{BOUNCE_DOMAIN}"


def send(port: int, raw: bytes, rcpts: list[str], mail_from: str = "<>") -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("mx.test")
        code, msg = s.mail(mail_from)
        assert code == 250, msg
        for r in rcpts:
            code, msg = s.rcpt(r)
            assert code == 250, msg
        return s.data(raw)


# -- recipients, sender ---------------------------------------------------------------------------

@pytest.mark.both_stores
def test_accepts_bounce_addresses_and_rejects_others(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        assert s.mail("<>")[0] == 250
        assert s.rcpt(BOUNCE)[0] == 250
        assert s.rcpt(verp("jane@remote.example"))[0] == 250
        for other in ("postmaster@" + BOUNCE_DOMAIN, "bounces@elsewhere.example", "jane@remote.example"):
            code, msg = s.rcpt(other)
            assert (code, msg[:5]) == (550, b"5.1.1"), (other, code, msg)
        code, msg = s.data(dsn(token="rcpt"))
        assert code == 250 and msg.startswith(b"2.0.0"), msg
    assert len(stored_sha256s(db_path)) == 1
    rejects = d.daemon.metrics.rejects.labels(cause="unknown_recipient")._value.get()
    assert rejects == 3


@pytest.mark.both_stores
def test_null_sender_is_accepted_and_stored_as_empty(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    raw = dsn(token="null")
    code, _ = send(d.port(), raw, [BOUNCE], mail_from="<>")
    assert code == 250
    msg = d.log.events("message")[-1]
    assert msg["mail_from"] == "" and msg["rcpt_tos"] == [BOUNCE]
    assert len(stored_sha256s(db_path)) == 1


def test_data_without_accepted_recipient_is_refused(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    c.cmd("MAIL FROM:<>")
    assert c.cmd("RCPT TO:<someone@other.example>")[0] == 550
    assert c.cmd("DATA")[0] == 503
    c.close()
    assert stored_sha256s(db_path) == []


@pytest.mark.both_stores
def test_unparseable_message_is_stored_and_acknowledged(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    raw = b"\x00\xff garbage that is no mail at all\r\n\r\n--\r\n"
    code, _ = send(d.port(), raw, [BOUNCE])
    assert code == 250
    assert len(stored_sha256s(db_path)) == 1
    assert d.log.events("message")[-1]["parse_error"]


@pytest.mark.both_stores
def test_same_message_twice_is_stored_once(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    raw = dsn(token="twice")
    assert send(d.port(), raw, [BOUNCE])[0] == 250
    assert send(d.port(), raw, [BOUNCE])[0] == 250
    assert len(stored_sha256s(db_path)) == 1
    assert [m["duplicate"] for m in d.log.events("message")] == [False, True]


# -- limits -----------------------------------------------------------------------------------

def test_size_is_advertised_and_enforced(start_daemon, db_path: Path) -> None:
    d = start_daemon(server={"max_message_size": 4000})
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        assert s.esmtp_features["size"] == "4000"
        code, msg = s.mail("<>", ["SIZE=4001"])
        assert (code, msg[:5]) == (552, b"5.3.4"), msg
        assert s.mail("<>")[0] == 250
        assert s.rcpt(BOUNCE)[0] == 250
        code, msg = s.data(dsn(token="big") + b"x" * 5000 + b"\r\n")
        assert (code, msg[:5]) == (552, b"5.3.4"), msg
        # the connection stays usable for a message within the limit
        assert s.mail("<>")[0] == 250
        assert s.rcpt(BOUNCE)[0] == 250
        assert s.data(dsn(token="small"))[0] == 250
    assert len(stored_sha256s(db_path)) == 1
    assert d.daemon.metrics.rejects.labels(cause="too_big")._value.get() == 2


def test_too_many_recipients(start_daemon) -> None:
    d = start_daemon(server={"max_recipients": 2})
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        s.mail("<>")
        assert s.rcpt(verp("a@x.example"))[0] == 250
        assert s.rcpt(verp("b@x.example"))[0] == 250
        code, msg = s.rcpt(verp("c@x.example"))
        assert (code, msg[:5]) == (452, b"4.5.3")
        assert s.data(dsn(token="rcpts"))[0] == 250


def test_connections_beyond_the_limit_get_421(start_daemon) -> None:
    d = start_daemon(server={"max_connections": 2})
    first, second = LineClient(d.port()), LineClient(d.port())
    assert first.reply()[0] == 220 and second.reply()[0] == 220
    third = LineClient(d.port())
    code, lines = third.reply()
    assert code == 421 and "4.7.0" in lines[0]
    with pytest.raises(ConnectionError):
        third.line()  # and the server closed it
    third.close()
    first.cmd("QUIT")
    first.close()
    # a slot is free again
    fourth = wait_for(lambda: _greeting_ok(d.port()), what="a free connection slot")
    assert fourth
    second.close()
    assert d.daemon.metrics.rejects.labels(cause="too_many_connections")._value.get() >= 1


def _greeting_ok(port: int) -> bool:
    c = LineClient(port)
    try:
        return c.reply()[0] == 220
    finally:
        c.close()


def test_idle_client_is_disconnected_with_421(start_daemon) -> None:
    d = start_daemon(server={"command_timeout": 0.3})
    c = LineClient(d.port())
    assert c.reply()[0] == 220
    code, lines = c.reply()  # nothing sent: the server times us out
    assert code == 421 and "4.4.2" in lines[0]
    with pytest.raises(ConnectionError):
        c.line()
    c.close()


def test_slow_data_transfer_is_cut_off(start_daemon, db_path: Path) -> None:
    d = start_daemon(server={"command_timeout": 30, "data_timeout": 0.3})
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    c.cmd("MAIL FROM:<>")
    c.cmd(f"RCPT TO:<{BOUNCE}>")
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: never finished")
    code, lines = c.reply()
    assert code == 421 and "4.4.2" in lines[0]
    c.close()
    assert stored_sha256s(db_path) == []


# -- durability ---------------------------------------------------------------------------------

@pytest.mark.both_stores
def test_store_failure_answers_451_and_nothing_is_lost_after_recovery(start_daemon, db_path: Path) -> None:
    broken = threading.Event()
    real = store_opener()
    d = start_daemon(open_store=lambda cfg: FaultyStore(real(cfg), broken))
    acked: list[bytes] = []
    refused: list[bytes] = []
    for i in range(3):
        raw = dsn(token=f"before{i}")
        assert send(d.port(), raw, [BOUNCE])[0] == 250
        acked.append(raw)
    broken.set()
    for i in range(5):
        raw = dsn(token=f"during{i}")
        code, msg = send(d.port(), raw, [BOUNCE])
        assert (code, msg[:5]) == (451, b"4.3.0"), msg
        refused.append(raw)
    health = wait_for(lambda: (h := _http(d.metrics_port, "/healthz"))[0] == 503 and h, 20, "503")
    assert b"injected" in health[1]
    # the cause is logged once, not once per message
    assert len(d.log.events("store_unavailable")) == 1
    broken.clear()
    wait_for(lambda: _http(d.metrics_port, "/healthz")[0] == 200, 30, "healthy again")
    for raw in refused:  # the MTA retries
        assert send(d.port(), raw, [BOUNCE])[0] == 250
        acked.append(raw)
    import hashlib

    assert sorted(stored_sha256s(db_path)) == sorted(hashlib.sha256(r).hexdigest() for r in acked)
    assert len(d.log.events("store_recovered")) == 1


def test_store_bug_is_a_451_not_a_500(start_daemon, db_path: Path) -> None:
    class BuggyStore(StoreWrapper):  # the real store, whose ingest has a bug for this test
        def ingest_many(self, items):
            raise RuntimeError("bug in the store")

    real = store_opener()
    d = start_daemon(open_store=lambda cfg: BuggyStore(real(cfg)))
    code, msg = send(d.port(), dsn(token="bug"), [BOUNCE])
    assert (code, msg[:5]) == (451, b"4.3.0")
    # the session is still in a clean state: a new transaction works
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        assert s.mail("<>")[0] == 250


@pytest.mark.both_stores
def test_concurrent_clients_are_all_stored(start_daemon, db_path: Path) -> None:
    d = start_daemon(server={"batch_max": 8, "batch_wait_ms": 5})
    raws = [dsn(recipient=f"user{i}@remote.example", token=f"c{i}") for i in range(60)]
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda r: send(d.port(), r, [BOUNCE])[0], raws))
    assert codes == [250] * len(raws)
    assert len(stored_sha256s(db_path)) == len(raws)
    sizes = d.daemon.metrics.batch_size
    assert sizes._sum.get() == len(raws)  # every message went through a committed batch


# -- LMTP ----------------------------------------------------------------------------------------

def lmtp_transaction(port: int, rcpts: list[str], raw: bytes) -> tuple[list[int], list[int]]:
    """(RCPT reply codes, final reply codes after DATA); then checks nothing more was sent."""
    c = LineClient(port)
    try:
        assert c.reply()[0] == 220
        assert c.cmd("LHLO mx.test")[0] == 250
        assert c.cmd("MAIL FROM:<>")[0] == 250
        rcpt_codes = [c.cmd(f"RCPT TO:<{r}>")[0] for r in rcpts]
        assert c.cmd("DATA")[0] == 354
        c.data(raw)
        finals = [c.reply()[0] for code in rcpt_codes if code == 250]
        assert c.cmd("QUIT")[0] == 221  # no stray reply is queued before this one
        return rcpt_codes, finals
    finally:
        c.close()


@pytest.mark.both_stores
def test_lmtp_replies_once_per_accepted_recipient(start_daemon, db_path: Path) -> None:
    d = start_daemon()
    rcpts = [BOUNCE, "nobody@other.example", verp("a@x.example"), verp("b@x.example")]
    rcpt_codes, finals = lmtp_transaction(d.port(lmtp=True), rcpts, dsn(token="lmtp"))
    assert rcpt_codes == [250, 550, 250, 250]
    assert finals == [250, 250, 250]
    assert len(stored_sha256s(db_path)) == 1


@pytest.mark.both_stores
def test_lmtp_store_failure_gives_451_per_recipient(start_daemon, db_path: Path) -> None:
    broken = threading.Event()
    real = store_opener()
    d = start_daemon(open_store=lambda cfg: FaultyStore(real(cfg), broken))
    broken.set()
    _, finals = lmtp_transaction(d.port(lmtp=True), [verp("a@x.example"), verp("b@x.example")], dsn(token="l451"))
    assert finals == [451, 451]


def test_lmtp_refuses_ehlo_and_smtp_refuses_lhlo(start_daemon) -> None:
    d = start_daemon()
    c = LineClient(d.port(lmtp=True))
    c.reply()
    assert c.cmd("EHLO mx.test")[0] == 500  # a protocol error by the client, not our trouble
    assert c.cmd("LHLO mx.test")[0] == 250
    c.close()


def test_lmtp_size_limit_replies_per_recipient(start_daemon) -> None:
    d = start_daemon(server={"max_message_size": 2000})
    _, finals = lmtp_transaction(d.port(lmtp=True), [verp("a@x.example"), verp("b@x.example")],
                                 dsn(token="lbig") + b"y" * 3000 + b"\r\n")
    assert finals == [552, 552]


# -- STARTTLS ---------------------------------------------------------------------------------------

def test_starttls(start_daemon, db_path: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=bounced.test", "-keyout", str(key), "-out", str(cert)], check=True,
                       capture_output=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("openssl is not installed")
    d = start_daemon(server={"tls_cert": str(cert), "tls_key": str(key)})
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        s.ehlo("mx.test")
        assert s.has_extn("starttls")
        assert s.starttls(context=ctx)[0] == 220
        s.ehlo("mx.test")
        s.mail("<>")
        assert s.rcpt(BOUNCE)[0] == 250
        assert s.data(dsn(token="tls"))[0] == 250
    assert len(stored_sha256s(db_path)) == 1
    wait_for(lambda: not d.daemon.state.connections, what="the TLS connection to be released")


# -- reload in process -------------------------------------------------------------------------------

def test_reload_changes_accepted_addresses_without_dropping_connections(start_daemon, db_path: Path,
                                                                       tmp_path: Path) -> None:
    conf = write_toml(tmp_path / "bounced.toml", config_dict(db_path))
    d = start_daemon(config_path=str(conf))
    c = LineClient(d.port())
    c.reply()
    c.cmd("EHLO mx.test")
    c.cmd("MAIL FROM:<>")
    assert c.cmd("RCPT TO:<bounces@new.example>")[0] == 550
    write_toml(conf, config_dict(db_path, bounce={"domains": [BOUNCE_DOMAIN, "new.example"]},
                                 server={"max_recipients": 5}))
    assert d.call(d.daemon.reload) is True
    assert c.cmd("RCPT TO:<bounces@new.example>")[0] == 250  # same connection, new rules
    assert d.daemon.state.config.server.max_recipients == 5
    # a broken file is logged and the running config kept
    conf.write_text("[server]\nmax_recipients = -1\n")
    assert d.call(d.daemon.reload) is False
    failed = d.log.events("reload_failed")
    assert failed and "server.max_recipients" in failed[-1]["error"] and str(conf) in failed[-1]["error"]
    assert c.cmd("RCPT TO:<bounces+x=y.example@new.example>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.data(dsn(token="reload"))
    assert c.reply()[0] == 250
    c.close()


@pytest.mark.both_stores
def test_reload_of_policy_keeps_the_database_connection(start_daemon, db_path, tmp_path: Path) -> None:
    """A SIGHUP that changes [policy] applies it to the open store: no new connection (on
    PostgreSQL a reconnect per reload would drop its prepared statements and locks' sessions)."""
    conf = write_toml(tmp_path / "bounced.toml", config_dict(db_path))
    d = start_daemon(config_path=str(conf))
    store = d.daemon.writer._store
    conn = store.conn
    write_toml(conf, config_dict(db_path, policy={"soft_threshold": 7}))
    assert d.call(d.daemon.reload) is True
    assert d.daemon.writer._store is store and store.conn is conn
    assert store.rules.policy.soft_threshold == 7
    with smtplib.SMTP("127.0.0.1", d.port(), timeout=30) as s:
        assert s.sendmail("<>", [BOUNCE], dsn(token="after-reload")) == {}
    assert len(stored_sha256s(db_path)) == 1


def _http(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# -- the real command: signals and startup errors -------------------------------------------------

@pytest.fixture
def serve(tmp_path: Path, db_path: Path):
    procs: list[ServeProcess] = []

    def start(data: dict | None = None, env: dict[str, str] | None = None) -> ServeProcess:
        conf = write_toml(tmp_path / "bounced.toml", data or config_dict(db_path))
        p = ServeProcess(conf, env)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.kill()


def test_sigterm_finishes_messages_in_flight(serve, db_path: Path) -> None:
    p = serve()
    port = p.ports()["smtp"]
    # three clients in the middle of DATA when SIGTERM arrives, one idle client
    clients = []
    for i in range(3):
        c = LineClient(port)
        c.reply()
        c.cmd("EHLO mx.test")
        c.cmd("MAIL FROM:<>")
        c.cmd(f"RCPT TO:<{BOUNCE}>")
        assert c.cmd("DATA")[0] == 354
        raw = dsn(token=f"inflight{i}")
        head, _, tail = raw.partition(b"\r\n\r\n")
        c.send(head + b"\r\n\r\n")
        clients.append((c, tail))
    idle = LineClient(port)
    idle.reply()
    p.proc.send_signal(signal.SIGTERM)
    p.wait_event("stopping")
    wait_for(lambda: _refused(port), what="the listener to close")
    for c, tail in clients:
        c.data(tail)
        code, lines = c.reply()
        assert code == 250, lines
    assert idle.reply()[0] == 421
    assert p.proc.wait(30) == 0
    assert len(stored_sha256s(db_path)) == 3
    assert p.events("stopped")


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.both_stores
def test_sigterm_under_load_loses_no_acknowledged_message(serve, db_path: Path) -> None:
    import hashlib

    p = serve()
    port = p.ports()["smtp"]
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def blast(worker: int) -> None:
        n = 0
        while not stop.is_set():
            raw = dsn(token=f"load{worker}.{n}")
            n += 1
            try:
                code, _ = send(port, raw, [BOUNCE])
            except (OSError, smtplib.SMTPException, AssertionError):  # refused or 421: shutting down
                return
            if code == 250:
                with lock:
                    acked.append(hashlib.sha256(raw).hexdigest())

    threads = [threading.Thread(target=blast, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 30, what="some acknowledged messages")
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(60) == 0
    stop.set()
    for t in threads:
        t.join(30)
    stored = set(stored_sha256s(db_path))
    assert acked and set(acked) <= stored


def test_sighup_reloads_the_running_daemon(serve, db_path: Path, tmp_path: Path) -> None:
    p = serve()
    port = p.ports()["smtp"]
    c = LineClient(port)
    c.reply()
    c.cmd("EHLO mx.test")
    c.cmd("MAIL FROM:<>")
    assert c.cmd("RCPT TO:<bounces@hup.example>")[0] == 550
    write_toml(tmp_path / "bounced.toml", config_dict(db_path, bounce={"domains": ["hup.example"]}))
    p.proc.send_signal(signal.SIGHUP)
    p.wait_event("reloaded")
    assert c.cmd("RCPT TO:<bounces@hup.example>")[0] == 250
    (tmp_path / "bounced.toml").write_text("[bounce]\nnonsense = 1\n")
    p.proc.send_signal(signal.SIGHUP)
    failed = p.wait_event("reload_failed")[0]
    assert "bounce.nonsense" in failed["error"]
    assert c.cmd(f"RCPT TO:<{BOUNCE}>")[0] == 550  # still the reloaded config, not the broken one
    assert c.cmd("DATA")[0] == 354
    c.data(dsn(token="hup"))
    assert c.reply()[0] == 250
    c.close()
    assert p.proc.poll() is None
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(30) == 0


def _run_serve(conf: Path) -> subprocess.CompletedProcess:
    from tests.daemon_helpers import ROOT, serve_cmd

    return subprocess.run(serve_cmd("serve", "--config", str(conf)), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def _one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1, r.stderr
    for n in needles:
        assert n in err[0], err[0]


def test_port_in_use_is_one_clear_line(tmp_path: Path, db_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        data = config_dict(db_path)
        data["server"]["listeners"] = [{"host": "127.0.0.1", "port": port}]
        r = _run_serve(write_toml(tmp_path / "b.toml", data))
    _one_line_error(r, f"127.0.0.1:{port}")


def test_bad_config_is_one_clear_line(tmp_path: Path) -> None:
    conf = tmp_path / "b.toml"
    conf.write_text("[server]\nmax_connections = \"many\"\n")
    _one_line_error(_run_serve(conf), "server.max_connections", str(conf))


def test_corrupt_database_is_one_clear_line(tmp_path: Path, db_path: Path) -> None:
    db_path.write_bytes(b"this is not an SQLite database" * 200)
    _one_line_error(_run_serve(write_toml(tmp_path / "b.toml", config_dict(db_path))), str(db_path))


def test_unusable_database_directory_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    db = blocker / "bounced.db"
    _one_line_error(_run_serve(write_toml(tmp_path / "b.toml", config_dict(db))), str(db))


def test_slow_commit_does_not_count_against_the_client(start_daemon, db_path: Path) -> None:
    """The command/data timers stop while the store commits: a slow disk is our time, not the client's."""

    class SlowStore:
        def __init__(self, inner):
            self.inner = inner

        def ingest_many(self, items):
            time.sleep(1.0)  # a slow fsync
            return self.inner.ingest_many(items)

        def check_writable(self):
            self.inner.check_writable()

        def check_health(self):
            self.inner.check_health()

        def close(self):
            self.inner.close()

    real = store_opener()
    d = start_daemon(open_store=lambda cfg: SlowStore(real(cfg)),
                     server={"command_timeout": 0.3, "data_timeout": 0.3})
    assert send(d.port(), dsn(token="slow"), [BOUNCE])[0] == 250
    assert len(stored_sha256s(db_path)) == 1


@pytest.mark.both_stores
def test_parse_workers(start_daemon, db_path: Path) -> None:
    d = start_daemon(server={"parse_workers": 1})
    assert send(d.port(), dsn(token="pw"), [BOUNCE])[0] == 250
    assert len(stored_sha256s(db_path)) == 1


def test_missing_tls_certificate_is_one_clear_line(tmp_path: Path, db_path: Path) -> None:
    missing = tmp_path / "no-such-cert.pem"
    conf = write_toml(tmp_path / "b.toml", config_dict(db_path, server={"tls_cert": str(missing),
                                                                        "tls_key": str(tmp_path / "k.pem")}))
    _one_line_error(_run_serve(conf), str(missing))


def _chattr(flag: str, *paths: Path) -> bool:
    try:
        r = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, timeout=30)
    except FileNotFoundError:
        return False
    return r.returncode == 0


def test_immutable_database_answers_451_then_recovers(start_daemon, db_path: Path) -> None:
    """A real write fault, not an injected one: the database files become immutable (even root
    cannot write them), then writable again."""
    import hashlib

    d = start_daemon()
    first = dsn(token="imm0")
    assert send(d.port(), first, [BOUNCE])[0] == 250
    files = [p for p in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.parent) if p.exists()]
    if not _chattr("+i", *files):
        pytest.skip("chattr +i is not supported here (needs root and a filesystem with the immutable flag)")
    try:
        refused = dsn(token="imm1")
        code, msg = send(d.port(), refused, [BOUNCE])
        assert (code, msg[:5]) == (451, b"4.3.0"), msg
        wait_for(lambda: _http(d.metrics_port, "/healthz")[0] == 503, 20, "503")
    finally:
        assert _chattr("-i", *files)
    assert send(d.port(), refused, [BOUNCE])[0] == 250  # the MTA's retry
    wait_for(lambda: _http(d.metrics_port, "/healthz")[0] == 200, 30, "healthy again")
    assert len(d.log.events("store_unavailable")) == 1
    assert sorted(stored_sha256s(db_path)) == sorted(hashlib.sha256(r).hexdigest() for r in (first, refused))



def _address_parsers():
    """Our SMTPServer and a plain aiosmtpd SMTP, to compare their address parsing."""
    from aiosmtpd.smtp import SMTP

    from bounced.config import Config
    from bounced.server import ServerState, SMTPServer

    async def sink(d):  # pragma: no cover - never called
        return ""

    return SMTPServer(ServerState(Config(), sink)), SMTP(object(), hostname="x")


def _same_as_aiosmtpd(arg: str, local_part_limit: int = 0) -> None:
    from aiosmtpd.smtp import SMTP

    ours, theirs = _address_parsers()
    ours.local_part_limit = theirs.local_part_limit = local_part_limit
    try:
        expected = SMTP._getaddr(theirs, arg)
    except Exception as exc:  # noqa: BLE001 - then ours must fail the same way
        with pytest.raises(type(exc)):
            ours._getaddr(arg)
        return
    assert ours._getaddr(arg) == expected


@pytest.mark.parametrize("arg", [
    "", "<>", "<bounces@bounce.example>", " <bounces@bounce.example> SIZE=100", "bounces@bounce.example",
    "<bounces@bounce.example>SIZE=100", "<bounces@bounce.example> (comment) SIZE=1", "<a..b@x>", "<a@b.>",
    "<\"quoted local\"@bounce.example>", "<@relay.example:user@bounce.example>", "<user@[192.0.2.1]>",
    "<user@bounce.example", "user@", "<" + "a" * 70 + "@bounce.example>", "<ü@bounce.example>", "<<>>", "\x00",
    "<user@bounce.example> BODY=8BITMIME SMTPUTF8", "\t<a+b=c@x-y.example>\t ",
], ids=repr)
@pytest.mark.parametrize("limit", [0, 64])
def test_address_parsing_is_aiosmtpds(arg: str, limit: int) -> None:
    """SMTPServer._getaddr (no per-call class, a fast path for <local@domain>) answers as aiosmtpd's."""
    _same_as_aiosmtpd(arg, limit)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="<>@.ab-+_=' \t()\"[]:,;\\é\x00", max_size=24), st.sampled_from([0, 3]))
def test_address_parsing_is_aiosmtpds_on_any_input(arg: str, limit: int) -> None:
    _same_as_aiosmtpd(arg, limit)
