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
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
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
    pricing.selection(root, [operation.selection_set], 1, frozenset())
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


# A field of the response, as the executor collects it: the type it is read on and every node that
# asks it under one response key (fragments that overlap ask the same field more than once).
_Collected = dict[tuple[str, str], tuple[Any, list[FieldNode]]]


class _Pricing:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.objects = 0
        self.weight = 0
        self.introspection = _introspection_sizes(schema)

    def collect(
        self, parent: Any, selection_sets: list[SelectionSetNode], spread: frozenset[str]
    ) -> _Collected:
        """The fields `selection_sets` ask on objects of `parent`, through fragments, merged by
        response key as the executor merges them: a field that several fragments ask is read once.
        Fragments on an abstract type's members are kept apart by the type they narrow to, and each
        is priced as if it applied (an upper bound)."""
        found: _Collected = {}
        for selection_set in selection_sets:
            self._collect_into(found, parent, selection_set, spread)
        return found

    def _collect_into(
        self, found: _Collected, parent: Any, selection_set: SelectionSetNode, spread: frozenset[str]
    ) -> None:
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                key = (getattr(parent, "name", ""), (node.alias or node.name).value)
                found.setdefault(key, (parent, []))[1].append(node)
            elif isinstance(node, InlineFragmentNode):
                self._collect_into(
                    found, self.narrowed(parent, node.type_condition), node.selection_set, spread
                )
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in spread:  # validation refuses cycles; be safe
                    narrowed = self.narrowed(parent, fragment.type_condition)
                    self._collect_into(found, narrowed, fragment.selection_set, spread | {name})

    def selection(
        self, parent: Any, selection_sets: list[SelectionSetNode], count: int, spread: frozenset[str]
    ) -> None:
        """Price `selection_sets` (merged) on `count` objects of type `parent`."""
        for field_parent, nodes in self.collect(parent, selection_sets, spread).values():
            self.field(field_parent, nodes, count, spread)

    def narrowed(self, parent: Any, condition: Any) -> Any:
        """The type a fragment's fields are read on: its type condition, when it names one."""
        if condition is None:
            return parent
        return self.schema.get_type(condition.name.value) or parent

    def field(self, parent: Any, nodes: list[FieldNode], count: int, spread: frozenset[str]) -> None:
        node = nodes[0]  # fields merged under one key have the same name and arguments (validation)
        definition = _field(parent, node.name.value)
        if definition is None:
            return  # `__typename`, or a member-only field of an abstract type
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        declared = getattr(strawberry_field, "metadata", None) or {}
        self.weight += count * int(declared.get(COST_KEY, 0))
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if not selection_sets:
            return  # a leaf: read with its object
        named = get_named_type(definition.type)
        if _is_connection(named):
            page = self.page_size(node, definition)
            self.objects += count * page
            self.connection(named, selection_sets, count * page, count, spread)
            return
        items = count * (self.list_size(parent, node) if _is_list(definition.type) else 1)
        self.objects += items
        self.selection(named, selection_sets, items, spread)

    def list_size(self, parent: Any, node: FieldNode) -> int:
        """The objects a plain list is priced at: one per id of a list asked by `ids` (`nodes`);
        introspection's lists at their mean size in this schema (so reading the whole schema is priced
        at what it holds); others at `LIST_ESTIMATE`."""
        argument = next((a for a in node.arguments or () if a.name.value == "ids"), None)
        if argument is not None:
            value: Any = argument.value
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
            elif isinstance(value, ListValueNode):
                value = value.values
            return len(value) if isinstance(value, list | tuple) else 1
        return self.introspection.get((getattr(parent, "name", ""), node.name.value), LIST_ESTIMATE)

    def connection(
        self,
        connection: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        nodes: int,
        connections: int,
        spread: frozenset[str],
    ) -> None:
        """`edges { node }` and `nodes` number a page's objects; `pageInfo`, `totalCount` and the like
        are one per connection."""
        for parent, fields in self.collect(connection, selection_sets, spread).values():
            definition = _field(parent, fields[0].name.value)
            sets = [f.selection_set for f in fields if f.selection_set is not None]
            if definition is None or not sets:
                continue
            named = get_named_type(definition.type)
            if fields[0].name.value == "edges" and isinstance(named, GraphQLObjectType):
                for edge_parent, edge_fields in self.collect(named, sets, spread).values():
                    edge_definition = _field(edge_parent, edge_fields[0].name.value)
                    edge_sets = [f.selection_set for f in edge_fields if f.selection_set is not None]
                    if edge_definition is not None and edge_sets:
                        self.selection(get_named_type(edge_definition.type), edge_sets, nodes, spread)
            elif _is_list(definition.type):
                self.selection(named, sets, nodes, spread)
            else:
                self.selection(named, sets, connections, spread)

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
    """`name` on an object or interface type (introspection's `__schema` and `__type` on the root);
    None for `__typename` and unions (whose fields are only read through fragments on their
    members)."""
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    return None


_INTROSPECTION_SIZES: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], int]] = WeakKeyDictionary()


def _introspection_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """The mean length of each introspection list in `schema` (at least 1): `__Schema.types` is the
    number of types, `__Type.fields` the fields per type, `__Field.args` the arguments per field, …
    so `__schema { types { fields { args } } }` is priced at about what it returns."""
    known = _INTROSPECTION_SIZES.get(schema)
    if known is not None:
        return known
    types = list(schema.type_map.values())
    fields = [
        f for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) for f in t.fields.values()
    ]
    input_fields = [f for t in types if isinstance(t, GraphQLInputObjectType) for f in t.fields.values()]
    enum_values = [v for t in types if isinstance(t, GraphQLEnumType) for v in t.values.values()]
    interfaces = [
        i for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) for i in t.interfaces
    ]
    possible = [m for t in types if isinstance(t, GraphQLUnionType) for m in t.types]
    possible += interfaces  # an interface's possible types mirror who implements it
    directives = list(schema.directives)

    def mean(total: int, over: int) -> int:
        return max(1, -(-total // max(1, over)))

    arguments = sum(len(f.args) for f in fields)
    sizes = {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(directives),
        ("__Type", "fields"): mean(len(fields), len(types)),
        ("__Type", "inputFields"): mean(len(input_fields), len(types)),
        ("__Type", "enumValues"): mean(len(enum_values), len(types)),
        ("__Type", "interfaces"): mean(len(interfaces), len(types)),
        ("__Type", "possibleTypes"): mean(len(possible), len(types)),
        ("__Field", "args"): mean(arguments, len(fields)),
        ("__Directive", "args"): mean(sum(len(d.args) for d in directives), len(directives)),
        ("__Directive", "locations"): 1,  # leaves
    }
    _INTROSPECTION_SIZES[schema] = sizes
    return sizes


def _is_connection(named: Any) -> bool:
    return isinstance(named, GraphQLObjectType) and "pageInfo" in named.fields and "edges" in named.fields


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)
