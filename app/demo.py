"""Provisioning a district from the command line, and the demo data set built the same way.

Everything goes through the services as the installation's operator (the SYSTEM principal), so demo
data obeys every rule the APIs enforce and leaves the same audit trail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda.demo import seed_agenda
from app.auth.principal import SYSTEM, Principal
from app.coaching import demo as coaching_demo
from app.coaching.demo import seed_catalogue
from app.continuity.demo import seed_next_year
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.demo import seed_languages
from app.engagement.models import ActivityKind, ActivityStatus, ChangeTarget, Disposition, InputKind, Mode
from app.engagement.schemas import (
    ActivityCreate,
    InputCreate,
    InputLinkCreate,
    InputUpdate,
    ParticipationCreate,
)
from app.identity import service as identity
from app.identity.demo import demo_staff
from app.identity.models import PersonKind, Role
from app.identity.schemas import RoleGrantInput, UserCreate
from app.initiatives import service as initiatives
from app.initiatives.models import (
    CapacityCategory,
    CapacityItem,
    CapacityStatus,
    Direction,
    IndicatorKind,
    Initiative,
    ParticipationLevel,
    Stage,
    StageChange,
    Stakeholder,
    StakeholderCategory,
    Stance,
)
from app.initiatives.schemas import (
    CapacityItemCreate,
    IndicatorCreate,
    InitiativeCreate,
    InitiativeUpdate,
    PlacementCreate,
    PlacementUpdate,
    StakeholderCreate,
)
from app.monitoring.demo import demo_school_teachers, seed_monitoring
from app.plans import service as plans
from app.plans.models import CauseKind, CollaboratorRole, EvidenceKind, PlanStatus, StepStatus
from app.plans.schemas import (
    ActionStepCreate,
    CauseRef,
    Change,
    CheckpointSchedule,
    CheckpointUpdate,
    CollaboratorCreate,
    EvidenceCreate,
    GoalCreate,
    PlanCreate,
    PlanUpdate,
    RevisionCreate,
    RevisionDecision,
    StrategyCreate,
)
from app.releases import service as releases
from app.releases.models import ReleaseSubject
from app.releases.schemas import ReleaseCreate
from app.sis.demo import seed_sis
from app.tenancy import service as tenancy
from app.tenancy.models import District, School
from app.tenancy.operator import find_district, operator_of
from app.tenancy.schemas import DistrictCreate, SchoolCreate

# One account per role; the school roles (and the coach) work at the district's first school.
DEMO_ROLES: list[tuple[Role, bool, str]] = [
    (Role.DISTRICT_ADMIN, False, "Dana Okafor"),
    (Role.DISTRICT_LEADER, False, "Luis Ortega"),
    (Role.SCHOOL_LEADER, True, "Priya Raman"),
    (Role.COACH, True, "Sam Whitfield"),
    (Role.TEACHER, True, "Maria Chen"),
    (Role.COMMUNITY_MEMBER, False, "Grace Mbeki"),
    (Role.VIEWER, False, "Tom Alvarez"),
]


@dataclass(frozen=True)
class DistrictSpec:
    district: DistrictCreate
    email_domain: str
    schools: list[SchoolCreate]


@dataclass
class ProvisionedDistrict:
    district_id: uuid.UUID
    name: str
    school_ids: list[uuid.UUID]
    # role -> (user id, email)
    users: dict[Role, tuple[uuid.UUID, str]] = field(default_factory=dict)
    existed: bool = False


DEMO_DISTRICTS = [
    DistrictSpec(
        DistrictCreate(
            name="Riverside Unified (demo)", timezone="America/Los_Angeles", sourced_id="demo-riverside"
        ),
        "riverside.example.org",
        [
            SchoolCreate(
                name="Riverside Elementary", sourced_id="demo-rv-es", grade_low="KG", grade_high="05"
            ),
            SchoolCreate(name="Cedar Hill Middle", sourced_id="demo-rv-ms", grade_low="06", grade_high="08"),
            SchoolCreate(name="Riverside High", sourced_id="demo-rv-hs", grade_low="09", grade_high="12"),
        ],
    ),
    DistrictSpec(
        DistrictCreate(
            name="Lakeview School District (demo)", timezone="America/Chicago", sourced_id="demo-lakeview"
        ),
        "lakeview.example.org",
        [
            SchoolCreate(name="Lakeview Primary", sourced_id="demo-lv-es", grade_low="PK", grade_high="04"),
            SchoolCreate(
                name="Lakeview Junior-Senior High", sourced_id="demo-lv-hs", grade_low="07", grade_high="12"
            ),
        ],
    ),
]


async def provision_district(session: AsyncSession, spec: DistrictSpec, password: str) -> ProvisionedDistrict:
    """Create a district, its schools and one account per role, all with `password`."""
    district = await tenancy.create_district(session, SYSTEM, spec.district)
    operator = operator_of(district.id)
    schools = [await tenancy.create_school(session, operator, district.id, s) for s in spec.schools]
    result = ProvisionedDistrict(district.id, district.name, [s.id for s in schools])
    for role, at_school, display_name in DEMO_ROLES:
        email = f"{role.value.replace('_', '.')}@{spec.email_domain}"
        grant = RoleGrantInput(role=role, school_id=schools[0].id if at_school else None)
        kind = PersonKind.COMMUNITY_MEMBER if role is Role.COMMUNITY_MEMBER else PersonKind.STAFF
        user = await identity.create_user(
            session,
            operator,
            UserCreate(email=email, password=password, display_name=display_name, kind=kind, roles=[grant]),
        )
        result.users[role] = (user.id, email)
    return result


async def create_admin(
    session: AsyncSession, district_name: str, email: str, password: str
) -> tuple[District, bool]:
    """`triangle create-admin`: the district (created if new) and a district_admin account in it.
    Returns the district and whether it was created."""
    district = await find_district(session, district_name)
    created = district is None
    if district is None:
        district = await tenancy.create_district(session, SYSTEM, DistrictCreate(name=district_name))
    await identity.create_user(
        session,
        operator_of(district.id),
        UserCreate(
            email=email,
            password=password,
            display_name=email.split("@")[0],
            roles=[RoleGrantInput(role=Role.DISTRICT_ADMIN)],
        ),
    )
    return district, created


async def load_demo(database_url: str, settings: Settings, password: str) -> list[ProvisionedDistrict]:
    """The demo data set. Idempotent: a demo district that exists is left as it is."""
    engine = create_engine(database_url, settings)
    results: list[ProvisionedDistrict] = []
    try:
        factory = create_session_factory(engine)
        for spec in DEMO_DISTRICTS:
            async with session_scope(factory, SYSTEM) as session:
                existing = await find_district(session, spec.district.name)
                if existing is not None:
                    results.append(ProvisionedDistrict(existing.id, existing.name, [], existed=True))
                    continue
                provisioned = await provision_district(session, spec, password)
                await seed_initiatives(session, provisioned.district_id)
                await seed_engagement(session, provisioned.district_id)
                await seed_languages(session, provisioned.district_id)
                await seed_sis(session, provisioned.district_id)
                await seed_plans(session, provisioned.district_id)
                operator = operator_of(provisioned.district_id)
                practices = await seed_catalogue(session, operator)
                await seed_monitoring(
                    session, provisioned.district_id, _READS, practices[coaching_demo.STRUCTURED_LITERACY]
                )
                where = await demo_school_teachers(session, provisioned.district_id)
                if where is not None:
                    await coaching_demo.seed_coaching(session, provisioned.district_id, *where, practices)
                await seed_agenda(session, provisioned.district_id)
                await seed_next_year(session, provisioned.district_id)
                await release_demo_figures(session, operator_of(provisioned.district_id))
                results.append(provisioned)
    finally:
        await engine.dispose()
    return results


async def release_demo_figures(session: AsyncSession, operator: Principal) -> None:
    """Release what a district would have released by now: last month's behaviour figures, this
    school year's fall term of student feedback, and this school year's coaching counts so far."""
    today = utcnow().date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    fall = f"{today.year if today.month >= 7 else today.year - 1}-fall"
    for data in (
        ReleaseCreate(
            subject=ReleaseSubject.BEHAVIOR,
            period=last_month_end.strftime("%Y-%m"),
            period_start=last_month_end.replace(day=1),
            period_end=last_month_end,
        ),
        ReleaseCreate(subject=ReleaseSubject.FEEDBACK, period=fall),
        ReleaseCreate(subject=ReleaseSubject.COACHING, period=coaching_demo.school_year(utcnow())),
    ):
        await releases.create_release(session, operator, data)


# --- initiatives with realistic authorizing environments ---------------------------------------------


@dataclass(frozen=True)
class _Placement:
    stakeholder: str
    power: int
    interest: int
    stances: tuple[Stance, ...]  # the history, oldest first
    level: ParticipationLevel = ParticipationLevel.INFORM
    key: bool = False


DEMO_STAKEHOLDERS = [
    StakeholderCreate(
        name="Board of Education", category=StakeholderCategory.BOARD, is_group=True, formal_authority=True
    ),
    StakeholderCreate(
        name="Teachers' association", category=StakeholderCategory.UNION, is_group=True, formal_authority=True
    ),
    StakeholderCreate(name="District PTA council", category=StakeholderCategory.FAMILY, is_group=True),
    StakeholderCreate(name="Literacy coaches", category=StakeholderCategory.TEACHER, is_group=True),
    StakeholderCreate(
        name="Eastside Community Coalition",
        category=StakeholderCategory.COMMUNITY_ORGANIZATION,
        is_group=True,
    ),
    StakeholderCreate(
        name="Principals' leadership network", category=StakeholderCategory.SCHOOL_LEADERSHIP, is_group=True
    ),
    StakeholderCreate(
        name="City public library", category=StakeholderCategory.COMMUNITY_ORGANIZATION, is_group=True
    ),
]

_S = Stance
DEMO_INITIATIVES: list[
    tuple[InitiativeCreate, Stage, list[IndicatorCreate], list[CapacityItemCreate], list[_Placement]]
] = [
    (
        InitiativeCreate(
            title="Every child reads by grade 3",
            public_value="Every student reads on grade level by the end of grade 3.",
            beneficiaries="Students in kindergarten to grade 3 and their families",
            published=True,
        ),
        Stage.IMPLEMENTING,
        [
            IndicatorCreate(
                name="Grade 3 students reading on grade level",
                unit="% of students",
                direction=Direction.INCREASE,
                baseline_value=Decimal("54"),
                baseline_date=date(2025, 6, 1),
                target_value=Decimal("80"),
                target_date=date(2028, 6, 1),
            ),
            IndicatorCreate(
                name="Classrooms using the structured-literacy block",
                kind=IndicatorKind.IMPLEMENTATION,
                unit="% of classrooms",
                direction=Direction.INCREASE,
                target_value=Decimal("90"),
                target_date=date(2027, 6, 1),
            ),
        ],
        [
            CapacityItemCreate(
                category=CapacityCategory.PEOPLE,
                description="A literacy coach in every elementary school",
                status=CapacityStatus.BUILDING,
            ),
            CapacityItemCreate(
                category=CapacityCategory.SKILLS,
                description="Structured-literacy training for K-3 teachers",
                status=CapacityStatus.IN_PLACE,
            ),
            CapacityItemCreate(
                category=CapacityCategory.SYSTEMS,
                description="A screening data system teachers can use weekly",
                status=CapacityStatus.MISSING,
            ),
        ],
        [
            _Placement("Board of Education", 5, 4, (_S.SUPPORTIVE,), ParticipationLevel.CONSULT, key=True),
            _Placement(
                "Teachers' association",
                5,
                5,
                (_S.NEUTRAL, _S.SUPPORTIVE, _S.SKEPTICAL),
                ParticipationLevel.INVOLVE,
                key=True,
            ),
            _Placement(
                "Literacy coaches", 3, 5, (_S.SUPPORTIVE, _S.CHAMPION), ParticipationLevel.COLLABORATE
            ),
            _Placement("District PTA council", 2, 4, (_S.NEUTRAL,)),
        ],
    ),
    (
        InitiativeCreate(
            title="Community schools on the Eastside",
            public_value="Families on the Eastside find health, food and learning support at their school.",
            beneficiaries="Eastside families and students",
        ),
        Stage.CO_DESIGNING,
        [],
        [
            CapacityItemCreate(
                category=CapacityCategory.PEOPLE,
                description="A community-school coordinator",
                status=CapacityStatus.MISSING,
            )
        ],
        [
            _Placement("Eastside Community Coalition", 3, 5, (_S.CHAMPION,), ParticipationLevel.COLLABORATE),
            _Placement("City public library", 2, 3, (_S.SUPPORTIVE,), ParticipationLevel.INVOLVE),
            _Placement("Board of Education", 5, 2, (_S.NEUTRAL,), ParticipationLevel.INFORM, key=True),
        ],
    ),
    (
        InitiativeCreate(
            title="Teacher-led professional learning communities",
            public_value="Teachers improve instruction together, using their own students' work.",
            beneficiaries="Teachers and their students",
        ),
        Stage.EXPLORING,
        [
            IndicatorCreate(
                name="Teachers who say PLC time improves their teaching",
                kind=IndicatorKind.PERCEPTION,
                unit="% of teachers",
                direction=Direction.INCREASE,
            )
        ],
        [],
        [
            _Placement("Principals' leadership network", 4, 4, (_S.SUPPORTIVE,), ParticipationLevel.CONSULT),
            _Placement("Teachers' association", 5, 4, (_S.SKEPTICAL,), ParticipationLevel.INFORM, key=True),
        ],
    ),
]

_STAGE_PATH = [Stage.EXPLORING, Stage.CO_DESIGNING, Stage.APPROVED, Stage.IMPLEMENTING]
# When each demo initiative entered each stage, in days before the demo is loaded: the literacy design
# session (240 days ago, `DEMO_ACTIVITIES`) came before its approval, as the sequence rule asks.
_STAGE_DAYS_AGO = {
    Stage.EXPLORING: 300,
    Stage.CO_DESIGNING: 260,
    Stage.APPROVED: 200,
    Stage.IMPLEMENTING: 180,
}


async def seed_initiatives(session: AsyncSession, district_id: uuid.UUID) -> int:
    """Two or three initiatives with value measures, capacity and an authorizing environment whose
    stances have moved over time. Returns how many were created."""
    operator = operator_of(district_id)
    stakeholders = {
        s.name: await initiatives.create_stakeholder(session, operator, s) for s in DEMO_STAKEHOLDERS
    }
    for data, stage, measures, capacity, placements in DEMO_INITIATIVES:
        initiative = await initiatives.create_initiative(session, operator, data)
        for measure in measures:
            await initiatives.add_measure(session, operator, initiative.id, measure)
        for item in capacity:
            await initiatives.add_capacity_item(session, operator, initiative.id, item)
        for p in placements:
            first, *later = p.stances
            placement = await initiatives.place_stakeholder(
                session,
                operator,
                initiative.id,
                PlacementCreate(
                    stakeholder_id=stakeholders[p.stakeholder].id,
                    power=p.power,
                    interest=p.interest,
                    stance=first,
                    participation_level=p.level,
                    key_authorizer=p.key,
                    evidence="Recorded at the first mapping of the authorizing environment.",
                ),
            )
            for stance in later:
                await initiatives.update_placement(
                    session,
                    operator,
                    placement.id,
                    PlacementUpdate(stance=stance, evidence="Heard at a listening session."),
                )
        for next_stage in _STAGE_PATH[1 : _STAGE_PATH.index(stage) + 1] if stage in _STAGE_PATH else []:
            await initiatives.update_initiative(
                session, operator, initiative.id, InitiativeUpdate(stage=next_stage)
            )
        # The demo tells a year that has already happened: each move is dated when it would have been.
        moves = await session.execute(select(StageChange).where(StageChange.initiative_id == initiative.id))
        for move in moves.scalars():
            move.created_at = utcnow() - timedelta(days=_STAGE_DAYS_AGO[move.to_stage])
    await session.flush()
    return len(DEMO_INITIATIVES)


# --- co-creation and co-production, so "you said, we did" has something to say ------------------------


@dataclass(frozen=True)
class _Said:
    who: str  # a stakeholder's name
    kind: InputKind
    text: str
    disposition: Disposition = Disposition.OPEN
    reason: str | None = None
    response: str | None = None
    days_to_response: int = 14
    changed: tuple[str, str] | None = None  # ("field", name) or ("capacity", description)


@dataclass(frozen=True)
class _Activity:
    initiative: str
    mode: Mode
    kind: ActivityKind
    title: str
    days_ago: int
    level: ParticipationLevel
    attended: tuple[str, ...]
    named: tuple[str, ...] = ()  # participants who agreed to be named in published reports
    said: tuple[_Said, ...] = ()
    published: bool = True


_READS = "Every child reads by grade 3"
_EASTSIDE = "Community schools on the Eastside"
DEMO_ACTIVITIES = [
    _Activity(
        _READS,
        Mode.CO_CREATION,
        ActivityKind.DESIGN_SESSION,
        "Designing the K-3 literacy block with teachers and families",
        days_ago=240,
        level=ParticipationLevel.INVOLVE,
        attended=("Teachers' association", "Literacy coaches", "District PTA council", "Board of Education"),
        named=("District PTA council",),
        said=(
            _Said(
                "Teachers' association",
                InputKind.CONCERN,
                "Weekly screening on paper will eat the planning time teachers have.",
                Disposition.ADAPTED,
                reason="Screening stays weekly, but only for students below benchmark.",
                response="We kept weekly screening for students below benchmark and are buying a data "
                "system so results are entered once.",
                days_to_response=21,
                changed=("capacity", "A screening data system teachers can use weekly"),
            ),
            _Said(
                "District PTA council",
                InputKind.IDEA,
                "Hold family reading nights so parents learn the same routines.",
                Disposition.ADOPTED,
                response="Every elementary school now holds a family reading night each term.",
                days_to_response=10,
                changed=("field", "beneficiaries"),
            ),
            _Said(
                "Literacy coaches",
                InputKind.BARRIER,
                "The master schedule has no protected 90-minute block in grades 2-3.",
                Disposition.UNDER_CONSIDERATION,
                response="Principals are testing two schedule models this spring.",
                days_to_response=30,
            ),
            _Said(
                "Board of Education",
                InputKind.QUESTION,
                "Can we buy decodable readers for every classroom this year?",
                Disposition.DECLINED,
                reason="This year's budget covers grades K-1 only; grades 2-3 follow next year.",
                response="Not this year: K-1 classrooms get decodable readers now, grades 2-3 next year.",
                days_to_response=45,
            ),
        ),
    ),
    _Activity(
        _READS,
        Mode.CO_PRODUCTION,
        ActivityKind.CO_LED_PLC,
        "Co-led PLC: looking at grade 2 running records",
        days_ago=20,
        level=ParticipationLevel.COLLABORATE,
        attended=("Literacy coaches", "Teachers' association"),
        said=(
            _Said(
                "Literacy coaches",
                InputKind.LEVERAGE_POINT,
                "Grade 2 teams that share running records weekly move twice as many students.",
            ),
        ),
        published=False,
    ),
    _Activity(
        _EASTSIDE,
        Mode.CO_CREATION,
        ActivityKind.LISTENING_SESSION,
        "Listening session with Eastside families",
        days_ago=35,
        level=ParticipationLevel.CONSULT,
        attended=("Eastside Community Coalition", "City public library"),
        named=("City public library",),
        said=(
            _Said(
                "Eastside Community Coalition",
                InputKind.IDEA,
                "Open the school clinic in the evenings, when parents are off work.",
            ),
            _Said(
                "City public library",
                InputKind.IDEA,
                "Run the homework help desk from the library branch next door.",
                Disposition.DEFERRED,
                response="A good idea for year two, once the coordinator is hired.",
                days_to_response=7,
            ),
        ),
    ),
]


async def seed_engagement(session: AsyncSession, district_id: uuid.UUID) -> int:
    """Activities, who attended and what they said about the demo initiatives, with what became of it.
    Dates are set relative to today so the lapse findings and response times mean something."""
    operator = operator_of(district_id)
    by_title = {
        i.title: i
        for i in (
            await session.execute(select(Initiative).where(Initiative.district_id == district_id))
        ).scalars()
    }
    stakeholders = {
        s.name: s
        for s in (
            await session.execute(select(Stakeholder).where(Stakeholder.district_id == district_id))
        ).scalars()
    }
    today = utcnow()
    for spec in DEMO_ACTIVITIES:
        initiative = by_title[spec.initiative]
        held = today - timedelta(days=spec.days_ago)
        activity = await engagement.create_activity(
            session,
            operator,
            ActivityCreate(
                mode=spec.mode,
                kind=spec.kind,
                title=spec.title,
                held_on=held.date(),
                participation_level=spec.level,
                initiative_id=initiative.id,
                status=ActivityStatus.HELD,
                published=spec.published,
            ),
        )
        activity.created_at = held  # recorded on the day it was held
        participations = {
            name: await engagement.add_participation(
                session,
                operator,
                activity.id,
                ParticipationCreate(stakeholder_id=stakeholders[name].id, may_be_named=name in spec.named),
            )
            for name in spec.attended
        }
        for participation in participations.values():
            participation.created_at = participation.attendance_recorded_at = held
        for said in spec.said:
            row = await engagement.add_input(
                session,
                operator,
                activity.id,
                InputCreate(participation_id=participations[said.who].id, kind=said.kind, text=said.text),
            )
            row.created_at = held  # said in the room, on the day
            if said.disposition is not Disposition.OPEN:
                await engagement.update_input(
                    session,
                    operator,
                    row.id,
                    InputUpdate(disposition=said.disposition, reason=said.reason, response=said.response),
                )
                row.responded_at = held + timedelta(days=said.days_to_response)
            if said.changed is not None:
                target, name = said.changed
                if target == "field":
                    link = InputLinkCreate(
                        target=ChangeTarget.INITIATIVE_FIELD, target_id=initiative.id, field_name=name
                    )
                else:
                    item = await session.scalar(
                        select(CapacityItem).where(
                            CapacityItem.initiative_id == initiative.id, CapacityItem.description == name
                        )
                    )
                    link = InputLinkCreate(target=ChangeTarget.CAPACITY_ITEM, target_id=item.id)  # type: ignore[union-attr]
                await engagement.link_input(session, operator, row.id, link)
    await session.flush()
    return len(DEMO_ACTIVITIES)


# --- improvement plans, one per demo school at different stages --------------------------------------


async def seed_plans(session: AsyncSession, district_id: uuid.UUID) -> int:
    """An active plan with its history at the first school, one in review at the second, a draft still
    short of co-creation at the third. Returns how many plans were created."""
    operator = operator_of(district_id)
    schools = list(
        (
            await session.execute(
                select(School).where(School.district_id == district_id).order_by(School.created_at, School.id)
            )
        ).scalars()
    )
    reads = await session.scalar(
        select(Initiative).where(Initiative.district_id == district_id, Initiative.title == _READS)
    )
    coaches = await session.scalar(
        select(Stakeholder).where(
            Stakeholder.district_id == district_id, Stakeholder.name == "Literacy coaches"
        )
    )
    staff = await demo_staff(session, district_id)
    today = utcnow().date()
    start = today.year if today.month >= 7 else today.year - 1  # school years start in the summer
    cycle = f"{start}-{(start + 1) % 100:02d}"

    async def co_create(plan_id: uuid.UUID, title: str, days_ago: int) -> uuid.UUID:
        """Hold a design-team meeting for the plan; returns the barrier it raised."""
        activity = await engagement.create_activity(
            session,
            operator,
            ActivityCreate(
                mode=Mode.CO_CREATION,
                kind=ActivityKind.DESIGN_TEAM_MEETING,
                title=title,
                held_on=today - timedelta(days=days_ago),
                participation_level=ParticipationLevel.COLLABORATE,
                plan_id=plan_id,
                status=ActivityStatus.HELD,
            ),
        )
        participation = await engagement.add_participation(
            session,
            operator,
            activity.id,
            ParticipationCreate(stakeholder_id=coaches.id),  # type: ignore[union-attr]
        )
        barrier = await engagement.add_input(
            session,
            operator,
            activity.id,
            InputCreate(
                participation_id=participation.id,
                kind=InputKind.BARRIER,
                text="Intervention groups meet during science, so students miss it twice a week.",
            ),
        )
        await engagement.add_input(
            session,
            operator,
            activity.id,
            InputCreate(
                participation_id=participation.id,
                kind=InputKind.LEVERAGE_POINT,
                text="Two grade 2 teachers already run daily phonics warm-ups that work.",
            ),
        )
        return barrier.id

    async def tree(
        plan_id: uuid.UUID, goal: str, strategies: list[tuple[str, list[tuple[str, StepStatus]]]]
    ) -> list[uuid.UUID]:
        view = await plans.add_goal(
            session,
            operator,
            plan_id,
            GoalCreate(
                statement=goal,
                indicator=IndicatorCreate(
                    name="Students at benchmark on the spring screener",
                    unit="% of students",
                    direction=Direction.INCREASE,
                    baseline_value=Decimal("48"),
                    baseline_date=date(today.year - 1, 9, 15),
                    target_value=Decimal("65"),
                    target_date=date(today.year + 1, 5, 30),
                ),
            ),
        )
        step_ids = []
        for title, steps in strategies:
            strategy = await plans.add_strategy(
                session, operator, view.goal.id, StrategyCreate(title=title, driver="Core instruction")
            )
            for step_title, status in steps:
                step = await plans.add_action_step(
                    session,
                    operator,
                    strategy.id,
                    ActionStepCreate(
                        title=step_title,
                        owner_person_id=staff.get(Role.COACH),
                        starts_on=today - timedelta(days=60),
                        # Training runs late, so the dashboard has an overdue step to show.
                        due_on=today + timedelta(days=-5 if status is StepStatus.IN_PROGRESS else 30),
                        status=status,
                        blocked_reason="Waiting for the new schedule."
                        if status is StepStatus.BLOCKED
                        else None,
                        pilot_group="Two grade 2 classrooms" if "pilot" in step_title.lower() else None,
                        scale_up_criteria="Running records improve in both classrooms for six weeks"
                        if "pilot" in step_title.lower()
                        else None,
                    ),
                )
                step_ids.append(step.id)
        return step_ids

    created = 0
    for index, school in enumerate(schools[:3]):
        plan = await plans.create_plan(
            session,
            operator,
            PlanCreate(
                cycle=cycle,
                title=f"{school.name}: reading and belonging {cycle}",
                summary="Our school's plan, written with our teachers and families.",
                school_id=school.id,
                initiative_id=reads.id if reads and index == 0 else None,
            ),
        )
        created += 1
        for role, collaborator_role in (
            (Role.SCHOOL_LEADER, CollaboratorRole.LEAD),
            (Role.TEACHER, CollaboratorRole.CO_AUTHOR),
        ):
            if index == 0 and role in staff:
                await plans.add_collaborator(
                    session,
                    operator,
                    plan.id,
                    CollaboratorCreate(person_id=staff[role], role=collaborator_role),
                )
        steps = await tree(
            plan.id,
            "More students read on grade level by spring.",
            [
                (
                    "Daily structured-literacy block",
                    [
                        ("Pilot the phonics warm-up", StepStatus.DONE),
                        ("Train every K-3 teacher", StepStatus.IN_PROGRESS),
                    ],
                ),
                ("Protected intervention time", [("Move intervention out of science", StepStatus.BLOCKED)]),
            ],
        )
        await plans.add_evidence(
            session,
            operator,
            plan.id,
            EvidenceCreate(
                kind=EvidenceKind.EXEMPLAR,
                title="Grade 2 phonics warm-up: running records, fall to winter",
                description="An island of excellence: two classrooms doubled the share of students at benchmark.",
                exemplar_school_id=school.id,
            ),
        )
        if index == 2:
            continue  # a draft: no co-creation yet, so the policy check says what is missing
        barrier = await co_create(plan.id, "Design team: barriers and bright spots", days_ago=90 - 30 * index)
        await plans.update_plan(session, operator, plan.id, PlanUpdate(status=PlanStatus.IN_REVIEW))
        if index == 1:
            continue  # in review, its barrier still unanswered: the policy check shows approval waits
        # Approval needs the barrier answered: the plan moves intervention out of science, ten days after
        # the design team raised it.
        answered = await engagement.update_input(
            session,
            operator,
            barrier,
            InputUpdate(
                disposition=Disposition.ADOPTED,
                response="Intervention moves out of science: see 'Protected intervention time' in the plan.",
            ),
        )
        raised = utcnow() - timedelta(days=90 - 30 * index)
        answered.created_at, answered.responded_at = raised, raised + timedelta(days=10)
        await plans.update_plan(
            session, operator, plan.id, PlanUpdate(status=PlanStatus.APPROVED, published=True)
        )
        await plans.update_plan(session, operator, plan.id, PlanUpdate(status=PlanStatus.ACTIVE))
        review, *_upcoming = await plans.schedule_checkpoints(
            session,
            operator,
            plan.id,
            CheckpointSchedule(
                first_on=today - timedelta(days=14), every_weeks=3, until=today + timedelta(days=40)
            ),
        )
        await plans.update_checkpoint(
            session,
            operator,
            review.id,
            CheckpointUpdate(
                held_on=today - timedelta(days=13),
                attendee_person_ids=[
                    p for r, p in staff.items() if r in (Role.SCHOOL_LEADER, Role.TEACHER, Role.COACH)
                ],
                summary="The intervention move is blocked on the schedule; give it until the new term.",
                decisions="Push the due date of the schedule change; keep the pilot going.",
            ),
        )
        revision = await plans.propose_revision(
            session,
            operator,
            plan.id,
            RevisionCreate(
                reason="The first review found the schedule change cannot land before the new term.",
                changes=[
                    Change(
                        op="update",
                        entity="action_step",
                        id=steps[-1],
                        fields={"due_on": (today + timedelta(days=75)).isoformat()},
                    )
                ],
                caused_by=[CauseRef(kind=CauseKind.CHECKPOINT, id=review.id)],
            ),
        )
        await plans.accept_revision(
            session, operator, revision.revision.id, RevisionDecision(note="Agreed at the review.")
        )
        await plans.update_checkpoint(
            session, operator, review.id, CheckpointUpdate(revision_id=revision.revision.id)
        )
    await session.flush()
    return created
