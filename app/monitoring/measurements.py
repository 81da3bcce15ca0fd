"""The rules for measurements and for an indicator's status and run-chart signals.

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

Who may do what (see `app.auth.permissions`):
- An indicator, and so its measurements, status, signals and chart, is read by whoever may read its
  owner: the initiative it measures, or the plan whose goal it measures. `readable_indicators` is that
  rule, and the only place it is written.
- Leaders and coaches (within their reach) and monitoring integrations (`monitoring:write`) record and
  remove measurements (`MEASUREMENT_RECORD`). An integration records without reading anything back.
- An indicator of a school takes values of that school only; a district indicator takes the district's
  own values and, with `school_id`, each school's. The series a status is judged on is one level's:
  the indicator's own unless a school is asked for.
- A client `key` makes adding idempotent: the same key again never adds a second measurement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ARRAY, String, any_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_inserted
from app.auth.permissions import Action
from app.auth.policy import allowed_schools, require, require_authenticated
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Conflict, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, paginate, paginate_per_parent
from app.core.repository import execute_or_conflict, flush_or_conflict, where_given
from app.core.sql import any_of
from app.initiatives import service as initiatives
from app.initiatives.models import Direction, Indicator
from app.monitoring import signals
from app.monitoring.models import Measurement
from app.monitoring.schemas import (
    MAX_BULK,
    BulkResult,
    IndicatorStatusPublic,
    MeasurementCreate,
    MeasurementRow,
    MeasurementRowError,
    RecordedRow,
    RecordOutcome,
    RuleResultPublic,
    RunChartPublic,
    SeriesPoint,
    SignalPoint,
    SignalPublic,
)
from app.plans import service as plans
from app.plans.models import Goal
from app.tenancy.models import School
from app.webhooks import events as webhooks

_KEY_UNIQUE = {
    "uq_measurement_district_id_client_key": (
        "key",
        "Another request recorded a measurement with this key at the same time; send it again.",
    )
}
# New measurements, one array per column, in one statement (`_Batch.apply`).
_INSERTED = {
    "id": "uuid",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "indicator_id": "uuid",
    "school_id": "uuid",
    "value": "numeric",
    "measured_on": "date",
    "n": "integer",
    "source": "text",
    "client_key": "text",
}
_INSERT = text(
    f"INSERT INTO measurement (district_id, {', '.join(_INSERTED)}) "  # noqa: S608  (fixed column names)
    f"SELECT CAST(:district_id AS uuid), u.* FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _INSERTED.items())
    + f") AS u({', '.join(_INSERTED)})"
)
# The fields a key's measurement is compared on: equal means `unchanged`.
_CONTENT = ("value", "measured_on", "n", "source", "school_id")


# --- who may read an indicator ----------------------------------------------------------------------


async def readable_indicators(
    session: AsyncSession, principal: Principal, indicator_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Indicator]:
    """The indicators among `indicator_ids` the principal may read, by id: those whose owner it may
    read (the initiative the indicator measures, or the plan of the goal it measures). The one rule for
    reading indicators, their measurements, status and chart.

    Others (absent, another district's, or an owner it may not read) are simply absent. Raises
    `PermissionDenied` when the principal may read no initiative and no plan at all and an id is of
    its own district (a monitoring integration, which writes but reads nothing back).
    """
    require_authenticated(principal)
    if not indicator_ids:
        return {}
    stmt = (
        select(Indicator, Goal.plan_id)
        .outerjoin(Goal, Goal.indicator_id == Indicator.id)
        .where(any_of(Indicator.id, list(indicator_ids)))
    )
    if principal.kind is not PrincipalKind.SYSTEM:
        stmt = stmt.where(Indicator.district_id == principal.district_id)
    found = [(indicator, plan_id) for indicator, plan_id in (await session.execute(stmt)).all()]
    if not found:
        return {}
    initiative_ids = list({i.initiative_id for i, _ in found if i.initiative_id is not None})
    plan_ids = list({plan_id for _, plan_id in found if plan_id is not None})
    refused: PermissionDenied | None = None
    readable_initiatives: set[uuid.UUID] = set()
    readable_plans: set[uuid.UUID] = set()
    try:
        if initiative_ids:
            readable_initiatives = set(
                await initiatives.initiatives_by_id(session, principal, initiative_ids)
            )
    except PermissionDenied as exc:
        refused = exc
    try:
        if plan_ids:
            readable_plans = set(await plans.plans_by_id(session, principal, plan_ids))
    except PermissionDenied as exc:
        refused = refused or exc
    readable = {
        indicator.id: indicator
        for indicator, plan_id in found
        if indicator.initiative_id in readable_initiatives or plan_id in readable_plans
    }
    if not readable and refused is not None:
        raise refused
    return readable


async def get_indicator(session: AsyncSession, principal: Principal, indicator_id: uuid.UUID) -> Indicator:
    """The indicator, if the principal may read it; else `NotFound` (or `PermissionDenied`, as
    `readable_indicators` says)."""
    found = await readable_indicators(session, principal, [indicator_id])
    if indicator_id not in found:
        raise NotFound(f"No indicator with id {indicator_id}.")
    return found[indicator_id]


async def _recordable(
    session: AsyncSession, principal: Principal, indicators: Sequence[Indicator]
) -> dict[uuid.UUID, str | None]:
    """Per indicator (all of the principal's district): None if the principal may record on it, else
    why not: `forbidden` when it may read the indicator (or holds no right to indicators at all) but not
    record there, `not_found` when it may neither read it nor record there."""
    schools = allowed_schools(principal, Action.MEASUREMENT_RECORD)
    verdicts: dict[uuid.UUID, str | None] = {}
    unreached = []
    for indicator in indicators:
        if schools is None or (indicator.school_id is not None and indicator.school_id in schools):
            verdicts[indicator.id] = None
        else:
            unreached.append(indicator)
    if unreached:
        try:
            readable = await readable_indicators(session, principal, [i.id for i in unreached])
        except PermissionDenied:
            # No right to read indicators at all: if none to record either, that is no secret (403);
            # a recorder that cannot reach this one hears it does not exist.
            readable = {i.id: i for i in unreached} if schools == frozenset() else {}
        for indicator in unreached:
            verdicts[indicator.id] = "forbidden" if indicator.id in readable else "not_found"
    return verdicts


async def _indicators_in_district(
    session: AsyncSession, district_id: uuid.UUID, indicator_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Indicator]:
    if not indicator_ids:
        return {}
    stmt = select(Indicator).where(
        any_of(Indicator.id, list(indicator_ids)), Indicator.district_id == district_id
    )
    return {i.id: i for i in (await session.execute(stmt)).scalars()}


def _denied_recording() -> PermissionDenied:
    return PermissionDenied(
        "Only leaders, coaches and monitoring integrations record measurements, and leaders and coaches "
        "only within their reach.",
        extra={"action": Action.MEASUREMENT_RECORD.value},
    )


# --- reading measurements ---------------------------------------------------------------------------


async def list_measurements(
    session: AsyncSession,
    principal: Principal,
    indicator_id: uuid.UUID,
    page: PageRequest,
    *,
    school_id: uuid.UUID | None = None,
) -> Page[Measurement]:
    """The indicator's measurements in the order they were recorded (every school's, or one school's
    with `school_id`). `NotFound` / `PermissionDenied` as `get_indicator`."""
    await get_indicator(session, principal, indicator_id)
    stmt = select(Measurement).where(Measurement.indicator_id == indicator_id)
    stmt = where_given(stmt, Measurement, school_id=school_id)
    return await paginate(session, stmt, Measurement, page)


async def measurements_of_indicators(
    session: AsyncSession,
    principal: Principal,
    indicator_ids: list[uuid.UUID],
    page: PageRequest,
    *,
    school_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, Page[Measurement]]:
    """A page of measurements per readable indicator (a DataLoader batch), only one school's when
    `school_id` is given (as `list_measurements`); unreadable indicators get none."""
    readable = list(await readable_indicators(session, principal, indicator_ids))
    stmt = where_given(select(Measurement), Measurement, school_id=school_id)
    return await paginate_per_parent(
        session, stmt, Measurement, Measurement.indicator_id, readable, page, answer_for=indicator_ids
    )


async def measurements_by_id(
    session: AsyncSession, principal: Principal, measurement_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Measurement]:
    """The measurements among `measurement_ids` whose indicator the principal may read, by id (for
    Relay `node`); others are absent."""
    require_authenticated(principal)
    stmt = select(Measurement).where(any_of(Measurement.id, measurement_ids))
    if principal.kind is not PrincipalKind.SYSTEM:
        stmt = stmt.where(Measurement.district_id == principal.district_id)
    found = list((await session.execute(stmt)).scalars())
    try:
        readable = await readable_indicators(session, principal, list({m.indicator_id for m in found}))
    except PermissionDenied:
        return {}
    return {m.id: m for m in found if m.indicator_id in readable}


# --- recording --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    measurement: Measurement
    outcome: RecordOutcome


async def record_measurement(
    session: AsyncSession, principal: Principal, indicator_id: uuid.UUID, data: MeasurementCreate
) -> Recorded:
    """Add one measurement to the indicator. With a `key` already used in the district for this
    indicator, nothing is added: the stored measurement is returned `unchanged`, or `updated` to what
    was sent.

    Raises `NotFound` (the indicator; a school not in the district, by field), `PermissionDenied`,
    `ValidationFailed` (a school that does not fit the indicator) and `Conflict` (the key is another
    indicator's, or a concurrent request took it).
    """
    require_authenticated(principal)
    district_id = initiatives._district_of(principal)
    indicator = (await _indicators_in_district(session, district_id, [indicator_id])).get(indicator_id)
    if indicator is None:
        raise NotFound(f"No indicator with id {indicator_id}.")
    verdict = (await _recordable(session, principal, [indicator]))[indicator.id]
    if verdict == "not_found":
        raise NotFound(f"No indicator with id {indicator_id}.")
    if verdict == "forbidden":
        raise _denied_recording()
    batch = _Batch(district_id)
    batch.rows = [(0, MeasurementRow(indicator_id=indicator_id, **data.model_dump()))]
    batch.indicators = {indicator.id: indicator}
    await batch.check_references(session)
    await batch.match_keys(session)
    if batch.errors:
        raise _single_error(batch.errors[0])
    ((_, measurement_id, _, outcome),) = await batch.apply(session)
    return Recorded(await session.get_one(Measurement, measurement_id), outcome)


def _single_error(error: MeasurementRowError) -> DomainError:
    path: tuple[str | int, ...] = tuple(error.field.split(".")) if error.field else ()
    field_error = FieldError(path, error.message, error.code)
    if error.code == "not_found":
        return NotFound(error.message, errors=[field_error])
    if error.code == "key_conflict":
        return Conflict(error.message, errors=[field_error])
    return ValidationFailed(error.message, errors=[field_error])


async def record_measurements(
    session: AsyncSession, principal: Principal, raw_rows: Sequence[Any], *, partial: bool = False
) -> BulkResult:
    """Add up to 5,000 measurements across indicators in one transaction, idempotent by `key`.

    Each row is checked on its own (fields, the indicator, the school, a key repeated in the batch or
    already another indicator's). If any row is refused, nothing is applied and the error names every
    refused row by index and field: `ValidationFailed` when any row is invalid, else `NotFound` when
    a row names an indicator or school not found (another district's included), else
    `PermissionDenied`. With `partial`, the valid rows apply and the refused ones are listed in the
    result. Rows whose key is already stored are `unchanged` (or `updated` to what was sent), never
    added twice. Raises `PermissionDenied` up front when the principal records measurements nowhere.
    """
    district_id = initiatives._district_of(principal)
    require(principal, Action.MEASUREMENT_RECORD)
    if len(raw_rows) > MAX_BULK:
        raise ValidationFailed(
            f"At most {MAX_BULK:,} rows per call; send the rest in another.",
            errors=[FieldError(("measurements",), f"At most {MAX_BULK:,} rows.", "too_long")],
        )
    batch = _Batch(district_id)
    batch.parse(raw_rows)
    await batch.check_indicators(session, principal)
    await batch.check_references(session)
    await batch.match_keys(session)
    batch.errors.sort(key=lambda e: e.index)
    if batch.errors and not partial:
        raise batch.rejection(len(raw_rows))
    applied = await batch.apply(session)
    counts = dict.fromkeys(RecordOutcome, 0)
    for *_, outcome in applied:
        counts[outcome] += 1
    return BulkResult(
        received=len(raw_rows),
        created=counts[RecordOutcome.CREATED],
        updated=counts[RecordOutcome.UPDATED],
        unchanged=counts[RecordOutcome.UNCHANGED],
        rejected=len({e.index for e in batch.errors}),
        items=[
            RecordedRow(index=index, id=row_id, key=key, outcome=outcome)
            for index, row_id, key, outcome in applied
        ],
        errors=batch.errors,
    )


class _Batch:
    """Rows on their way in: parsed, checked against the database in one query per kind of check,
    then applied together."""

    def __init__(self, district_id: uuid.UUID) -> None:
        self.district_id = district_id
        self.rows: list[tuple[int, MeasurementRow]] = []
        self.errors: list[MeasurementRowError] = []
        self.indicators: dict[uuid.UUID, Indicator] = {}
        self.existing: dict[str, Measurement] = {}

    def refuse(self, index: int, field: str | None, message: str, code: str) -> None:
        self.errors.append(MeasurementRowError(index=index, field=field, message=message, code=code))

    def keep(self, keep: Any) -> None:
        self.rows = [(index, row) for index, row in self.rows if keep(index, row)]

    def parse(self, raw_rows: Sequence[Any]) -> None:
        seen_keys: dict[str, int] = {}
        for index, raw in enumerate(raw_rows):
            try:
                row = MeasurementRow.model_validate(raw)
            except ValidationError as exc:
                for error in exc.errors(include_url=False, include_input=False):
                    field = ".".join(str(part) for part in error["loc"]) or None
                    self.refuse(index, field, error["msg"], error["type"])
                continue
            if row.key is not None:
                if row.key in seen_keys:
                    self.refuse(
                        index,
                        "key",
                        f"This key is used by row {seen_keys[row.key]} of the batch.",
                        "duplicate",
                    )
                    continue
                seen_keys[row.key] = index
            self.rows.append((index, row))

    async def check_indicators(self, session: AsyncSession, principal: Principal) -> None:
        wanted = list({row.indicator_id for _, row in self.rows})
        self.indicators = await _indicators_in_district(session, self.district_id, wanted)
        verdicts = await _recordable(session, principal, list(self.indicators.values()))

        def reachable(index: int, row: MeasurementRow) -> bool:
            verdict = verdicts.get(row.indicator_id, "not_found")
            if verdict == "not_found":
                self.refuse(
                    index,
                    "indicator_id",
                    f"No indicator with id {row.indicator_id} in this district.",
                    "not_found",
                )
            elif verdict == "forbidden":
                self.refuse(index, "indicator_id", _denied_recording().detail, "forbidden")
            return verdict is None

        self.keep(reachable)

    async def check_references(self, session: AsyncSession) -> None:
        """A school must be of the district, and the indicator's own school if it has one."""
        wanted = {row.school_id for _, row in self.rows if row.school_id is not None}
        schools: set[uuid.UUID] = set()
        if wanted:
            stmt = select(School.id).where(School.id.in_(wanted), School.district_id == self.district_id)
            schools = set((await session.execute(stmt)).scalars())

        def fits(index: int, row: MeasurementRow) -> bool:
            indicator = self.indicators[row.indicator_id]
            if row.school_id is None:
                return True
            if row.school_id not in schools:
                self.refuse(
                    index, "school_id", f"No school with id {row.school_id} in this district.", "not_found"
                )
                return False
            if indicator.school_id is not None and row.school_id != indicator.school_id:
                self.refuse(
                    index,
                    "school_id",
                    "This indicator belongs to one school: omit school_id or send that school's id.",
                    "school_mismatch",
                )
                return False
            return True

        self.keep(fits)

    async def match_keys(self, session: AsyncSession) -> None:
        """Load the measurements already stored under the rows' keys; a key stored on another indicator
        is refused."""
        keys = [row.key for _, row in self.rows if row.key is not None]
        if keys:
            # One array parameter, not an IN list of up to 5,000: a prepared statement's generic plan
            # for a long IN list can scan the whole district (bench/README.md); `= ANY` uses the index.
            stmt = select(Measurement).where(
                Measurement.district_id == self.district_id,
                Measurement.client_key == any_(bindparam("keys", keys, type_=ARRAY(String))),
            )
            self.existing = {m.client_key: m for m in (await session.execute(stmt)).scalars()}  # type: ignore[misc]

        def own_key(index: int, row: MeasurementRow) -> bool:
            stored = self.existing.get(row.key) if row.key is not None else None
            if stored is not None and stored.indicator_id != row.indicator_id:
                self.refuse(
                    index,
                    "key",
                    "This key is already used for a measurement of another indicator.",
                    "key_conflict",
                )
                return False
            return True

        self.keep(own_key)

    async def apply(self, session: AsyncSession) -> list[tuple[int, uuid.UUID, str | None, RecordOutcome]]:
        """Write the checked rows: (index, id, key, outcome) for each.

        New measurements go in as one set-based INSERT with their audit events written alongside
        (`record_inserted`): building a mapped object per row, and its audit event, was most of a bulk
        call's time (see bench/README.md). A key already stored updates its measurement through the
        session, audited by the flush as every edit is. Rows of one call are stamped in the order of
        the call, a microsecond apart, so lists (ordered by creation) read back in the order sent.
        """
        applied: list[tuple[int, uuid.UUID, str | None, RecordOutcome]] = []
        inserts: list[dict[str, Any]] = []
        now = utcnow()
        for index, row in self.rows:
            indicator = self.indicators[row.indicator_id]
            content = {
                "value": row.value.quantize(FOUR_PLACES),
                "measured_on": row.measured_on,
                "n": row.n,
                "source": row.source,
                "school_id": row.school_id if row.school_id is not None else indicator.school_id,
            }
            stored = self.existing.get(row.key) if row.key is not None else None
            if stored is None:
                row_id = uuid.uuid4()
                stamp = now + timedelta(microseconds=len(inserts))
                inserts.append(
                    {
                        "id": row_id,
                        "created_at": stamp,
                        "updated_at": stamp,
                        "district_id": self.district_id,
                        "indicator_id": indicator.id,
                        "client_key": row.key,
                        **content,
                    }
                )
                applied.append((index, row_id, row.key, RecordOutcome.CREATED))
                continue
            changed = {name: value for name, value in content.items() if getattr(stored, name) != value}
            for name, value in changed.items():
                setattr(stored, name, value)
            outcome = RecordOutcome.UPDATED if changed else RecordOutcome.UNCHANGED
            applied.append((index, stored.id, stored.client_key, outcome))
        await flush_or_conflict(session, _KEY_UNIQUE)
        if inserts:
            columns = {name: [r[name] for r in inserts] for name in _INSERTED}
            await execute_or_conflict(
                session, _INSERT, {"district_id": self.district_id, **columns}, _KEY_UNIQUE
            )
            await record_inserted(session, Measurement, inserts)
        await webhooks.emit_many(
            session,
            self.district_id,
            webhooks.EventType.MEASUREMENT_RECORDED,
            [
                (row_id, {"indicator_id": self.indicators[row.indicator_id].id})
                for (index, row), (_, row_id, _, outcome) in zip(self.rows, applied, strict=True)
                if outcome is not RecordOutcome.UNCHANGED
            ],
        )
        return applied

    def rejection(self, received: int) -> DomainError:
        field_errors = [
            FieldError(("measurements", e.index, *(e.field.split(".") if e.field else ())), e.message, e.code)
            for e in self.errors
        ]
        rejected = len({e.index for e in self.errors})
        detail = (
            f"{rejected} of {received} row(s) refused; nothing was applied. Fix them, or send "
            "`partial=true` to apply the valid rows."
        )
        extra = {"received": received, "rejected": rejected}
        codes = {e.code for e in self.errors}
        if codes <= {"not_found", "forbidden"}:
            if "not_found" in codes:
                return NotFound(detail, errors=field_errors, extra=extra)
            return PermissionDenied(detail, errors=field_errors, extra=extra)
        return ValidationFailed(detail, errors=field_errors, extra=extra)


async def remove_measurement(session: AsyncSession, principal: Principal, measurement_id: uuid.UUID) -> None:
    """Remove a measurement (a wrong value, say). Who may record on its indicator may remove it;
    `NotFound` otherwise when the principal may not read it either, `PermissionDenied` when it may."""
    district_id = initiatives._district_of(principal)
    measurement = await session.get(Measurement, measurement_id, with_for_update=True)
    if measurement is None or measurement.district_id != district_id:
        raise NotFound(f"No measurement with id {measurement_id}.")
    indicator = (await _indicators_in_district(session, district_id, [measurement.indicator_id]))[
        measurement.indicator_id
    ]
    verdict = (await _recordable(session, principal, [indicator]))[indicator.id]
    if verdict == "not_found":
        raise NotFound(f"No measurement with id {measurement_id}.")
    if verdict == "forbidden":
        raise _denied_recording()
    await session.delete(measurement)
    await session.flush()


# --- status and signals -----------------------------------------------------------------------------


def _series_filter(indicator: Indicator, school_id: uuid.UUID | None) -> Any:
    level = school_id if school_id is not None else indicator.school_id
    return Measurement.school_id.is_(None) if level is None else Measurement.school_id == level


def series_order() -> tuple[Any, ...]:
    return (Measurement.measured_on, Measurement.created_at, Measurement.id)


async def series(
    session: AsyncSession, indicator: Indicator, school_id: uuid.UUID | None = None
) -> list[Measurement]:
    """The indicator's series at one level (its own, or one school's), oldest first. The caller has
    checked the indicator is readable."""
    stmt = (
        select(Measurement)
        .where(Measurement.indicator_id == indicator.id, _series_filter(indicator, school_id))
        .order_by(*series_order())
    )
    return list((await session.execute(stmt)).scalars())


async def series_of_indicators(
    session: AsyncSession, indicators: Sequence[Indicator]
) -> dict[uuid.UUID, list[Measurement]]:
    """Each indicator's own-level series, oldest first, in one query (for the dashboard and loaders).
    The caller has checked the indicators are readable."""
    found: dict[uuid.UUID, list[Measurement]] = {i.id: [] for i in indicators}
    if not indicators:
        return found
    stmt = (
        select(Measurement)
        .join(Indicator, Indicator.id == Measurement.indicator_id)
        .where(
            any_of(Measurement.indicator_id, list(found)),
            Measurement.school_id.is_not_distinct_from(Indicator.school_id),
        )
        .order_by(Measurement.indicator_id, *series_order())
    )
    for measurement in (await session.execute(stmt)).scalars():
        found[measurement.indicator_id].append(measurement)
    return found


async def indicator_status(
    session: AsyncSession,
    principal: Principal,
    indicator_id: uuid.UUID,
    *,
    school_id: uuid.UUID | None = None,
) -> IndicatorStatusPublic:
    """Where the indicator stands and what its run chart signals (see `app.monitoring.signals`), on the
    indicator's own series or, with `school_id`, one school's. `NotFound` / `PermissionDenied` as
    `get_indicator`."""
    indicator = await get_indicator(session, principal, indicator_id)
    return assess(indicator, await series(session, indicator, school_id), school_id=school_id)


async def statuses_of_indicators(
    session: AsyncSession, principal: Principal, indicator_ids: list[uuid.UUID]
) -> dict[uuid.UUID, IndicatorStatusPublic]:
    """The status of each readable indicator among `indicator_ids` (a DataLoader batch)."""
    readable = await readable_indicators(session, principal, indicator_ids)
    by_indicator = await series_of_indicators(session, list(readable.values()))
    return {i.id: assess(i, by_indicator[i.id]) for i in readable.values()}


def assess(
    indicator: Indicator, measurements: Sequence[Measurement], *, school_id: uuid.UUID | None = None
) -> IndicatorStatusPublic:
    """Status and run-chart signals of `measurements` (the indicator's series, oldest first)."""
    points = [signals.Point(m.measured_on, m.value) for m in measurements]
    goalposts = signals.Goalposts(
        direction=indicator.direction,
        baseline_value=indicator.baseline_value,
        baseline_date=indicator.baseline_date,
        target_value=indicator.target_value,
        target_date=indicator.target_date,
    )
    status = signals.indicator_status(goalposts, points)
    chart = signals.run_chart_signals([p.value for p in points])
    has_target = indicator.target_value is not None and indicator.target_date is not None
    return IndicatorStatusPublic(
        indicator_id=indicator.id,
        name=indicator.name,
        unit=indicator.unit,
        direction=indicator.direction,
        school_id=school_id if school_id is not None else indicator.school_id,
        status=status.status,
        basis=status.basis,
        reason=status.reason,
        latest=_point(status.latest),
        baseline=_point(status.baseline),
        baseline_source=status.baseline_source,
        target=SeriesPoint(measured_on=indicator.target_date, value=indicator.target_value)  # type: ignore[arg-type]
        if has_target
        else None,
        expected=_fixed(status.expected),
        shortfall=_fixed(status.shortfall),
        band=_fixed(status.band),
        run_chart=_run_chart(chart, measurements, indicator.direction),
    )


# Values are stored with four decimal places; what is computed from them is answered the same way.
FOUR_PLACES = Decimal("0.0001")


def _fixed(value: Decimal | None) -> Decimal | None:
    return value.quantize(FOUR_PLACES) if value is not None else None


def _point(point: signals.Point | None) -> SeriesPoint | None:
    return SeriesPoint(measured_on=point.measured_on, value=point.value) if point is not None else None


_FAVOURABLE = {
    Direction.INCREASE: {signals.SignalSide.ABOVE: True, signals.SignalSide.UP: True},
    Direction.DECREASE: {signals.SignalSide.BELOW: True, signals.SignalSide.DOWN: True},
}


def _favourable(direction: Direction, side: signals.SignalSide | None) -> bool | None:
    if side is None or direction is Direction.MAINTAIN:
        return None
    return _FAVOURABLE[direction].get(side, False)


def _run_chart(
    chart: signals.RunChartAnalysis, measurements: Sequence[Measurement], direction: Direction
) -> RunChartPublic:
    return RunChartPublic(
        points=chart.points,
        median=_fixed(chart.median),
        useful_observations=chart.useful_observations,
        runs=chart.runs,
        crossings=chart.crossings,
        longest_run=chart.longest_run,
        rules=[RuleResultPublic.model_validate(r) for r in chart.rules],
        signals=[
            SignalPublic(
                rule_set=s.rule_set,
                rule=s.rule,
                side=s.side,
                favourable=_favourable(direction, s.side),
                detail=s.detail,
                points=[
                    SignalPoint(
                        index=i,
                        measured_on=measurements[i].measured_on,
                        value=measurements[i].value,
                        measurement_id=measurements[i].id,
                    )
                    for i in s.points
                ],
            )
            for s in chart.signals
        ],
    )
