"""``bounced web`` lookup speed against a bare ASGI endpoint on the same server stack, same run.

    .venv/bin/python bench/http.py [--suppressions 100000] [--seconds 5] [--rounds 5] [--db PATH]

Builds a store with N suppressions (``Store.import_suppressions``) and a read token, then starts
two servers, each in its own process with the same uvicorn settings as ``bounced web``:
``bounced web`` itself, and a baseline ASGI app that answers every request with a constant JSON
body (no routing, no token, no store). A small keep-alive HTTP/1.1 load generator (raw asyncio,
lighter than any client library, so the client costs as little as possible of the 2 cores it
shares with the server) then measures, for each server: single lookups
(``GET /api/v1/suppressions/{address}``, half hits, half misses, random order) per second with
p50/p99 latency at concurrency 1, 16 and 64, and each server's own CPU time per request (its
inverse ratio, "cpu ratio", is the throughput ratio on a machine with nothing else running, and
steadier than wall-clock rates on a shared one); and for bounced, ``POST /api/v1/suppressions/check``
of 10,000 addresses (half suppressed), 20 times. Reports only; nothing is asserted.
"""
from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this file's folder comes first on sys.path, and this file would shadow the
# standard library's http package that uvicorn and starlette import: put the project root there
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bounced.config import Config  # noqa: E402
from bounced.model import SuppressionRow  # noqa: E402
from bounced.store import Store  # noqa: E402
from bounced.web.auth import hash_token, new_token  # noqa: E402

CONSTANT = b'{"address":"x@example.com","normalized":"x@example.com","suppressed":false}'


async def baseline_app(scope, receive, send):  # noqa: ANN001
    """The floor: what uvicorn alone costs per request."""
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(CONSTANT)).encode())]})
    await send({"type": "http.response.body", "body": CONSTANT})


def serve_baseline(port: int) -> None:
    import uvicorn

    cfg = Config().web  # the same settings `bounced web` passes (bounced/cli/web.py)
    uvicorn.Server(uvicorn.Config(baseline_app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                  server_header=False, lifespan="on", limit_concurrency=cfg.max_connections,
                                  timeout_keep_alive=int(cfg.keepalive_timeout),
                                  h11_max_incomplete_event_size=64 * 1024,
                                  # as `bounced web`: without it uvicorn wraps the baseline alone in
                                  # its proxy-headers middleware, a cost bounced does not pay
                                  proxy_headers=False)).run()


def address(i: int) -> str:
    return f"user{i}@d{i % 1000}.example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes = b"") -> bytes:
    writer.write(head + body)
    status_and_headers = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in status_and_headers.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    payload = await reader.readexactly(length)
    if not status_and_headers.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(status_and_headers[:200] + payload[:200])
    return payload


def _get(path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


async def load(port: int, paths: list[bytes], concurrency: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = w
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await _request(reader, writer, paths[i % len(paths)])
            latencies.append(time.perf_counter() - t0)
            i += concurrency
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return len(latencies) / (time.perf_counter() - t0), latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): what a request costs the server, whatever
    else the shared machine is running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


async def check_batch(port: int, token: str, addrs: list[str], runs: int) -> list[float]:
    body = json.dumps({"addresses": addrs}).encode()
    head = (f"POST /api/v1/suppressions/check HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = json.loads(await _request(reader, writer, head, body))
        times.append(time.perf_counter() - t0)
        assert out["suppressed_count"] == len(addrs) // 2, out["suppressed_count"]
    writer.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suppressions", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per concurrency")
    ap.add_argument("--db")
    ap.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve_baseline:
        serve_baseline(a.serve_baseline)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    db = Path(a.db) if a.db else tmp / "b.db"
    with Store.open(db, Config()) as s:
        n = s.conn.execute("SELECT count(*) FROM suppressions").fetchone()[0]
        if not n:
            n = a.suppressions
            for start in range(0, a.suppressions, 100_000):
                s.import_suppressions([SuppressionRow(address(i), "hard", "user_unknown")
                                       for i in range(start, min(a.suppressions, start + 100_000))], by="bench")
        token = new_token()
        s.create_token(f"bench-{os.getpid()}", "read", hash_token(token))
    rng = random.Random(1)
    picks = [address(rng.randrange(n)) if k % 2 == 0 else f"nobody{k}@example.org" for k in range(20_000)]
    api_paths = [_get(f"/api/v1/suppressions/{p}", token) for p in picks]
    base_paths = [_get(f"/lookup/{p}", None) for p in picks]

    bport, wport = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(bport)], env=env,
                              stderr=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "bounced", "web", "--db", str(db), "--listen", f"127.0.0.1:{wport}"],
                              env=env, stderr=subprocess.DEVNULL)]
    try:
        wait_up(bport, procs[0])
        wait_up(wport, procs[1])
        print(f"{n} suppressions; {a.seconds:.0f} s per run; python {sys.version.split()[0]}, {os.cpu_count()} cores")
        print(f"{'concurrency':>11} {'baseline req/s':>15} {'p50 ms':>7} {'p99 ms':>7} {'cpu us/req':>10} "
              f"{'bounced req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'cpu us/req':>10} {'ratio':>6} {'cpu ratio':>9}")
        for c in (1, 16, 64):
            asyncio.run(load(bport, base_paths, c, 0.5))  # warm-up
            asyncio.run(load(wport, api_paths, c, 0.5))
            # alternate the two servers in short rounds, so load from other processes on a shared
            # machine falls on both alike; the servers' own CPU time per request is the steadier figure
            lat: dict[int, list[float]] = {bport: [], wport: []}
            wall = {bport: 0.0, wport: 0.0}
            cpu = {bport: 0.0, wport: 0.0}
            for _ in range(a.rounds):
                for port, paths, proc in ((bport, base_paths, procs[0]), (wport, api_paths, procs[1])):
                    c0 = cpu_seconds(proc.pid)
                    rps, got = asyncio.run(load(port, paths, c, a.seconds / a.rounds))
                    cpu[port] += cpu_seconds(proc.pid) - c0
                    lat[port] += got
                    wall[port] += len(got) / rps
            b, w = lat[bport], lat[wport]
            brps, wrps = len(b) / wall[bport], len(w) / wall[wport]
            bcpu, wcpu = cpu[bport] / len(b) * 1e6, cpu[wport] / len(w) * 1e6
            print(f"{c:>11} {brps:>15.0f} {pct(b, .5):>7.2f} {pct(b, .99):>7.2f} {bcpu:>10.0f} {wrps:>14.0f} "
                  f"{pct(w, .5):>7.2f} {pct(w, .99):>7.2f} {wcpu:>10.0f} {wrps / brps:>6.2f} {bcpu / wcpu:>9.2f}")
        batch = [address(i) for i in rng.sample(range(n), 5000)] + [f"none{i}@example.org" for i in range(5000)]
        c0 = cpu_seconds(procs[1].pid)
        times = asyncio.run(check_batch(wport, token, batch, 20))
        cpu_ms = (cpu_seconds(procs[1].pid) - c0) / len(times) * 1000
        print(f"POST /suppressions/check, 10,000 addresses ({len(batch) // 2} suppressed), 20 runs: "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
              f"server CPU {cpu_ms:.0f} ms per call")
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)


if __name__ == "__main__":
    main()
