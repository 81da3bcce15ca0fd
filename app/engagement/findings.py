"""The triangle findings co-creation and co-production can see. Registered on import (see
`app.initiatives.diagnostics`): a facts loader reads this area's record of the initiative once, and
the rules below read it from `facts.extra["engagement"]`.

N, the number of days after which co-production has lapsed and an unanswered input has been left
open, is the district's `engagement_lapse_days` setting (60 unless the district changes it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.labels import label
from app.core.models import utcnow
from app.core.sql import any_of
from app.engagement.models import Activity, ActivityStatus, Disposition, Input, Mode, Participation
from app.initiatives.diagnostics import TriangleFacts, facts_loader, finding_rule
from app.initiatives.models import (
    PARTICIPATION_ORDER,
    ParticipationLevel,
    Stage,
    StageChange,
    Stakeholder,
)
from app.initiatives.schemas import Finding
from app.tenancy.models import District

# Co-creation that reached at least "involve" gave people real influence on the design.
CREDITED_LEVEL = ParticipationLevel.INVOLVE


@dataclass
class EngagementFacts:
    lapse_days: int
    today: date
    held: list[Activity] = field(default_factory=list)
    # held activity id -> (stakeholder who attended it, directly or as the person they stand for; when
    # that attendance was recorded)
    attendees: dict[uuid.UUID, list[tuple[uuid.UUID, datetime]]] = field(default_factory=dict)
    # held activity id -> when its first attendance was recorded (activities nobody attended are absent)
    with_attendance: dict[uuid.UUID, datetime] = field(default_factory=dict)
    # open inputs: (input id, recorded at)
    open_inputs: list[tuple[uuid.UUID, datetime]] = field(default_factory=list)


@facts_loader("engagement")
async def load_engagement(session: AsyncSession, facts: TriangleFacts) -> EngagementFacts:
    initiative = facts.initiative
    lapse_days = await session.scalar(
        select(District.engagement_lapse_days).where(District.id == initiative.district_id)
    )
    found = EngagementFacts(lapse_days=lapse_days or 60, today=utcnow().date())
    held = select(Activity).where(
        Activity.initiative_id == initiative.id, Activity.status == ActivityStatus.HELD
    )
    found.held = list((await session.execute(held.order_by(Activity.held_on, Activity.id))).scalars())
    attended = (
        select(Participation.activity_id, Stakeholder.id, Participation.attendance_recorded_at)
        .join(
            Stakeholder,
            or_(
                Stakeholder.id == Participation.stakeholder_id,
                and_(Participation.person_id.is_not(None), Stakeholder.person_id == Participation.person_id),
            ),
        )
        .where(
            any_of(Participation.activity_id, [a.id for a in found.held]),
            Participation.attended.is_(True),
        )
    )
    for activity_id, stakeholder_id, recorded_at in (await session.execute(attended)).all():
        found.attendees.setdefault(activity_id, []).append((stakeholder_id, recorded_at))
    anyone = (
        select(Participation.activity_id, func.min(Participation.attendance_recorded_at))
        .where(
            any_of(Participation.activity_id, [a.id for a in found.held]), Participation.attended.is_(True)
        )
        .group_by(Participation.activity_id)
    )
    found.with_attendance = {row[0]: row[1] for row in (await session.execute(anyone)).all()}
    open_inputs = (
        select(Input.id, Input.created_at)
        .join(Activity, Activity.id == Input.activity_id)
        .where(Activity.initiative_id == initiative.id, Input.disposition == Disposition.OPEN)
        .order_by(Input.created_at, Input.id)
    )
    found.open_inputs = [(i, at) for i, at in (await session.execute(open_inputs)).all()]
    return found


def _engagement(facts: TriangleFacts) -> EngagementFacts:
    return facts.extra["engagement"]


# Stages an initiative reaches only once its design is settled: co-creation after that is not co-creation.
DESIGN_SETTLED = frozenset({Stage.APPROVED, Stage.IMPLEMENTING, Stage.SUSTAINING})


def design_settled_at(facts: TriangleFacts) -> StageChange | None:
    """The move that settled the design the initiative now carries out: its latest entry into approved
    (an initiative sent back to co-design and approved again is judged by its second approval). None
    while it is still being designed, or when it was retired before approval."""
    if facts.initiative.stage not in DESIGN_SETTLED:
        return None
    approvals = [c for c in facts.stage_history if c.to_stage is Stage.APPROVED]
    return approvals[-1] if approvals else None


def _before(held_on: date, recorded_at: datetime, settled: StageChange | None) -> bool:
    """Held, and recorded, before the design was settled. Both: a session recorded after approval with
    an earlier date is the after-the-fact record the sequence rule is there to refuse."""
    if settled is None:
        return True
    return held_on <= settled.created_at.date() and recorded_at <= settled.created_at


def _counted_co_creation(facts: TriangleFacts) -> tuple[list[Activity], StageChange | None]:
    """The held co-creation that counts for the initiative's current stage, and the move it is judged
    against."""
    seen = _engagement(facts)
    settled = design_settled_at(facts)
    counted = [
        a for a in seen.held if a.mode is Mode.CO_CREATION and _before(a.held_on, a.created_at, settled)
    ]
    return counted, settled


@finding_rule
def built_then_asked(facts: TriangleFacts) -> Iterator[Finding]:
    """Approved or implementing without co-creation, held before approval, that included the key
    authorizers: the pattern of designing first and asking for support afterwards. Dates decide: a
    session held or recorded after the initiative was approved does not count for its approval."""
    if facts.initiative.stage not in (Stage.APPROVED, Stage.IMPLEMENTING):
        return
    seen = _engagement(facts)
    co_creation, settled = _counted_co_creation(facts)
    key = {s.id: s for p, s in facts.placements if p.key_authorizer}
    stage = label(facts.initiative.stage)
    when = f" before it was approved on {settled.created_at.date().isoformat()}" if settled else ""
    if not co_creation:
        late = [a for a in seen.held if a.mode is Mode.CO_CREATION]
        after = f" ({len(late)} held or recorded afterwards do not count)" if late else ""
        yield Finding(
            code="legitimacy.built_then_asked",
            corner="legitimacy",
            severity="high",
            explanation=f"The initiative is {stage} but no co-creation activity was held{when}{after}: it "
            "was designed without the people whose support it needs, who are now asked to back it.",
        )
        return
    included = {
        stakeholder_id
        for a in co_creation
        for stakeholder_id, recorded_at in seen.attendees.get(a.id, [])
        if settled is None or recorded_at <= settled.created_at
    }
    left_out = [s for sid, s in key.items() if sid not in included]
    if key and len(left_out) == len(key):
        names = ", ".join(s.name for s in left_out)
        yield Finding(
            code="legitimacy.built_then_asked",
            corner="legitimacy",
            severity="high",
            explanation=f"The initiative is {stage}, but none of its key authorizers ({names}) took part "
            f"in a co-creation activity{when}: it was built first and their support asked for afterwards.",
            subjects=[s.id for s in left_out],
        )


@finding_rule
def co_production_lapsed(facts: TriangleFacts) -> Iterator[Finding]:
    if facts.initiative.stage is not Stage.IMPLEMENTING:
        return
    seen = _engagement(facts)
    since = seen.today - timedelta(days=seen.lapse_days)
    recent = [a for a in seen.held if a.mode is Mode.CO_PRODUCTION and a.held_on >= since]
    if not recent:
        last = [a for a in seen.held if a.mode is Mode.CO_PRODUCTION]
        when = f"the last was on {last[-1].held_on.isoformat()}" if last else "there has been none"
        yield Finding(
            code="legitimacy.co_production_lapsed",
            corner="legitimacy",
            severity="medium",
            explanation=f"No co-production activity in the last {seen.lapse_days} days ({when}): the "
            "people who shaped the work are no longer in it while it is being implemented.",
        )


@finding_rule
def inputs_left_open(facts: TriangleFacts) -> Iterator[Finding]:
    seen = _engagement(facts)
    cutoff = utcnow() - timedelta(days=seen.lapse_days)
    stale = [input_id for input_id, at in seen.open_inputs if at < cutoff]
    if stale:
        yield Finding(
            code="legitimacy.inputs_left_open",
            corner="legitimacy",
            severity="medium",
            explanation=f"{len(stale)} input(s) have waited more than {seen.lapse_days} days without a "
            "disposition. People who were asked and never answered stop taking part.",
            subjects=stale,
        )


@finding_rule
def co_creation_credit(facts: TriangleFacts) -> Iterator[Finding]:
    """Credit for co-creation at `involve` or above that someone attended, held (and attended) before
    the design was settled: what came after approval shaped nothing that was approved."""
    seen = _engagement(facts)
    floor = PARTICIPATION_ORDER.index(CREDITED_LEVEL)
    co_creation, settled = _counted_co_creation(facts)
    reached = [
        a
        for a in co_creation
        if PARTICIPATION_ORDER.index(a.participation_level) >= floor
        and a.id in seen.with_attendance
        and (settled is None or seen.with_attendance[a.id] <= settled.created_at)
    ]
    if reached:
        titles = "; ".join(a.title for a in reached)
        yield Finding(
            code="legitimacy.co_creation_credit",
            corner="legitimacy",
            severity="credit",
            explanation=f"Co-creation gave stakeholders real influence on the design (at least "
            f"'{label(CREDITED_LEVEL)}'): {titles}.",
            subjects=[a.id for a in reached],
        )
