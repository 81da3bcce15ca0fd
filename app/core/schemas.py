"""Building blocks for request and response models shared by every area."""

from __future__ import annotations

import re
import types
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

T = TypeVar("T")

# A human-facing name: trimmed, never blank.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The title of a thing (an initiative, a plan, an activity…) and the prose written about it (a summary,
# notes, a reason): trimmed, never blank, the same bounds in every area.
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
# What a district records on people and stakeholders to see who is missing from its co-creation
# (with their preferred language, `app.core.languages.LanguageTag`).
Neighbourhood = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="Where they live or work, in the district's own areas."),
]
CommunityRole = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="Their role in the school community (parent, paraprofessional, PTA chair)."),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[
    list[Tag],
    Field(max_length=20, description="District-defined tags (`newcomer family`, `IEP parent`): at most 20."),
]
# An identifier from the district's SIS (OneRoster sourcedId).
SourcedId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


# The largest value a PostgreSQL `integer` column holds: integer inputs are bounded by it, so an
# overflow is a 422, never a driver error.
INT4_MAX = 2_147_483_647

_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def refuse_numbers_as_time(value: Any) -> Any:
    """Dates and times are ISO 8601 text: pydantic would otherwise read `0.5` or `1700000000` as
    seconds since 1970, a number no caller means as a date."""
    if (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
        isinstance(value, (str, bytes)) and _NUMBER.match(value if isinstance(value, str) else value.decode())
    ):
        raise PydanticCustomError("iso8601_required", "Give an ISO 8601 date or time, not a number.")
    return value


# What a decimal looks like as JSON text: the server writes decimals as strings (exact, unlike binary
# floats) and reads either a number or such a string.
DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


class _DecimalText:
    """JSON Schema of a decimal with its `pattern`, so generated clients and validators know the string
    is a number (pydantic leaves the pattern out unless asked)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        for branch in json_schema.get("anyOf", [json_schema]):
            if branch.get("type") == "string":
                branch["pattern"] = DECIMAL_PATTERN
        return json_schema


def refuse_instants_beyond_utc(value: Any) -> Any:
    """A time with an offset must name an instant that UTC can write in years 1–9999:
    `9999-12-31T23:59:59-12:00` is well-formed ISO 8601, but its UTC instant falls in year 10000, and
    neither Python nor the driver converting it to UTC for PostgreSQL can hold it (a 500, not a 422)."""
    if isinstance(value, datetime) and value.utcoffset():
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError(
                "datetime_beyond_utc", "The time falls outside years 1 to 9999 once converted to UTC."
            ) from None
    return value


# The calendar improvement work is dated in. Every date and time a request body writes falls in it, so
# no value a client sends can make later date arithmetic overflow Python's calendar, which ends at
# 9999-12-31: a run chart's margins around a measurement, a review schedule's next date. (SIS records
# are not request models: a SIS may send 9999-12-31 as an open end, and nothing computes with it.)
FIRST_WORK_DAY = date(1900, 1, 1)
LAST_WORK_DAY = date(2199, 12, 31)


def refuse_dates_beyond_the_work_calendar(value: Any) -> Any:
    """Dates, and times by the date they were written with, lie in 1900–2199."""
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not FIRST_WORK_DAY <= day <= LAST_WORK_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            f"Dates and times lie between {FIRST_WORK_DAY.isoformat()} and {LAST_WORK_DAY.isoformat()}.",
        )
    return value


# Every decimal in a request or response model: the same value, with the pattern in the contract.
DecimalNumber = Annotated[Decimal, _DecimalText()]

# Query parameters and fields of dates and times, in ISO 8601 only.
IsoDate = Annotated[date, BeforeValidator(refuse_numbers_as_time)]
IsoDateTime = Annotated[
    datetime, BeforeValidator(refuse_numbers_as_time), AfterValidator(refuse_instants_beyond_utc)
]
# A time that must carry its zone (a SIS record's dateLastModified).
AwareDateTime = Annotated[AwareDatetime, AfterValidator(refuse_instants_beyond_utc)]


def _is_temporal(annotation: Any) -> bool:
    if annotation in (date, datetime):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_temporal(arg) for arg in get_args(annotation))
    if get_origin(annotation) is Annotated:
        return _is_temporal(get_args(annotation)[0])
    return False


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are rejected, so a misspelt field is never dropped
    silently and no client can set a field it should not (mass assignment). Dates and times are read
    from ISO 8601 text only (`refuse_numbers_as_time`) and lie in the work calendar, 1900–2199
    (`refuse_dates_beyond_the_work_calendar`), in every request model at once."""

    model_config = ConfigDict(extra="forbid")

    _temporal_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._temporal_fields = frozenset(
            name for name, field in cls.model_fields.items() if _is_temporal(field.annotation)
        )

    @field_validator("*", mode="wrap")
    @classmethod
    def _iso_8601_times_in_the_work_calendar(cls, value: Any, handler: Any, info: Any) -> Any:
        if info.field_name not in cls._temporal_fields:
            return handler(value)
        return refuse_dates_beyond_the_work_calendar(handler(refuse_numbers_as_time(value)))


class UpdateModel(RequestModel):
    """Base of PATCH bodies. Fields default to None *without validation*, so an omitted field means
    "leave as is" while an explicit `null` on a required column is still refused by its type."""

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def from_row(cls, row: Any, **given: Any) -> Self:
        """The reply made from `row`'s attributes named as its fields, but for `given`: the fields the
        row does not carry (a user's roles), or carries under another name or in another form."""
        return cls.model_validate(
            {name: given[name] if name in given else getattr(row, name) for name in cls.model_fields}
        )


class EntityPublic(PublicModel):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class VersionedEntityPublic(EntityPublic):
    version: int = Field(
        description="Send it back in `If-Match` when you update, so you never overwrite a newer write."
    )


class ListResponse(BaseModel, Generic[T]):
    """A page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
