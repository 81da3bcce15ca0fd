"""SQL building blocks shared by every service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY($1)` with the values bound as one array.

    `column.in_(values)` expands to `IN ($1, $2, …)`: every list length is a new statement for
    PostgreSQL to plan and for asyncpg to prepare, and thousands of ids are thousands of parameters.
    One array parameter keeps a single prepared statement whatever the batch size.
    """
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
