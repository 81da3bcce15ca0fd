"""What GraphQL answers to requests it will not run: values of the wrong type (a client's mistake, coded
`bad_user_input` whether written inline or sent as a variable), documents it cannot parse or validate,
and operations that would cost more than the limit (`query_too_costly`, refused before any SQL). Every
answer carries its price in `extensions.cost`, through the interpreter and through a compiled plan alike.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, count_statements, error_codes

BAD_VARIABLES = [
    pytest.param(
        "query($s: Stage) { initiatives(stage: $s) { edges { node { id } } } }",
        {"s": "exploring"},
        id="enum-by-its-value-not-its-name",
    ),
    pytest.param(
        "query($n: Int) { initiatives(first: $n) { edges { node { id } } } }", {"n": "ten"}, id="int"
    ),
    pytest.param(
        "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { userErrors { code } } }",
        {"input": {"title": "T", "publicValue": "V", "startsOn": "not-a-date"}},
        id="date-inside-an-input",
    ),
    pytest.param(
        "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { userErrors { code } } }",
        {"input": {"title": "T", "publicValue": "V", "startsOn": 20260901}},
        id="number-as-a-date",
    ),
    pytest.param(
        "mutation($input: AddGoalInput!) { addGoal(input: $input) { userErrors { code } } }",
        {"input": {"planId": "UGxhbjox", "statement": "S", "weight": "abc"}},
        id="decimal",
    ),
    pytest.param(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": {"nested": ["object"]}},
        id="object-for-an-id",
    ),
]


@pytest.mark.parametrize(("query", "variables"), BAD_VARIABLES)
async def test_a_variable_of_the_wrong_type_is_the_clients_mistake(
    app: FastAPI,
    gql_leader: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any],
) -> None:
    with caplog.at_level(logging.INFO), count_statements(app) as counter:
        body = await gql_leader.raw(query, variables)

    assert body["data"] is None
    assert error_codes(body), body
    assert set(error_codes(body)) == {"bad_user_input"}, body
    assert "Unexpected error" not in body["errors"][0]["message"]
    assert "$" in body["errors"][0]["message"]  # says which variable
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert counter.count == 0  # nothing ran, nothing was written


async def test_the_same_mistake_written_inline_has_the_same_code(gql_leader: GraphQLClient) -> None:
    inline = await gql_leader.raw('{ initiatives(first: "ten") { edges { node { id } } } }')
    as_variable = await gql_leader.raw(
        "query($n: Int) { initiatives(first: $n) { edges { node { id } } } }", {"n": "ten"}
    )

    assert error_codes(inline) == error_codes(as_variable) == ["bad_user_input"]


async def test_documents_that_do_not_parse_or_validate_say_so_with_a_code(gql_leader: GraphQLClient) -> None:
    unparsable = await gql_leader.raw("{ initiatives { edges { node { id }")
    invalid = await gql_leader.raw("{ initiatives { edges { node { noSuchField } } } }")

    assert error_codes(unparsable) == ["graphql_parse_failed"]
    assert error_codes(invalid) == ["graphql_validation_failed"]


# --- cost ---------------------------------------------------------------------------------------------

FOUR_LEVELS = """query($n: Int) { plans(first: $n) { edges { node {
  goals(first: $n) { edges { node { strategies(first: $n) { edges { node {
    actionSteps(first: $n) { edges { node { id } } } } } } } } } } } } }"""


async def test_four_nested_pages_of_200_are_refused_before_any_sql(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    for attempt in range(2):  # the interpreter's first run, then the compiled plan's
        with count_statements(app) as counter:
            body = await gql_leader.raw(FOUR_LEVELS, {"n": 200})

        assert body["data"] is None, attempt
        assert error_codes(body) == ["query_too_costly"]
        assert body["extensions"]["cost"]["requested"] == 200 + 200**2 + 200**3 + 200**4
        assert body["extensions"]["cost"]["requested"] > body["extensions"]["cost"]["limit"]
        assert counter.count == 0


async def test_the_price_is_pages_multiplied_down_the_tree_and_is_in_every_answer(
    gql_leader: GraphQLClient,
) -> None:
    for attempt in range(3):  # interpreted, then from the compiled plan (twice)
        body = await gql_leader.raw(FOUR_LEVELS, {"n": 3})

        assert "errors" not in body, body
        assert body["extensions"]["cost"] == {
            "requested": 3 + 9 + 27 + 81,
            "objects": 3 + 9 + 27 + 81,
            "computed": 0,
            "limit": 500_000,
        }, attempt


async def test_a_compiled_plan_is_priced_for_the_variables_of_each_request(gql_leader: GraphQLClient) -> None:
    # The plan keeps its price per set of values: a kept price never answers for other values.
    for n in (3, 2, 3, 200, 2):
        body = await gql_leader.raw(FOUR_LEVELS, {"n": n})
        assert body["extensions"]["cost"]["requested"] == n + n**2 + n**3 + n**4, n
        assert (error_codes(body) == ["query_too_costly"]) is (n == 200)


async def test_a_default_page_is_priced_at_its_default_and_pageinfo_once_per_connection(
    gql_leader: GraphQLClient,
) -> None:
    body = await gql_leader.raw(
        "{ plans { pageInfo { hasNextPage } edges { cursor node { id goals(first: 2) { edges { node { id } } } } } } }"
    )

    assert body["extensions"]["cost"]["objects"] == 50 + 50 * 2


async def test_fields_computed_per_object_are_weighted_and_refused_on_long_lists(
    app: FastAPI, gql_leader: GraphQLClient
) -> None:
    one = await gql_leader.raw("{ plans(first: 1) { edges { node { progress { __typename } } } } }")
    assert "errors" not in one, one
    assert one["extensions"]["cost"]["computed"] > 0

    through_a_fragment = await gql_leader.raw(
        "query($id: ID!) { node(id: $id) { ... on Plan { document } } }", {"id": "UGxhbjox"}
    )
    assert through_a_fragment["extensions"]["cost"]["computed"] > one["extensions"]["cost"]["computed"]

    with count_statements(app) as counter:
        many = await gql_leader.raw(
            "{ plans(first: 200) { edges { node { progress { __typename } policyCheck { met } document } } } }"
        )
    assert error_codes(many) == ["query_too_costly"]
    assert counter.count == 0


# --- tokens -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer not-a-token", id="malformed"),
        pytest.param("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", id="unsigned"),
        pytest.param("Basic dXNlcjpwYXNz", id="another-scheme"),
    ],
)
async def test_a_bad_token_answers_in_graphqls_shape_like_a_missing_one(
    gql: GraphQLClient, authorization: str | None
) -> None:
    if authorization is not None:
        gql.headers["Authorization"] = authorization

    response = await gql.http.post(
        "/graphql", json={"query": "{ initiatives { edges { node { id } } } }"}, headers=gql.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    assert error_codes(body) == ["unauthenticated"]
    assert body["errors"][0]["path"] == ["initiatives"]


# --- user errors --------------------------------------------------------------------------------------


def test_every_domain_error_has_a_user_error_kind() -> None:
    """`UserError.kind` is an enum a front end switches on: a domain error without a member would make
    its mutation fail to answer at all."""
    import app.main  # noqa: F401  (every area's errors are defined)
    from app.core.errors import DomainError
    from app.graphql.errors import UserErrorKind

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    codes = {cls.code for cls in subclasses(DomainError) if "code" in vars(cls)}
    assert codes <= {kind.value for kind in UserErrorKind}, codes - {kind.value for kind in UserErrorKind}


async def test_a_stale_version_says_which_version_is_current(gql_leader: GraphQLClient) -> None:
    made = await gql_leader(
        'mutation { createInitiative(input: {title: "Reading", publicValue: "More readers"}) '
        "{ initiative { id version } userErrors { code } } }"
    )
    initiative = made["createInitiative"]["initiative"]
    update = """mutation($id: ID!, $v: Int!, $t: String!) {
      updateInitiative(input: {id: $id, expectedVersion: $v, title: $t}) {
        initiative { version } userErrors { field message code kind currentVersion } } }"""
    await gql_leader(update, {"id": initiative["id"], "v": initiative["version"], "t": "Reading for all"})

    stale = await gql_leader(update, {"id": initiative["id"], "v": initiative["version"], "t": "Lost"})

    [error] = stale["updateInitiative"]["userErrors"]
    assert error["kind"] == "STALE_VERSION"
    assert error["code"] == "stale_version"
    assert error["currentVersion"] == initiative["version"] + 1


async def test_a_mutation_with_plain_arguments_names_the_argument_at_fault(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    """`userErrors.field` starts at the argument: `["id"]` for `revokeRole(id:)`, not `["input", "id"]`
    (there is no `input` to point into)."""
    gql.headers.update(await tokens.headers("A", Role.DISTRICT_ADMIN))
    body = await gql(
        'mutation { revokeRole(id: "UGxhbjox") { ok userErrors { field code } } }'  # a Plan's id
    )
    assert body["revokeRole"]["ok"] is not True
    assert [error["field"] for error in body["revokeRole"]["userErrors"]] == [["id"]]
