"""REST for measurements, indicator status and run-chart signals, the run chart picture and the plan
dashboard.

Parse, call the service, shape the reply. No rules here.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Response, status

from app.core.problems import problem_responses
from app.core.resources import Resource
from app.core.rest import AreaRouter, Caller, Session
from app.initiatives.schemas import IndicatorPublic
from app.monitoring import chart, dashboard, measurements
from app.monitoring.schemas import (
    BulkResult,
    IndicatorStatusPublic,
    MeasurementBatch,
    MeasurementCreate,
    MeasurementPublic,
    PlanDashboard,
    RecordOutcome,
)

router = AreaRouter(tags=["progress monitoring"])

IndicatorId = Annotated[
    uuid.UUID, Path(description="The indicator's id (an initiative measure or a goal's).")
]
SeriesSchool = Annotated[
    uuid.UUID | None,
    Query(description="One school's series of a district indicator; omit for the indicator's own."),
]


INDICATORS = Resource(router, "/indicators/{indicator_id}", IndicatorId, IndicatorPublic)
INDICATORS.get(
    measurements.get_indicator,
    """One indicator, an initiative's value measure or a plan goal's, for whoever reads what it
    measures; its version in the `ETag` header, to send back in `If-Match` when you change it
    (`PATCH /indicators/{indicator_id}`: a goal's before its plan is approved, by revision after).""",
)


@router.post(
    "/indicators/{indicator_id}/measurements",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasurementPublic,
    responses={
        200: {
            "model": MeasurementPublic,
            "description": "The `key` was already recorded: nothing was added.",
        },
        **problem_responses(404, 409),
    },
)
async def record_measurement(
    indicator_id: IndicatorId,
    body: MeasurementCreate,
    response: Response,
    session: Session,
    principal: Caller,
) -> MeasurementPublic:
    """Record one value of the indicator (leaders and coaches within their reach, or a client with the
    `monitoring:write` scope). With a `key` you used before for this indicator nothing is added: the
    answer is 200 with the stored measurement, changed to what you sent if it differed. 201 otherwise."""
    recorded = await measurements.record_measurement(session, principal, indicator_id, body)
    if recorded.outcome is not RecordOutcome.CREATED:
        response.status_code = status.HTTP_200_OK
    return MeasurementPublic.model_validate(recorded.measurement)


@router.post(
    "/measurements/bulk",
    response_model=BulkResult,
    responses=problem_responses(404),
)
async def record_measurements(
    body: MeasurementBatch,
    session: Session,
    principal: Caller,
    partial: Annotated[
        bool, Query(description="Apply the valid rows and report the rest, instead of nothing.")
    ] = False,
) -> BulkResult:
    """Record up to 5,000 measurements across indicators, in one transaction.

    Idempotent by `key`: a row whose key is already stored adds nothing and is counted `unchanged`
    (or `updated`, if its value or date changed), so the same batch twice adds nothing the second time.
    Rows without a key are always added. If any row is refused nothing is applied: 422 when a row is
    invalid, 404 when a row names an indicator or school this district does not have (or you cannot
    reach), 403 when you may not record on a row's indicator; `errors` names each refused row by its
    index and field (`['body', 'measurements', 3, 'value']`). With `partial=true` the valid rows apply
    and the answer lists the refused ones in `errors`."""
    return await measurements.record_measurements(session, principal, body.measurements, partial=partial)


INDICATORS.items(
    "/measurements",
    MeasurementPublic,
    measurements.list_measurements,
    """The indicator's measurements in the order they were recorded, for whoever may read the
    initiative or plan it measures. `updated_since` for sync.""",
    filters={"school_id": Annotated[uuid.UUID | None, Query(description="Only this school's values.")]},
)


MEASUREMENTS = Resource(
    router, "/measurements/{measurement_id}", Annotated[uuid.UUID, Path(description="The measurement's id.")]
)
MEASUREMENTS.remove(
    measurements.remove_measurement,
    "Remove a measurement (a value recorded by mistake). Whoever may record on its indicator.",
)


@router.get(
    "/indicators/{indicator_id}/status",
    response_model=IndicatorStatusPublic,
    responses=problem_responses(404),
)
async def get_indicator_status(
    indicator_id: IndicatorId, session: Session, principal: Caller, school_id: SeriesSchool = None
) -> IndicatorStatusPublic:
    """Whether the indicator is on track, at risk or off track (or has no data), and its run-chart
    signals.

    The latest value is held to a straight path from the baseline to the target by the target date;
    falling short by up to 10% of the baseline-to-target distance is at risk, more is off track. With
    no baseline date the path starts at the first measurement (and with no baseline value the first
    measurement is the baseline); with no target date or value the status is judged by direction
    against the baseline (`basis: direction`); a `maintain` indicator is on track within 5% of its
    level and at risk within 10%. Signals follow the IHI rules (shift, trend, too few or too many runs)
    and Anhøj's (long run, few crossings), each with the points behind it; rules needing more points
    than the series has say `insufficient_data`."""
    return await measurements.indicator_status(session, principal, indicator_id, school_id=school_id)


@router.get(
    "/indicators/{indicator_id}/chart.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "The run chart."},
        **problem_responses(404),
    },
)
async def get_indicator_chart(
    indicator_id: IndicatorId, session: Session, principal: Caller, school_id: SeriesSchool = None
) -> Response:
    """The indicator's run chart as a standalone SVG picture: the series, its median, the target and
    the path to it, with the points behind run-chart signals ringed. Made to be embedded in a
    district's report."""
    svg = await chart.indicator_chart(session, principal, indicator_id, school_id=school_id)
    return Response(content=svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-cache"})


PLANS = Resource(router, "/plans/{plan_id}", Annotated[uuid.UUID, Path(description="The plan's id.")])
PLANS.view(
    "/dashboard",
    PlanDashboard,
    dashboard.plan_dashboard,
    """The plan at a glance, for whoever may read it: each goal's indicator with its status and
    signals, action steps overdue, review checkpoints overdue or due within 14 days, the latest
    walkthrough's share of classrooms at each level (for the school's staff; no teacher named), and
    the open inputs of its co-creation activities.""",
    name="get_plan_dashboard",
)
