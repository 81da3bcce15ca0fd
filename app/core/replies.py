"""REST replies written once: JSON bytes from what a read returned, without a second validation.

A route that returns a value makes FastAPI validate it against the `response_model` and serialize it;
a route that returned `XPublic.model_validate(row)` has already validated it once. Here a reply is
encoded once, as `Response` bytes (FastAPI passes a `Response` through untouched), in one of two ways:

- **Straight from our own rows.** When the value is a read row of a table (`app.core.rows`) and the
  public model is a plain projection of that table's columns (same names, same Python types, no
  validators, serializers or aliases of its own), validation could change nothing: the row
  came from our database through the column's own type. The row's values are encoded by orjson,
  which writes every such type exactly as pydantic does (UTC as `Z`, microseconds only when there
  are some, enums by value, decimals and UUIDs as strings); `tests/core/test_replies.py` holds the
  two to the same bytes for every public model this path serves.
- **Through the model**, for everything else (entities, views, computed fields): one pydantic
  `TypeAdapter` validates from attributes and writes JSON, as FastAPI would have.

The `response_model` each route declares stays the contract (OpenAPI is generated from it); this only
changes how many times the answer is checked against it.
"""

from __future__ import annotations

import datetime as dt
import enum
import keyword
import operator
import types
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any, Union, get_args, get_origin

import annotated_types
import orjson
from pydantic import BaseModel, StringConstraints, TypeAdapter
from sqlalchemy import String, TypeDecorator, inspect
from starlette.responses import Response

from app.core.rows import ReadRow

MEDIA_TYPE = "application/json"
_OPTIONS = orjson.OPT_UTC_Z  # pydantic writes a zero UTC offset as `Z`

# The Python types whose JSON pydantic and orjson write alike (with `_default` for the last two).
_PLAIN_TYPES: frozenset[type] = frozenset({str, int, bool, uuid.UUID, dt.datetime, dt.date, Decimal})
# Model settings that change nothing about how a value is written.
_HARMLESS_CONFIG = frozenset({"from_attributes", "title", "json_schema_extra", "populate_by_name"})


def _default(value: Any) -> str:
    # asyncpg's UUIDs are a subclass orjson does not take as a UUID; pydantic writes both with str().
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not plain JSON")


def dumps(value: Any) -> bytes:
    """Plain Python data (dicts, lists, str, numbers, UUIDs, dates, times, decimals, enums) as JSON,
    byte for byte as pydantic writes the same values."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


@cache
def adapter(annotation: Any) -> TypeAdapter[Any]:
    """One `TypeAdapter` per type, built once (building one compiles its schema)."""
    return TypeAdapter(annotation)


def model_json(model: type[BaseModel], value: Any) -> bytes:
    """`value` (a model, an entity, a read row, a view) as `model`'s JSON, as FastAPI writes a
    `response_model`."""
    encode = _row_encoder(model, type(value)) if isinstance(value, ReadRow) else None
    if encode is not None:
        return dumps(encode(value))
    typed = adapter(model)
    return typed.dump_json(typed.validate_python(value, from_attributes=True), by_alias=True)


def list_json(model: type[BaseModel], items: list[Any], next_cursor: str | None) -> bytes:
    """A `ListResponse[model]` of `items`, as `model_json` writes each."""
    first = items[0] if items else None
    encode = _row_encoder(model, type(first)) if isinstance(first, ReadRow) else None
    if encode is not None and all(type(item) is type(first) for item in items):
        return dumps({"items": [encode(item) for item in items], "next_cursor": next_cursor})
    from app.core.schemas import ListResponse

    typed = adapter(ListResponse[model])  # type: ignore[valid-type]
    checked = typed.validate_python({"items": items, "next_cursor": next_cursor}, from_attributes=True)
    return typed.dump_json(checked, by_alias=True)


def json_response(body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status_code, headers=headers, media_type=MEDIA_TYPE)


@cache
def _row_encoder(model: type[BaseModel], row_class: type[ReadRow]) -> Callable[[Any], dict[str, Any]] | None:
    """A function from a read row of `row_class` to the dict `model` would write, when `model` is a
    plain projection of the row's table (see the module's docstring); None when it is not."""
    names = plain_projection(model, row_class.model)
    if names is None:
        return None
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        values_of = operator.attrgetter(*names)
        return lambda row: dict(
            zip(names, values_of(row) if len(names) > 1 else (values_of(row),), strict=True)
        )
    # One dict display with an attribute read per field: the fastest way CPython builds it. UUIDs
    # and decimals are written as `str()` there, as `_default` would, without orjson calling back
    # into Python for each (asyncpg's UUIDs are not orjson's): a page has hundreds of them.
    columns = {attribute.key: attribute.columns[0] for attribute in inspect(row_class.model).column_attrs}

    def entry(name: str) -> str:
        column = columns[name]
        if _python_type(column.type) not in (uuid.UUID, Decimal):
            return f"{name!r}: row.{name}"
        if column.nullable:
            return f"{name!r}: (None if row.{name} is None else str(row.{name}))"
        return f"{name!r}: str(row.{name})"

    entries = ", ".join(entry(name) for name in names)
    return eval(f"lambda row: {{{entries}}}")  # type: ignore[no-any-return]  # noqa: S307  (field identifiers)


def plain_projection(model: type[BaseModel], table: Any) -> tuple[str, ...] | None:
    """The field names of `model` when each is a column of `table` of the same Python type and
    nothing of the model's own (validators, serializers, aliases, settings) could change
    a column's value on its way out; None otherwise."""
    if table is None or not _plain_model(model):
        return None
    columns = {attribute.key: attribute.columns[0] for attribute in inspect(table).column_attrs}
    names = []
    for name, field in model.model_fields.items():
        column = columns.get(name)
        if column is None or not _plain_field(field):
            return None
        if _python_type(column.type) is None or _python_type(column.type) != _field_type(field.annotation):
            return None
        if column.nullable and not _admits_none(field.annotation):
            return None  # a null would fail validation: leave that to pydantic
        names.append(name)
    return tuple(names)


def _plain_model(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    if any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.field_serializers,
            decorators.model_serializers,
            decorators.model_validators,
            decorators.computed_fields,
        )
    ):
        return False
    if not set(model.model_config) <= _HARMLESS_CONFIG:
        return False
    return not model.__pydantic_root_model__


def _plain_field(field: Any) -> bool:
    if field.alias or field.validation_alias or field.serialization_alias or field.exclude:
        return False
    return all(isinstance(item, (annotated_types.BaseMetadata, StringConstraints)) for item in field.metadata)


def _field_type(annotation: Any) -> type | None:
    """The one plain type of a field (`X` or `X | None`), else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, enum.Enum):
        return annotation
    return annotation if annotation in _PLAIN_TYPES else None


def _admits_none(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def _python_type(column_type: Any) -> type | None:
    """The Python type a column's values come back as, when it is one `_field_type` accepts."""
    enum_class = getattr(column_type, "enum_class", None)
    if enum_class is not None:
        return enum_class
    if isinstance(column_type, TypeDecorator):
        # A decorator that leaves result values alone (SQLModel's AutoString) reads as its impl.
        if type(column_type).process_result_value is not TypeDecorator.process_result_value:
            return None
        column_type = column_type.impl_instance
    if isinstance(column_type, String):
        return str
    try:
        found = column_type.python_type
    except NotImplementedError:
        return None
    if found is Decimal and not getattr(column_type, "asdecimal", True):
        return None
    return found if found in _PLAIN_TYPES else None


def encodable_models(models: Iterable[tuple[type[BaseModel], Any]]) -> list[type[BaseModel]]:
    """Which of (public model, table) pairs are written straight from rows (for tests and docs)."""
    return [model for model, table in models if plain_projection(model, table) is not None]
