"""What ``bounced config check`` verifies beyond the file's syntax: what ``serve`` would refuse.

A configuration can be valid TOML with valid values and still not start: two listeners on one
port, the metrics port taken by a listener, a database directory that does not exist or that this
user cannot write, TLS files it cannot read. Each problem is one line naming the key.
"""
from __future__ import annotations

import os
import pwd
from pathlib import Path

from bounced.config import SYSTEM_STATE_DIR, Config

_WILDCARD = {"0.0.0.0", "::", ""}


def run_as() -> str:
    """The user this process runs as, for messages about permissions."""
    uid = os.geteuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _clash(a: tuple[str, int], b: tuple[str, int]) -> bool:
    return a[1] == b[1] and (a[0] == b[0] or a[0] in _WILDCARD or b[0] in _WILDCARD)


def _can(path: Path, mode: int) -> bool:
    if os.access in os.supports_effective_ids:  # the user the process acts as, not who started it
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def writable_problem(path: str) -> str | None:
    """Why the database at ``path`` cannot be written by this user, or None."""
    p = Path(path)
    parent = p.resolve().parent if p.exists() else p.absolute().parent
    if not parent.is_dir():
        return f"directory {parent} does not exist"
    if not _can(parent, os.W_OK | os.X_OK):
        return f"directory {parent} is not writable by {run_as()} (SQLite writes its journal beside the database)"
    if p.exists() and not _can(p, os.R_OK | os.W_OK):
        return f"{p} is not readable and writable by {run_as()}"
    return None


def problems(cfg: Config) -> list[str]:
    """Every reason ``bounced serve`` would refuse ``cfg`` on this machine, as "key: problem" lines."""
    out: list[str] = []
    seen: list[tuple[str, int, int]] = []
    for i, lst in enumerate(cfg.server.listeners):
        for host, port, j in seen:
            if _clash((host, port), (lst.host, lst.port)):
                out.append(f"server.listeners[{i}]: {lst.host}:{lst.port} is also server.listeners[{j}] ({host}:{port})")
        seen.append((lst.host, lst.port, i))
    if cfg.metrics.enabled:
        for host, port, j in seen:
            if _clash((host, port), (cfg.metrics.host, cfg.metrics.port)):
                out.append(f"metrics.port: {cfg.metrics.host}:{cfg.metrics.port} is also server.listeners[{j}] ({host}:{port})")
    why = writable_problem(cfg.store.path)
    if why and Path(cfg.store.path).absolute().parent == SYSTEM_STATE_DIR and not SYSTEM_STATE_DIR.exists():
        why = None  # the unit's StateDirectory=: systemd creates it, for the service's user, at start
    if why:
        out.append(f"store.path: {cfg.store.path}: {why}")
    for key in ("tls_cert", "tls_key"):
        f = getattr(cfg.server, key)
        if f and not _can(Path(f), os.R_OK):
            reason = "does not exist" if not os.path.exists(f) else f"is not readable by {run_as()}"
            out.append(f"server.{key}: {f} {reason}")
    return out
