"""Private Exim, OpenSMTPD and Sendmail instances for the real-MTA matrix, beside the system's Postfix.

Debian's exim4, opensmtpd and sendmail packages each conflict with postfix (all provide
mail-transport-agent), so they are never installed: ``apt-get download`` fetches the .debs once
into ``/var/cache/bounced-tests/mta/`` and ``dpkg -x`` unpacks them there (not under root's 0700
home: the MTA's own user re-executes its binary from there). Each MTA then runs as root
inside its own mount namespace (``unshare -m``), where a private /etc/passwd and /etc/group add the
system users its build expects (Debian-exim; opensmtpd and opensmtpq) and tmpfs mounts give it the
fixed spool and chroot paths compiled into it. Nothing on the host is changed: the namespace, the
users and the mounts vanish with the process. The network is the host's loopback only: every
route is an explicit ``127.0.0.1:<port>`` (no DNS, no MX lookup).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.postfix_instance import free_port, wait_listening

CACHE = Path(os.environ.get("BOUNCED_MTA_CACHE", "/var/cache/bounced-tests/mta"))
_MULTIARCH = "usr/lib/x86_64-linux-gnu"


class Unavailable(RuntimeError):
    """This platform cannot run the MTA (no apt-get, no mount namespaces, not root); says why."""


def platform_problem() -> str | None:
    """Why no private MTA can run here, or None."""
    if os.geteuid() != 0:
        return "running a private MTA in its own mount namespace needs root (CI runs as root)"
    if not shutil.which("unshare") or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        return "unshare -m (a private mount namespace) is not available here"
    return None


def debian_root(name: str, packages: Iterable[str]) -> Path:
    """The packages' files unpacked under the cache (downloaded once); setuid bits removed, since we
    run as root and a setuid binary would ignore the LD_LIBRARY_PATH that finds libraries we unpack."""
    root = CACHE / name
    if (root / ".complete").exists():
        return root
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        raise Unavailable("apt-get and dpkg are needed to fetch the MTA's Debian packages")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for d in (root, *root.parents):
        if d == Path("/var/cache"):
            break
        d.chmod(0o755)
    with tempfile.TemporaryDirectory(prefix="bounced-debs-") as d:
        os.chmod(d, 0o755)  # apt's _apt user writes the download here
        r = subprocess.run(["apt-get", "download", "-q", *packages], cwd=d, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise Unavailable(f"apt-get download {' '.join(packages)} failed: {r.stderr.strip()[-500:]}")
        for deb in sorted(Path(d).glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True, capture_output=True, timeout=120)
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o6000:
            path.chmod(path.stat().st_mode & ~0o6000)
    (root / ".complete").write_text("\n".join(packages) + "\n")
    return root


def _free_id(taken: set[int]) -> int:
    return next(i for i in range(64000, 65000) if i not in taken)


class Namespace:
    """A throwaway directory and the shell prelude that enters a private mount namespace with the
    users an MTA needs added to a copy of /etc/passwd and /etc/group (only those not already there)."""

    def __init__(self, prefix: str, users: Iterable[str], tmpfs: Iterable[str] = (), mkdirs: Iterable[str] = ()) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.dir, 0o755)  # the MTA's own user must reach its spool below
        passwd = Path("/etc/passwd").read_text()
        group = Path("/etc/group").read_text()
        names = {line.split(":")[0] for line in passwd.splitlines() if line}
        uids = {int(line.split(":")[2]) for line in passwd.splitlines() if line.count(":") >= 2}
        gids = {int(line.split(":")[2]) for line in group.splitlines() if line.count(":") >= 2}
        self.ids: dict[str, int] = {}
        for user in users:
            if user in names:
                self.ids[user] = int(next(x for x in passwd.splitlines() if x.split(":")[0] == user).split(":")[2])
                continue
            uid = _free_id(uids | gids)
            uids.add(uid)
            gids.add(uid)
            passwd += f"{user}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n"
            group += f"{user}:x:{uid}:\n"
            self.ids[user] = uid
        (self.dir / "passwd").write_text(passwd)
        (self.dir / "group").write_text(group)
        # names resolve from files only and the resolver points at loopback: no query leaves the machine
        (self.dir / "hosts").write_text("127.0.0.1 localhost mta.sender.test\n")
        (self.dir / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")
        (self.dir / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        lines = ["set -e"] + [f"mount --bind {self.dir}/{name} /etc/{name}"
                              for name in ("passwd", "group", "hosts", "nsswitch.conf", "resolv.conf")]
        lines += [f"mount -t tmpfs tmpfs {path}" for path in tmpfs]
        lines += [f"mkdir -p {path}" for path in mkdirs]
        lines.append('exec "$@"')
        self.prelude = self.dir / "enter.sh"
        self.prelude.write_text("\n".join(lines) + "\n")

    def command(self, *argv: str) -> list[str]:
        return ["unshare", "-m", "sh", str(self.prelude), *argv]

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def message(case: str, rcpt: str) -> bytes:
    return (f"From: news@sender.test\r\nTo: {rcpt}\r\nSubject: news\r\n"
            f"Message-ID: <{case}@sender.test>\r\n\r\nhello\r\n").encode()


class Exim:
    """Exim 4 from Debian's exim4-daemon-light, run per message as ``exim -C config -odi``: it
    delivers in the foreground and hands its bounce to a second exim that delivers it at once. An
    empty retry section makes a temporary error final at once (Exim's spec, "Retry configuration")."""

    PACKAGES = ("exim4-daemon-light", "exim4-base", "libidn12")

    def __init__(self, routes: dict[str, int]) -> None:
        self.root = debian_root("exim4", self.PACKAGES)
        self.ns = Namespace("bounced-exim-", users=["Debian-exim"])
        spool, log = self.ns.dir / "spool", self.ns.dir / "log"
        for d in (spool, log):
            d.mkdir()
            os.chown(d, self.ns.ids["Debian-exim"], self.ns.ids["Debian-exim"])
        self.log = log / "mainlog"
        self.binary = self.root / "usr/sbin/exim4"
        routers = "".join(
            f"to_{i}:\n  driver = manualroute\n  domains = {domain}\n  transport = remote_smtp\n"
            f"  route_list = * 127.0.0.1::{port} byname\n  self = send\n"
            for i, (domain, port) in enumerate(routes.items()))
        self.config = self.ns.dir / "exim.conf"
        self.config.write_text(f"""\
exim_path = {self.binary}
keep_environment = LD_LIBRARY_PATH
spool_directory = {spool}
log_file_path = {log}/%slog
primary_hostname = mta.sender.test
qualify_domain = sender.test
exim_user = Debian-exim
exim_group = Debian-exim
trusted_users = root
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = accept

begin routers
{routers}
begin transports
remote_smtp:
  driver = smtp
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_chunking =
  hosts_try_prdr =

begin retry

begin rewrite
""")

    def send(self, messages: list[tuple[str, list[str], bytes]]) -> None:
        """Each (envelope sender, recipients, message) delivered by its own exim, four at a time."""
        env = {**os.environ, "LD_LIBRARY_PATH": str(self.root / _MULTIARCH)}

        def one(item: tuple[str, list[str], bytes]) -> None:
            sender, rcpts, data = item
            subprocess.run(self.ns.command(str(self.binary), "-C", str(self.config), "-odi", "-oi", "-f", sender, *rcpts),
                           input=data, env=env, capture_output=True, timeout=60, check=True)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, messages))

    def maillog(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no mainlog)"

    def stop(self) -> None:
        self.ns.remove()


class OpenSMTPD:
    """OpenSMTPD 6.8 from Debian's opensmtpd, ``smtpd -d`` on a loopback port. Its spool
    (/var/spool/smtpd), chroot (/var/lib/opensmtpd/empty) and control socket (/run) are compiled-in
    paths: tmpfs mounts in its namespace provide them. ``queue ttl`` makes a temporary failure expire
    in seconds; OpenSMTPD then sends its expiry notice (Action: delayed, Status: 4.4.7)."""

    PACKAGES = ("opensmtpd",)
    TTL = "8s"

    def __init__(self, routes: dict[str, int], ttl: str | None = None) -> None:
        self.root = debian_root("opensmtpd", self.PACKAGES)
        self.ns = Namespace("bounced-opensmtpd-", users=["opensmtpd", "opensmtpq"],
                            tmpfs=["/var/spool", "/var/lib", "/run"], mkdirs=["/var/lib/opensmtpd/empty"])
        self.port = free_port()
        actions = "".join(f'action "to_{i}" relay host smtp://127.0.0.1:{port}\n'
                          f'match from any for domain "{domain}" action "to_{i}"\n'
                          for i, (domain, port) in enumerate(routes.items()))
        self.config = self.ns.dir / "smtpd.conf"
        self.config.write_text(f"queue ttl {ttl or self.TTL}\nlisten on 127.0.0.1 port {self.port} hostname mta.sender.test\n"
                               + actions)
        self.config.chmod(0o600)
        self.log = self.ns.dir / "smtpd.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "OpenSMTPD":
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.ns.command(str(self.root / "usr/sbin/smtpd"), "-d", "-f", str(self.config)),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait_listening(self.port, lambda: self.proc.poll() is None):
            return self
        raise RuntimeError(f"smtpd did not listen on {self.port}:\n{self.maillog()}")

    def maillog(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # smtpd -d and the children it forked, our session only
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.ns.remove()


class Sendmail:
    """Sendmail 8.17 from Debian's sendmail-bin, its sendmail.cf built with m4 from sendmail-cf's
    macros. Each message is delivered by ``sendmail -C cf -odi``; a temporary failure stays queued,
    and with ``Timeout.queuereturn`` at one second the queue run that follows returns it. Each
    route is its own mailer (a copy of the esmtp mailer whose ``A=TCP $h <port>`` names the port),
    selected per domain by the mailertable."""

    PACKAGES = ("sendmail-bin", "sendmail-cf", "libwrap0")

    def __init__(self, routes: dict[str, int]) -> None:
        if not shutil.which("m4"):
            raise Unavailable("m4 is needed to build sendmail.cf (Debian package m4; .ci/run installs it)")
        self.root = debian_root("sendmail", self.PACKAGES)
        self.ns = Namespace("bounced-sendmail-", users=[])
        d = self.ns.dir
        (d / "queue").mkdir(mode=0o700)
        (d / "service.switch").write_text("hosts files\naliases files\n")
        (d / "mailertable.txt").write_text("".join(f"{domain} to{i}:[127.0.0.1]\n" for i, domain in enumerate(routes)))
        cf_dir = self.root / "usr/share/sendmail/cf"
        defines = {
            "confDOMAIN_NAME": "mta.sender.test", "QUEUE_DIR": f"{d}/queue", "STATUS_FILE": f"{d}/statistics",
            "ALIAS_FILE": "", "confSERVICE_SWITCH_FILE": f"{d}/service.switch", "confHOSTS_FILE": "/etc/hosts",
            "confDONT_PROBE_INTERFACES": "True", "confTO_QUEUERETURN": "1s", "confTO_QUEUEWARN": "1h",
            "confPID_FILE": f"{d}/sendmail.pid", "confDONT_BLAME_SENDMAIL": "MapInUnsafeDirPath",
        }
        mc = (f"divert(0)dnl\ninclude(`{cf_dir}/m4/cf.m4')dnl\nVERSIONID(`bounced test matrix')dnl\nOSTYPE(`linux')dnl\n"
              + "".join(f"define(`{k}', `{v}')dnl\n" for k, v in defines.items())
              + f"FEATURE(`nocanonify')dnl\nFEATURE(`no_default_msa')dnl\nFEATURE(`mailertable', `hash {d}/mailertable')dnl\n"
              "MAILER(`smtp')dnl\n")
        cf = subprocess.run(["m4"], input=mc, capture_output=True, text=True, check=True, timeout=60).stdout
        esmtp = cf[cf.index("\nMesmtp,") + 1:]
        esmtp = esmtp[:esmtp.index("\nM", 1) + 1] if "\nM" in esmtp else esmtp
        esmtp = esmtp[:esmtp.index("\n\n") + 1] if "\n\n" in esmtp else esmtp
        mailers = "".join(esmtp.replace("Mesmtp,", f"Mto{i},").replace("A=TCP $h", f"A=TCP $h {port}")
                          for i, port in enumerate(routes.values()))
        self.config = d / "sendmail.cf"
        self.config.write_text(cf + mailers)
        self.binary = self.root / "usr/libexec/sendmail/sendmail"
        self.env = {**os.environ, "LD_LIBRARY_PATH": str(self.root / _MULTIARCH)}
        subprocess.run([str(self.root / "usr/libexec/sendmail/makemap"), "-C", str(self.config), "hash", f"{d}/mailertable"],
                       input=(d / "mailertable.txt").read_bytes(), env=self.env, capture_output=True, check=True, timeout=60)
        self.transcripts: list[bytes] = []

    def _run(self, *args: str, data: bytes = b"") -> None:
        r = subprocess.run(self.ns.command(str(self.binary), "-C", str(self.config), *args), input=data, env=self.env,
                           capture_output=True, timeout=120)
        self.transcripts.append(r.stdout + r.stderr)  # sendmail exits 67/69 for a refused recipient: not an error here

    def send(self, messages: list[tuple[str, list[str], bytes]]) -> None:
        """Each (envelope sender, recipients, message) by its own sendmail, four at a time; then,
        after the one-second queue return time, a queue run per message (``-qR<its first
        recipient>``) returns what was deferred. One run for all would not do: in a single run the
        first 421 marks the host down and every later message to it comes back "Deferred" without
        an attempt, so without the remote's reply (real Sendmail behaviour, but an artefact of
        making every deferral expire in the same run), and which comes first depends on queue
        order."""
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda m: self._run("-odi", "-oi", "-f", m[0], *m[1], data=m[2]), messages))
        time.sleep(1.5)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda m: self._run(f"-qR{m[1][0]}"), messages))

    def maillog(self) -> str:
        return b"\n".join(self.transcripts).decode(errors="replace")[-6000:]

    def stop(self) -> None:
        self.ns.remove()
