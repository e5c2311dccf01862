"""What ``bounced ingest`` reads: files, standard input, an mbox, a maildir, message by message.

Each message arrives as its original bytes (never re-serialized, so the same bounce from a file,
an mbox or the daemon has one sha256), with the time it was received when the container says
(the mbox ``From_`` line, the maildir file name), and never larger than the daemon would accept:
an oversize message is reported, not read whole.
"""
from __future__ import annotations

import mailbox
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO


class SourceError(Exception):
    """An input that cannot be ingested at all (not an mbox, not a maildir, unreadable)."""


@dataclass(frozen=True, slots=True)
class Item:
    name: str  # where it came from, for messages to the operator
    raw: bytes | None  # None when ``problem`` says why it was not read
    received: datetime | None
    problem: str | None = None


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


def _read_bounded(fh: BinaryIO, name: str, limit: int, received: datetime | None) -> Item:
    raw = fh.read(limit + 1)
    if len(raw) > limit:
        return Item(name, None, received, f"larger than server.max_message_size ({_mib(limit)}); not stored")
    return Item(name, raw, received)


_ASCTIME = re.compile(r"(\w{3} \w{3} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4})")


def from_line_time(line: bytes) -> datetime | None:
    """The delivery time on an mbox ``From sender asctime`` line (local time, taken as UTC)."""
    m = _ASCTIME.search(line.decode("ascii", "replace"))
    if not m:
        return None
    try:
        return datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def maildir_time(key: str) -> datetime | None:
    """Maildir file names start with the delivery time in seconds (``1700000000.M1P2.host``)."""
    m = re.match(r"(\d{9,11})\.", key)
    return datetime.fromtimestamp(int(m.group(1)), timezone.utc) if m else None


def looks_like_mbox(head: bytes) -> bool:
    """An mbox starts with a ``From `` separator line; a message never does (its header is ``From:``)."""
    return head.startswith(b"From ")


def count_mbox(path: str) -> int:
    return len(mailbox.mbox(path, create=False))


def mbox_items(path: str, limit: int) -> Iterator[Item]:
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"{path}: no such mbox file")
    with p.open("rb") as fh:
        head = fh.read(1024)
    if head and not looks_like_mbox(head):
        raise SourceError(f"{path}: not an mbox (it does not start with a 'From ' separator line); "
                          f"for a single message use: bounced ingest {path}")
    box = mailbox.mbox(path, create=False)
    for i, key in enumerate(box.iterkeys()):
        fh = box.get_file(key, from_=True)
        try:
            received = from_line_time(fh.readline())
            yield _read_bounded(fh, f"{path}#{i}", limit, received)
        finally:
            fh.close()


def maildir_items(path: str, limit: int) -> Iterator[Item]:
    if not (Path(path) / "cur").is_dir() and not (Path(path) / "new").is_dir():
        raise SourceError(f"{path}: not a maildir (no cur/ or new/)")
    box = mailbox.Maildir(path, factory=None, create=False)  # one object: it lists the folders once
    for key in box.iterkeys():
        fh = box.get_file(key)
        try:
            yield _read_bounded(fh, f"{path}/{key}", limit, maildir_time(key))
        finally:
            fh.close()


def maildir_count(path: str) -> int:
    return len(mailbox.Maildir(path, factory=None, create=False))


def file_items(path: str, limit: int) -> Iterator[Item]:
    try:
        st = os.stat(path)
        if st.st_size > limit:
            yield Item(path, None, None, f"{_mib(st.st_size)} is larger than server.max_message_size "
                                         f"({_mib(limit)}); not stored")
            return
        with open(path, "rb") as fh:
            yield _read_bounded(fh, path, limit, datetime.fromtimestamp(st.st_mtime, timezone.utc))
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None


def stdin_items(limit: int, stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Standard input: one message, or every message of an mbox piped in (``cat x.mbox | ...``)."""
    src = stdin or sys.stdin.buffer
    head = src.read(1024)
    if not looks_like_mbox(head):
        rest = src.read(limit + 1 - len(head)) if len(head) <= limit else b""
        raw = head + rest
        if len(raw) > limit:
            yield Item("<stdin>", None, None, f"larger than server.max_message_size ({_mib(limit)}); not stored")
        else:
            yield Item("<stdin>", raw, None)
        return
    with tempfile.NamedTemporaryFile(prefix="bounced-stdin-", suffix=".mbox") as tmp:
        tmp.write(head)
        shutil.copyfileobj(src, tmp)
        tmp.flush()
        for item in mbox_items(tmp.name, limit):
            yield Item(item.name.replace(tmp.name, "<stdin>"), item.raw, item.received, item.problem)
