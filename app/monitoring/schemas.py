"""Request and response models for measurements, indicator status, run-chart signals and the plan
dashboard. (Walkthroughs, PDSA cycles, PLC meetings and feedback have theirs in `practice_schemas`.)"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AliasChoices, Field, StringConstraints

from app.core.openapi import checked_one_by_one
from app.core.schemas import DecimalNumber, EntityPublic, PublicModel, RequestModel
from app.engagement.schemas import InputPublic
from app.initiatives.models import Direction
from app.initiatives.schemas import IndicatorPublic, Measure
from app.monitoring.signals import (
    BaselineSource,
    IndicatorStatus,
    RuleOutcome,
    RunChartRule,
    RunChartRuleSet,
    SignalSide,
    StatusBasis,
)
from app.plans.models import PlanStatus
from app.plans.schemas import ActionStepPublic, CheckpointPublic
from app.practice.schemas import FeedbackCell, WalkthroughSummary

# The most rows one bulk call takes, across indicators; the whole batch is one transaction.
MAX_BULK = 5_000

ClientKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(
        description="Your own id for this measurement, unique in the district. Sending it again does not "
        "add a second measurement: an unchanged value is reported `unchanged`, a changed one `updated`."
    ),
]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --- measurements -----------------------------------------------------------------------------------


class MeasurementCreate(RequestModel):
    value: Measure
    measured_on: date
    n: int | None = Field(default=None, ge=0, le=2_000_000_000, description="How many it was drawn from.")
    source: Source | None = Field(default=None, description="Where it came from, e.g. `Spring MAP`.")
    school_id: uuid.UUID | None = Field(
        default=None,
        description="For a district indicator: the school this value is about (omit for the district's "
        "own value). A school's indicator takes only its school's values.",
    )
    key: ClientKey | None = None


class MeasurementRow(MeasurementCreate):
    """One row of a bulk add: a measurement and the indicator it belongs to."""

    indicator_id: uuid.UUID


class MeasurementBatch(RequestModel):
    """Up to 5,000 measurements across indicators, applied in one transaction."""

    measurements: list[checked_one_by_one(MeasurementRow)] = Field(  # type: ignore[valid-type]
        max_length=MAX_BULK,
        description=f"Up to {MAX_BULK:,} rows, each a measurement with its `indicator_id`. Rows are "
        "checked one by one, so each refused row is named by its index.",
    )


class MeasurementPublic(EntityPublic):
    district_id: uuid.UUID
    indicator_id: uuid.UUID
    school_id: uuid.UUID | None
    value: DecimalNumber
    measured_on: date
    n: int | None
    source: str | None
    key: str | None = Field(validation_alias=AliasChoices("client_key", "key"))


class RecordOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class RecordedRow(PublicModel):
    index: int = Field(description="The row's position in the request, from 0.")
    id: uuid.UUID
    key: str | None
    outcome: RecordOutcome


class MeasurementRowError(PublicModel):
    index: int = Field(description="The row's position in the request, from 0.")
    field: str | None = Field(description="The field at fault (dotted), or null for the whole row.")
    message: str
    code: str


class BulkResult(PublicModel):
    """What a bulk add did: counts, each applied row, and each refused row."""

    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int = Field(description="Rows refused (listed in `errors`); with `partial=true` only.")
    items: list[RecordedRow]
    errors: list[MeasurementRowError]


# --- status and run-chart signals -------------------------------------------------------------------


class SeriesPoint(PublicModel):
    measured_on: date
    value: DecimalNumber


class SignalPoint(SeriesPoint):
    index: int = Field(description="Position in the series, oldest first, from 0.")
    measurement_id: uuid.UUID


class SignalPublic(PublicModel):
    rule_set: RunChartRuleSet
    rule: RunChartRule
    side: SignalSide | None = Field(description="Above or below the median (runs), up or down (trends).")
    favourable: bool | None = Field(
        description="Whether it points the better way for the indicator (null when it has no side or the "
        "indicator holds a level)."
    )
    detail: str
    points: list[SignalPoint] = Field(description="The points behind the signal.")


class RuleResultPublic(PublicModel):
    rule_set: RunChartRuleSet
    rule: RunChartRule
    outcome: RuleOutcome
    detail: str
    observed: int | None
    limit: int | None


class RunChartPublic(PublicModel):
    """The run-chart reading of the series: its median and every rule of both rule sets."""

    points: int
    median: DecimalNumber | None
    useful_observations: int = Field(description="Points not on the median.")
    runs: int
    crossings: int = Field(description="Times the series crosses its median.")
    longest_run: int
    rules: list[RuleResultPublic]
    signals: list[SignalPublic]


class IndicatorStatusPublic(PublicModel):
    """Where an indicator stands: the latest value against the straight path from baseline to target,
    and the run-chart signals of its series."""

    indicator_id: uuid.UUID
    name: str
    unit: str
    direction: Direction
    school_id: uuid.UUID | None = Field(
        description="The school whose series this is; null for the district's."
    )
    status: IndicatorStatus
    basis: StatusBasis
    reason: str
    latest: SeriesPoint | None
    baseline: SeriesPoint | None
    baseline_source: BaselineSource | None
    target: SeriesPoint | None = Field(description="Target value and date, when both are set.")
    expected: DecimalNumber | None = Field(
        description="What the path (or the level, or the baseline) expects."
    )
    shortfall: DecimalNumber | None = Field(
        description="How far the latest value falls short of `expected` in the better direction (negative: "
        "ahead); for a level to hold, how far from it either way."
    )
    band: DecimalNumber | None = Field(description="The at-risk band: shortfalls within it are at risk.")
    run_chart: RunChartPublic


# --- the plan dashboard -----------------------------------------------------------------------------


class GoalDashboard(PublicModel):
    goal_id: uuid.UUID
    statement: str
    indicator: IndicatorPublic
    status: IndicatorStatusPublic
    feedback: list[FeedbackCell] = Field(
        description="For a goal measured by student feedback: the released aggregates of its measure at "
        "the plan's school, one per period (suppressed where small; empty if you read no aggregates)."
    )


class OpenInputs(PublicModel):
    count: int = Field(description="Open inputs of the plan's activities, whoever raised them.")
    items: list[InputPublic] = Field(
        description="Those you may see with their contributor (as the activity's inputs list shows them)."
    )


class PlanDashboard(PublicModel):
    """One plan at a glance, in one call: each goal's indicator with its status and signals, action
    steps overdue, review checkpoints overdue or due soon, the latest walkthrough's levels and the
    inputs still waiting for an answer."""

    plan_id: uuid.UUID
    title: str
    cycle: str
    status: PlanStatus
    as_of: date = Field(description="The day (UTC) overdue and due are judged on.")
    goals: list[GoalDashboard]
    overdue_action_steps: list[ActionStepPublic] = Field(description="Due before `as_of` and not done.")
    overdue_checkpoints: list[CheckpointPublic] = Field(description="Scheduled before `as_of`, not held.")
    due_checkpoints: list[CheckpointPublic] = Field(
        description="Not held and scheduled from `as_of` to 14 days after it."
    )
    latest_walkthrough: WalkthroughSummary | None = Field(
        description="Null when the plan has no walkthrough you may read."
    )
    open_inputs: OpenInputs
