"""The demo district's open data, written by `triangle export-open-data`, validates as a Data Package
and names no one who did not agree, and nothing unpublished."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import frictionless
import pytest
from sqlalchemy import and_, select

from app.cli import main as cli_main
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.migrations import migrate
from app.demo import DEMO_DISTRICTS, load_demo, operator_of
from app.engagement.models import Participation
from app.identity.models import Person
from app.initiatives.models import Initiative, Stakeholder
from app.opendata import service
from app.opendata.schemas import OpenDataSettingUpdate
from app.plans.models import Plan


@pytest.mark.long
async def test_the_demo_districts_bundle_validates_and_holds_nothing_private(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate(empty_database_url)
    settings = Settings(database_url=empty_database_url, log_json=False)
    (demo, *_) = await load_demo(empty_database_url, settings, "demo-password")
    name = DEMO_DISTRICTS[0].district.name
    engine = create_engine(empty_database_url, settings)
    try:
        factory = create_session_factory(engine)
        async with session_scope(factory, operator_of(demo.district_id)) as session:
            await service.set_setting(
                session, operator_of(demo.district_id), OpenDataSettingUpdate(enabled=True, slug="riverside")
            )
        async with factory() as session:
            unnamed = set(
                (
                    await session.execute(
                        select(Stakeholder.name)
                        .join(Participation, Participation.stakeholder_id == Stakeholder.id)
                        .where(Participation.may_be_named.is_(False))
                    )
                ).scalars()
            ) | set(
                (
                    await session.execute(
                        select(Person.display_name)
                        .join(Participation, and_(Participation.person_id == Person.id))
                        .where(Participation.may_be_named.is_(False))
                    )
                ).scalars()
            )
            named = set(
                (
                    await session.execute(
                        select(Stakeholder.name)
                        .join(Participation, Participation.stakeholder_id == Stakeholder.id)
                        .where(Participation.may_be_named.is_(True))
                    )
                ).scalars()
            )
            unpublished = set(
                (
                    await session.execute(select(Initiative.title).where(Initiative.published.is_(False)))
                ).scalars()
            ) | set((await session.execute(select(Plan.title).where(Plan.published.is_(False)))).scalars())
            published = set(
                (
                    await session.execute(
                        select(Initiative.title).where(
                            Initiative.published.is_(True), Initiative.district_id == demo.district_id
                        )
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    try:
        code = await asyncio.to_thread(cli_main, ["export-open-data", "--district", name, str(tmp_path)])
    finally:
        get_settings.cache_clear()
    assert code == 0
    check_bundle(tmp_path, published, (unnamed - named) | (unpublished - published))


def check_bundle(directory: Path, published: set[str], hidden: set[str]) -> None:
    """The bundle validates, shows what was published and nothing of `hidden`."""
    report = frictionless.validate(str(directory / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    everything = "\n".join(p.read_text() for p in sorted(directory.iterdir()))
    assert published, "the demo publishes initiatives"
    rows = {p.stem: len(p.read_text().splitlines()) - 1 for p in directory.glob("*.csv")}
    assert rows["you_said_we_did"] > 0, rows
    assert rows["released_figures"] > 0, rows
    for title in published:
        assert title in everything
    for text in hidden:
        assert text not in everything, text
    descriptor = json.loads((directory / "datapackage.json").read_text())
    assert {r["path"] for r in descriptor["resources"]} == {f"{t}.csv" for t in service.TABLES}
