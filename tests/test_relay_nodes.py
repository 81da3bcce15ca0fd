"""Every GraphQL type with an id is a Relay `Node`: `node(id:)` answers it to whoever reads it and null
to everyone else, another district's caller above all. Its global id is the one its fields always
carried (`Indicator:<uuid>`, …), so clients that stored ids keep them.

The objects come from the demo seeds (written through the services as the district's operator), in
district A; B's callers of the same role must get null.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from strawberry import relay

from app.auth.principal import SYSTEM
from app.core.db import session_scope
from app.demo import seed_engagement, seed_initiatives, seed_plans
from app.engagement.models import InputLink
from app.identity.models import Role, RoleAssignment, User
from app.initiatives.models import CapacityItem, Indicator, InitiativeStakeholder
from app.monitoring.models import FeedbackShare
from app.plans.models import Evidence, PlanCollaborator
from tests.conftest import GraphQLClient, Tokens, World

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"

# GraphQL type name -> (model, the role of A that reads it)
CASES: dict[str, tuple[Any, Role]] = {
    "Indicator": (Indicator, Role.DISTRICT_LEADER),
    "InitiativeStakeholder": (InitiativeStakeholder, Role.DISTRICT_LEADER),
    "CapacityItem": (CapacityItem, Role.DISTRICT_LEADER),
    "Evidence": (Evidence, Role.DISTRICT_LEADER),
    "PlanCollaborator": (PlanCollaborator, Role.DISTRICT_LEADER),
    "InputLink": (InputLink, Role.DISTRICT_LEADER),
    "FeedbackShare": (FeedbackShare, Role.TEACHER),
    "RoleAssignment": (RoleAssignment, Role.DISTRICT_ADMIN),
}


async def _seed(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    """One object of each kind in district A, by GraphQL type name."""
    district_id = world.district_id("A")
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        await seed_initiatives(session, district_id)
        await seed_engagement(session, district_id)
        await seed_plans(session, district_id)
        teacher = await session.scalar(
            select(User.person_id).where(User.id == world.user("A", Role.TEACHER)[0])
        )
        coach = await session.scalar(select(User.person_id).where(User.id == world.user("A", Role.COACH)[0]))
        session.add(FeedbackShare(district_id=district_id, teacher_person_id=teacher, person_id=coach))
    found: dict[str, uuid.UUID] = {}
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        for type_name, (model, _) in CASES.items():
            row_id = await session.scalar(select(model.id).where(model.district_id == district_id).limit(1))
            assert row_id is not None, type_name
            found[type_name] = row_id
    return found


@pytest.mark.parametrize("caller_district", ["A", "B"])
async def test_each_type_with_an_id_is_a_node_for_its_readers_only(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens, caller_district: str
) -> None:
    ids = await _seed(app, world)
    for type_name, (_, role) in CASES.items():
        global_id = str(relay.GlobalID(type_name, str(ids[type_name])))
        gql.headers = await tokens.headers(caller_district, role)
        found = (await gql(NODE, {"id": global_id}))["node"]
        if caller_district == "A":
            assert found == {"__typename": type_name, "id": global_id}, type_name
        else:
            assert found is None, type_name


async def test_a_node_of_the_district_answers_null_to_a_caller_who_may_not_read_it(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    """Readable parts follow their whole: a viewer reads initiatives but not the authorizing
    environment; a coach is not party to a teacher's share with someone else; only account managers
    see role assignments."""
    ids = await _seed(app, world)
    refused = {"InitiativeStakeholder": Role.VIEWER, "RoleAssignment": Role.TEACHER}
    for type_name, role in refused.items():
        gql.headers = await tokens.headers("A", role)
        global_id = str(relay.GlobalID(type_name, str(ids[type_name])))
        assert (await gql(NODE, {"id": global_id}))["node"] is None, type_name
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    share = str(relay.GlobalID("FeedbackShare", str(ids["FeedbackShare"])))
    assert (await gql(NODE, {"id": share}))["node"] is None
    gql.headers = await tokens.headers("A", Role.COACH)
    assert (await gql(NODE, {"id": share}))["node"] == {"__typename": "FeedbackShare", "id": share}
