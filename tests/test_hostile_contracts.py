"""No input makes a 5xx: hostile values, generated from both contracts, sent to every operation.

For every operation of the OpenAPI document, and every query and mutation field of the GraphQL
schema, hypothesis draws hostile values for each place the contract says input goes (path, query,
JSON or form body, GraphQL arguments and input objects): NUL, lone surrogates, numbers far beyond
any column, numbers where dates go, bodies that are not UTF-8 or nest 100,000 deep. Whatever the
service answers, it is never a server error, and GraphQL never masks one as `internal_error`.

Bounded so it stays fast: a couple of drawn examples, each sent to every operation (about two
thousand requests).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.identity.models import Role
from tests.conftest import Tokens

HOSTILE_TEXT = st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\udc00\ud800", "%00"])
HOSTILE_NUMBERS = st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**40])
NUMBERS_AS_TIMES = st.sampled_from([0, 0.5, 1_700_000_000, "0.5", "1e9"])
DEEP = "[" * 100_000 + "]" * 100_000
NOT_UTF8 = b'{"title": "\xff\xfe\xed\xa0\x80"}'
EXAMPLES = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure lists every operation that failed, which says more than a minimal
    # example would, and shrinking through hundreds of requests per example takes minutes.
    phases=[Phase.explicit, Phase.generate],
    # One example walks every operation of the contract, so even its smallest input is large, and
    # grows with the API: that is the design, not a strategy to trim.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
    ],
)


def url_text(value: Any) -> str:
    """A value as it goes into a URL. Lone surrogates go as their WTF-8 bytes (`%ED%A0%80`), the way
    a hostile client that is not held to UTF-8 would send them."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


# --- REST ----------------------------------------------------------------------------------------------


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        for combined in ("anyOf", "oneOf", "allOf"):
            if combined in schema:
                options = [self.resolve(s) for s in schema[combined] if s.get("type") != "null"]
                return options[0] if options else {}
        return schema

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (method.upper(), path, operation)
            for path, item in self.document["paths"].items()
            for method, operation in item.items()
            if method in {"get", "post", "put", "patch", "delete"}
        ]


def hostile(draw: Any, contract: Contract, schema: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's shape with hostile leaves."""
    schema = contract.resolve(schema)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {
            name: hostile(draw, contract, sub, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [hostile(draw, contract, schema.get("items", {}), depth + 1)]
    if kind in ("integer", "number"):
        return draw(HOSTILE_NUMBERS)
    if schema.get("format") in ("date", "date-time"):
        return draw(NUMBERS_AS_TIMES | HOSTILE_TEXT)
    return draw(HOSTILE_TEXT)


def path_and_query(draw: Any, contract: Contract, path: str, operation: dict[str, Any]) -> str:
    query = []
    for parameter in operation.get("parameters", []):
        schema = contract.resolve(parameter.get("schema", {}))
        value = hostile(draw, contract, schema)
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", url_text(value))
        elif parameter["in"] == "query":
            query.append(f"{parameter['name']}={url_text(value)}")
    return path + ("?" + "&".join(query) if query else "")


def benign_path(path: str) -> str:
    """The path with well-formed ids, so the body is what gets tested."""
    segments = path.split("/")
    return "/".join(str(uuid.uuid4()) if s.startswith("{") else s for s in segments)


async def rest_attacks(
    draw: Any, client: httpx.AsyncClient, contract: Contract, headers: dict[str, str]
) -> list[str]:
    failures = []
    for method, path, operation in contract.operations():
        requests: list[tuple[str, bytes | None, str | None]] = [
            (path_and_query(draw, contract, path, operation), None, None)
        ]
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body:
            value = hostile(draw, contract, body["application/json"]["schema"])
            requests += [
                (benign_path(path), json.dumps(value).encode(), "application/json"),
                (benign_path(path), NOT_UTF8, "application/json"),
                (benign_path(path), ('{"items": ' + DEEP + "}").encode(), "application/json"),
            ]
        if "application/x-www-form-urlencoded" in body:
            schema = contract.resolve(body["application/x-www-form-urlencoded"]["schema"])
            fields = "&".join(
                f"{name}={url_text(draw(HOSTILE_TEXT))}" for name in schema.get("properties", {})
            )
            requests.append((benign_path(path), fields.encode(), "application/x-www-form-urlencoded"))
        if "multipart/form-data" in body:
            requests.append((benign_path(path), NOT_UTF8, "multipart/form-data; boundary=x"))
        for url, content, media_type in requests:
            sent = {**headers, **({"Content-Type": media_type} if media_type else {})}
            response = await client.request(method, url, content=content, headers=sent)
            if response.status_code >= 500:
                failures.append(f"{method} {url[:120]} ({media_type}) -> {response.status_code}")
    return failures


@pytest.mark.long
@EXAMPLES
@given(data=st.data())
async def test_no_rest_operation_answers_5xx_to_hostile_input(
    data: st.DataObject, client: httpx.AsyncClient, app: FastAPI, tokens: Tokens
) -> None:
    contract = Contract(app.openapi())
    failures = []
    for headers in (await tokens.headers("A", Role.DISTRICT_ADMIN), {}):
        failures += await rest_attacks(data.draw, client, contract, headers)
    assert not failures, "\n".join(failures)


# --- GraphQL -----------------------------------------------------------------------------------------


def hostile_graphql(draw: Any, kind: Any, depth: int = 0) -> Any:
    if isinstance(kind, GraphQLNonNull):
        return hostile_graphql(draw, kind.of_type, depth)
    if isinstance(kind, GraphQLList):
        return [hostile_graphql(draw, kind.of_type, depth + 1)]
    if isinstance(kind, GraphQLInputObjectType):
        if depth > 3:
            return {}
        return {name: hostile_graphql(draw, field.type, depth + 1) for name, field in kind.fields.items()}
    if isinstance(kind, GraphQLEnumType):
        return draw(HOSTILE_TEXT)
    if isinstance(kind, GraphQLScalarType):
        if kind.name in ("Int", "Float"):
            return draw(HOSTILE_NUMBERS)
        if kind.name in ("Date", "DateTime", "Time"):
            return draw(NUMBERS_AS_TIMES | HOSTILE_TEXT)
        if kind.name == "Boolean":
            return draw(HOSTILE_TEXT)
    return draw(HOSTILE_TEXT)


def documents(app: FastAPI) -> list[tuple[str, str, list[Any]]]:
    """(operation keyword, field name, its arguments) for every query and mutation field."""
    schema = app.state.graphql_schema._schema
    found = []
    for keyword, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, field in root.fields.items():
            found.append((keyword, name, list(field.args.items()), get_named_type(field.type)))
    return found


@EXAMPLES
@given(data=st.data())
async def test_no_graphql_field_answers_5xx_or_masks_an_error_for_hostile_input(
    data: st.DataObject, client: httpx.AsyncClient, app: FastAPI, tokens: Tokens
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    failures = []
    for keyword, name, arguments, returned in documents(app):
        declared = ", ".join(f"${arg}: {field.type}" for arg, field in arguments)
        passed = ", ".join(f"{arg}: ${arg}" for arg, _ in arguments)
        selection = " { __typename }" if not isinstance(returned, GraphQLScalarType | GraphQLEnumType) else ""
        text = (
            f"{keyword}{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''}{selection} }}"
        )
        variables = {arg: hostile_graphql(data.draw, field.type) for arg, field in arguments}
        bodies = [json.dumps({"query": text, "variables": variables}).encode()]
        if arguments:
            bodies.append(b'{"query": "' + text.encode() + b'", "variables": {"x": ' + DEEP.encode() + b"}}")
        for body in bodies:
            response = await client.post(
                "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
            )
            codes = (
                [e.get("extensions", {}).get("code") for e in response.json().get("errors") or []]
                if response.headers.get("content-type", "").startswith("application/json")
                else []
            )
            if response.status_code >= 500 or "internal_error" in codes:
                failures.append(f"{keyword} {name} -> {response.status_code} {response.text[:300]}")
    assert not failures, "\n".join(failures)
