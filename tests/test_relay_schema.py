"""The schema as a Relay client reads it, checked over every type rather than type by type.

- Every object type with an `id: ID!` is a `Node`: Relay and Apollo key their stores by `id`, so an
  `id` that `node(id:)` does not answer (or answers with another type) corrupts a client's cache. A
  type whose `id` names some other object keeps it deprecated for old clients and says which it is.
- Every top-level connection answers `totalCount`: services that turn a page of rows into a page of
  views keep its count (`Page.with_items`).
"""

from __future__ import annotations

from graphql import GraphQLNonNull, GraphQLObjectType, build_schema, get_named_type

from app.graphql.relay import NODE_TYPE_OF_TABLE
from app.graphql.schema import export_schema_sdl
from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens


def _schema() -> object:
    return build_schema(export_schema_sdl())


def test_every_object_type_with_an_id_is_a_node() -> None:
    schema = _schema()
    not_nodes = sorted(
        name
        for name, graphql_type in schema.type_map.items()  # type: ignore[attr-defined]
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("__")
        and (field := graphql_type.fields.get("id")) is not None
        and str(field.type) == "ID!"
        and not field.deprecation_reason
        and "Node" not in {interface.name for interface in graphql_type.interfaces}
    )
    assert not_nodes == []


def test_every_node_type_is_named_by_its_table() -> None:
    """Audit events name their entity by table; each Node's table maps to it, so every audited
    change of a node carries the global id `node(id:)` answers."""
    schema = _schema()
    nodes = {
        name
        for name, graphql_type in schema.type_map.items()  # type: ignore[attr-defined]
        if isinstance(graphql_type, GraphQLObjectType)
        and "Node" in {interface.name for interface in graphql_type.interfaces}
    }
    assert nodes == set(NODE_TYPE_OF_TABLE.values())


def _top_level_connections() -> list[str]:
    schema = _schema()
    query = schema.query_type  # type: ignore[attr-defined]
    return sorted(
        name
        for name, field in query.fields.items()
        if get_named_type(field.type).name.endswith("Connection")
        and not any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values())
    )


async def test_every_top_level_connection_counts_its_items(gql: GraphQLClient, tokens: Tokens) -> None:
    """Each connection a district admin or leader may read answers an integer `totalCount`."""
    counted: list[str] = []
    for role in (Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER):
        gql.headers = await tokens.headers("A", role)
        for name in _top_level_connections():
            body = await gql.raw(f"{{ {name}(first: 1) {{ totalCount }} }}")
            if "errors" in body:
                # Refused to the role, or needing an argument (`webhookDeliveries` names its subscription).
                assert body["errors"][0]["extensions"]["code"] in {"forbidden", "validation_failed"}, (
                    name,
                    body["errors"],
                )
                continue
            assert isinstance(body["data"][name]["totalCount"], int), (role, name)
            counted.append(name)
    assert len(set(counted)) >= 10, counted
