"""Compiled execution of GraphQL queries: cost per object, not per field.

graphql-core's interpreter walks every field of every object through the same general machinery
(resolve info, argument coercion, awaitable checks, value completion): some twenty microseconds a field,
so a plan page of ~200 objects and ~3,000 fields spends tens of milliseconds before any SQL runs. Front
ends send the same few operations again and again, so, the way graphql-jit and PostGraphile do, a query
is compiled once into a plan and the plan runs it from then on:

- the first time a query document arrives it runs through the interpreter as usual (parsing, the abuse
  limits and validation included); if it validated, it is compiled and the plan is kept, keyed by the
  document's text and operation name;
- a plan knows, for each selection, exactly what each field is: a plain attribute (read with
  `getattr`), a computed attribute (a resolver that needs nothing but its object), a Relay id, the type
  name, or a resolver that must be called (a connection, a lookup, anything with arguments or
  permission classes). Only the last kind goes through strawberry's resolver pipeline, with the same
  permission checks, argument conversion and DataLoaders as the interpreter. A query runs level by
  level: the resolvers of every object of a level are started together and driven in the request's
  own task (no task per object), so each loader batches one query per level (see "Levels" below);
- errors are located, shaped and null-propagated as the GraphQL specification says, so a compiled
  answer equals the interpreter's for every caller (tests compare the two for every role).

Mutations, subscriptions, abstract types (interfaces, unions), directives and introspection are left to
the interpreter: they are rare on hot paths, and the plan refuses them at compile time rather than
approximating them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from binascii import b2a_base64
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import Context, copy_context
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    located_error,
    parse,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.language import Visitor
from graphql.pyutils import Path
from strawberry import relay
from strawberry.types import ExecutionResult, Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

logger = logging.getLogger(__name__)

_DEFINITION = "strawberry-definition"  # where strawberry keeps its field on a graphql-core field

# What a field is, decided at compile time. Kinds from _RESOLVER on call a resolver, which may await.
_PLAIN = 0  # an attribute of the object
_COMPUTED = 1  # a synchronous resolver that takes nothing but the object
_NODE_ID = 2  # Relay's global id: the type name and the object's id attribute
_TYPENAME = 3  # __typename
_RESOLVER = 4  # anything else: strawberry's resolver pipeline (permissions, arguments, info)
_DIRECT = 5  # a resolver with scalar arguments only and no permissions: called with the same arguments

# Scalars whose coerced value is what strawberry hands a resolver, unchanged.
_PLAIN_ARGUMENT_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID", "DateTime", "Date", "UUID"})


_MISSING = object()


def _base64(text: str) -> str:
    return b2a_base64(text.encode(), newline=False).decode()


class NotCompilable(Exception):
    """The document uses something the plan leaves to the interpreter."""


class _NullBubble(Exception):
    """A non-null position resolved to null: its parent becomes null, up to the nearest nullable one."""


@dataclass(slots=True)
class _Completion:
    """How to turn a resolved value into its response: a leaf, a list, or an object selection."""

    nullable: bool
    serialize: Callable[[Any], Any] | None = None
    item: _Completion | None = None
    selection: _Selection | None = None
    is_async: bool = False


@dataclass(slots=True)
class _Field:
    key: str
    name: str
    nodes: list[FieldNode]
    kind: int
    completion: _Completion
    field_def: GraphQLField
    parent_type: GraphQLObjectType
    attr: str | None = None
    compute: Callable[..., Any] | None = None
    static_arguments: dict[str, Any] | None = None
    # For _DIRECT: GraphQL argument name -> the resolver's parameter, and whether it takes `info`.
    parameter_names: dict[str, str] | None = None
    wants_info: bool = False
    strawberry_field: StrawberryField | None = None


@dataclass(slots=True)
class _Selection:
    type_name: str
    fields: list[_Field] = field(default_factory=list)
    is_async: bool = False
    # Per field, in order: (response key, the attribute when it is a plain leaf else None, its
    # serializer, whether it may be null, the field). Plain leaves are most of any response.
    steps: list[tuple[str, str | None, Any, bool, _Field]] = field(default_factory=list)


@dataclass(slots=True)
class QueryPlan:
    """A compiled query operation."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: _Selection
    root_type: GraphQLObjectType
    # The operation's price (`app.graphql.cost`) by its variables' values: a pure function of the
    # two, so a front end's repeated operation is priced once.
    costs: dict[bytes, Any] = field(default_factory=dict)


# --- compiling ---------------------------------------------------------------------------------------


def compile_query(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> QueryPlan:
    """A plan for the query operation of an already validated `document`; `NotCompilable` otherwise."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise NotCompilable("ambiguous operation")
        operation = operations[0]
    else:
        named = [o for o in operations if o.name is not None and o.name.value == operation_name]
        if len(named) != 1:
            raise NotCompilable("unknown operation")
        operation = named[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise NotCompilable("only queries are compiled")
    root_type = schema.query_type
    if root_type is None:
        raise NotCompilable("no query type")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    compiler = _Compiler(schema, fragments)
    root = compiler.selection(root_type, [operation.selection_set])
    return QueryPlan(operation=operation, fragments=fragments, root=root, root_type=root_type)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def selection(self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> _Selection:
        grouped: OrderedDict[str, list[FieldNode]] = OrderedDict()
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped, set())
        selection = _Selection(type_name=object_type.name)
        for key, nodes in grouped.items():
            compiled = self._field(object_type, key, nodes)
            selection.fields.append(compiled)
            selection.steps.append(_step(compiled, object_type.name))
            if compiled.kind >= _RESOLVER or compiled.completion.is_async:
                selection.is_async = True
        return selection

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: OrderedDict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for node in selection_set.selections:
            if node.directives:
                raise NotCompilable("directives are left to the interpreter")
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                grouped.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                if node.type_condition is None or self._applies(node.type_condition.name.value, object_type):
                    self._collect(object_type, node.selection_set, grouped, visited)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments[name]
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect(object_type, fragment.selection_set, grouped, visited)

    def _applies(self, type_name: str, object_type: GraphQLObjectType) -> bool:
        condition = self.schema.get_type(type_name)
        if condition is object_type:
            return True
        return condition is not None and self.schema.is_sub_type(condition, object_type)  # type: ignore[arg-type]

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> _Field:
        name = nodes[0].name.value
        if name == "__typename":
            return _Field(
                key, name, nodes, _TYPENAME, _Completion(nullable=False), GraphQLField(parent), parent
            )
        field_def = parent.fields.get(name)
        if field_def is None:
            raise NotCompilable(f"{parent.name}.{name} is not a field (introspection?)")
        completion = self._completion(field_def.type, nodes)
        compiled = _Field(key, name, nodes, _RESOLVER, completion, field_def, parent)
        strawberry_field = (field_def.extensions or {}).get(_DEFINITION)
        if not isinstance(strawberry_field, StrawberryField):
            raise NotCompilable(f"{parent.name}.{name} is not a strawberry field")
        if strawberry_field.extensions or strawberry_field.permission_classes:
            pass  # permissions and extensions run in strawberry's pipeline
        elif strawberry_field.base_resolver is None:
            compiled.kind, compiled.attr = _PLAIN, strawberry_field.python_name
        elif (attr := _relay_id_attribute(parent, name, strawberry_field)) is not None:
            compiled.kind, compiled.attr = _NODE_ID, attr
        elif (compute := _computed(strawberry_field)) is not None:
            compiled.kind, compiled.compute = _COMPUTED, compute
        elif (parameters := _direct_parameters(field_def, strawberry_field)) is not None:
            compiled.kind, compiled.parameter_names = _DIRECT, parameters
            compiled.compute = strawberry_field.base_resolver.wrapped_func  # type: ignore[union-attr]
            compiled.wants_info = strawberry_field.base_resolver.info_parameter is not None  # type: ignore[union-attr]
            compiled.strawberry_field = strawberry_field
        if compiled.kind >= _RESOLVER and not _uses_variables(nodes):
            compiled.static_arguments = get_argument_values(field_def, nodes[0], {})
        return compiled

    def _completion(self, graphql_type: GraphQLOutputType, nodes: list[FieldNode]) -> _Completion:
        nullable = True
        if isinstance(graphql_type, GraphQLNonNull):
            nullable, graphql_type = False, graphql_type.of_type
        if isinstance(graphql_type, GraphQLList):
            item = self._completion(graphql_type.of_type, nodes)
            return _Completion(nullable=nullable, item=item, is_async=item.is_async)
        if isinstance(graphql_type, GraphQLScalarType | GraphQLEnumType):
            return _Completion(nullable=nullable, serialize=_serializer(graphql_type))
        if isinstance(graphql_type, GraphQLObjectType):
            selection = self.selection(graphql_type, [n.selection_set for n in nodes if n.selection_set])
            return _Completion(nullable=nullable, selection=selection, is_async=selection.is_async)
        raise NotCompilable(f"abstract type {graphql_type}")


def _step(compiled: _Field, type_name: str) -> tuple[str, str | None, Any, bool, _Field]:
    """How a selection reads one field: inline for plain leaves and Relay ids, else the general way."""
    completion = compiled.completion
    if compiled.kind is _PLAIN and completion.serialize is not None:
        return compiled.key, compiled.attr, completion.serialize, completion.nullable, compiled
    if compiled.kind is _NODE_ID:
        prefix = f"{type_name}:"

        def global_id(raw: Any) -> str:
            return _base64(prefix + str(raw))

        return compiled.key, compiled.attr, global_id, False, compiled
    return compiled.key, None, None, completion.nullable, compiled


def _serializer(graphql_type: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    """The type's own serializer, short-circuited for values that are already what it would return."""
    serialize = graphql_type.serialize
    native = _NATIVE_SCALARS.get(graphql_type.name) if isinstance(graphql_type, GraphQLScalarType) else None
    if graphql_type.name == "ID":

        def id_or_serialize(value: Any) -> Any:
            if type(value) is relay.GlobalID:  # what strawberry's to_base64 makes of it
                return _base64(f"{value.type_name}:{value.node_id}")
            return value if type(value) is str else serialize(value)

        return id_or_serialize
    wrapped = getattr(graphql_type, "wrapped_cls", None)
    if isinstance(graphql_type, GraphQLEnumType) and isinstance(wrapped, type):
        # Strawberry names a member by the first value equal to the member's value.
        names: dict[Any, str] = {}
        for name, enum_value in graphql_type.values.items():
            for member in wrapped:  # type: ignore[attr-defined]
                if member.value == enum_value.value:
                    names.setdefault(member, name)

        def name_or_serialize(value: Any) -> Any:
            name = names.get(value) if type(value) is wrapped else None
            return name if name is not None else serialize(value)

        return name_or_serialize
    if native is None:
        return serialize
    if native is int:
        # GraphQL's Int is 32-bit: anything else goes to the serializer, which refuses it.
        def int_or_serialize(value: Any) -> Any:
            if type(value) is int and -2_147_483_648 <= value <= 2_147_483_647:
                return value
            return serialize(value)

        return int_or_serialize

    def native_or_serialize(value: Any) -> Any:
        return value if type(value) is native else serialize(value)

    return native_or_serialize


# Built-in scalars whose serializer returns a value of this exact type unchanged.
_NATIVE_SCALARS: dict[str, type] = {"String": str, "Boolean": bool, "Int": int, "Float": float}


def _relay_id_attribute(
    parent: GraphQLObjectType, name: str, strawberry_field: StrawberryField
) -> str | None:
    """The attribute holding the node id, when `name` is the `id` of a Relay node with the default
    id and type-name resolution (so the global id is simply the type name and that attribute)."""
    if name != "id":
        return None
    definition = (parent.extensions or {}).get(_DEFINITION)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    origin = definition.origin
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    if origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__:  # type: ignore[attr-defined]
        return None
    if origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__:  # type: ignore[attr-defined]
        return None
    try:
        return origin.resolve_id_attr()
    except Exception:
        return None


def _computed(strawberry_field: StrawberryField) -> Callable[[Any], Any] | None:
    """A resolver that takes only its object (no info, no arguments) and is not a coroutine."""
    resolver = strawberry_field.base_resolver
    if resolver is None or resolver.is_async or strawberry_field.arguments:
        return None
    if any(
        p is not None for p in (resolver.info_parameter, resolver.root_parameter, resolver.parent_parameter)
    ):
        return None
    function = resolver.wrapped_func
    if not inspect.isfunction(function) or resolver.self_parameter is None:
        return None
    return function


def _direct_parameters(field_def: GraphQLField, strawberry_field: StrawberryField) -> dict[str, str] | None:
    """For a method resolver whose arguments are all plain scalars: GraphQL name -> parameter name.

    Such a resolver gets from strawberry exactly the values graphql-core coerced, under its own
    parameter names, so it can be called directly; anything else (input objects, enums, lists, a
    `root` or `Parent` parameter) goes through strawberry's pipeline.
    """
    resolver = strawberry_field.base_resolver
    if resolver is None or resolver.self_parameter is None:
        return None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    if len(field_def.args) != len(strawberry_field.arguments):
        return None
    names: dict[str, str] = {}
    for (graphql_name, argument), strawberry_argument in zip(
        field_def.args.items(), strawberry_field.arguments, strict=True
    ):
        argument_type = argument.type
        if isinstance(argument_type, GraphQLNonNull):
            argument_type = argument_type.of_type
        if (
            not isinstance(argument_type, GraphQLScalarType)
            or argument_type.name not in _PLAIN_ARGUMENT_SCALARS
        ):
            return None
        names[graphql_name] = strawberry_argument.python_name
    return names


class _VariableFinder(Visitor):
    found = False

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.found = True


def _uses_variables(nodes: Iterable[FieldNode]) -> bool:
    """Whether a field's arguments name a variable (then they are coerced per request, else once)."""
    for node in nodes:
        finder = _VariableFinder()
        for argument in node.arguments or ():
            visit(argument, finder)
        if finder.found:
            return True
    return False


# --- running -----------------------------------------------------------------------------------------


class PlanRun:
    """One execution of a plan: its variables, context, and the errors it meets."""

    __slots__ = (
        "calls",
        "context",
        "deaths",
        "errors",
        "fragments",
        "info_extras",
        "operation",
        "root_value",
        "schema",
        "variables",
    )

    def __init__(
        self,
        schema: GraphQLSchema,
        plan: QueryPlan,
        variables: dict[str, Any],
        context: Any,
        root_value: Any,
    ) -> None:
        self.schema = schema
        self.operation = plan.operation
        self.fragments = plan.fragments
        self.variables = variables
        self.context = context
        self.root_value = root_value
        self.errors: list[GraphQLError] = []
        self.info_extras = _info_extras()
        self.calls: list[_Call] = []  # resolvers queued for the next round
        self.deaths = 0  # how many times a null propagated (until then nothing is below a null)

    # Objects --------------------------------------------------------------------------------------

    def object_sync(self, selection: _Selection, source: Any, path: Path | None) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, attribute, serialize, nullable, compiled in selection.steps:
            if attribute is not None:
                # A plain leaf, inline (most of any response). Anything unusual (a missing
                # attribute, a null where none may be, a value the serializer refuses) takes the
                # general path, which reports it as the interpreter would.
                value = getattr(source, attribute, _MISSING)
                if value is None:
                    if nullable:
                        result[key] = None
                        continue
                elif value is not _MISSING:
                    try:
                        result[key] = serialize(value)
                        continue
                    except Exception:  # noqa: S110
                        pass
            result[key] = self._field_sync(compiled, source, path)
        return result

    def _field_sync(self, compiled: _Field, source: Any, path: Path | None) -> Any:
        try:
            kind = compiled.kind
            if kind is _PLAIN:
                value = getattr(source, compiled.attr)  # type: ignore[arg-type]
            elif kind is _NODE_ID:
                value = relay.GlobalID(compiled.parent_type.name, str(getattr(source, compiled.attr)))  # type: ignore[arg-type]
            elif kind is _TYPENAME:
                return compiled.parent_type.name
            else:
                value = compiled.compute(source)  # type: ignore[misc]
            return self.complete_sync(compiled.completion, value, compiled, path, compiled.key)
        except _NullBubble:
            if compiled.completion.nullable:
                return None
            raise
        except Exception as exc:
            return self._fail(compiled, path, compiled.key, exc)

    # Levels ---------------------------------------------------------------------------------------
    #
    # A query with resolvers runs level by level rather than object by object: completing an object
    # answers its leaves at once and queues its resolver fields; once nothing is left to complete, the
    # queued resolvers of every object are started together (so each DataLoader gets the whole level's
    # keys in one batch) and driven to completion in this one task, without a task or a gather per
    # object; their values are completed in turn, queueing the next level. Null propagation climbs
    # `_Place`s, since an object's dict is in the response before the fields below it are resolved.

    async def run(self, selection: _Selection, root_value: Any) -> dict[str, Any] | None:
        holder: dict[str, Any] = {"data": None}
        root = _Place(holder, "data", True, None)
        data: dict[str, Any] = {}
        holder["data"] = data
        self.fill_object(selection, root_value, None, data, root)
        while self.calls:
            calls, self.calls = self.calls, []
            await self._round(calls)
        return holder["data"]  # type: ignore[no-any-return]

    def fill_object(
        self, selection: _Selection, source: Any, path: Path | None, result: dict[str, Any], place: _Place
    ) -> None:
        """Complete the object whose (empty) dict `result` stands at `place`: leaves now, resolver
        fields queued for the next round."""
        for key, attribute, serialize, nullable, compiled in selection.steps:
            if attribute is not None:
                # A plain leaf, inline (most of any response). Anything unusual (a missing
                # attribute, a null where none may be, a value the serializer refuses) takes the
                # general path, which reports it as the interpreter would.
                value = getattr(source, attribute, _MISSING)
                if value is None:
                    if nullable:
                        result[key] = None
                        continue
                elif value is not _MISSING:
                    try:
                        result[key] = serialize(value)
                        continue
                    except Exception:  # noqa: S110
                        pass
            kind = compiled.kind
            if kind >= _RESOLVER:
                result[key] = None  # keeps the response's key order
                self.calls.append(_Call(compiled, source, path, result, place))
                continue
            if not compiled.completion.is_async:
                try:
                    result[key] = self._field_sync(compiled, source, path)
                except _NullBubble:
                    self._null_at(place)
                    return
                continue
            # A plain or computed attribute with resolvers below it (a connection's edges, say).
            result[key] = None
            try:
                value = getattr(source, compiled.attr) if kind is _PLAIN else compiled.compute(source)  # type: ignore[arg-type, misc]
            except Exception as exc:
                self._fail_at(compiled, path, key, exc, result, place, compiled.completion.nullable)
            else:
                self._fill(compiled.completion, value, compiled, path, result, key, place)
            if place.dead:
                return

    def _fill(
        self,
        completion: _Completion,
        value: Any,
        compiled: _Field,
        path: Path | None,
        container: Any,
        key: str | int,
        up: _Place,
    ) -> None:
        """Put the response for `value` at `container[key]`, a position inside the value at `up`."""
        if value is None:
            if completion.nullable:
                container[key] = None
            else:
                self._null_error(compiled, path, key)
                self._null_at(up)
            return
        if not completion.is_async:
            try:
                container[key] = self.complete_sync(completion, value, compiled, path, key)
            except _NullBubble:
                if completion.nullable:
                    container[key] = None
                else:
                    self._null_at(up)
            except Exception as exc:
                self._fail_at(compiled, path, key, exc, container, up, completion.nullable)
            return
        if completion.item is not None:
            try:
                elements = list(value)
            except Exception as exc:
                self._fail_at(compiled, path, key, exc, container, up, completion.nullable)
                return
            items: list[Any] = [None] * len(elements)
            container[key] = items
            place = _Place(container, key, completion.nullable, up)
            item = completion.item
            list_path = Path(path, key, None)
            for index, element in enumerate(elements):
                self._fill(item, element, compiled, list_path, items, index, place)
                if place.dead:
                    return
            return
        result: dict[str, Any] = {}
        container[key] = result
        place = _Place(container, key, completion.nullable, up)
        self.fill_object(completion.selection, value, Path(path, key, None), result, place)  # type: ignore[arg-type]

    async def _round(self, calls: list[_Call]) -> None:
        """Call the queued resolvers, all started before any is awaited, and complete their values."""
        waiting: list[_Call] = []
        for call in calls:
            if self.deaths and self._dropped(call):
                continue  # below a null: the interpreter would not resolve it either
            try:
                value = self._start(call)
            except Exception as exc:
                self._call_failed(call, exc)
                continue
            if type(value) is not CoroutineType:
                if not inspect.isawaitable(value):
                    self._deliver(call, value)
                    continue
                value = _awaited(value)
            call.coroutine = value
            call.context = copy_context()
            self._step(call, waiting)
        while waiting:
            blocked = [call.future for call in waiting if call.future is not None and not call.future.done()]
            if len(blocked) == len(waiting):
                await _first_done(blocked)
            still: list[_Call] = []
            for call in waiting:
                future = call.future
                if future is not None and not future.done():
                    still.append(call)
                else:
                    self._step(call, still)
            waiting = still

    def _step(self, call: _Call, waiting: list[_Call]) -> None:
        """Run `call`'s coroutine to its next suspension, as a task would (in its own context, so
        context variables and the session's statement lock tell the resolvers apart)."""
        try:
            yielded = call.context.run(call.coroutine.send, None)  # type: ignore[union-attr]
        except StopIteration as stop:
            self._deliver(call, stop.value)
            return
        except Exception as exc:
            self._call_failed(call, exc)
            return
        if yielded is not None:
            if not getattr(yielded, "_asyncio_future_blocking", False):
                call.coroutine.close()  # type: ignore[union-attr]
                self._call_failed(call, RuntimeError(f"a resolver yielded {yielded!r}, not a future"))
                return
            yielded._asyncio_future_blocking = False
        call.future = yielded
        waiting.append(call)

    def _start(self, call: _Call) -> Any:
        compiled, source, path = call.compiled, call.source, call.path
        arguments = compiled.static_arguments
        if arguments is None:
            arguments = get_argument_values(compiled.field_def, compiled.nodes[0], self.variables)
        if compiled.kind is _DIRECT:
            names = compiled.parameter_names
            keywords = {names[name]: value for name, value in arguments.items()}  # type: ignore[index]
            if compiled.wants_info:
                raw = self._info(compiled, Path(path, compiled.key, compiled.parent_type.name))
                keywords["info"] = Info(_raw_info=raw, _field=compiled.strawberry_field)  # type: ignore[arg-type]
            return compiled.compute(source, **keywords)  # type: ignore[misc]
        info = self._info(compiled, Path(path, compiled.key, compiled.parent_type.name))
        return compiled.field_def.resolve(source, info, **arguments)  # type: ignore[misc]

    @staticmethod
    def _dropped(call: _Call) -> bool:
        """Whether `call`'s object was nulled (or something above it was). The interpreter cancels
        what is still running below a null, so it reports only the first error that nulls an object:
        such a resolver is not started, or its value and error are dropped when it ends (it is left
        to finish rather than cancelled: it may be half-way through a statement on the request's
        connection)."""
        return call.place.gone()

    def _deliver(self, call: _Call, value: Any) -> None:
        if self.deaths and self._dropped(call):
            return
        compiled = call.compiled
        self._fill(compiled.completion, value, compiled, call.path, call.result, compiled.key, call.place)

    def _call_failed(self, call: _Call, exc: Exception) -> None:
        if self.deaths and self._dropped(call):
            return
        compiled = call.compiled
        self._fail_at(
            compiled, call.path, compiled.key, exc, call.result, call.place, compiled.completion.nullable
        )

    def _fail_at(
        self,
        compiled: _Field,
        path: Path | None,
        key: str | int,
        exc: Exception,
        container: Any,
        up: _Place,
        nullable: bool,
    ) -> None:
        """Record the error at its path; null the position, or what holds it when it may not be null."""
        self.errors.append(
            located_error(exc, compiled.nodes, Path(path, key, compiled.parent_type.name).as_list())
        )
        if nullable:
            container[key] = None
        else:
            self._null_at(up)

    def _null_at(self, place: _Place | None) -> None:
        """A null where `place`'s value had a non-null field: the nearest nullable position from
        there up becomes null, and everything below it is dropped."""
        self.deaths += 1
        while place is not None:
            place.dead = True
            if place.nullable:
                place.container[place.key] = None
                return
            place = place.up

    def _info(self, compiled: _Field, path: Path) -> GraphQLResolveInfo:
        return GraphQLResolveInfo(
            compiled.name,
            compiled.nodes,
            compiled.field_def.type,
            compiled.parent_type,
            path,
            self.schema,
            self.fragments,
            self.root_value,
            self.operation,
            self.variables,
            self.context,
            *self.info_extras,
        )

    # Values ---------------------------------------------------------------------------------------

    def complete_sync(
        self, completion: _Completion, value: Any, compiled: _Field, path: Path | None, key: str | int
    ) -> Any:
        if value is None:
            return self._null(completion, compiled, path, key)
        if completion.serialize is not None:
            return completion.serialize(value)
        if completion.item is not None:
            item = completion.item
            list_path = Path(path, key, None)
            items = []
            for index, element in enumerate(value):
                try:
                    items.append(self.complete_sync(item, element, compiled, list_path, index))
                except _NullBubble:
                    if not item.nullable:
                        raise
                    items.append(None)
            return items
        return self.object_sync(completion.selection, value, Path(path, key, None))  # type: ignore[arg-type]

    def _null(self, completion: _Completion, compiled: _Field, path: Path | None, key: str | int) -> None:
        """A null: fine where null may stand; else an error there, as the interpreter reports it, and
        the null propagates."""
        if completion.nullable:
            return
        self._null_error(compiled, path, key)
        raise _NullBubble

    def _null_error(self, compiled: _Field, path: Path | None, key: str | int) -> None:
        # graphql-core raises a TypeError here (so the client sees it masked, as an internal error).
        message = f"Cannot return null for non-nullable field {compiled.parent_type.name}.{compiled.name}."
        self.errors.append(
            located_error(
                TypeError(message), compiled.nodes, Path(path, key, compiled.parent_type.name).as_list()
            )
        )

    def _fail(self, compiled: _Field, path: Path | None, key: str | int, exc: Exception) -> None:
        error = located_error(exc, compiled.nodes, Path(path, key, compiled.parent_type.name).as_list())
        self.errors.append(error)
        if compiled.completion.nullable:
            return
        raise _NullBubble from exc


class _Place:
    """Where a value with resolvers below it stands in the response (`container[key]`), whether null
    may stand there, and the place of what holds it: a null propagates by climbing these."""

    __slots__ = ("container", "dead", "key", "nullable", "up")

    def __init__(self, container: Any, key: str | int, nullable: bool, up: _Place | None) -> None:
        self.container = container
        self.key = key
        self.nullable = nullable
        self.up = up
        self.dead = False  # nulled, or a null propagated through it

    def gone(self) -> bool:
        """Whether this place, or one above it, was nulled."""
        place: _Place | None = self
        while place is not None:
            if place.dead:
                return True
            place = place.up
        return False


class _Call:
    """A resolver field of one object, queued for the next round, and its coroutine once started."""

    __slots__ = ("compiled", "context", "coroutine", "future", "path", "place", "result", "source")

    def __init__(
        self, compiled: _Field, source: Any, path: Path | None, result: dict[str, Any], place: _Place
    ) -> None:
        self.compiled = compiled
        self.source = source
        self.path = path
        self.result = result  # the object's dict, where the field's value goes
        self.place = place  # the object's place
        self.coroutine: Any = None
        self.context: Context | None = None
        self.future: Any = None


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _first_done(futures: list[Any]) -> None:
    """Wait until one of `futures` is done (as `asyncio.wait(..., FIRST_COMPLETED)`, without its
    tasks and sets)."""
    waiter = asyncio.get_running_loop().create_future()

    def wake(_: Any) -> None:
        if not waiter.done():
            waiter.set_result(None)

    for future in futures:
        future.add_done_callback(wake)
    try:
        await waiter
    finally:
        for future in futures:
            future.remove_done_callback(wake)


def _info_extras() -> tuple[Any, ...]:
    """The trailing fields of `GraphQLResolveInfo` that vary between graphql-core releases."""
    extras: list[Any] = []
    for name in GraphQLResolveInfo._fields[11:]:  # after `context`
        extras.append(inspect.isawaitable if name == "is_awaitable" else None)
    return tuple(extras)


async def run_plan(
    schema: GraphQLSchema, plan: QueryPlan, variables: dict[str, Any], context: Any, root_value: Any
) -> tuple[dict[str, Any] | None, list[GraphQLError]]:
    """Execute `plan`; the data (None when a non-null root field failed) and the located errors."""
    run = PlanRun(schema, plan, variables, context, root_value)
    if plan.root.is_async:
        data: dict[str, Any] | None = await run.run(plan.root, root_value)
    else:
        try:
            data = run.object_sync(plan.root, root_value, None)
        except _NullBubble:
            data = None
    return data, run.errors


def coerce_variables(
    schema: GraphQLSchema, plan: QueryPlan, raw: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The operation's variables coerced as graphql-core would; None when they are not acceptable (the
    interpreter then reports why)."""
    coerced = get_variable_values(schema, plan.operation.variable_definitions or [], raw or {})
    if isinstance(coerced, list):
        return None
    return coerced


class PlanCache:
    """Compiled plans by (document text, operation name), least recently used dropped first.

    The key is the exact text a client sent: a document is compiled only after the interpreter has
    parsed and validated that very text, so a plan never runs a document the limits did not check.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[tuple[str, str | None], QueryPlan | None] = OrderedDict()
        self.runs = 0  # how many requests a plan answered (read by tests and operators)

    def get(self, key: tuple[str, str | None]) -> QueryPlan | bool | None:
        """The plan, None when the document is left to the interpreter, False when not seen yet."""
        try:
            plan = self._plans[key]
        except KeyError:
            return False
        self._plans.move_to_end(key)
        return plan

    def put(self, key: tuple[str, str | None], plan: QueryPlan | None) -> None:
        self._plans[key] = plan
        self._plans.move_to_end(key)
        while len(self._plans) > self.maxsize:
            self._plans.popitem(last=False)

    def __len__(self) -> int:
        return len(self._plans)


def compile_text(schema: GraphQLSchema, query: str, operation_name: str | None) -> QueryPlan | None:
    """A plan for `query`, or None when it is left to the interpreter."""
    try:
        return compile_query(schema, parse(query), operation_name)
    except (NotCompilable, GraphQLError):
        return None
    except Exception:
        # A document the compiler mishandles is a bug here, never the client's problem: the
        # interpreter keeps answering it.
        logger.exception("could not compile a GraphQL query; the interpreter will run it")
        return None


def result_of(data: dict[str, Any] | None, errors: list[GraphQLError]) -> ExecutionResult:
    return ExecutionResult(data=data, errors=errors or None)
