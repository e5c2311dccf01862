"""The VERP secret files: read the configured ones, or create one beside the database.

``[bounce] verp_secret_files`` lists files; the first signs and all verify, so a secret is
rotated by putting a new file first and removing the old one once its tags have expired. With
none configured, ``<database>.verp-secret`` is used, created on first use (32 random bytes,
hex, mode 0600, never overwritten), so ``make run`` and the CLI agree without set-up. A key is
the file's text with surrounding whitespace removed, used as bytes as it stands (not hex-
decoded), which is what a PHP or Node mailer reading the same file gets with trim(). Key
material never appears in an error, a log line or a repr.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from bounced.config import Config
from bounced.signing import Keyring

MIN_KEY_BYTES = 16


class KeyFileError(ValueError):
    """A secret file that cannot be used; names the file, never its content."""


def default_path(db_path: str) -> Path:
    return Path(str(db_path) + ".verp-secret")


def _create(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _read(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the VERP secret: {exc.strerror or exc}") from None
    if len(key) < MIN_KEY_BYTES:
        raise KeyFileError(f"{path}: the VERP secret is shorter than {MIN_KEY_BYTES} bytes")
    return key


def load(cfg: Config, db_path: str | None = None) -> Keyring:
    """The keyring for ``cfg``; creates the default secret when none is configured."""
    files = [Path(f) for f in cfg.bounce.verp_secret_files]
    if not files:
        path = default_path(db_path or cfg.store.path)
        if not path.parent.is_dir():
            raise KeyFileError(f"{path}: directory {path.parent} does not exist")
        if not path.exists():
            _create(path)
        files = [path]
    return Keyring(tuple(_read(f) for f in files), tuple(str(f) for f in files))
