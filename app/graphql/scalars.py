"""Scalars whose parsing the schema tightens over strawberry's.

A `DateTime` is stored and compared in UTC. `9999-12-31T23:59:59-12:00` is well-formed ISO 8601, but
its UTC instant is in year 10000, which Python's datetime (and PostgreSQL's comparisons through it)
cannot hold: left to the resolver it overflowed as an unexpected error. It is refused where every
other malformed time is, when the value is coerced, so the client is told `bad_user_input` (inline or
by variable) before anything runs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import dateutil.parser
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser

from app.core.schemas import refuse_instants_beyond_utc


def _parse_datetime(text: str) -> datetime:
    """Strawberry's parsing, then REST's check of the UTC instant (one rule for both APIs)."""
    return refuse_instants_beyond_utc(dateutil.parser.isoparse(text))


UTC_DATETIME = dataclasses.replace(DateTimeDefinition, parse_value=wrap_parser(_parse_datetime, "DateTime"))

SCALAR_OVERRIDES = {datetime: UTC_DATETIME}
