"""`triangle export-open-data --district NAME DIR`: the open data as a static bundle (CSV files and a
Frictionless `datapackage.json`), the same files the public path serves, for a portal or a CDN."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.auth.principal import SYSTEM
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.errors import NotFound
from app.opendata import files, service


async def write_bundle(
    session_factory: object, settings: Settings, district_name: str, directory: Path
) -> list[Path]:
    """Write every table as CSV and the descriptor into `directory`; the paths written.
    Raises `NotFound` unless the district publishes open data."""
    async with session_scope(session_factory, SYSTEM) as session:  # type: ignore[arg-type]
        setting, district = await service.published_district_by_name(session, district_name)
        data = await service.tables(session, district.id)
    descriptor = files.datapackage(setting, district, settings.public_base_url)
    return await asyncio.to_thread(_write, descriptor, data, directory)


def _write(descriptor: dict[str, Any], data: dict[str, list[dict[str, Any]]], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in service.TABLES:
        path = directory / f"{table}.csv"
        path.write_bytes(files.as_csv(table, data[table]))
        written.append(path)
    path = directory / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=1) + "\n")
    return [path, *written]


def export_bundle(url: str, settings: Settings, district_name: str, directory: Path) -> int:
    async def run() -> list[Path]:
        engine = create_engine(url, settings)
        try:
            return await write_bundle(create_session_factory(engine), settings, district_name, directory)
        finally:
            await engine.dispose()

    try:
        written = asyncio.run(run())
    except NotFound as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0
