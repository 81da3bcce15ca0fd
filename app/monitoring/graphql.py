"""GraphQL for measurements, indicator status and run-chart signals, and the plan dashboard.

Types, queries, mutations and loaders. No rules here: who may read an indicator, who may record on
it, idempotency by key and the status and signal rules all live in `app.monitoring.measurements`,
`app.monitoring.signals` and `app.monitoring.dashboard`, which REST calls too. `Indicator.measurements`
and `Indicator.status` (declared on the indicator type in `app.initiatives.graphql`) load through the
loaders here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.auth.principal import Principal
from app.core.rest import camel_case
from app.engagement.graphql import InputType
from app.graphql.context import Context
from app.graphql.kit import (
    Answer,
    answer,
    converter,
    create,
    id_arg,
    id_input,
    lookup,
    mutate,
    mutation,
    node_resolver,
    payload,
    removal,
)
from app.graphql.loaders import by_id
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import node_uuid
from app.initiatives.graphql import IndicatorType
from app.monitoring import dashboard, measurements, schemas, signals
from app.monitoring.models import Measurement
from app.plans.graphql import ActionStepType, GoalType, PlanType, ReviewCheckpointType, goal_indicator_by_id
from app.practice.graphql import FeedbackCellType, WalkthroughSummaryType

IndicatorStatusEnum = strawberry.enum(
    signals.IndicatorStatus,
    name="IndicatorStatus",
    description="ON_TRACK, AT_RISK (short of the path by at most 10% of the baseline-to-target "
    "distance), OFF_TRACK, or NO_DATA.",
)
StatusBasisEnum = strawberry.enum(
    signals.StatusBasis,
    name="StatusBasis",
    description="TRAJECTORY: the path from baseline to target by the target date; DIRECTION: no target "
    "date or value, judged against the baseline; LEVEL: a level to maintain; NONE: not judged.",
)
BaselineSourceEnum = strawberry.enum(signals.BaselineSource, name="BaselineSource")
RunChartRuleSetEnum = strawberry.enum(
    signals.RunChartRuleSet,
    name="RunChartRuleSet",
    description="IHI (Provost & Murray) or ANHOEJ (Anhøj & Olesen).",
)
RunChartRuleEnum = strawberry.enum(signals.RunChartRule, name="RunChartRule")
RuleOutcomeEnum = strawberry.enum(
    signals.RuleOutcome,
    name="RuleOutcome",
    description="INSUFFICIENT_DATA: the series is too short for the rule.",
)
SignalSideEnum = strawberry.enum(
    signals.SignalSide, name="SignalSide", description="ABOVE / BELOW the median (runs), UP / DOWN (trends)."
)
MeasurementOutcomeEnum = strawberry.enum(
    schemas.RecordOutcome,
    name="MeasurementOutcome",
    description="What recording did: CREATED, or for a key already stored UPDATED or UNCHANGED.",
)

indicator_status_by_id = by_id(measurements.statuses_of_indicators)
measurement_by_id = by_id(measurements.measurements_by_id)


# --- types -------------------------------------------------------------------------------------------


@converter(Measurement, ids={"indicator_id": "Indicator", "school_id": "School"}, key="row.client_key")
@strawberry.type(
    name="Measurement", description="One value of an indicator: when, from how many, from where."
)
class MeasurementType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this measurement.")
    indicator_id: relay.GlobalID
    school_id: relay.GlobalID | None = strawberry.field(
        description="The school it is about; null: the district."
    )
    value: Decimal
    measured_on: date
    n: int | None = strawberry.field(description="How many it was drawn from.")
    source: str | None
    key: str | None = strawberry.field(description="The client's own id, which makes adding idempotent.")
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The indicator (measure) the value belongs to.")
    async def indicator(self, info: Info[Context, None]) -> IndicatorType | None:
        indicator_id = node_uuid(self.indicator_id, "Indicator")
        if indicator_id is None:
            return None
        row = await info.context.loader("plan_goal_indicator_by_id", goal_indicator_by_id).load(indicator_id)
        return IndicatorType.from_model(row) if row is not None else None

    resolve_nodes = node_resolver("measurement_by_id", measurement_by_id)


@converter(schemas.SeriesPoint)
@strawberry.type(name="SeriesPoint", description="A dated value of an indicator's series.")
class SeriesPointType:
    measured_on: date
    value: Decimal


@converter(ids={"measurement_id": "Measurement"})
@strawberry.type(name="SignalPoint", description="A point behind a run-chart signal.")
class SignalPointType:
    index: int = strawberry.field(description="Position in the series, oldest first, from 0.")
    measured_on: date
    value: Decimal
    measurement_id: relay.GlobalID


@converter(
    schemas.SignalPublic,
    points=lambda row: [SignalPointType.from_model(p) for p in row.points],
)
@strawberry.type(
    name="RunChartSignal", description="Something the run chart says, with the points behind it."
)
class RunChartSignalType:
    rule_set: RunChartRuleSetEnum  # type: ignore[valid-type]
    rule: RunChartRuleEnum  # type: ignore[valid-type]
    side: SignalSideEnum | None  # type: ignore[valid-type]
    favourable: bool | None = strawberry.field(
        description="Whether it points the better way for the indicator; null without a side or for a level."
    )
    detail: str
    points: list[SignalPointType]


@strawberry.type(name="RunChartRuleResult", description="One rule applied to the series.")
class RunChartRuleResultType:
    rule_set: RunChartRuleSetEnum  # type: ignore[valid-type]
    rule: RunChartRuleEnum  # type: ignore[valid-type]
    outcome: RuleOutcomeEnum  # type: ignore[valid-type]
    detail: str
    observed: int | None
    limit: int | None


@converter(
    schemas.RunChartPublic,
    rules=lambda row: [RunChartRuleResultType(**r.model_dump()) for r in row.rules],
    signals=lambda row: [RunChartSignalType.from_model(s) for s in row.signals],
)
@strawberry.type(name="RunChart", description="The run-chart reading of a series: its median and every rule.")
class RunChartType:
    points: int
    median: Decimal | None
    useful_observations: int = strawberry.field(description="Points not on the median.")
    runs: int
    crossings: int
    longest_run: int
    rules: list[RunChartRuleResultType]
    signals: list[RunChartSignalType]


@converter(
    schemas.IndicatorStatusPublic,
    ids={"indicator_id": "Indicator", "school_id": "School"},
    latest=lambda row: SeriesPointType.from_model(row.latest),
    baseline=lambda row: SeriesPointType.from_model(row.baseline),
    target=lambda row: SeriesPointType.from_model(row.target),
    run_chart=lambda row: RunChartType.from_model(row.run_chart),
)
@strawberry.type(
    name="IndicatorStatusReport",
    description="Where an indicator stands (the latest value against the path from baseline to target) and "
    "what its run chart signals.",
)
class IndicatorStatusReportType:
    indicator_id: relay.GlobalID
    school_id: relay.GlobalID | None = strawberry.field(description="Whose series; null: the district's.")
    status: IndicatorStatusEnum  # type: ignore[valid-type]
    basis: StatusBasisEnum  # type: ignore[valid-type]
    reason: str
    latest: SeriesPointType | None
    baseline: SeriesPointType | None
    baseline_source: BaselineSourceEnum | None  # type: ignore[valid-type]
    target: SeriesPointType | None
    expected: Decimal | None
    shortfall: Decimal | None = strawberry.field(
        description="How far the latest value falls short of `expected` the better way (negative: ahead)."
    )
    band: Decimal | None = strawberry.field(description="Shortfalls within it are AT_RISK.")
    run_chart: RunChartType


@converter(
    goal=lambda row: GoalType.from_row(row.goal, row.indicator),
    indicator=lambda row: IndicatorType.from_model(row.indicator),
    status=lambda row: IndicatorStatusReportType.from_model(row.status),
    feedback=lambda row: [FeedbackCellType.from_model(c) for c in row.feedback],
)
@strawberry.type(name="GoalDashboard", description="A goal, its indicator and where the indicator stands.")
class GoalDashboardType:
    goal: GoalType
    indicator: IndicatorType
    status: IndicatorStatusReportType
    feedback: list[FeedbackCellType] = strawberry.field(
        description="For a goal measured by student feedback: the released aggregates of its measure at the "
        "plan's school, one per period (suppressed where small; empty if you read no aggregates)."
    )


@strawberry.type(name="DashboardInputs", description="The open inputs of a plan's co-creation activities.")
class DashboardInputsType:
    count: int = strawberry.field(description="Every open input, whoever raised it.")
    items: list[InputType] = strawberry.field(description="Those you may see with their contributor.")


@converter(
    dashboard.DashboardView,
    plan=lambda row: PlanType.from_model(row.plan),
    goals=lambda row: [GoalDashboardType.from_model(g) for g in row.goals],
    overdue_action_steps=lambda row: [ActionStepType.from_model(s) for s in row.overdue_steps],
    overdue_checkpoints=lambda row: [ReviewCheckpointType.from_model(c) for c in row.overdue_checkpoints],
    due_checkpoints=lambda row: [ReviewCheckpointType.from_model(c) for c in row.due_checkpoints],
    latest_walkthrough=lambda row: WalkthroughSummaryType.from_model(row.walkthrough),
    open_inputs=lambda row: DashboardInputsType(
        count=row.open_input_count, items=[InputType.from_model(i) for i in row.open_inputs]
    ),
)
@strawberry.type(
    name="PlanDashboard",
    description="A plan at a glance: goals with their indicators' status and signals, overdue action steps, "
    "checkpoints overdue or due within 14 days, the latest walkthrough's levels, and open inputs.",
)
class PlanDashboardType:
    plan: PlanType
    as_of: date = strawberry.field(description="The day (UTC) overdue and due are judged on.")
    goals: list[GoalDashboardType]
    overdue_action_steps: list[ActionStepType]
    overdue_checkpoints: list[ReviewCheckpointType]
    due_checkpoints: list[ReviewCheckpointType]
    latest_walkthrough: WalkthroughSummaryType | None = strawberry.field(
        description="Null when the plan has no walkthrough you may read."
    )
    open_inputs: DashboardInputsType


@converter(ids={"measurement_id": ("Measurement", "id")})
@strawberry.type(name="RecordedMeasurement", description="One applied row of a bulk add.")
class RecordedMeasurementType:
    index: int = strawberry.field(description="The row's position in the input, from 0.")
    measurement_id: relay.GlobalID
    key: str | None
    outcome: MeasurementOutcomeEnum  # type: ignore[valid-type]


@converter(input_field=lambda row: camel_case(row.field) if row.field else None)
@strawberry.type(name="MeasurementRowError", description="A refused row of a bulk add.")
class MeasurementRowErrorType:
    index: int
    field: str | None = strawberry.field(description="The field at fault, as REST names it (snake_case).")
    input_field: str | None = strawberry.field(
        description="The field at fault as the row's input names it (`indicatorId`, `measuredOn`)."
    )
    message: str
    code: str


@converter(
    schemas.BulkResult,
    items=lambda row: [RecordedMeasurementType.from_model(i) for i in row.items],
    errors=lambda row: [MeasurementRowErrorType.from_model(e) for e in row.errors],
)
@strawberry.type(name="MeasurementBatchResult", description="What a bulk add did.")
class MeasurementBatchResultType:
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int = strawberry.field(description="Rows refused (in `errors`); with `partial: true` only.")
    items: list[RecordedMeasurementType]
    errors: list[MeasurementRowErrorType]


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class MonitoringQuery:
    indicator = lookup(
        "One indicator by its global id, for whoever may read the initiative or plan it measures; null if "
        "it is not there for you.",
        IndicatorType,
        measurements.get_indicator,
        IndicatorType.from_model,
        node="Indicator",
    )

    indicator_status = lookup(
        "Where an indicator stands and what its run chart signals: its own series, or one school's with "
        "`schoolId`. Null if the indicator is not there for you.",
        IndicatorStatusReportType,
        measurements.indicator_status,
        IndicatorStatusReportType.from_model,
        node="Indicator",
        id_name="indicator_id",
        school_id=id_arg("School"),
    )

    plan_dashboard = lookup(
        "A plan at a glance, in one call; null if the plan is not there for you.",
        PlanDashboardType,
        dashboard.dashboard_view,
        PlanDashboardType.from_model,
        node="Plan",
        id_name="plan_id",
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="A value of an indicator.")
class RecordMeasurementInput:
    indicator_id: relay.GlobalID
    value: Decimal
    measured_on: date
    n: int | None = strawberry.field(default=strawberry.UNSET, description="How many it was drawn from.")
    source: str | None = strawberry.UNSET
    school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="For a district indicator: the school the value is about."
    )
    key: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Your own id for it: sending the same key again never adds a second measurement.",
    )


RecordMeasurementPayload = payload(
    "RecordMeasurementPayload", measurement=MeasurementType, outcome=MeasurementOutcomeEnum
)


@strawberry.input(description="Up to 5,000 values across indicators, applied in one transaction.")
class RecordMeasurementsInput:
    measurements: list[RecordMeasurementInput]
    partial: bool = strawberry.field(
        default=False, description="Apply the valid rows and report the rest, instead of nothing."
    )


RecordMeasurementsPayload = payload("RecordMeasurementsPayload", result=MeasurementBatchResultType)


RemoveMeasurementInput = id_input("RemoveMeasurementInput")


def _row(row: RecordMeasurementInput) -> dict[str, Any]:
    """A mutation row as the bulk service takes it (REST's field names). An id of the wrong type is left
    as sent, so the service refuses that row by index rather than the whole input."""
    fields: dict[str, Any] = {
        name: value
        for name, value in vars(row).items()
        if value is not strawberry.UNSET and name not in {"indicator_id", "school_id"}
    }
    fields["indicator_id"] = node_uuid(row.indicator_id, "Indicator") or str(row.indicator_id)
    if row.school_id is not strawberry.UNSET:
        school = row.school_id
        fields["school_id"] = None if school is None else node_uuid(school, "School") or str(school)
    return fields


_RECORDED = Answer(
    RecordMeasurementPayload,
    convert=lambda recorded: {
        "measurement": MeasurementType.from_model(recorded.measurement),
        "outcome": recorded.outcome,
    },
)

_BATCH = answer(RecordMeasurementsPayload, result=MeasurementBatchResultType.from_model)


async def _record_rows(
    session: AsyncSession, principal: Principal, input: RecordMeasurementsInput
) -> schemas.BulkResult:
    rows = [_row(row) for row in input.measurements]
    return await measurements.record_measurements(session, principal, rows, partial=input.partial)


@strawberry.type
class MonitoringMutation:
    record_measurement = mutation(
        "Record a value of an indicator (leaders and coaches within their reach, monitoring "
        "integrations). With a key used before for this indicator nothing is added: the outcome says "
        "UNCHANGED or UPDATED.",
        create(RecordMeasurementInput, _RECORDED, measurements.record_measurement, schemas.MeasurementCreate)
        .under("indicator_id", "Indicator")
        .ids(school_id="School"),
    )

    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Record up to 5,000 values across indicators in one transaction, idempotent by key. If "
        "any row is refused nothing is applied and `userErrors` names each by `input.measurements.<index>`, "
        "unless `partial: true`.",
    )
    async def record_measurements(
        self, info: Info[Context, None], input: RecordMeasurementsInput
    ) -> RecordMeasurementsPayload:
        return await mutate(info, _BATCH, _record_rows, input)

    remove_measurement = mutation(
        "Remove a measurement.",
        removal(RemoveMeasurementInput, measurements.remove_measurement, "Measurement"),
    )
