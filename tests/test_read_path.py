"""The read path: what one request costs the database, whichever transport, and the GraphQL plans.

- A request is one connection and one transaction, and its statements do not grow with list sizes:
  the nested plan page (plans → goals → strategies → action steps) at 1, 5 and 20 plans over GraphQL
  (its first run interpreted, later runs from its compiled plan) and REST lists at the same sizes.
- A repeated GraphQL document is validated once (the validation cache hits) and answered by its
  compiled plan, with the same answer as the interpreter for every role (`graphql_verify_compiled`
  makes every query of the suite prove that; here the roles and the awkward documents are explicit).
"""

from __future__ import annotations

import gc
import hashlib
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions.validation_cache import _get_validate_cache

from app.auth.permissions import Action
from app.auth.policy import StatementCache, visible
from app.auth.principal import Grant, Principal, PrincipalKind
from app.core.config import Settings
from app.core.db import session_scope
from app.demo import operator_of
from app.identity.models import Role
from app.initiatives import service as initiatives
from app.initiatives.schemas import IndicatorCreate, InitiativeCreate
from app.main import YOUNG_COLLECTION_THRESHOLD, create_app
from app.plans import service as plans
from app.plans.models import Plan
from app.plans.schemas import ActionStepCreate, GoalCreate, PlanCreate, StrategyCreate
from tests.conftest import Tokens, World, count_statements

NESTED = """query($cycle: String) { plans(first: 20, cycle: $cycle) { edges { cursor node {
  id databaseId title status cycle version createdAt updatedAt
  goals(first: 5) { edges { node { id statement weight
    strategies(first: 5) { edges { node { id title driver weight
      actionSteps(first: 5) { edges { node { id title status dueOn effectiveProgress isPilot } }
        pageInfo { hasNextPage endCursor } } } } } } } }
} } pageInfo { hasNextPage endCursor } } }"""

FLAT = """{ initiatives(first: 50) { edges { node { id databaseId title publicValue stage version } } } }"""


async def seed_plans(app: FastAPI, world: World, cycle: str, count: int) -> None:
    """`count` district plans of `cycle`, each with 2 goals × 2 strategies × 2 steps."""
    operator = operator_of(world.district_id("A"))
    async with session_scope(app.state.session_factory, operator) as session:
        for n in range(count):
            plan = await plans.create_plan(session, operator, PlanCreate(cycle=cycle, title=f"Plan {n}"))
            for g in range(2):
                indicator = IndicatorCreate(
                    name="Reading", unit="%", direction="increase", target_value=Decimal(80)
                )
                goal = await plans.add_goal(
                    session, operator, plan.id, GoalCreate(statement=f"Goal {g}", indicator=indicator)
                )
                for s in range(2):
                    strategy = await plans.add_strategy(
                        session, operator, goal.goal.id, StrategyCreate(title=f"Strategy {s}")
                    )
                    for a in range(2):
                        await plans.add_action_step(
                            session, operator, strategy.id, ActionStepCreate(title=f"Step {a}")
                        )


async def seed_initiatives(app: FastAPI, world: World, count: int) -> None:
    operator = operator_of(world.district_id("A"))
    async with session_scope(app.state.session_factory, operator) as session:
        for n in range(count):
            await initiatives.create_initiative(
                session, operator, InitiativeCreate(title=f"Initiative {n}", public_value="Readers.")
            )


async def test_a_graphql_plan_page_is_one_transaction_and_the_same_statements_at_1_5_and_20_plans(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    costs = {}
    for size, cycle in ((1, "2024-25"), (5, "2025-26"), (20, "2026-27")):
        await seed_plans(app, world, cycle, size)
        for run in ("interpreted", "compiled"):
            with count_statements(app) as counter:
                response = await client.post(
                    "/graphql", json={"query": NESTED, "variables": {"cycle": cycle}}, headers=headers
                )
            body = response.json()
            assert "errors" not in body, body
            edges = body["data"]["plans"]["edges"]
            assert len(edges) == size
            steps = [
                step
                for plan in edges
                for goal in plan["node"]["goals"]["edges"]
                for strategy in goal["node"]["strategies"]["edges"]
                for step in strategy["node"]["actionSteps"]["edges"]
            ]
            assert len(steps) == 8 * size
            # One connection; at most one transaction (a read answered by raw statements alone, on the
            # autocommit read session, begins none: each statement is its own).
            assert counter.checkouts == 1, run
            assert counter.transactions <= 1, run
            costs[size, run] = sorted(counter.statements)
    # plans; goals; strategies; action steps
    assert {len(statements) for statements in costs.values()} == {4}
    assert len({tuple(statements) for statements in costs.values()}) == 1
    assert app.state.graphql_schema.plans.runs >= 3


async def test_a_rest_list_and_one_object_are_one_transaction_and_the_same_statements_at_any_size(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    costs: dict[tuple[str, int], list[str]] = {}
    seeded = 0
    for size in (1, 5, 20):
        await seed_initiatives(app, world, size - seeded)
        await seed_plans(app, world, f"20{10 + size}-{11 + size}", 1)
        seeded = size
        with count_statements(app) as counter:
            response = await client.get("/api/v1/initiatives?limit=200", headers=headers)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == size
        assert counter.checkouts == 1
        assert counter.transactions <= 1
        costs["list", size] = counter.statements
        plan_id = (await client.get("/api/v1/plans?limit=1", headers=headers)).json()["items"][0]["id"]
        with count_statements(app) as counter:
            response = await client.get(f"/api/v1/plans/{plan_id}", headers=headers)
        assert response.status_code == 200, response.text
        assert counter.checkouts == 1
        assert counter.transactions <= 1
        costs["one", size] = counter.statements
    for kind in ("list", "one"):
        assert costs[kind, 1] == costs[kind, 5] == costs[kind, 20]


async def test_a_repeated_document_is_validated_once_and_answered_by_its_plan(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    await seed_initiatives(app, world, 3)
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    schema = app.state.graphql_schema
    validate = _get_validate_cache(256)
    with count_statements(app):  # one run per request, as in production
        first = await client.post("/graphql", json={"query": FLAT}, headers=headers)
        hits, runs = validate.cache_info().hits, schema.plans.runs
        for _ in range(3):
            again = await client.post("/graphql", json={"query": FLAT}, headers=headers)
            assert again.json() == first.json()
        assert schema.plans.runs == runs + 3
        # A plan skips validation altogether; the interpreter's next run of the text hits the cache.
        schema.plans.put((FLAT, None), None)
        await client.post("/graphql", json={"query": FLAT}, headers=headers)
        assert validate.cache_info().hits == hits + 1


# Documents that exercise what a plan must get exactly right: fragments, aliases, __typename,
# variables, Relay ids, nested connections, argument errors that null a non-null field's parent, and
# fields the plan leaves to the interpreter (directives).
DOCUMENTS = [
    NESTED,
    FLAT,
    """fragment Step on ActionStep { id title __typename }
       query { a: plans(first: 2) { edges { node { ... on Plan { id t: title }
         goals { edges { node { strategies(first: 1) { edges { node { actionSteps { edges { node { ...Step }
         } } } } } } } } } } } b: plans(first: 1) { pageInfo { hasNextPage hasPreviousPage startCursor } } }""",
    """query($n: Int) { plans(first: $n) { edges { node { title goals(first: $n) { edges { cursor } } } } } }""",
    """{ plans(first: 1) { edges { node { goals(first: 0) { edges { cursor } } } } } }""",
    """{ plans(first: 500) { edges { cursor } } }""",
    """query($skip: Boolean!) { plans { edges { node { title @skip(if: $skip) } } } }""",
    """{ initiatives { edges { node { title stakeholders { edges { node { stance } } } } } } }""",
]


@pytest.mark.parametrize(
    "role",
    [Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER, Role.SCHOOL_LEADER, Role.COACH, Role.TEACHER, Role.VIEWER],
)
async def test_compiled_plans_answer_as_the_interpreter_does_for_every_role(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession, role: Role
) -> None:
    """With verification on (the suite's setting), a differing answer is a 500; every document runs
    three times: interpreted and checked against its plan, then twice from the plan."""
    assert app.state.graphql_schema.verify
    await seed_plans(app, world, "2026-27", 2)
    await seed_initiatives(app, world, 2)
    headers = await tokens.headers("A", role)
    for document in DOCUMENTS:
        variables: dict[str, Any] = {"cycle": "2026-27", "n": 2, "skip": False}
        answers = []
        for _ in range(3):
            response = await client.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
            assert response.status_code == 200, (document, response.text)
            answer = response.json()
            for error in answer.get("errors", ()):
                error["extensions"].pop("request_id", None)  # each request has its own
            answers.append(answer)
        assert answers[0] == answers[1] == answers[2], document


async def test_a_front_end_sends_a_document_by_its_hash_once_the_service_knows_it(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Automatic persisted queries: the hash alone is refused until the text has been sent with it;
    a hash that is not the text's is refused, and registers nothing."""
    await seed_initiatives(app, world, 2)
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    digest = hashlib.sha256(FLAT.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}

    async def post(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    unknown = await post({"extensions": persisted})
    assert [e["extensions"]["code"] for e in unknown["errors"]] == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"

    forged = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = await post({"query": FLAT, "extensions": forged})
    assert [e["extensions"]["code"] for e in mismatch["errors"]] == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert "errors" in await post({"extensions": forged})  # the forged hash registered nothing

    full = await post({"query": FLAT, "extensions": persisted})
    assert "errors" not in full
    assert len(full["data"]["initiatives"]["edges"]) == 2
    assert await post({"extensions": persisted}) == full


def test_a_kept_statement_belongs_to_one_principal() -> None:
    """Statements are kept per principal, with the principal's own scope bound into them: another
    principal (another district, another school, the same person with another grant) gets its own."""
    district_a, district_b, school_1, school_2 = (uuid.uuid4() for _ in range(4))
    person = uuid.uuid4()

    def leader(district: uuid.UUID, school: uuid.UUID) -> Principal:
        grant = Grant(role=Role.SCHOOL_LEADER, school_id=school)
        return Principal(kind=PrincipalKind.USER, id=person, district_id=district, grants=(grant,))

    cache = StatementCache(maxsize=2)
    principals = [leader(district_a, school_1), leader(district_b, school_1), leader(district_a, school_2)]
    built = [
        cache.get("plans", p, lambda p=p: visible(select(Plan), Plan, p, Action.PLAN_READ))
        for p in principals
    ]
    for principal, statement in zip(principals, built, strict=True):
        bound = list(statement.compile().params.values())
        values = [v for value in bound for v in (value if isinstance(value, list) else [value])]
        assert principal.district_id in values
        assert principal.grants[0].school_id in values
    assert len({id(statement) for statement in built}) == 3
    # Kept: the same principal gets the same statement back; the least recently used leaves first.
    assert cache.get("plans", principals[2], lambda: pytest.fail("built again")) is built[2]
    assert cache.get("plans", principals[0], lambda: "rebuilt") == "rebuilt"


def _left_for_the_collector() -> list[str]:
    """What the last requests left in reference cycles, by type, leaving out the test client's own:
    objects only the cyclic garbage collector would free."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        kinds = [f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()  # now free them, or the next look would find the same cycles again
    ours = ("app.", "strawberry.", "graphql.", "sqlalchemy.", "asyncpg.", "fastapi.", "starlette.")
    return sorted(kind for kind in kinds if kind.startswith(ours))


async def test_a_read_leaves_nothing_for_the_cyclic_collector(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads free what they made the moment they answer. A request that leaves its loaders, rows and
    futures in a reference cycle keeps them alive until the collector's next full run; under load the
    collector then walks every request in flight again and again (it was most of the gap between a
    nested query's cost alone and under 16 concurrent requests)."""
    # As in production: a repeated query runs from its plan alone (the suite otherwise runs the
    # interpreter beside every plan, to compare their answers).
    monkeypatch.setattr(app.state.graphql_schema, "verify", False)
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    await seed_plans(app, world, "2031-32", 2)
    plan_id = (await client.get("/api/v1/plans?limit=1", headers=headers)).json()["items"][0]["id"]
    reads = [
        ("POST", "/graphql", {"query": NESTED, "variables": {"cycle": "2031-32"}}),
        ("POST", "/graphql", {"query": FLAT}),
        ("GET", "/api/v1/initiatives?limit=50", None),
        ("GET", f"/api/v1/plans/{plan_id}", None),
    ]
    for method, path, body in reads:  # the first run of each compiles, prepares and caches
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 200, response.text
    _left_for_the_collector()
    gc.disable()
    try:
        for method, path, body in reads * 2:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 200, response.text
            assert "errors" not in response.json()
        assert _left_for_the_collector() == []
    finally:
        gc.enable()


async def test_the_first_requests_after_start_up_find_everything_prepared(settings: Settings) -> None:
    """Start-up prepares every route before it freezes what it made (`app.main`). Left to the first
    request, FastAPI's preparation of the routes (some 50,000 objects: parameters, validators) cost
    that request half a second and stayed in the cyclic collector's reach for good: under load each
    full collection then walked them again, 15-45 ms pauses that were most of REST's p99."""
    fresh = create_app(settings)
    async with fresh.router.lifespan_context(fresh):
        transport = httpx.ASGITransport(app=fresh, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            gc.collect()
            before = len(gc.get_objects())
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/api/v1/plans")).status_code == 401
            gc.collect()
            made = len(gc.get_objects()) - before
    assert made < 5_000, f"the first requests made {made:,} lasting objects"
    # And the collector's young generation runs every 10,000 allocations, not Python's 700.
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
