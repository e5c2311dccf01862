"""A private, throwaway Postfix instance for end-to-end tests.

Its own config, queue and data directories under one temporary directory (not under pytest's
0700 tmp tree: Postfix's daemons run as the postfix user and must reach the queue), smtpd on a
loopback port of our choosing, no chroot, no DNS, logging to a file. Everything is torn down by
``stop()``.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ETC = "@ETC@"  # in settings values: the instance's own config directory
POSTFIX = shutil.which("postfix") or ("/usr/sbin/postfix" if os.path.exists("/usr/sbin/postfix") else None)

# service  type  private unpriv chroot wakeup maxproc command
_MASTER = """\
{port}  inet  n  -  n  -  -  smtpd
pickup     unix  n  -  n  60  1  pickup
cleanup    unix  n  -  n  -   0  cleanup
qmgr       unix  n  -  n  300 1  qmgr
rewrite    unix  -  -  n  -   -  trivial-rewrite
bounce     unix  -  -  n  -   0  bounce
defer      unix  -  -  n  -   0  bounce
trace      unix  -  -  n  -   0  bounce
verify     unix  -  -  n  -   1  verify
flush      unix  n  -  n  1000? 0 flush
proxymap   unix  -  -  n  -   -  proxymap
proxywrite unix  -  -  n  -   1  proxymap
smtp       unix  -  -  n  -   -  smtp
relay      unix  -  -  n  -   -  smtp
showq      unix  n  -  n  -   -  showq
error      unix  -  -  n  -   -  error
retry      unix  -  -  n  -   -  error
discard    unix  -  -  n  -   -  discard
local      unix  -  n  n  -   -  local
lmtp       unix  -  -  n  -   -  lmtp
anvil      unix  -  -  n  -   1  anvil
scache     unix  -  -  n  -   1  scache
postlog    unix-dgram n - n - 1  postlogd
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, alive: Callable[[], bool] = lambda: True, seconds: float = 30) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` within ``seconds`` (given up as
    soon as ``alive`` says the server's process has ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class PostfixInstance:
    def __init__(self, transport: dict[str, str], settings: dict[str, str] | None = None,
                 files: dict[str, str] | None = None) -> None:
        """``files``: more lookup tables (name -> content) written to the instance's config directory;
        every ``hash:`` table the settings name is built with postmap, as an operator would."""
        assert POSTFIX is not None
        self.root = Path(tempfile.mkdtemp(prefix="bounced-postfix-"))
        os.chmod(self.root, 0o755)
        self.etc, self.spool, self.data = self.root / "etc", self.root / "spool", self.root / "data"
        for d in (self.etc, self.spool, self.data):
            d.mkdir(mode=0o755)
        shutil.chown(self.data, "postfix")
        self.port = free_port()
        self.log = self.root / "maillog"
        (self.etc / "transport").write_text("".join(f"{dom} {dest}\n" for dom, dest in transport.items()))
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.spool),
            "data_directory": str(self.data),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mta.sender.test",
            "mydomain": "sender.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "smtpd_authorized_verp_clients": "127.0.0.0/8",
            "transport_maps": f"texthash:{self.etc / 'transport'}",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "lmtp_host_lookup": "native",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "recipient_delimiter": "+",
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(self.root),
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtp_connect_timeout": "5s",
            "lmtp_connect_timeout": "5s",
            "shlib_directory": "/usr/lib/postfix",
            "daemon_directory": "/usr/lib/postfix/sbin",
            "meta_directory": "/etc/postfix",
        }
        main.update({k: v.replace(ETC, str(self.etc)) for k, v in (settings or {}).items()})
        for name, content in (files or {}).items():
            (self.etc / name).write_text(content)
        (self.etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main.items()))
        (self.etc / "master.cf").write_text(_MASTER.format(port=f"127.0.0.1:{self.port}"))
        for value in main.values():
            for table in re.findall(r"\bhash:(\S+?)(?=[,\s]|$)", value):
                subprocess.run([shutil.which("postmap") or "/usr/sbin/postmap", "-c", str(self.etc), f"hash:{table}"],
                               check=True, capture_output=True, timeout=60)

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([POSTFIX or "postfix", "-c", str(self.etc), *args], capture_output=True, text=True,
                              timeout=60, check=check)

    def start(self) -> "PostfixInstance":
        self._postfix("check", check=False)  # creates the queue tree with the right owners
        r = self._postfix("start", check=False)
        if r.returncode != 0:
            raise RuntimeError(f"postfix start failed: {r.stderr}\n{self.maillog()}")
        if wait_listening(self.port):
            return self
        raise RuntimeError(f"postfix smtpd did not listen on {self.port}:\n{self.maillog()}")

    def maillog(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return "(no maillog)"

    def stop(self) -> None:
        self._postfix("stop", check=False)
        # the master exits asynchronously; wait so the temp tree can be removed
        pid_file = self.spool / "pid" / "master.pid"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and pid_file.exists():
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, 0)
            except (OSError, ValueError, IndexError):
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
