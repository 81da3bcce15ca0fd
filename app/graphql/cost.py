"""What a GraphQL operation may cost, known before any SQL runs.

Depth, aliases and tokens bound a document's size, not the work it asks for: `first: 200` at four
nested levels is a short document and 1.6 billion objects. So, in the manner of GitHub's GraphQL API,
every operation is priced from its document and variables before it executes:

- every connection's page size is `first` (or `last`), defaulted as the schema declares and at most
  `MAX_LIMIT`; the objects a connection may return are its page size times the objects its parent may
  number, so nested connections multiply;
- a plain list (one that is not a connection) is priced at `LIST_ESTIMATE` objects: such lists hold a
  plan's checkpoints, a walkthrough's levels, small things by design;
- an object field counts one object; a field computed per object (a plan's progress, its policy check,
  its document) adds the weight it declares with `cost(n)` for each object it is asked on, since it
  runs queries of its own;
- the sum is the operation's cost. Above `graphql_max_cost` the operation is refused with code
  `query_too_costly` and nothing runs; every answer carries its cost in `extensions.cost`.

The price is an upper bound, like GitHub's: a connection whose page is not full costs less to run than
it was priced at, and a client lowers the price by asking for the page it will show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)

from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

# The objects a list that is not a connection is priced at.
LIST_ESTIMATE = 10
# Where strawberry fields keep their declared weight (`strawberry.field(metadata=cost(n))`).
COST_KEY = "triangle.cost"
_PAGE_ARGUMENTS = ("first", "last")


def cost(weight: int) -> dict[str, int]:
    """Field metadata declaring that the field costs `weight` objects each time it is resolved: for
    fields computed per object with queries of their own."""
    return {COST_KEY: weight}


@dataclass(frozen=True, slots=True)
class OperationCost:
    """An operation's price: `objects` it may read, `weight` of what it computes, `total` of both."""

    objects: int
    weight: int
    limit: int

    @property
    def total(self) -> int:
        return self.objects + self.weight

    def extension(self) -> dict[str, int]:
        """`extensions.cost` of the answer."""
        return {
            "requested": self.total,
            "objects": self.objects,
            "computed": self.weight,
            "limit": self.limit,
        }

    def refusal(self) -> GraphQLError | None:
        if self.total <= self.limit:
            return None
        return GraphQLError(
            f"This operation may cost {self.total:,} (objects it may read, plus fields computed per "
            f"object); the limit is {self.limit:,}. Ask for smaller pages with `first`, fewer nested "
            "connections, or computed fields (progress, policyCheck, document …) on one object at a time.",
            extensions={"code": "query_too_costly", "cost": self.extension()},
        )


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limit: int,
) -> OperationCost | None:
    """The price of the operation `operation_name` of a validated `document`; None when there is no
    such operation (the executor reports that)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return price(schema, operation, fragments, variables, limit)


def price(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
    limit: int,
) -> OperationCost | None:
    """The price of `operation`, as `operation_cost` says."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    pricing = _Pricing(schema, fragments, _with_defaults(operation, variables or {}))
    pricing.selection(root, operation.selection_set, 1, frozenset())
    return OperationCost(objects=pricing.objects, weight=pricing.weight, limit=limit)


def _with_defaults(operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The variables as the operation runs with them: a variable left out takes the default its
    definition declares (`query($n: Int = 200)` runs pages of 200 when `$n` is not sent), while one
    sent, null included, keeps its value."""
    effective = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in effective and definition.default_value is not None:
            effective[name] = value_from_ast_untyped(definition.default_value)
    return effective


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class _Pricing:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.objects = 0
        self.weight = 0

    def selection(
        self, parent: Any, selection_set: SelectionSetNode, count: int, spread: frozenset[str]
    ) -> None:
        """Price `selection_set` on `count` objects of type `parent`. Fragments on an abstract type's
        members are priced as if each applied (an upper bound)."""
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                self.field(parent, node, count, spread)
            elif isinstance(node, InlineFragmentNode):
                self.selection(self.narrowed(parent, node.type_condition), node.selection_set, count, spread)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in spread:  # validation refuses cycles; be safe
                    narrowed = self.narrowed(parent, fragment.type_condition)
                    self.selection(narrowed, fragment.selection_set, count, spread | {name})

    def narrowed(self, parent: Any, condition: Any) -> Any:
        """The type a fragment's fields are read on: its type condition, when it names one."""
        if condition is None:
            return parent
        return self.schema.get_type(condition.name.value) or parent

    def field(self, parent: Any, node: FieldNode, count: int, spread: frozenset[str]) -> None:
        definition = _field(parent, node.name.value)
        if definition is None:
            return  # `__typename` and introspection fields, or a member-only field of an abstract type
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        declared = getattr(strawberry_field, "metadata", None) or {}
        self.weight += count * int(declared.get(COST_KEY, 0))
        if node.selection_set is None:
            return  # a leaf: read with its object
        named = get_named_type(definition.type)
        if _is_connection(named):
            page = self.page_size(node, definition)
            self.objects += count * page
            self.connection(named, node.selection_set, count * page, count, spread)
            return
        items = count * (LIST_ESTIMATE if _is_list(definition.type) else 1)
        self.objects += items
        self.selection(named, node.selection_set, items, spread)

    def connection(
        self,
        connection: GraphQLObjectType,
        selection_set: SelectionSetNode,
        nodes: int,
        connections: int,
        spread: frozenset[str],
    ) -> None:
        """`edges { node }` and `nodes` number a page's objects; `pageInfo`, `totalCount` and the like
        are one per connection."""
        for node in _fields(selection_set, self.fragments, spread):
            definition = _field(connection, node.name.value)
            if definition is None or node.selection_set is None:
                continue
            named = get_named_type(definition.type)
            if node.name.value == "edges" and isinstance(named, GraphQLObjectType):
                for edge_field in _fields(node.selection_set, self.fragments, spread):
                    edge_definition = _field(named, edge_field.name.value)
                    if edge_definition is not None and edge_field.selection_set is not None:
                        self.selection(
                            get_named_type(edge_definition.type), edge_field.selection_set, nodes, spread
                        )
            elif _is_list(definition.type):
                self.selection(named, node.selection_set, nodes, spread)
            else:
                self.selection(named, node.selection_set, connections, spread)

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        """`first` or `last` as asked (a literal or a variable), else the field's default; bounded by
        what a page may hold (a value outside it is refused by the field itself)."""
        for name in _PAGE_ARGUMENTS:
            argument = next((a for a in node.arguments or () if a.name.value == name), None)
            if argument is None:
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, min(value, MAX_LIMIT))
            return MAX_LIMIT if value is not None else DEFAULT_LIMIT
        declared = definition.args.get("first")
        default = getattr(declared, "default_value", None)
        return min(default, MAX_LIMIT) if isinstance(default, int) else DEFAULT_LIMIT


def _field(parent: Any, name: str) -> GraphQLField | None:
    """`name` on an object or interface type; None for `__typename`, introspection, and unions (whose
    fields are only read through fragments on their members)."""
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    return None


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], spread: frozenset[str]
) -> list[FieldNode]:
    """The field nodes of `selection_set`, through fragments."""
    found: list[FieldNode] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            found.append(node)
        elif isinstance(node, InlineFragmentNode):
            found.extend(_fields(node.selection_set, fragments, spread))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in spread:
                found.extend(_fields(fragment.selection_set, fragments, spread | {name}))
    return found


def _is_connection(named: Any) -> bool:
    return isinstance(named, GraphQLObjectType) and "pageInfo" in named.fields and "edges" in named.fields


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)
