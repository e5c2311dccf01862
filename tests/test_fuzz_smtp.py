"""Mutated real bounces over SMTP: whatever the MIME damage, the daemon answers 250 after storing
the message (unparseable ones included), no exception escapes, and every 250 is in the store."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.procs import BouncedServer
from bench.synth import SMTPClient, dsn, sha256_as_received, wire
from tests.reliability_helpers import stored_messages

HERE = Path(__file__).parent
CORPUS = Path(os.environ.get("BOUNCED_CORPUS", HERE.parent.parent / "shared" / "corpus"))


def seeds() -> list[bytes]:
    files = sorted((HERE / "data").rglob("*.eml"))
    if CORPUS.is_dir():
        files += sorted((CORPUS / "sisimai").glob("*.eml"))[::8]
    raws = [f.read_bytes() for f in files]
    return raws or [dsn(i, tag="seed") for i in range(4)]


SEEDS = seeds()


def segments(raw: bytes) -> list[bytes]:
    """The message cut before every line that starts with '--' (MIME boundaries and their parts)."""
    out, start, i = [], 0, 0
    while True:
        j = raw.find(b"\n--", i)
        if j < 0:
            out.append(raw[start:])
            return out
        out.append(raw[start:j + 1])
        start = i = j + 1


def _op(name: str, a: int, b: int, blob: bytes):  # noqa: ANN202
    def apply(parts: list[bytes]) -> list[bytes]:
        if not parts:
            return parts
        x, y = a % len(parts), b % len(parts)
        if name == "drop" and len(parts) > 1:
            return parts[:x] + parts[x + 1:]
        if name == "duplicate":
            return parts[:x + 1] + [parts[x]] + parts[x + 1:]
        if name == "swap":
            parts = list(parts)
            parts[x], parts[y] = parts[y], parts[x]
            return parts
        if name == "break_boundary" and parts[x].startswith(b"--"):
            p = parts[x]
            k = 2 + b % max(1, p.find(b"\n") - 2)
            return parts[:x] + [p[:k] + blob[:3] + p[k + 1:]] + parts[x + 1:]
        if name == "wrong_encoding":
            head = b"Content-Transfer-Encoding: " + (b"base64", b"quoted-printable", b"x-uuencode")[b % 3] + b"\n"
            p = parts[x]
            nl = p.find(b"\n") + 1
            return parts[:x] + [p[:nl] + head + p[nl:]] + parts[x + 1:]
        if name == "garbage":
            p = parts[x]
            k = b % (len(p) + 1)
            return parts[:x] + [p[:k] + blob + p[k:]] + parts[x + 1:]
        if name == "truncate":
            p = parts[x]
            return parts[:x] + [p[: b % (len(p) + 1)]]
        return parts
    return apply


OPS = st.builds(_op, st.sampled_from(["drop", "duplicate", "swap", "break_boundary", "wrong_encoding", "garbage",
                                      "truncate"]),
                st.integers(0, 1000), st.integers(0, 100_000), st.binary(min_size=1, max_size=40))
MUTANTS = st.tuples(st.integers(0, len(SEEDS) - 1), st.lists(OPS, min_size=1, max_size=5))


@pytest.mark.slow
def test_mutated_bounces_over_smtp_are_all_acknowledged_and_stored(tmp_path_factory):
    server = BouncedServer(tmp_path_factory.mktemp("fuzz")).start()
    sent: dict[str, int] = {}
    counter = iter(range(1_000_000))

    @settings(max_examples=150, deadline=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(MUTANTS)
    def one(mutant):
        seed, ops = mutant
        parts = segments(SEEDS[seed])
        for op in ops:
            parts = op(parts)
        raw = f"X-Fuzz-Case: {next(counter)}\r\n".encode() + b"".join(parts)

        async def send():
            client = await SMTPClient.connect("127.0.0.1", server.port)
            try:
                return await client.send(wire(raw))
            finally:
                await client.quit()
        code, text = asyncio.run(send())
        assert code == 250, (code, text, raw[:300])
        sent[sha256_as_received(raw)] = seed

    try:
        one()
        assert server.alive()
    finally:
        server.stop()
    stored = stored_messages(server.db_path)
    assert len(sent) >= 100  # hypothesis really ran the examples (distinct messages)
    missing = [s for s in sent if s not in stored]
    assert not missing, f"{len(missing)} acknowledged messages not stored"
    log = server.log_text()
    for bad in ("Traceback", "smtp_session_error", "writer_bug", "store_bug", "delivery_failed"):
        assert bad not in log, bad
