"""A TCP proxy in front of the test's PostgreSQL server that a test can cut and restore: the database
"stops" for the app under test while the server the other tests share keeps running."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import make_url


class SwitchableProxy:
    def __init__(self, server_url: str) -> None:
        url = make_url(server_url)
        socket_dir = url.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            self._unix = str(Path(socket_dir) / f".s.PGSQL.{url.port or 5432}")
            self._tcp: tuple[str, int] | None = None
        else:
            self._unix = None
            self._tcp = (url.host or "127.0.0.1", url.port or 5432)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    def url_for(self, database_url: str) -> str:
        """`database_url`, reaching its server through this proxy."""
        url = make_url(database_url)
        query = {k: v for k, v in url.query.items() if k != "host"}
        return url.set(host="127.0.0.1", port=self.port, query=query).render_as_string(hide_password=False)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a stopped server would."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._unix:
            up_reader, up_writer = await asyncio.open_unix_connection(self._unix)
        else:
            assert self._tcp is not None
            up_reader, up_writer = await asyncio.open_connection(*self._tcp)
        self._links.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._links.discard(writer)
