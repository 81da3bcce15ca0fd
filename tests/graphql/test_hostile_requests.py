"""Requests a determined front end or an attacker sends: each was answered wrongly once (a cost the
price did not see, a crash for a client's mistake, an answer outside GraphQL's shape), and is held here.
Real PostgreSQL, real tokens; each test failed on the code before its fix."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from graphql import get_introspection_query
from strawberry import relay

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, World, count_statements, error_codes

# --- cost ---------------------------------------------------------------------------------------------

THREE_LEVELS = """query($n: Int = 200) { plans(first: $n) { edges { node {
  goals(first: $n) { edges { node { strategies(first: $n) { edges { node { id } } } } } } } } } }"""


async def test_a_page_size_from_a_variables_default_is_priced_at_that_default(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    """`$n: Int = 200` with `$n` left out runs pages of 200: it is priced so, not at the field's 50."""
    for attempt in range(2):  # the interpreter's first run, then the compiled plan's
        with count_statements(app) as counter:
            body = await gql_leader.raw(THREE_LEVELS)

        assert error_codes(body) == ["query_too_costly"], attempt
        assert body["extensions"]["cost"]["requested"] == 200 + 200**2 + 200**3
        assert counter.count == 0


async def test_an_explicit_null_overrides_a_variables_default(gql_leader: GraphQLClient) -> None:
    """A null sent for `$n` is the field's default page (50), as the resolver runs it."""
    body = await gql_leader.raw(THREE_LEVELS, {"n": None})

    assert "errors" not in body, body
    assert body["extensions"]["cost"]["requested"] == 50 + 50**2 + 50**3


async def test_a_field_selected_by_several_fragments_is_priced_once(gql_leader: GraphQLClient) -> None:
    """A front end's colocated fragments overlap (a card and a header both ask a plan's goals); the
    executor merges fields of one response key and reads them once, so the price counts them once.
    Priced per spread, five fragments made 100 plans' goals cost five times what they read."""
    body = await gql_leader.raw(
        """fragment Card on Plan { goals(first: 100) { edges { node { id } } } }
        fragment Header on Plan { goals(first: 100) { totalCount edges { node { statement } } } }
        { plans(first: 100) { edges { node { ...Card ...Header ... on Plan { ...Card } } }
                               edges { node { id } } } }"""
    )

    assert "errors" not in body, body
    assert body["extensions"]["cost"]["objects"] == 100 + 100 * 100


async def test_fields_under_different_aliases_are_priced_each(gql_leader: GraphQLClient) -> None:
    body = await gql_leader.raw(
        "{ a: plans(first: 10) { edges { node { id } } } b: plans(first: 10) { edges { node { id } } } }"
    )

    assert body["extensions"]["cost"]["objects"] == 20


INTROSPECTION = get_introspection_query(descriptions=True)  # what GraphiQL and codegen send
TYPE_FRAGMENTS = INTROSPECTION[INTROSPECTION.index("fragment FullType") :]


async def test_introspection_is_priced_by_the_schema_it_reads(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    """Introspection reads no rows but is not free: thirty aliases of the whole schema's types took
    seconds of CPU and were priced 0. Its lists are priced at their mean sizes in this schema, so the
    standard introspection query (GraphiQL's, codegen's) passes, priced at about what it returns, and
    thirty copies of it are refused before they run."""
    once = await gql_leader.raw(INTROSPECTION)
    many = "{ " + " ".join(f"a{i}: __schema {{ types {{ ...FullType }} }}" for i in range(30)) + " }"
    with count_statements(app) as counter:
        refused = await gql_leader.raw(many + "\n" + TYPE_FRAGMENTS)

    assert "errors" not in once
    types = once["data"]["__schema"]["types"]
    fields = sum(len(t["fields"] or ()) for t in types)
    assert once["extensions"]["cost"]["objects"] > len(types) + fields
    assert error_codes(refused) == ["query_too_costly"], refused.get("extensions")
    assert refused["data"] is None
    assert counter.count == 0


# --- values -------------------------------------------------------------------------------------------

UPDATED_SINCE = "query($d: DateTime) { plans(updatedSince: $d) { edges { node { id } } } }"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("9999-12-31T23:59:59-12:00", id="past-year-9999-in-utc"),
        pytest.param("0001-01-01T00:00:00+14:00", id="before-year-1-in-utc"),
    ],
)
async def test_a_time_that_has_no_utc_equivalent_is_the_clients_mistake(
    app: FastAPI, gql_leader: GraphQLClient, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    """A well-formed time whose UTC instant falls outside the calendar overflowed when it was compared
    (`internal_error`, logged as a bug); it is a value of the wrong kind, by variable or inline."""
    with caplog.at_level(logging.INFO), count_statements(app) as counter:
        as_variable = await gql_leader.raw(UPDATED_SINCE, {"d": value})
        inline = await gql_leader.raw(f'{{ plans(updatedSince: "{value}") {{ edges {{ node {{ id }} }} }} }}')

    assert error_codes(as_variable) == ["bad_user_input"], as_variable
    assert error_codes(inline) == ["bad_user_input"], inline
    assert "$d" in as_variable["errors"][0]["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert counter.count == 0


async def test_a_time_at_the_calendars_edge_that_has_one_is_accepted(gql_leader: GraphQLClient) -> None:
    body = await gql_leader.raw(UPDATED_SINCE, {"d": "9999-12-31T23:59:59Z"})

    assert "errors" not in body, body


# --- requests -----------------------------------------------------------------------------------------

ME = "{ me { __typename } }"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(
            {"query": "query A { me { __typename } }", "operationName": 3}, None, 400, id="name-not-a-string"
        ),
        pytest.param(
            {"query": "query A { me { __typename } }", "operationName": "B"}, None, 400, id="unknown-name"
        ),
        pytest.param({"query": ME, "extensions": "x"}, None, 400, id="extensions-not-an-object"),
        pytest.param({"variables": {}}, None, 400, id="no-query"),
        pytest.param([{"query": ME}, {"query": ME}], None, 400, id="batch"),
        pytest.param({"query": ME}, "text/plain", 400, id="csrf-text-plain"),
        pytest.param({"query": ME}, "application/x-www-form-urlencoded", 400, id="csrf-form"),
    ],
)
async def test_a_request_graphql_cannot_run_is_refused_in_graphqls_shape(
    app: FastAPI,
    gql_leader: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    body: Any,
    content_type: str | None,
    status: int,
) -> None:
    """A request that is not one operation GraphQL can run (a name of the wrong type or naming no
    operation, a batch, a body a browser form could send cross-site) is refused before anything runs,
    and the answer is a GraphQL error document a client can parse, not a line of text or a 500."""
    headers = {**gql_leader.headers, "Content-Type": content_type or "application/json"}
    with caplog.at_level(logging.INFO), count_statements(app) as counter:
        response = await gql_leader.http.post("/graphql", content=orjson.dumps(body), headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    answer = response.json()
    assert "data" not in answer  # a request error: nothing executed
    assert error_codes(answer) == ["bad_request"], answer
    assert answer["errors"][0]["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert counter.count == 0


async def test_a_mutation_by_get_is_refused_in_graphqls_shape(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    mutation = 'mutation { createInitiative(input: {title: "T", publicValue: "V"}) { userErrors { code } } }'
    with count_statements(app) as counter:
        response = await gql_leader.http.get(
            "/graphql", params={"query": mutation}, headers=gql_leader.headers
        )

    assert response.status_code == 405, response.text
    assert error_codes(response.json()) == ["method_not_allowed"]
    assert counter.count == 0


async def test_a_document_of_several_operations_needs_the_name_of_the_one_to_run(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    """The specification's GetOperation: without `operationName`, a document must hold one operation.
    Strawberry ran the first instead, so a client that forgot the name got the answer to a question it
    may not have meant."""
    document = "query First { me { __typename } } query Second { __typename }"
    with count_statements(app) as counter:
        unnamed = await gql_leader.raw(document)
    response = await gql_leader.http.post(
        "/graphql", json={"query": document, "operationName": "Second"}, headers=gql_leader.headers
    )
    named = response.json()

    assert unnamed["data"] is None
    assert error_codes(unnamed) == ["bad_request"], unnamed
    assert "operationName" in unnamed["errors"][0]["message"]
    assert counter.count == 0
    assert named["data"] == {"__typename": "Query"}


def _cursor(key: Any) -> str:
    import base64

    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


@pytest.mark.parametrize(
    "created_at",
    [
        pytest.param("9999-12-31T23:59:59-12:00", id="past-year-9999-in-utc"),
        pytest.param("0001-01-01T00:00:00+14:00", id="before-year-1-in-utc"),
    ],
)
async def test_a_tampered_cursor_whose_time_has_no_utc_equivalent_is_refused_as_a_cursor(
    gql_leader: GraphQLClient, caplog: pytest.LogCaptureFixture, created_at: str
) -> None:
    """Cursors are base64 JSON the client can rewrite: a time outside UTC's calendar decoded, then
    overflowed in the query (`internal_error`). It is a cursor this service did not issue, in GraphQL
    as in REST (the decoding is shared: `app.core.pagination.decode_cursor`)."""
    cursor = _cursor([created_at, "39953c22-d2bb-45b5-85bb-b07814f333e3"])
    with caplog.at_level(logging.INFO):
        body = await gql_leader.raw(
            "query($a: String) { initiatives(after: $a) { edges { node { id } } } }", {"a": cursor}
        )
        rest = await gql_leader.http.get(
            "/api/v1/initiatives", params={"cursor": cursor}, headers=gql_leader.headers
        )

    assert error_codes(body) == ["validation_failed"], body
    assert body["errors"][0]["message"] == "The cursor is not one this service issued."
    assert rest.status_code == 422, rest.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


async def test_every_refusal_quotes_the_request_id(gql_leader: GraphQLClient) -> None:
    """The request id is what a front end quotes to support; errors that came with their code
    (a value written inline, a price over the limit) went out without it."""
    inline = await gql_leader.raw('{ initiatives(first: "ten") { edges { node { id } } } }')
    costly = [
        await gql_leader.raw(
            "query($n: Int) { plans(first: $n) { edges { node { progress { __typename } } } } }", {"n": 200}
        )
        for _ in range(2)  # interpreted, then from the compiled plan
    ]

    for body in (inline, *costly):
        assert body["errors"][0]["extensions"]["request_id"], body


# --- relay --------------------------------------------------------------------------------------------

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_nodes_answers_each_id_in_order_and_null_for_what_is_not_there_for_you(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    """Relay's plural `nodes(ids:)`: every node type round-trips, in the order asked; another
    district's id, another type's name, a mangled id are null, as `node(id:)` answers them."""
    from tests.test_relay_nodes import CASES, _seed

    ids = await _seed(app, world)
    by_role: dict[Role, list[str]] = {}
    for type_name, (_, role) in CASES.items():
        by_role.setdefault(role, []).append(str(relay.GlobalID(type_name, str(ids[type_name]))))
    for role, wanted in by_role.items():
        gql.headers = await tokens.headers("A", role)
        asked = [*reversed(wanted), str(relay.GlobalID("Plan", str(uuid.uuid4()))), "UXVlcnk6MQ=="]
        body = await gql.raw(NODES, {"ids": asked})
        assert "errors" not in body, body
        answered = body["data"]["nodes"]
        assert [n["id"] if n else None for n in answered] == [*reversed(wanted), None, None], role
        assert body["extensions"]["cost"]["objects"] == len(asked)
        gql.headers = await tokens.headers("B", role)
        assert (await gql(NODES, {"ids": wanted}))["nodes"] == [None] * len(wanted)


async def test_nodes_reads_each_kind_once_and_caps_the_list(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    from tests.test_relay_nodes import _seed

    await _seed(app, world)
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    plans = await gql("{ plans(first: 50) { edges { node { id } } } }")
    plan_ids = [edge["node"]["id"] for edge in plans["plans"]["edges"]]
    with count_statements(app) as one:
        await gql(NODES, {"ids": plan_ids[:1]})
    with count_statements(app) as many:
        answered = await gql(NODES, {"ids": plan_ids})
    assert [n["id"] for n in answered["nodes"]] == plan_ids
    assert many.count == one.count  # one read for the kind, whatever the number of ids

    too_many = await gql.raw(NODES, {"ids": plan_ids[:1] * 201})
    assert error_codes(too_many) == ["validation_failed"], too_many


# --- size ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["with-content-length", "chunked"])
async def test_a_body_larger_than_any_operation_needs_is_refused_before_it_is_parsed(
    app: FastAPI, gql: GraphQLClient, chunked: bool
) -> None:
    """Nothing capped a GraphQL body: 100,000 list items (6 MB) took four seconds to coerce before
    anything looked at them, for a caller without a token too. The largest input an operation takes
    (5,000 measurements) is far under the cap."""
    item = b'{"indicatorId":"x","value":"1","measuredOn":"2026-02-01"},'
    body = (
        b'{"query":"mutation($i: RecordMeasurementsInput!) { recordMeasurements(input: $i) { __typename } }",'
        b'"variables":{"i":{"measurements":['
        + item * (8 * 2**20 // len(item))  # 8 MiB
        + b'{"indicatorId":"x","value":"1","measuredOn":"2026-02-01"}]}}}'
    )

    async def stream() -> Any:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    with count_statements(app) as counter:
        response = await gql.http.post(
            "/graphql",
            content=stream() if chunked else body,
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 413, response.text[:300]
    assert error_codes(response.json()) == ["payload_too_large"]
    assert counter.count == 0
