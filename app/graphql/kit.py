"""The GraphQL kit every area's module is written with: payloads, removal, the version input, global ids
in inputs, node resolution, and the one mutation runner.

An area's mutation is declarative: which input, which service function, which payload.

    _MEASURE = answered("MeasurePayload", measure=IndicatorType)

    update_measure = mutation(
        "Change a measure.", change(UpdateMeasureInput, _MEASURE, service.update_measure, IndicatorUpdate)
    )

and so are its queries (`listing`, `one`, `report`), nested fields (`children`, `follow`) and node
types (`node`, `node_resolver`).

`mutate` runs the service in the request's unit of work (one transaction per mutation field) and turns a
`DomainError` into the payload's `userErrors`; the arguments it is given are resolved inside that unit of
work, in order, so a bad global id or an input the request model refuses is reported like any other
domain error, and the first one wins, as it would written by hand.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from inspect import Parameter
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info
from strawberry.types.base import StrawberryList, StrawberryOptional

from app.core.errors import NotFound, PermissionDenied
from app.core.pagination import MAX_LIMIT, PageRequest
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.errors import UserError, run_mutation, validate_input
from app.graphql.loaders import load_nodes, node_uuids
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, node_uuid, page_request, parse_global_id, present_fields

P = TypeVar("P")
R = TypeVar("R")

EXPECTED_VERSION = "The version you read; a stale one is refused and nothing is written."
# The fields of an update input that name what to change, not how: never part of the request model.
VERSIONED = frozenset({"id", "expected_version"})


def version_field(description: str = EXPECTED_VERSION) -> Any:
    """The `expectedVersion` field of an update input (optimistic concurrency, as REST's `If-Match`)."""
    return strawberry.field(default=None, description=description)


@strawberry.type(description="The answer to a removal: the id of what is gone, or why nothing was.")
class RemovalPayload:
    removed_id: relay.GlobalID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def payload(name: str, *, description: str | None = None, **fields: Any) -> Any:
    """A mutation payload type: `payload("GoalPayload", goal=GoalType)` is

    @strawberry.type
    class GoalPayload:
        goal: GoalType | None = None
        user_errors: list[UserError] = strawberry.field(default_factory=list)
    """
    namespace: dict[str, Any] = dict.fromkeys(fields)
    namespace["__annotations__"] = {
        **{name_: type_ | None for name_, type_ in fields.items()},
        "user_errors": list[UserError],
    }
    namespace["user_errors"] = strawberry.field(default_factory=list)
    return strawberry.type(type(name, (), namespace), name=name, description=description)


def id_input(name: str, *, description: str | None = None) -> Any:
    """An input that names one object by its global id (`RemoveGoalInput { id }`)."""
    namespace = {"__annotations__": {"id": relay.GlobalID}}
    return strawberry.input(type(name, (), namespace), name=name, description=description)


RemoveInput = id_input("RemoveInput")


def choices(name: str, description: str | None, *values: str) -> Any:
    """A GraphQL enum that is the API's own, not a model's: `choices("DiffChange", "How …", "added",
    "removed")` is the `StrEnum` whose members are the values upper-cased (`DiffChange.ADDED`). For a
    schema's `Literal`: `choices("Corner", "A corner …", *get_args(Corner))`."""
    return strawberry.enum(
        StrEnum(name, {value.upper(): value for value in values}), name=name, description=description
    )


# --- converters: a row to its GraphQL type --------------------------------------------------------

T = TypeVar("T")


def converter(
    source: Any = None,
    /,
    *,
    ids: dict[str, str | tuple[str, str]] | None = None,
    **overrides: str | Callable[[Any], Any],
) -> Callable[[type[T]], type[T]]:
    """Give a strawberry type its `from_model(row)` (null for a null row): each constructor field is the
    row's attribute of the same name, except

    - `id` is `str(row.id)` and `database_id` is `row.id` (a Relay node and its REST UUID);
    - `ids={"plan_id": "Plan"}`: the global id of a `Plan` from `row.plan_id` (null for a null one; a list
      field maps each); `ids={"action_step_id": ("ActionStep", "id")}` takes it from another attribute;
    - `overrides`: a string is a Python expression in `row`, evaluated in the type's module
      (`person_uuid="row.person_id"`, `step="row"`); a callable is called with the row;
    - a field with a default that `source` (the model, schema or view the rows are) does not have keeps
      its default.

    The converter is generated once, here, as one plain function (`cls(id=str(row.id), title=row.title,
    ...)`): no reflection per row, as if written by hand. `source` is checked now, so a field the model
    does not have fails at import, not on the first query.
    """

    def decorate(cls: type[T]) -> type[T]:
        cls.from_model = classmethod(_build_converter(cls, source, ids or {}, overrides))  # type: ignore[attr-defined]
        return cls

    return decorate


def _has(source: Any, name: str) -> bool:
    if source is None:
        return True
    known = getattr(source, "model_fields", None) or getattr(source, "__dataclass_fields__", None) or {}
    return name in known or hasattr(source, name)


def _build_converter(
    cls: type, source: Any, ids: dict[str, str | tuple[str, str]], overrides: dict[str, Any]
) -> Callable[..., Any]:
    public = {f.python_name: f for f in cls.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    bound: dict[str, Any] = {"_GlobalID": relay.GlobalID}
    args: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not field.init:
            continue
        if name in overrides:
            value = overrides[name]
            if callable(value):
                bound[f"_f_{name}"] = value
                value = f"_f_{name}(row)"
            args.append(f"{name}={value}")
        elif name in ids:
            spec = ids[name]
            type_name, attribute = spec if isinstance(spec, tuple) else (spec, name)
            if not _has(source, attribute):
                raise TypeError(f"{cls.__name__}.{name}: {source!r} has no {attribute!r}")
            gid = f"_GlobalID({type_name!r}, str(v))"
            type_ = public[name].type
            if isinstance(type_, StrawberryList):
                args.append(f"{name}=[{gid} for v in row.{attribute}]")
            elif isinstance(type_, StrawberryOptional):
                args.append(f"{name}={gid} if (v := row.{attribute}) is not None else None")
            else:
                args.append(f"{name}=_GlobalID({type_name!r}, str(row.{attribute}))")
        elif name == "id":
            args.append("id=str(row.id)")
        elif name == "database_id":
            args.append("database_id=row.id")
        elif _has(source, name):
            args.append(f"{name}=row.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{name}: {source!r} has no {name!r}; map it")
    unknown = (set(overrides) | set(ids)) - {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if unknown:
        raise TypeError(f"{cls.__name__}: no fields {sorted(unknown)}")
    # A factory whose parameters the converter closes over; the expressions are evaluated in the type's
    # module (its names looked up when called, so a type defined further down is found).
    code = (
        f"def factory({', '.join(bound)}):\n"
        "    def from_model(cls, row):\n"
        "        if row is None:\n"
        "            return None\n"
        f"        return cls({', '.join(args)})\n"
        "    return from_model\n"
    )
    scope: dict[str, Any] = {}
    module = sys.modules[cls.__module__].__dict__
    exec(compile(code, f"<converter of {cls.__name__}>", "exec"), module, scope)  # noqa: S102
    converter = scope["factory"](**bound)
    converter.__qualname__ = f"{cls.__name__}.from_model"
    return converter


def node(
    name: str,
    description: str | None = None,
    source: Any = None,
    /,
    *,
    ids: dict[str, str | tuple[str, str]] | None = None,
    **overrides: str | Callable[[Any], Any],
) -> Callable[[type[T]], type[T]]:
    """A Relay node type: over a class that subclasses `relay.Node`,

        @node("Evidence", "Something pre-planning collected for a plan.", Evidence, ids={"plan_id": "Plan"})
        class EvidenceType(relay.Node):
            database_id: uuid.UUID
            ...

    is the strawberry type `Evidence` (with that description) whose first field is its `id: ID!` (the
    row's UUID inside), with the `converter` of `source` that `ids` and `overrides` say."""

    def decorate(cls: type[T]) -> type[T]:
        cls.__annotations__ = {"id": relay.NodeID[str], **inspect.get_annotations(cls)}
        typed = strawberry.type(cls, name=name, description=description)
        return converter(source, ids=ids, **overrides)(typed)

    return decorate


# --- update inputs derived from creation inputs ------------------------------------------------------


def changes_of(
    base: type, *, exclude: Iterable[str] = (), versioned: bool = True
) -> Callable[[type[T]], type[T]]:
    """Make the (not yet strawberry) input class it decorates an update input of the creation input
    `base`: `id` and `expectedVersion` first (unless `versioned=False`), then every field of `base` but
    `exclude`, optional and unset unless sent (PATCH semantics), with its description and GraphQL name;
    then the class's own fields (one named as a field of `base` replaces it, in its place). Put it
    under `@strawberry.input(...)`.

        @strawberry.input(description="Changes to a strategy: omitted fields stay as they are.")
        @changes_of(AddStrategyInput, exclude={"goal_id"})
        class UpdateStrategyInput:
            pass
    """
    skip = frozenset(exclude)

    def decorate(cls: type[T]) -> type[T]:
        own = dict(inspect.get_annotations(cls))
        annotations: dict[str, Any] = {}
        if versioned:
            annotations["id"] = relay.GlobalID
            annotations["expected_version"] = int | None
            cls.expected_version = version_field()  # type: ignore[attr-defined]
        for field in base.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            if field.python_name in skip:
                continue
            if field.python_name in own:  # said again, differently: in the base's place
                annotations[field.python_name] = own.pop(field.python_name)
                continue
            type_ = field.type
            annotations[field.python_name] = (
                type_ if isinstance(type_, StrawberryOptional) else (StrawberryOptional(type_))
            )
            setattr(
                cls,
                field.python_name,
                strawberry.field(
                    default=strawberry.UNSET,
                    name=field.graphql_name,
                    description=field.description,
                    deprecation_reason=field.deprecation_reason,
                ),
            )
        cls.__annotations__ = {**annotations, **own}
        return cls

    return decorate


# --- global ids in inputs ----------------------------------------------------------------------------


def ref(name: str, type_name: str) -> tuple[str, str, str]:
    """An input field holding a global id of `type_name`, for `fields(...)`/`with_ids`: its Python name,
    the type, and its GraphQL name (for the error's path)."""
    head, *rest = name.split("_")
    return name, type_name, head + "".join(word.title() for word in rest)


def with_ids(fields: dict[str, Any], *ids: tuple[str, str, str]) -> dict[str, Any]:
    """`fields` with the global ids it holds replaced by UUIDs: (Python name, type, GraphQL field name).

    An explicit null stays null (PATCH semantics); an id of another type is `NotFound` on that field (for
    a list of ids, on its place in the list).
    """
    for name, type_name, field_name in ids:
        value = fields.get(name)
        if isinstance(value, list):
            fields[name] = [parse_global_id(v, type_name, path=(name, i)) for i, v in enumerate(value)]
        elif value is not None:
            fields[name] = parse_global_id(value, type_name, field=field_name)
    return fields


@dataclass(frozen=True)
class Id:
    """A mutation argument: the UUID inside a global id of `type_name` (`NotFound` on `field` if not);
    None for a null one."""

    value: relay.GlobalID | None
    type_name: str
    field: str = "id"

    def resolve(self) -> uuid.UUID | None:
        # An optional id the client left null (or unset) stays None.
        if self.value is None or self.value is strawberry.UNSET:
            return None
        return parse_global_id(self.value, self.type_name, field=self.field)


@dataclass(frozen=True)
class Fields:
    """A mutation argument: the fields the client sent, global ids made UUIDs, validated against the
    request model REST uses (so the rules cannot drift). `exclude` are the input's fields that are not
    the model's (the parent's or the object's id, the expected version); `nested` are input objects
    within it, given as their sent fields too."""

    model: type[BaseModel]
    input: Any
    ids: tuple[tuple[str, str, str], ...] = ()
    exclude: frozenset[str] = VERSIONED
    nested: tuple[str, ...] = ()

    def resolve(self) -> BaseModel:
        sent = present_fields(self.input, exclude=self.exclude)
        for name in self.nested:
            if sent.get(name) is not None:
                sent[name] = present_fields(sent[name])
        return validate_input(self.model, with_ids(sent, *self.ids))


@dataclass(frozen=True)
class Made:
    """A mutation argument the area makes from its input itself (`make(input)`), in the unit of work, for
    inputs `Fields` cannot say (lists of nested objects, ids of several types)."""

    make: Callable[[Any], Any]
    input: Any

    def resolve(self) -> Any:
        return self.make(self.input)


def fields(
    model: type[BaseModel], input: Any, *ids: tuple[str, str, str], exclude: Iterable[str] = ()
) -> Fields:
    """`Fields` of `input` for `model`, without the id, the expected version and `exclude`."""
    return Fields(model, input, ids, VERSIONED | frozenset(exclude))


def _resolve(arg: Any) -> Any:
    return arg.resolve() if isinstance(arg, (Id, Fields, Made)) else arg


# --- payloads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer(Generic[P]):
    """How a mutation answers: its payload type, and which field of it the service's result fills,
    converted by `convert` (without a field, `convert` gives all the payload's fields by name). A domain
    error answers the same payload with only `userErrors`."""

    payload: Callable[..., P]
    field: str | None = None
    convert: Callable[[Any], Any] | None = None

    @property
    def type_name(self) -> str:
        """The GraphQL type of the object the payload answers (the type its converter belongs to): what
        the input's `id` of a change to it names."""
        owner = getattr(self.convert, "__self__", None)
        if owner is None:
            raise TypeError(f"{self.payload!r}: its answer is not one object's; name the type")
        return owner.__strawberry_definition__.name

    def ok(self, result: Any) -> P:
        if self.field is None:
            return self.payload(**self.convert(result)) if self.convert else self.payload()
        return self.payload(**{self.field: self.convert(result) if self.convert else result})

    def failed(self, errors: list[UserError]) -> P:
        return self.payload(user_errors=errors)


def answer(payload: Callable[..., P], **converted: Callable[[Any], Any]) -> Answer[P]:
    """`answer(MeasurePayload, measure=IndicatorType.from_model)`: the payload's one result field."""
    if not converted:
        return Answer(payload)
    ((name, convert),) = converted.items()
    return Answer(payload, name, convert)


def answered(name: str, *, convert: Callable[[Any], Any] | None = None, **field: Any) -> Answer[Any]:
    """A payload and its answer in one: `answered("GoalPayload", goal=GoalType)` is the answer of
    `payload("GoalPayload", goal=GoalType)` that fills `goal` with `GoalType.from_model(result)` (or
    `convert(result)`)."""
    ((name_, type_),) = field.items()
    return Answer(payload(name, **field), name_, convert or type_.from_model)


# --- the mutation runner -----------------------------------------------------------------------------


async def mutate(
    info: Info[Context, None],
    answer: Answer[P],
    call: Callable[..., Awaitable[Any]],
    *args: Any,
    **kwargs: Any,
) -> P:
    """`call(session, principal, *args, **kwargs)` in the request's unit of work, answered by `answer`.

    `Id` and `Fields` arguments are resolved in the unit of work, in order; a `DomainError` from them
    or from the service rolls back and answers `userErrors`."""

    async def work(session: AsyncSession) -> P:
        resolved = [_resolve(arg) for arg in args]
        named = {name: _resolve(value) for name, value in kwargs.items()}
        return answer.ok(await call(session, info.context.principal, *resolved, **named))

    return await run_mutation(info.context, work, answer.failed)


REMOVED: Answer[RemovalPayload] = Answer(RemovalPayload)


async def remove(
    info: Info[Context, None], call: Callable[..., Awaitable[Any]], input: Any, type_name: str, *args: Any
) -> RemovalPayload:
    """A removal: `call(session, principal, id, *args)`, answered with the id that is gone."""
    removed = Answer(RemovalPayload, "removed_id", lambda _: input.id)
    return await mutate(info, removed, call, Id(input.id, type_name), *args)


# --- mutation fields ---------------------------------------------------------------------------------
# An area's mutation in one statement: what it does for the caller (its description), then how: which
# input, which service function, how it answers. Each is the mutation field `name(input: Input!):
# Payload!` for an authenticated caller that the hand-written `async def name(self, info, input)` was:
#
#     add_evidence = mutation(
#         "Add evidence pre-planning collected for a plan.",
#         create(AddEvidenceInput, _EVIDENCE, service.add_evidence, EvidenceCreate)
#         .under("plan_id", "Plan")
#         .ids(exemplar_school_id="School"),
#     )


@dataclass(frozen=True)
class Write:
    """How a mutation resolves its `input`: `kind` says what it does with the service's `call` (create,
    change, act, remove; see the functions of those names), answered by `answer`."""

    kind: str
    input: type
    answer: Answer[Any]
    call: Callable[..., Awaitable[Any]]
    model: type[BaseModel] | Callable[[Any], Any] | None = None
    type_name: str | None = None
    parent: tuple[str, str, str] | None = None
    refs: tuple[tuple[str, str, str], ...] = ()
    inner: tuple[str, ...] = ()
    versioned: bool = True

    def under(self, name: str, type_name: str) -> Write:
        """Created under the `type_name` the input's field `name` holds the global id of (the parent's
        id is the service's argument before the data, not part of the request model)."""
        return dataclasses.replace(self, parent=ref(name, type_name))

    def ids(self, *refs: tuple[str, str, str], **named: str) -> Write:
        """The input's fields that hold global ids: `ref(...)` tuples, or `owner_person_id="Person"`."""
        more = tuple(ref(name, type_name) for name, type_name in named.items())
        return dataclasses.replace(self, refs=self.refs + refs + more)

    def nested(self, *names: str) -> Write:
        """The input's fields that are input objects, given to the request model as their sent fields."""
        return dataclasses.replace(self, inner=self.inner + names)

    def unversioned(self) -> Write:
        """A change whose input has no `expectedVersion` (the service is not given one)."""
        return dataclasses.replace(self, versioned=False)

    async def run(self, info: Info[Context, None], input: Any) -> Any:
        if self.kind == "remove":
            return await remove(info, self.call, input, self.type_name)
        if self.kind == "act":
            return await mutate(info, self.answer, self.call, Id(input.id, self.type_name))
        args: list[Any] = []
        exclude = VERSIONED
        if self.kind == "change":
            args.append(Id(input.id, self.type_name))
        elif self.parent is not None:
            name, type_name, field = self.parent
            args.append(Id(getattr(input, name), type_name, field))
            exclude |= {name}
        if isinstance(self.model, type) and issubclass(self.model, BaseModel):
            args.append(Fields(self.model, input, self.refs, exclude, self.inner))
        else:
            args.append(Made(self.model, input))  # type: ignore[arg-type]
        if self.kind == "change" and self.versioned:
            return await mutate(info, self.answer, self.call, *args, expected_version=input.expected_version)
        return await mutate(info, self.answer, self.call, *args)


def mutation(description: str, write: Write) -> Any:
    """The mutation field that `write` resolves, with its description."""

    async def resolve(self: Any, info: Any, input: Any) -> Any:
        return await write.run(info, input)

    resolve.__annotations__ = {
        "info": Info[Context, None],
        "input": write.input,
        "return": write.answer.payload,
    }
    return strawberry.mutation(resolver=resolve, permission_classes=AUTHENTICATED, description=description)


def create(
    input: type,
    answer: Answer[Any],
    call: Callable[..., Awaitable[Any]],
    model: type[BaseModel] | Callable[[Any], Any],
) -> Write:
    """A new object from the input's fields, validated against the request model REST uses:
    `call(session, principal, data)`, or `call(session, principal, parent_id, data)` `.under(...)` one.
    `model` may instead be a function that makes the service's argument from the input (see `Made`)."""
    return Write("create", input, answer, call, model)


def change(
    input: type,
    answer: Answer[Any],
    call: Callable[..., Awaitable[Any]],
    model: type[BaseModel] | Callable[[Any], Any],
) -> Write:
    """A versioned change of the object the payload answers, named by the input's `id`:
    `call(session, principal, id, data, expected_version=…)` (`model` as for `create`)."""
    return Write("change", input, answer, call, model, answer.type_name)


def act(input: type, answer: Answer[Any], call: Callable[..., Awaitable[Any]]) -> Write:
    """A step in the life of the object the payload answers, named by the input's `id` (close,
    publish, withdraw): `call(session, principal, id)`."""
    return Write("act", input, answer, call, type_name=answer.type_name)


def removal(input: type, call: Callable[..., Awaitable[Any]], type_name: str) -> Write:
    """The removal of the `type_name` the input's `id` names (see `remove`)."""
    return Write("remove", input, REMOVED, call, type_name=type_name)


# --- reads -------------------------------------------------------------------------------------------


async def read(info: Info[Context, None], call: Callable[..., Awaitable[R]], *args: Any, **kwargs: Any) -> R:
    """`call(session, principal, *args, **kwargs)` on the request's read session (no unit of work:
    nothing is written, nothing committed)."""
    async with info.context.session() as session:
        return await call(session, info.context.principal, *args, **kwargs)


async def audited_read(
    info: Info[Context, None], call: Callable[..., Awaitable[R]], *args: Any, **kwargs: Any
) -> R:
    """`read` for what the service audits as it reads (coaching cycles, observations, feedback): in a
    unit of work that commits, so the audit rows are kept."""
    async with info.context.transaction() as session:
        return await call(session, info.context.principal, *args, **kwargs)


# --- query fields ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """An argument of a query field: its GraphQL type (nullable, null by default, unless it has another
    `default` or is `required`), and for a global id the type it must name (the resolver is given the
    UUID; an id of another type is `NotFound` on the argument)."""

    type: Any
    node: str | None = None
    name: str | None = None
    description: str | None = None
    default: Any = None
    required: bool = False

    def annotation(self) -> Any:
        type_ = relay.GlobalID if self.node is not None else self.type
        if not self.required and self.default is None:
            type_ = type_ | None
        if self.name is None and self.description is None:
            return type_
        return Annotated[type_, strawberry.argument(name=self.name, description=self.description)]

    def parameter(self, python_name: str) -> Parameter:
        default = Parameter.empty if self.required else self.default
        return Parameter(python_name, Parameter.KEYWORD_ONLY, default=default, annotation=self.annotation())

    def value(self, python_name: str, given: Any) -> Any:
        if self.node is None or given is None:
            return given
        return parse_global_id(given, self.node, field=self.name or ref(python_name, self.node)[2])


def arg(type_: Any, *, name: str | None = None, description: str | None = None, default: Any = None) -> Arg:
    """An argument of `type_`, given to the resolver as sent."""
    return Arg(type_, None, name, description, default)


def id_arg(type_name: str, *, description: str | None = None, required: bool = False) -> Arg:
    """An argument holding the global id of a `type_name`."""
    return Arg(relay.GlobalID, type_name, None, description, required=required)


def _field(
    resolve: Callable[..., Any],
    parameters: list[Parameter],
    returns: Any,
    description: str,
    metadata: dict[str, Any] | None,
) -> Any:
    """The top-level field for an authenticated caller that `resolve(self, info, **parameters)` answers."""
    parameters = [
        Parameter("self", Parameter.POSITIONAL_OR_KEYWORD),
        Parameter("info", Parameter.POSITIONAL_OR_KEYWORD, annotation=Info[Context, None]),
        *parameters,
    ]
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    resolve.__annotations__ = {p.name: p.annotation for p in parameters[1:]} | {"return": returns}
    return strawberry.field(
        resolver=resolve, permission_classes=AUTHENTICATED, description=description, metadata=metadata
    )


def _check_filter(filter: Callable[..., Any] | None, arguments: dict[str, Arg]) -> None:
    if filter is not None:
        unknown = set(arguments) - set(inspect.signature(filter).parameters)
        if unknown:
            raise TypeError(f"{filter!r} has no {sorted(unknown)}")


def listing(
    description: str,
    node: Any,
    call: Callable[..., Awaitable[Any]],
    filter: Callable[..., Any] | None = None,
    *,
    convert: str = "from_model",
    updated_since: bool = True,
    audited: bool = False,
    metadata: dict[str, Any] | None = None,
    **arguments: Arg,
) -> Any:
    """A top-level list field for an authenticated caller, as a connection of `node`:

        plans = listing("Plans you can read, oldest first.", PlanType, service.list_plans,
                        service.PlanFilter, school_id=id_arg("School"), status=arg(PlanStatusEnum))

    is `plans(first: Int = 50, after: String, updatedSince: DateTime, schoolId: ID, status: PlanStatus):
    PlanConnection!`, resolved as `call(session, principal, page, PlanFilter(school_id=…, status=…))` on
    the read session (`audited=True`: see `audited_read`; without `filter`, the arguments are `call`'s
    keyword arguments). `updated_since=False` leaves that argument out."""
    _check_filter(filter, arguments)
    reader = audited_read if audited else read

    async def resolve(
        self: Any, info: Any, first: Any = 50, after: Any = None, updated_since: Any = None, **given: Any
    ) -> Any:
        page = page_request(first, after, updated_since)
        values = {name: spec.value(name, given.get(name, spec.default)) for name, spec in arguments.items()}
        if filter is None:
            result = await reader(info, call, page, **values)
        else:
            result = await reader(info, call, page, filter(**values))
        return Connection.from_page(result, getattr(node, convert))

    parameters = [
        Parameter("first", Parameter.POSITIONAL_OR_KEYWORD, default=50, annotation=int | None),
        Parameter("after", Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=str | None),
    ]
    if updated_since:
        parameters.append(
            Parameter(
                "updated_since", Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=datetime | None
            )
        )
    parameters += [spec.parameter(name) for name, spec in arguments.items()]
    return _field(resolve, parameters, Connection[node], description, metadata)


def report(
    description: str,
    returns: Any,
    call: Callable[..., Awaitable[Any]],
    filter: Callable[..., Any] | None = None,
    *,
    convert: str = "from_model",
    metadata: dict[str, Any] | None = None,
    audited: bool = False,
    missing_is_null: bool = False,
    **arguments: Arg,
) -> Any:
    """A top-level field for an authenticated caller answering one computed `returns` (a summary, a
    rollup): `call(session, principal, filter(**arguments))` on the read session (`audited`: see
    `audited_read`), or with the arguments as keyword arguments without `filter`, converted by
    `returns`' `convert` classmethod. `missing_is_null`: about an object its id argument names, null
    for an id of another type or what is not there for the caller (`NotFound`), as `node` answers."""
    _check_filter(filter, arguments)
    reader = audited_read if audited else read

    async def resolve(self: Any, info: Any, **given: Any) -> Any:
        try:
            values = {
                name: spec.value(name, given.get(name, spec.default)) for name, spec in arguments.items()
            }
            if filter is None:
                result = await reader(info, call, **values)
            else:
                result = await reader(info, call, filter(**values))
        except NotFound:
            if missing_is_null:
                return None
            raise
        return getattr(returns, convert)(result)

    parameters = [spec.parameter(name) for name, spec in arguments.items()]
    return _field(resolve, parameters, returns | None if missing_is_null else returns, description, metadata)


def one(description: str, node: Any, loader_name: str, factory: Any, *, convert: str = "from_model") -> Any:
    """A top-level field answering one `node` by its global id through the request's loader (see
    `node_by_id`): `plan(id: ID!): Plan`."""
    type_name = node.__strawberry_definition__.name

    async def resolve(self: Any, info: Any, id: relay.GlobalID) -> Any:
        return await node_by_id(info, id, type_name, loader_name, factory, getattr(node, convert))

    resolve.__annotations__ = {"info": Info[Context, None], "id": relay.GlobalID, "return": node | None}
    return strawberry.field(resolver=resolve, permission_classes=AUTHENTICATED, description=description)


def one_as_node(description: str, node: Any) -> Any:
    """A top-level field answering one `node` by its global id as `node(id:)` does, through the type's
    own `resolve_nodes` (an audited read, for one): null for an id of another type, one that does not
    exist, or one the caller may not read."""
    type_name = node.__strawberry_definition__.name

    async def resolve(self: Any, info: Any, id: relay.GlobalID) -> Any:
        if node_uuid(id, type_name) is None:
            return None
        (found,) = await node.resolve_nodes(info=info, node_ids=[id.node_id])
        return found

    resolve.__annotations__ = {"info": Info[Context, None], "id": relay.GlobalID, "return": node | None}
    return strawberry.field(resolver=resolve, permission_classes=AUTHENTICATED, description=description)


# --- nested connections ------------------------------------------------------------------------------


def children(
    node: Any,
    loader_name: str,
    factory: Any,
    *,
    convert: str = "from_model",
    updated_since: bool = True,
    nullable: bool = False,
    **field: Any,
) -> Any:
    """A connection field of an object's children, read for many parents at once through the
    request's `loader_name` loader (a `page_per_parent` factory) by the parent's `database_id`:

        measures = children(IndicatorType, "measures_by_initiative", measures_by_initiative,
                            description="The measures of its public value, oldest first.")

    is the field `measures(first: Int = 50, after: String, updatedSince: DateTime): IndicatorConnection!`
    (`updated_since=False` leaves that argument out; `nullable=True` lets a refusal answer null)."""

    async def resolve(
        self: Any, info: Any, first: Any = 50, after: Any = None, updated_since: Any = None
    ) -> Any:
        page = page_request(first, after, updated_since)
        result = await info.context.loader(loader_name, factory).load((self.database_id, page))
        return Connection.from_page(result, getattr(node, convert))

    async def resolve_without_since(self: Any, info: Any, first: Any = 50, after: Any = None) -> Any:
        return await resolve(self, info, first, after)

    returns: Any = Connection[node] | None if nullable else Connection[node]
    resolver: Any = resolve if updated_since else resolve_without_since
    resolver.__annotations__ = {
        "info": Info[Context, None],
        "first": int | None,
        "after": str | None,
        **({"updated_since": datetime | None} if updated_since else {}),
        "return": returns,
    }
    return strawberry.field(resolver=resolver, **field)


def computed(
    description: str,
    returns: Any,
    call: Callable[..., Awaitable[Any]],
    *,
    weight: int,
    convert: str = "from_model",
) -> Any:
    """A field computed by the service for one object, `call(session, principal, database_id)` on the
    read session, priced `weight` objects each time it is asked (see `app.graphql.cost`): a client asks
    for it on one object, not on a long list."""

    async def resolve(self: Any, info: Any) -> Any:
        return getattr(returns, convert)(await read(info, call, self.database_id))

    resolve.__annotations__ = {"info": Info[Context, None], "return": returns}
    return strawberry.field(resolver=resolve, description=description, metadata=cost(weight))


# --- references ---------------------------------------------------------------------------------------


def follow(
    description: str,
    node: Any,
    loader_name: str,
    factory: Any,
    key: str,
    *,
    convert: str = "from_model",
    refused_is_null: bool = False,
) -> Any:
    """The field of the object a row's foreign key names, read for many rows at once through the
    request's `loader_name` loader by the row's private UUID attribute `key`; null when the key is
    null, or when the loader finds nothing there for the caller (or, `refused_is_null`, refuses the
    caller the kind):

        school = follow("The school, for a school's plan.", SchoolType, "school_by_id", school_by_id,
                        "school_uuid")

    `node` may be the name of a type the calling module defines further down (`"PlanType"`)."""
    module = sys._getframe(1).f_globals if isinstance(node, str) else None

    async def resolve(self: Any, info: Any) -> Any:
        row_id = getattr(self, key)
        if row_id is None:
            return None
        try:
            row = await info.context.loader(loader_name, factory).load(row_id)
        except PermissionDenied:
            if refused_is_null:
                return None
            raise
        return getattr(module[node] if module is not None else node, convert)(row)

    if module is not None:  # the name is looked up in the calling module, when the schema is built
        resolve.__module__ = module["__name__"]
        resolve.__annotations__ = {"info": Info[Context, None], "return": f"{node} | None"}
    else:
        resolve.__annotations__ = {"info": Info[Context, None], "return": node | None}
    return strawberry.field(resolver=resolve, description=description)


# Short lists of children are read as one page this long.
ALL = PageRequest(limit=MAX_LIMIT)


def few_children(
    node: Any, loader_name: str, factory: Any, *, convert: str = "from_model", **field: Any
) -> Any:
    """A plain list field of an object's few children (collaborators, sign-offs): the first `MAX_LIMIT`,
    read for many parents at once through the request's `loader_name` loader (a `page_per_parent`
    factory) by the parent's `database_id`."""

    async def resolve(self: Any, info: Any) -> Any:
        page = await info.context.loader(loader_name, factory).load((self.database_id, ALL))
        to_node = getattr(node, convert)
        return [to_node(row) for row in page.items]

    resolve.__annotations__ = {"info": Info[Context, None], "return": list[node]}
    return strawberry.field(resolver=resolve, **field)


# --- node resolution ---------------------------------------------------------------------------------


def node_resolver(
    loader_name: str, factory: Any, *, via: str = "loader", convert: str = "from_model", audited: bool = False
) -> Any:
    """A Relay type's `resolve_nodes`: through the request's `loader_name` loader (see `load_nodes`; a
    refusal of the whole kind resolves to nulls with `via="load_nodes"`, is an error with `via="loader"`),
    converting each row with the type's `convert` classmethod; `audited`: the loader's reads are
    audited, so they run in a unit of work that commits."""
    refused_is_null = via == "load_nodes"

    async def resolve_nodes(
        cls: Any, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        to_node = getattr(cls, convert)
        if not audited:
            return await load_nodes(
                info, loader_name, factory, node_ids, to_node, refused_is_null=refused_is_null
            )
        async with info.context.transaction():
            return await load_nodes(
                info, loader_name, factory, node_ids, to_node, refused_is_null=refused_is_null
            )

    return classmethod(resolve_nodes)


def node_resolver_via_service(fetch: Any, *, convert: str = "from_model") -> Any:
    """A Relay type's `resolve_nodes` through the service's `fetch(session, principal, id)`, one id at
    a time (see `nodes_via_service`), converting each with the type's `convert` classmethod."""

    async def resolve_nodes(
        cls: Any, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await nodes_via_service(info, fetch, node_ids, getattr(cls, convert))

    return classmethod(resolve_nodes)


async def node_by_id(
    info: Info[Context, None],
    id: relay.GlobalID,
    type_name: str,
    loader_name: str,
    factory: Any,
    convert: Any,
) -> Any:
    """One object by its global id through the request's loader; null for an id of another type, one
    that does not exist, or one the caller may not read (Relay's `node` semantics)."""
    row_id = node_uuid(id, type_name)
    if row_id is None:
        return None
    return convert(await info.context.loader(loader_name, factory).load(row_id))


def audited_node_resolver(fetch: Any, *, convert: str = "from_model") -> Any:
    """A Relay type's `resolve_nodes` for objects whose every read is audited (coaching cycles,
    feedback results): `fetch(session, principal, ids) -> {id: row}` runs in a unit of work that
    commits, so the audit rows are kept; what is not found or not visible resolves to null."""

    async def resolve_nodes(
        cls: Any, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = node_uuids(node_ids)
        async with info.context.transaction() as session:
            found = await fetch(session, info.context.principal, [i for i in ids if i is not None])
        to_node = getattr(cls, convert)
        return [to_node(found[i]) if i is not None and i in found else None for i in ids]

    return classmethod(resolve_nodes)


async def nodes_via_service(
    info: Info[Context, None], fetch: Any, node_ids: Iterable[str], convert: Any
) -> list[Any]:
    """Relay node resolution through the service, one id at a time (the service applies the policy);
    what is not there or not visible resolves to null."""
    results: list[Any] = []
    async with info.context.session() as session:
        for node_id in node_ids:
            try:
                results.append(convert(await fetch(session, info.context.principal, uuid.UUID(node_id))))
            except (ValueError, NotFound, PermissionDenied):
                results.append(None)
    return results


# --- added by helper b ---


async def mutate_arguments(
    info: Info[Context, None], answer: Answer[P], call: Callable[..., Awaitable[Any]], *args: Any
) -> P:
    """`mutate` for a mutation that takes plain arguments, not an `input`: user errors name the
    argument itself (`path: ["id"]`), not `input.id`."""

    async def work(session: AsyncSession) -> P:
        resolved = [_resolve(arg) for arg in args]
        return answer.ok(await call(session, info.context.principal, *resolved))

    return await run_mutation(info.context, work, answer.failed, under=None)


def lookup(
    description: str,
    returns: Any,
    call: Callable[..., Awaitable[Any]],
    convert: Callable[[Any], Any],
    *,
    node: str,
    id_name: str = "id",
    metadata: dict[str, Any] | None = None,
    **arguments: Arg,
) -> Any:
    """A top-level field answering one thing about the `node` its `id_name` argument names, for an
    authenticated caller: `call(session, principal, uuid, **arguments)` on the read session, converted
    by `convert`; null for an id of another type, and when the service finds nothing there for the
    caller (`NotFound`), as Relay's `node` answers.

        plan_dashboard = lookup("A plan at a glance…", PlanDashboardType, dashboard.dashboard_view,
                                PlanDashboardType.from_model, node="Plan", id_name="plan_id")
    """

    async def resolve(self: Any, info: Any, **given: Any) -> Any:
        row_id = node_uuid(given[id_name], node)
        if row_id is None:
            return None
        values = {name: spec.value(name, given.get(name)) for name, spec in arguments.items()}
        try:
            found = await read(info, call, row_id, **values)
        except NotFound:
            return None
        return convert(found)

    parameters = [
        Parameter("self", Parameter.POSITIONAL_OR_KEYWORD),
        Parameter("info", Parameter.POSITIONAL_OR_KEYWORD, annotation=Info[Context, None]),
        Parameter(id_name, Parameter.KEYWORD_ONLY, annotation=relay.GlobalID),
    ]
    parameters += [
        Parameter(name, Parameter.KEYWORD_ONLY, default=None, annotation=spec.annotation())
        for name, spec in arguments.items()
    ]
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=returns | None)  # type: ignore[attr-defined]
    resolve.__annotations__ = {p.name: p.annotation for p in parameters[1:]} | {"return": returns | None}
    return strawberry.field(
        resolver=resolve, permission_classes=AUTHENTICATED, description=description, metadata=metadata
    )


def mutation_by(
    description: str, input: type, answer: Answer[Any], call: Callable[..., Awaitable[Any]]
) -> Any:
    """A mutation field whose `call(session, principal, input)` reads the input itself, for the few
    whose input does not map onto one request model (nested inputs, ids whose type depends on another
    field): run as `mutate` runs it, so what it raises is a user error like any other."""

    async def resolve(self: Any, info: Any, input: Any) -> Any:
        return await mutate(info, answer, call, input)

    resolve.__annotations__ = {"info": Info[Context, None], "input": input, "return": answer.payload}
    return strawberry.mutation(resolver=resolve, permission_classes=AUTHENTICATED, description=description)
