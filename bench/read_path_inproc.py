"""The read path's requests in process: CPU time per request of the app alone, and where it goes.

`read_path.py` measures over HTTP with wrk against a floor, which is what the issue's goals are stated
in. This one drives the ASGI app directly (no uvicorn, no sockets, no client), one request at a time,
on the database `read_path.py` seeds, and reports the process CPU time per request, beside that of the
floor app (`read_path.floor_app`) driven the same way in the same process: a quick and steady number
and ratio on a shared machine, for comparing commits and profiling a change.

    python bench/read_path_inproc.py                         # every endpoint, 300 requests each
    python bench/read_path_inproc.py --only rest-list --profile   # and cProfile's top functions
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import read_path


async def call(app: Any, method: str, path: str, body: bytes | None, token: str | None) -> tuple[int, bytes]:
    """One request through the ASGI app, as uvicorn would hand it over."""
    target, _, query = path.partition("?")
    headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body is not None:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body or b"", "more_body": False}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(dsn: str, seeded: read_path.Seeded, args: argparse.Namespace) -> None:
    os.environ.update(
        DATABASE_URL=dsn,
        TRIANGLE_JWT_KEYS_DIR=tempfile.mkdtemp(prefix="inproc-keys-"),
        TRIANGLE_ACCESS_TOKEN_TTL_SECONDS="86400",  # noqa: S106  (a duration, not a secret)
        TRIANGLE_LOG_LEVEL="WARNING",
    )
    from app.main import create_app

    app = create_app()
    floor = read_path.floor_app(
        dsn.replace("postgresql+asyncpg://", "postgresql://"), str(seeded.district_id)
    )
    async with app.router.lifespan_context(app), floor.router.lifespan_context(floor):
        form = f"grant_type=password&username={seeded.email}&password={read_path.PASSWORD}".encode()
        status, answer = await _token(app, form)
        if status != 200:
            raise SystemExit(f"token: {status} {answer[:500]!r}")
        token = __import__("json").loads(answer)["access_token"]
        points = [e for e in read_path.endpoints(seeded) if not args.only or e.key in args.only]
        points.append(read_path.Endpoint("healthz", "GET /healthz", "GET", "/healthz"))
        if args.only:
            points = [e for e in points if e.key in args.only]
        gc.collect()
        gc.freeze()
        for endpoint in points:
            best = await _cpu_per_request(app, "Triangle", endpoint, token, args)
            floor_cpu = await _cpu_per_request(floor, "floor", endpoint, token, args)
            line = f"{endpoint.key:<11} {best * 1000:7.3f} ms CPU per request (best of {args.rounds})"
            line += f"; floor {floor_cpu * 1000:.3f} ms, floor ÷ Triangle {floor_cpu / best:.2f}"
            print(line)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    await call(app, endpoint.method, endpoint.path, endpoint.body, token)
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
                print(out.getvalue())


async def _cpu_per_request(
    target: Any, name: str, endpoint: Any, token: str, args: argparse.Namespace
) -> float:
    """CPU seconds per request of `target` (Triangle, or the floor app `read_path.floor_app`) on one
    endpoint: warmed (statement caches, prepared statements, the token's check), then the best of
    `args.rounds` rounds."""
    for _ in range(20):
        status, answer = await call(target, endpoint.method, endpoint.path, endpoint.body, token)
        if status != 200:
            raise SystemExit(f"{name} {endpoint.key}: {status} {answer[:500]!r}")
    best = float("inf")
    per_worker = max(1, args.requests // args.concurrency)

    latencies: list[float] = []

    async def worker() -> None:
        for _ in range(per_worker):
            began = time.perf_counter()
            await call(target, endpoint.method, endpoint.path, endpoint.body, token)
            latencies.append(time.perf_counter() - began)

    for _ in range(args.rounds):
        latencies.clear()
        collector = _CollectorClock()
        gc.callbacks.append(collector)
        start = time.process_time()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        spent = time.process_time() - start
        gc.callbacks.remove(collector)
        if spent / (per_worker * args.concurrency) < best:
            best = spent / (per_worker * args.concurrency)
            if args.concurrency > 1 or args.gc:
                latencies.sort()
                p50, p99 = (latencies[int(len(latencies) * q)] * 1000 for q in (0.5, 0.99))
                print(
                    f"  {name:<8} {endpoint.key}: p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
                    + collector.summary(per_worker * args.concurrency)
                )
    return best


class _CollectorClock:
    """Counts the cyclic collector's runs per generation and the wall time they took (a gc callback):
    what concurrency costs a request that leaves cycles, or keeps objects alive across an await."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = info["generation"]
        self.runs[generation] += 1
        self.seconds[generation] += took
        self.longest = max(self.longest, took)

    def summary(self, requests: int) -> str:
        runs = "/".join(str(n) for n in self.runs)
        per_request = sum(self.seconds) / requests * 1000
        return (
            f"collector runs by generation {runs}, {per_request:.3f} ms per request, "
            f"longest {self.longest * 1000:.1f} ms"
        )


async def _token(app: Any, form: bytes) -> tuple[int, bytes]:
    target = "/api/v1/auth/token"
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(form)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            await asyncio.sleep(3600)
        done = True
        return {"type": "http.request", "body": form, "more_body": False}

    result: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result["status"] = message["status"]
        elif message["type"] == "http.response.body":
            result["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return result["status"], result["body"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=read_path.DEFAULT_SERVER)
    parser.add_argument("--requests", type=int, default=300, help="requests per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per endpoint; the best is kept")
    parser.add_argument(
        "--only", nargs="+", help="endpoint keys (rest-list rest-plan gql-nested gql-flat healthz)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="requests in flight at once (wrk's 16 in read_path.py; default 1)",
    )
    parser.add_argument("--gc", action="store_true", help="print the collector's runs per round")
    parser.add_argument("--profile", action="store_true", help="cProfile one more round of each endpoint")
    parser.add_argument("--top", type=int, default=30, help="functions shown per profile listing")
    args = parser.parse_args()
    name = f"triangle_bench_{uuid.uuid4().hex[:8]}"
    dsn = read_path.database_dsn(args.database_url, name)
    asyncio.run(read_path.create_database(args.database_url, name))
    try:
        seeded = asyncio.run(read_path.seed(dsn))
        with contextlib.suppress(KeyboardInterrupt):
            # uvicorn runs on uvloop when it is installed (`uvicorn[standard]`): so does this.
            runner = getattr(
                __import__("importlib").util.find_spec("uvloop") and __import__("uvloop"), "run", None
            )
            (runner or asyncio.run)(measure(dsn, seeded, args))
    finally:
        asyncio.run(read_path.drop_database(args.database_url, name))


if __name__ == "__main__":
    main()
