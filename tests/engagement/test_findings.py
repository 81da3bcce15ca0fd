"""The triangle findings contributed by co-creation and co-production, case by case: each appears in
`GET /initiatives/{id}/triangle` exactly when its condition holds.

The record is written through the engagement service as the installation's operator (the REST and
GraphQL tests cover the transports); the diagnosis is read over REST with a leader's real token.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.auth.principal import Principal
from app.core.db import session_scope
from app.demo import operator_of
from app.engagement import service as engagement
from app.engagement.schemas import ActivityCreate, InputCreate, InputUpdate, ParticipationCreate
from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World
from tests.initiatives.test_rest import codes, diagnose, findings

API = "/api/v1"
Json = dict[str, Any]
TODAY = date.today()


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


@pytest.fixture
def operator(world: World) -> Principal:
    return operator_of(world.district_id("A"))


class Record:
    """Writes the engagement record of one initiative through the service, one transaction a call."""

    def __init__(self, app: FastAPI, operator: Principal, http: httpx.AsyncClient, initiative: Json) -> None:
        self.app, self.operator, self.http, self.initiative = app, operator, http, initiative

    async def _run(self, call: Any) -> Any:
        async with session_scope(self.app.state.session_factory, self.operator) as session:
            return await call(session)

    async def activity(
        self, mode: str, *, level: str = "involve", days_ago: int = 7, status: str = "held"
    ) -> uuid.UUID:
        data = ActivityCreate.model_validate(
            {
                "mode": mode,
                "kind": "design_session" if mode == "co_creation" else "co_led_plc",
                "title": f"{mode} {days_ago} days ago",
                "held_on": (TODAY - timedelta(days=days_ago)).isoformat(),
                "participation_level": level,
                "initiative_id": self.initiative["id"],
                "status": status,
            }
        )
        activity = await self._run(lambda s: engagement.create_activity(s, self.operator, data))
        return activity.id

    async def attend(
        self, activity_id: uuid.UUID, stakeholder_id: str, *, attended: bool = True
    ) -> uuid.UUID:
        data = ParticipationCreate(stakeholder_id=uuid.UUID(stakeholder_id), attended=attended)
        participation = await self._run(
            lambda s: engagement.add_participation(s, self.operator, activity_id, data)
        )
        return participation.id

    async def said(
        self, activity_id: uuid.UUID, participation_id: uuid.UUID, *, days_ago: int = 0
    ) -> uuid.UUID:
        data = InputCreate(participation_id=participation_id, kind="concern", text="Too much at once.")
        row = await self._run(lambda s: engagement.add_input(s, self.operator, activity_id, data))
        if days_ago:
            async with session_scope(self.app.state.session_factory, self.operator) as session:
                await session.execute(
                    text("UPDATE input SET created_at = now() - make_interval(days => :d) WHERE id = :id"),
                    {"d": days_ago, "id": row.id},
                )
        return row.id

    async def consider(self, input_id: uuid.UUID) -> None:
        data = InputUpdate(disposition="under_consideration")
        await self._run(lambda s: engagement.update_input(s, self.operator, input_id, data))

    async def stakeholder(self, name: str, category: str, *, key_authorizer: bool = False) -> str:
        response = await self.http.post(
            f"{API}/stakeholders", json={"name": name, "category": category, "is_group": True}
        )
        assert response.status_code == 201, response.text
        stakeholder_id = response.json()["id"]
        response = await self.http.post(
            f"{API}/initiatives/{self.initiative['id']}/stakeholders",
            json={
                "stakeholder_id": stakeholder_id,
                "power": 5 if key_authorizer else 2,
                "interest": 4,
                "stance": "supportive",
                "key_authorizer": key_authorizer,
            },
        )
        assert response.status_code == 201, response.text
        return stakeholder_id

    async def move_to(self, *stages: str) -> None:
        for stage in stages:
            response = await self.http.patch(
                f"{API}/initiatives/{self.initiative['id']}", json={"stage": stage}, headers=ANY_VERSION
            )
            assert response.status_code == 200, response.text

    async def diagnosis(self) -> Json:
        return await diagnose(self.http, self.initiative["id"])


@pytest.fixture
async def record(app: FastAPI, operator: Principal, leader: httpx.AsyncClient) -> Record:
    response = await leader.post(
        f"{API}/initiatives",
        json={"title": "Family literacy nights", "public_value": "Families and schools read together."},
    )
    assert response.status_code == 201, response.text
    return Record(app, operator, leader, response.json())


# --- built, then asked for support ---------------------------------------------------------------------


async def test_built_then_asked_appears_once_approved_without_co_creation(record: Record) -> None:
    await record.stakeholder("School board", "board", key_authorizer=True)
    await record.move_to("co_designing")
    assert "legitimacy.built_then_asked" not in codes(await record.diagnosis())

    await record.move_to("approved")
    (finding,) = findings(await record.diagnosis(), "legitimacy.built_then_asked")
    assert finding["severity"] == "high"
    assert finding["corner"] == "legitimacy"
    assert "no co-creation activity" in finding["explanation"]

    await record.move_to("implementing")
    assert "legitimacy.built_then_asked" in codes(await record.diagnosis())


async def test_built_then_asked_until_a_key_authorizer_attends_held_co_creation(record: Record) -> None:
    board = await record.stakeholder("School board", "board", key_authorizer=True)
    families = await record.stakeholder("Parent association", "family")
    await record.move_to("co_designing")

    # Co-creation with families only, co-production with the board, a planned session with the board,
    # and a held one the board was invited to but did not attend: none included a key authorizer.
    with_families = await record.activity("co_creation")
    await record.attend(with_families, families)
    await record.attend(await record.activity("co_production"), board)
    await record.attend(await record.activity("co_creation", status="planned", days_ago=-7), board)
    await record.attend(await record.activity("co_creation"), board, attended=False)
    await record.move_to("approved")
    (finding,) = findings(await record.diagnosis(), "legitimacy.built_then_asked")
    assert finding["subjects"] == [board]
    assert "School board" in finding["explanation"]

    # Sent back to co-design, the board takes part, and the design is approved again: now it counts.
    await record.move_to("co_designing")
    await record.attend(with_families, board)
    await record.move_to("approved")
    assert "legitimacy.built_then_asked" not in codes(await record.diagnosis())


async def test_co_creation_recorded_after_approval_does_not_clear_built_then_asked(record: Record) -> None:
    """The gaming attempt: approve first, then add a held `involve` session (dated in the past, or
    today) with the key authorizer attending. It neither clears the finding nor earns credit."""
    board = await record.stakeholder("School board", "board", key_authorizer=True)
    await record.move_to("co_designing", "approved")
    backdated = await record.activity("co_creation", level="involve", days_ago=30)
    await record.attend(backdated, board)
    today = await record.activity("co_creation", level="collaborate", days_ago=0)
    await record.attend(today, board)
    diagnosis = await record.diagnosis()
    (finding,) = findings(diagnosis, "legitimacy.built_then_asked")
    assert "2 held or recorded afterwards do not count" in finding["explanation"]
    assert "legitimacy.co_creation_credit" not in codes(diagnosis)

    # Implementing changes nothing: the approval is still the moment co-creation had to come before.
    await record.move_to("implementing")
    assert "legitimacy.built_then_asked" in codes(await record.diagnosis())


async def test_a_key_authorizer_added_to_a_session_after_approval_does_not_count(record: Record) -> None:
    board = await record.stakeholder("School board", "board", key_authorizer=True)
    families = await record.stakeholder("Parent association", "family")
    await record.move_to("co_designing")
    session_id = await record.activity("co_creation")
    await record.attend(session_id, families)
    await record.move_to("approved")
    await record.attend(session_id, board)  # written into the attendance after the fact
    (finding,) = findings(await record.diagnosis(), "legitimacy.built_then_asked")
    assert finding["subjects"] == [board]
    # The session itself was held and attended before approval: its credit stands.
    assert "legitimacy.co_creation_credit" in codes(await record.diagnosis())


# --- co-production lapsing -------------------------------------------------------------------------------


async def test_co_production_lapsed_while_implementing(
    record: Record, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    await record.move_to("co_designing", "approved")
    assert "legitimacy.co_production_lapsed" not in codes(await record.diagnosis())

    await record.move_to("implementing")
    (finding,) = findings(await record.diagnosis(), "legitimacy.co_production_lapsed")
    assert finding["severity"] == "medium"
    assert "there has been none" in finding["explanation"]

    # Co-creation is not co-production; a co-production session 61 days ago is past the default 60.
    await record.activity("co_creation", days_ago=1)
    await record.activity("co_production", days_ago=61)
    (finding,) = findings(await record.diagnosis(), "legitimacy.co_production_lapsed")
    assert (TODAY - timedelta(days=61)).isoformat() in finding["explanation"]

    # The district's own N decides: at 90 days, that session is recent enough.
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    district = f"{API}/districts/{world.district_id('A')}"
    response = await client.patch(district, json={"engagement_lapse_days": 90}, headers=admin | ANY_VERSION)
    assert response.status_code == 200, response.text
    assert "legitimacy.co_production_lapsed" not in codes(await record.diagnosis())

    response = await client.patch(district, json={"engagement_lapse_days": 60}, headers=admin | ANY_VERSION)
    assert response.status_code == 200, response.text
    await record.activity("co_production", days_ago=60)
    assert "legitimacy.co_production_lapsed" not in codes(await record.diagnosis())


# --- inputs left open ----------------------------------------------------------------------------------


async def test_inputs_left_open_past_the_district_setting(record: Record) -> None:
    families = await record.stakeholder("Parent association", "family")
    session_id = await record.activity("co_creation")
    participation = await record.attend(session_id, families)

    await record.said(session_id, participation, days_ago=59)
    assert "legitimacy.inputs_left_open" not in codes(await record.diagnosis())

    old = await record.said(session_id, participation, days_ago=61)
    older = await record.said(session_id, participation, days_ago=90)
    (finding,) = findings(await record.diagnosis(), "legitimacy.inputs_left_open")
    assert finding["severity"] == "medium"
    assert set(finding["subjects"]) == {str(old), str(older)}
    assert finding["explanation"].startswith("2 input(s)")

    # An input under consideration is no longer left open.
    await record.consider(old)
    await record.consider(older)
    assert "legitimacy.inputs_left_open" not in codes(await record.diagnosis())


# --- credit for co-creation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "credited"),
    [("inform", False), ("consult", False), ("involve", True), ("collaborate", True), ("empower", True)],
)
async def test_co_creation_credited_from_involve(record: Record, level: str, credited: bool) -> None:
    families = await record.stakeholder("Parent association", "family")
    before = await record.diagnosis()
    session_id = await record.activity("co_creation", level=level)
    await record.attend(session_id, families)
    after = await record.diagnosis()
    assert ("legitimacy.co_creation_credit" in codes(after)) is credited
    if credited:
        (finding,) = findings(after, "legitimacy.co_creation_credit")
        assert finding["severity"] == "credit"
        assert finding["subjects"] == [str(session_id)]
        legitimacy = [
            c["score"] for d in (before, after) for c in d["corners"] if c["corner"] == "legitimacy"
        ]
        assert legitimacy[1] == min(100, legitimacy[0] + 10)


async def test_no_credit_for_co_creation_nobody_attended_or_not_held(record: Record) -> None:
    families = await record.stakeholder("Parent association", "family")
    await record.attend(await record.activity("co_creation"), families, attended=False)
    await record.attend(await record.activity("co_creation", status="planned", days_ago=-3), families)
    await record.activity("co_production", level="empower")
    assert "legitimacy.co_creation_credit" not in codes(await record.diagnosis())
