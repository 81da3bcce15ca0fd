"""Replies written straight from rows are byte for byte what pydantic writes through the model.

`app.core.replies` encodes a read row with orjson, skipping validation, only when the public model is
a plain projection of the row's table. For every such pair in the app, and for values at the edges
of each type (microseconds or none, other zones, exponents, control characters, non-ASCII, nulls,
every enum member), the bytes must equal `TypeAdapter(model).dump_json(model.model_validate(row))`.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asyncpg.pgproto.pgproto import UUID as DriverUUID  # noqa: N811
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table registered)
from app.core import replies
from app.core.rows import read_class
from app.core.schemas import ListResponse, PublicModel
from app.initiatives.models import Initiative
from app.initiatives.schemas import InitiativePublic
from app.plans.models import Plan
from app.plans.schemas import PlanPublic


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _public_models() -> list[type[BaseModel]]:
    import importlib
    import pkgutil

    import app

    for module in pkgutil.walk_packages(app.__path__, "app."):
        if module.name.endswith(("schemas", "router")):
            importlib.import_module(module.name)
    return sorted(set(_subclasses(PublicModel)), key=lambda m: (m.__module__, m.__qualname__))


def _tables() -> list[type[SQLModel]]:
    return sorted(
        {t for t in _subclasses(SQLModel) if getattr(t, "__table__", None) is not None},
        key=lambda t: t.__name__,
    )


PAIRS = [
    (model, table)
    for model in _public_models()
    for table in _tables()
    if replies.plain_projection(model, table) is not None
]

_TEXTS = [
    "Lectura y pertenencia — “en su idioma” 😀",
    'quote " backslash \\ slash / controls \x00\x01\x1f\x7f \b\f\n\r\t line sep \u2028',
    "",
]
_TIMES = [
    dt.datetime(2026, 11, 29, 21, 50, 17, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 29, 21, 50, 17, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 0, 0, 0, 10, tzinfo=ZoneInfo("America/Chicago")),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
]
_DECIMALS = [Decimal("1.000"), Decimal("2.25"), Decimal("1E-9"), Decimal("-0"), Decimal("12345.678")]


def _values(column: Any, python_type: type) -> list[Any]:
    if issubclass(python_type, enum.Enum):
        values: list[Any] = list(python_type)
    elif python_type is str:
        values = list(_TEXTS)
    elif python_type is bool:
        values = [True, False]
    elif python_type is int:
        values = [0, -1, 2_147_483_647]
    elif python_type is uuid.UUID:
        values = [DriverUUID(str(uuid.uuid4())), uuid.uuid4()]
    elif python_type is dt.datetime:
        values = list(_TIMES)
    elif python_type is dt.date:
        values = [dt.date(2026, 9, 1), dt.date(1, 1, 1)]
    elif python_type is Decimal:
        values = list(_DECIMALS)
    else:  # pragma: no cover - plain_projection admits nothing else
        raise AssertionError(python_type)
    return [*values, None] if column.nullable else values


def _rows(model: type[BaseModel], table: Any, count: int = 6) -> list[Any]:
    """Read rows of `table` whose columns cycle through edge values of their types."""
    cls = read_class(table)
    columns = {attribute.key: attribute.columns[0] for attribute in inspect(table).column_attrs}
    cycles = {
        name: itertools.cycle(_values(column, replies._python_type(column.type) or str))
        for name, column in columns.items()
        if name in model.model_fields
    }
    made = []
    for _ in range(count):
        row = object.__new__(cls)
        for name in cls.names:
            object.__setattr__(row, name, next(cycles[name]) if name in cycles else None)
        made.append(row)
    return made


def test_the_hot_reads_are_written_straight_from_rows() -> None:
    assert (InitiativePublic, Initiative) in PAIRS
    assert (PlanPublic, Plan) in PAIRS


@pytest.mark.parametrize(("model", "table"), PAIRS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_a_row_is_written_as_pydantic_writes_it(model: type[BaseModel], table: Any) -> None:
    typed = TypeAdapter(model)
    for row in _rows(model, table):
        expected = typed.dump_json(model.model_validate(row), by_alias=True)
        assert replies.model_json(model, row) == expected


@pytest.mark.parametrize(("model", "table"), PAIRS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_a_page_of_rows_is_written_as_pydantic_writes_it(model: type[BaseModel], table: Any) -> None:
    rows = _rows(model, table)
    typed = TypeAdapter(ListResponse[model])  # type: ignore[valid-type]
    for cursor in (None, "WyIyMDI2LTExLTI5VDIxOjUwOjE3KzAwOjAwIiwiYWJjIl0"):
        expected = typed.dump_json(
            typed.validate_python({"items": rows, "next_cursor": cursor}, from_attributes=True), by_alias=True
        )
        assert replies.list_json(model, rows, cursor) == expected
    assert replies.list_json(model, [], None) == b'{"items":[],"next_cursor":null}'


def test_a_model_that_could_change_a_value_goes_through_pydantic() -> None:
    from pydantic import Field, field_serializer, field_validator

    class Validated(PublicModel):
        title: str

        @field_validator("title")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    class Serialized(PublicModel):
        title: str

        @field_serializer("title")
        def _upper(self, value: str) -> str:
            return value.upper()

    class Aliased(PublicModel):
        title: str = Field(serialization_alias="name")

    class Widened(PublicModel):
        version: float

    for model in (Validated, Serialized, Aliased):
        assert replies.plain_projection(model, Initiative) is None
    assert replies.plain_projection(Widened, Initiative) is None  # an integer column, a float field
    row = _rows(InitiativePublic, Initiative, 1)[0]
    object.__setattr__(row, "title", "quiet")
    assert replies.model_json(Validated, row) == b'{"title":"QUIET"}'
    assert replies.model_json(Serialized, row) == b'{"title":"QUIET"}'
    assert replies.model_json(Aliased, row) == b'{"name":"quiet"}'
