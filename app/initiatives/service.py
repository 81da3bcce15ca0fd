"""The rules for initiatives, their measures and capacity, stakeholders and the authorizing environment.

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

Who may do what (see `app.auth.permissions`): staff read their school's initiatives and everyone reads
what is published; district admins and leaders (and a school's leaders, for their school) create,
change and approve initiatives; the authorizing environment (stakeholders, stances, the map, the
triangle) is for leaders, coaches and admins.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

import app.initiatives.findings  # noqa: F401  (registers this area's triangle findings)
from app.auth.permissions import Action
from app.auth.policy import (
    authorize,
    authorize_on,
    children_visible_many,
    get_to_change,
    get_visible,
    get_visible_many,
    require,
    require_authenticated,
    visible,
    visible_page,
)
from app.auth.principal import Principal
from app.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.pagination import (
    Page,
    PageRequest,
    page_statement,
    paginate,
    paginate_per_parent,
)
from app.core.repository import (
    VersionCheck,
    apply_changes,
    check_version,
    flush_or_conflict,
    get_part_or_404,
    referenced_row,
    where_given,
)
from app.core.sql import any_of
from app.identity.models import Person
from app.initiatives.diagnostics import TriangleFacts, diagnose
from app.initiatives.models import (
    STAGE_TRANSITIONS,
    CapacityItem,
    Indicator,
    Initiative,
    InitiativeStakeholder,
    Stage,
    StageChange,
    Stakeholder,
    StakeholderCategory,
    Stance,
    StanceChange,
)
from app.initiatives.schemas import (
    AuthorizingEnvironmentMap,
    CapacityItemCreate,
    CapacityItemUpdate,
    IndicatorCreate,
    IndicatorUpdate,
    InitiativeCreate,
    InitiativeUpdate,
    MapEntry,
    PlacementCreate,
    PlacementUpdate,
    Quadrant,
    StakeholderCreate,
    StakeholderUpdate,
    TriangleDiagnosis,
    stakeholder_public,
)
from app.tenancy.models import School

# Power or interest of 3 or more is "high" on the grid.
GRID_HIGH = 3

_PLACEMENT_UNIQUE = {
    "uq_initiative_stakeholder_initiative_id_stakeholder_id": (
        "stakeholder_id",
        "This stakeholder is already in the initiative's authorizing environment.",
    )
}


@dataclass(frozen=True, slots=True)
class InitiativeFilter:
    stage: Stage | None = None
    school_id: uuid.UUID | None = None
    owner_person_id: uuid.UUID | None = None
    stakeholder_category: StakeholderCategory | None = None


# --- initiatives ------------------------------------------------------------------------------------


async def list_initiatives(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: InitiativeFilter
) -> Page[Initiative]:
    """The initiatives the principal may see (its school's, the district's if district-wide, and
    whatever is published), oldest first, narrowed by `filters`."""
    return await visible_page(
        session, principal, "list_initiatives", filters, page, Initiative, _initiatives_page
    )


def _initiatives_page(principal: Principal, filtered: frozenset[str], page: PageRequest) -> Any:
    """The list's statement for the filters given, their values as bound parameters."""
    stmt = visible(select(Initiative), Initiative, principal, Action.INITIATIVE_READ)
    if "stage" in filtered:
        stmt = stmt.where(Initiative.stage == bindparam("stage", type_=Initiative.stage.type))
    if "school_id" in filtered:
        stmt = stmt.where(Initiative.school_id == bindparam("school_id", type_=Initiative.school_id.type))
    if "owner_person_id" in filtered:
        stmt = stmt.where(
            Initiative.owner_person_id == bindparam("owner_person_id", type_=Initiative.owner_person_id.type)
        )
    if "stakeholder_category" in filtered:
        placed = (
            select(InitiativeStakeholder.initiative_id)
            .join(Stakeholder, Stakeholder.id == InitiativeStakeholder.stakeholder_id)
            .where(Stakeholder.category == bindparam("stakeholder_category", type_=Stakeholder.category.type))
        )
        stmt = stmt.where(Initiative.id.in_(placed))
    return page_statement(stmt, Initiative, page)


async def get_initiative(session: AsyncSession, principal: Principal, initiative_id: uuid.UUID) -> Initiative:
    """The initiative; `NotFound` when it is not there for the principal."""
    return await get_visible(
        session, Initiative, initiative_id, principal, Action.INITIATIVE_READ, what="initiative"
    )


async def initiatives_by_id(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Initiative]:
    return await get_visible_many(session, Initiative, initiative_ids, principal, Action.INITIATIVE_READ)


async def create_initiative(
    session: AsyncSession, principal: Principal, data: InitiativeCreate
) -> Initiative:
    """Start an initiative (at the exploring stage) in the principal's district.

    Raises `PermissionDenied`, `NotFound` (a school or owner not in the district, named by field) and
    `ValidationFailed` (ends before it starts).
    """
    district_id = _district_of(principal)
    authorize(principal, Action.INITIATIVE_CREATE, district_id=district_id, school_id=data.school_id)
    await _check_references(
        session, district_id, school_id=data.school_id, owner_person_id=data.owner_person_id
    )
    initiative = Initiative(district_id=district_id, **data.model_dump())
    _check_dates(initiative.starts_on, initiative.ends_on)
    session.add(initiative)
    await session.flush()
    _record_stage(session, principal, initiative, None, initiative.stage)
    await session.flush()
    return initiative


async def update_initiative(
    session: AsyncSession,
    principal: Principal,
    initiative_id: uuid.UUID,
    data: InitiativeUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Initiative:
    """Change an initiative. A stage change must follow `STAGE_TRANSITIONS`, and moving to approved
    needs the approve right. Raises `NotFound`, `PermissionDenied`, `StaleVersion` and
    `ValidationFailed` (illegal transition, dates out of order)."""
    initiative = await _initiative_for_update(session, principal, initiative_id)
    check_version(initiative, expected_version, what="initiative")
    changes = data.changes()
    new_stage = changes.get("stage")
    if new_stage is not None and new_stage != initiative.stage:
        if new_stage not in STAGE_TRANSITIONS[initiative.stage]:
            allowed = ", ".join(sorted(s.value for s in STAGE_TRANSITIONS[initiative.stage])) or "none"
            raise ValidationFailed(
                f"An initiative cannot go from {initiative.stage.value} to {new_stage.value}.",
                errors=[
                    FieldError(("stage",), f"From {initiative.stage.value}: {allowed}.", "illegal_transition")
                ],
            )
        if new_stage is Stage.APPROVED:
            authorize_on(principal, Action.INITIATIVE_APPROVE, initiative)
    await _check_references(session, initiative.district_id, owner_person_id=changes.get("owner_person_id"))
    _check_dates(changes.get("starts_on", initiative.starts_on), changes.get("ends_on", initiative.ends_on))
    if new_stage is not None and new_stage != initiative.stage:
        _record_stage(session, principal, initiative, initiative.stage, new_stage)
    apply_changes(initiative, changes)
    await session.flush()
    return initiative


async def stage_history(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, page: PageRequest
) -> Page[StageChange]:
    """Every move of the initiative from stage to stage, oldest first: who moved it, from where to
    where, and when. Whoever reads the initiative reads its history; `NotFound` otherwise."""
    await get_initiative(session, principal, initiative_id)
    return await _parts_of_initiative(session, StageChange, initiative_id, page)


async def stage_history_of_initiatives(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[StageChange]]:
    """A page of stage history per initiative the principal may read (a DataLoader batch)."""
    return await _parts_per_initiative(session, principal, StageChange, initiative_ids, page)


def _record_stage(
    session: AsyncSession,
    principal: Principal,
    initiative: Initiative,
    from_stage: Stage | None,
    to_stage: Stage,
) -> None:
    session.add(
        StageChange(
            district_id=initiative.district_id,
            initiative_id=initiative.id,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_by_kind=principal.kind.value,
            changed_by_id=principal.id,
            changed_by_label=principal.label,
        )
    )


async def _initiative_for_update(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID
) -> Initiative:
    """The initiative, locked, once the principal may change it (readers who may not get 403)."""
    return await get_to_change(
        session,
        Initiative,
        initiative_id,
        principal,
        Action.INITIATIVE_READ,
        Action.INITIATIVE_UPDATE,
        what="initiative",
        at_school=True,
    )


# --- value measures ---------------------------------------------------------------------------------


async def list_measures(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, page: PageRequest
) -> Page[Indicator]:
    await get_initiative(session, principal, initiative_id)
    return await _parts_of_initiative(session, Indicator, initiative_id, page)


async def measures_of_initiatives(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Indicator]]:
    """A page of measures per initiative, for initiatives the principal may see (a DataLoader batch)."""
    return await _parts_per_initiative(session, principal, Indicator, initiative_ids, page)


async def add_measure(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, data: IndicatorCreate
) -> Indicator:
    initiative = await _initiative_for_update(session, principal, initiative_id)
    indicator = Indicator(
        district_id=initiative.district_id,
        school_id=initiative.school_id,
        initiative_id=initiative.id,
        **data.model_dump(),
    )
    _check_dates(indicator.baseline_date, indicator.target_date, fields=("baseline_date", "target_date"))
    session.add(indicator)
    await session.flush()
    return indicator


@dataclass(frozen=True, slots=True)
class IndicatorOwner:
    """How an area that owns indicators of its own (a plan's goals) changes and removes them: each
    returns None (or False) for an indicator that is not the area's. Registered by that area on import,
    so the one indicator endpoint serves every indicator without this area importing those above it."""

    update: Callable[..., Awaitable[Indicator | None]]
    remove: Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[bool]]


INDICATOR_OWNERS: list[IndicatorOwner] = []


async def update_measure(
    session: AsyncSession,
    principal: Principal,
    indicator_id: uuid.UUID,
    data: IndicatorUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Indicator:
    """Change an indicator: an initiative's value measure as its editors may, or one another area owns
    (a plan goal's, by that area's rules: see `INDICATOR_OWNERS`)."""
    for owner in INDICATOR_OWNERS:
        owned = await owner.update(session, principal, indicator_id, data, expected_version=expected_version)
        if owned is not None:
            return owned
    indicator = await _child_for_update(session, principal, Indicator, indicator_id, what="measure")
    check_version(indicator, expected_version, what="measure")
    changes = data.changes()
    _check_dates(
        changes.get("baseline_date", indicator.baseline_date),
        changes.get("target_date", indicator.target_date),
        fields=("baseline_date", "target_date"),
    )
    apply_changes(indicator, changes)
    await session.flush()
    return indicator


async def remove_measure(session: AsyncSession, principal: Principal, indicator_id: uuid.UUID) -> None:
    """Remove an initiative's value measure (an indicator another area owns goes by its rules)."""
    for owner in INDICATOR_OWNERS:
        if await owner.remove(session, principal, indicator_id):
            return
    indicator = await _child_for_update(session, principal, Indicator, indicator_id, what="measure")
    await session.delete(indicator)
    await session.flush()


# --- capacity ---------------------------------------------------------------------------------------


async def list_capacity(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, page: PageRequest
) -> Page[CapacityItem]:
    await get_initiative(session, principal, initiative_id)
    return await _parts_of_initiative(session, CapacityItem, initiative_id, page)


async def capacity_of_initiatives(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[CapacityItem]]:
    return await _parts_per_initiative(session, principal, CapacityItem, initiative_ids, page)


async def capacity_items_by_id(
    session: AsyncSession, principal: Principal, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CapacityItem]:
    """The capacity items among `item_ids` of initiatives the principal may read (a DataLoader batch)."""
    return await children_visible_many(
        session, principal, CapacityItem, item_ids, "initiative_id", initiatives_by_id
    )


async def add_capacity_item(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, data: CapacityItemCreate
) -> CapacityItem:
    initiative = await _initiative_for_update(session, principal, initiative_id)
    await _check_references(session, initiative.district_id, owner_person_id=data.owner_person_id)
    item = CapacityItem(district_id=initiative.district_id, initiative_id=initiative.id, **data.model_dump())
    session.add(item)
    await session.flush()
    return item


async def update_capacity_item(
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    data: CapacityItemUpdate,
    *,
    expected_version: VersionCheck = None,
) -> CapacityItem:
    item = await _child_for_update(session, principal, CapacityItem, item_id, what="capacity item")
    check_version(item, expected_version, what="capacity item")
    changes = data.changes()
    await _check_references(session, item.district_id, owner_person_id=changes.get("owner_person_id"))
    apply_changes(item, changes)
    await session.flush()
    return item


async def remove_capacity_item(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> None:
    item = await _child_for_update(session, principal, CapacityItem, item_id, what="capacity item")
    await session.delete(item)
    await session.flush()


# --- stakeholders -----------------------------------------------------------------------------------


async def list_stakeholders(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    category: StakeholderCategory | None = None,
) -> Page[Stakeholder]:
    """The district's stakeholders (leaders, coaches, admins and `read` clients)."""
    stmt = visible(select(Stakeholder), Stakeholder, principal, Action.STAKEHOLDER_READ)
    stmt = where_given(stmt, Stakeholder, category=category)
    return await paginate(session, stmt, Stakeholder, page)


async def get_stakeholder(
    session: AsyncSession, principal: Principal, stakeholder_id: uuid.UUID
) -> Stakeholder:
    return await get_visible(
        session, Stakeholder, stakeholder_id, principal, Action.STAKEHOLDER_READ, what="stakeholder"
    )


async def stakeholders_by_id(
    session: AsyncSession, principal: Principal, stakeholder_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Stakeholder]:
    return await get_visible_many(session, Stakeholder, stakeholder_ids, principal, Action.STAKEHOLDER_READ)


async def create_stakeholder(
    session: AsyncSession, principal: Principal, data: StakeholderCreate
) -> Stakeholder:
    district_id = _district_of(principal)
    authorize(principal, Action.STAKEHOLDER_MANAGE, district_id=district_id)
    await _check_references(session, district_id, person_id=data.person_id)
    stakeholder = Stakeholder(district_id=district_id, **data.model_dump())
    session.add(stakeholder)
    await session.flush()
    return stakeholder


async def update_stakeholder(
    session: AsyncSession,
    principal: Principal,
    stakeholder_id: uuid.UUID,
    data: StakeholderUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Stakeholder:
    stakeholder = await get_to_change(
        session,
        Stakeholder,
        stakeholder_id,
        principal,
        Action.STAKEHOLDER_READ,
        Action.STAKEHOLDER_MANAGE,
        what="stakeholder",
    )
    check_version(stakeholder, expected_version, what="stakeholder")
    changes = data.changes()
    await _check_references(session, stakeholder.district_id, person_id=changes.get("person_id"))
    apply_changes(stakeholder, changes)
    await session.flush()
    return stakeholder


# --- the authorizing environment --------------------------------------------------------------------


async def list_placements(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, page: PageRequest
) -> Page[InitiativeStakeholder]:
    """The initiative's authorizing environment: who is in it, and where each stands."""
    await _initiative_with_environment(session, principal, initiative_id)
    return await _parts_of_initiative(session, InitiativeStakeholder, initiative_id, page)


async def placements_of_initiatives(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[InitiativeStakeholder]]:
    require(principal, Action.STAKEHOLDER_READ)
    return await _parts_per_initiative(session, principal, InitiativeStakeholder, initiative_ids, page)


async def placements_by_id(
    session: AsyncSession, principal: Principal, placement_ids: list[uuid.UUID]
) -> dict[uuid.UUID, InitiativeStakeholder]:
    """The placements among `placement_ids` that the initiative's authorizing environment shows the
    principal (as `placements_of_initiatives`): it reads stakeholders and the initiative."""
    require(principal, Action.STAKEHOLDER_READ)
    return await children_visible_many(
        session, principal, InitiativeStakeholder, placement_ids, "initiative_id", initiatives_by_id
    )


async def place_stakeholder(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, data: PlacementCreate
) -> InitiativeStakeholder:
    """Put a stakeholder of the district into the initiative's authorizing environment; the stance
    given opens its stance history. `NotFound` for a stakeholder of another district (named by field),
    `Conflict` when it is already placed."""
    initiative = await _initiative_for_update(session, principal, initiative_id)
    stakeholder = await session.get(Stakeholder, data.stakeholder_id)
    if stakeholder is None or stakeholder.district_id != initiative.district_id:
        raise NotFound(
            f"No stakeholder with id {data.stakeholder_id} in this district.",
            errors=[FieldError(("stakeholder_id",), "No such stakeholder in this district.", "not_found")],
        )
    placement = InitiativeStakeholder(
        district_id=initiative.district_id,
        initiative_id=initiative.id,
        **data.model_dump(exclude={"evidence"}),
    )
    session.add(placement)
    await flush_or_conflict(session, _PLACEMENT_UNIQUE)
    _record_stance(session, principal, placement, None, data.stance, data.evidence)
    await session.flush()
    return placement


async def update_placement(
    session: AsyncSession,
    principal: Principal,
    placement_id: uuid.UUID,
    data: PlacementUpdate,
    *,
    expected_version: VersionCheck = None,
) -> InitiativeStakeholder:
    """Change a stakeholder's place; a change of stance is added to its history with the evidence."""
    placement = await _child_for_update(
        session, principal, InitiativeStakeholder, placement_id, what="placement"
    )
    check_version(placement, expected_version, what="placement")
    changes = data.changes()
    new_stance = changes.get("stance")
    if new_stance is not None and new_stance != placement.stance:
        _record_stance(session, principal, placement, placement.stance, new_stance, data.evidence)
    elif data.evidence is not None:
        raise ValidationFailed(
            "Evidence is recorded with a change of stance.",
            errors=[
                FieldError(("evidence",), "Send it together with a new stance.", "evidence_without_change")
            ],
        )
    apply_changes(placement, changes)
    await session.flush()
    return placement


async def remove_placement(session: AsyncSession, principal: Principal, placement_id: uuid.UUID) -> None:
    placement = await _child_for_update(
        session, principal, InitiativeStakeholder, placement_id, what="placement"
    )
    await session.delete(placement)
    await session.flush()


async def stance_history(
    session: AsyncSession, principal: Principal, placement_id: uuid.UUID, page: PageRequest
) -> Page[StanceChange]:
    """Every recorded stance of one placement, oldest first."""

    async def of_readable_initiative(row: InitiativeStakeholder) -> None:
        await _initiative_with_environment(session, principal, row.initiative_id)

    await get_part_or_404(
        session, InitiativeStakeholder, placement_id, of_readable_initiative, what="placement"
    )
    stmt = select(StanceChange).where(StanceChange.initiative_stakeholder_id == placement_id)
    return await paginate(session, stmt, StanceChange, page)


async def stance_history_of_placements(
    session: AsyncSession, principal: Principal, placement_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[StanceChange]]:
    """Stance histories of many placements in one query. Callers pass placements they were allowed to
    list; the district filter here keeps a forged id from reaching across districts."""
    require(principal, Action.STAKEHOLDER_READ)
    stmt = visible(select(StanceChange), StanceChange, principal, Action.STAKEHOLDER_READ)
    return await paginate_per_parent(
        session, stmt, StanceChange, StanceChange.initiative_stakeholder_id, placement_ids, page
    )


async def authorizing_environment(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID
) -> AuthorizingEnvironmentMap:
    """The stakeholders on the power/interest grid, with their stances: data to draw directly."""
    await _initiative_with_environment(session, principal, initiative_id)
    quadrants: dict[Quadrant, list[MapEntry]] = {
        "key_players": [],
        "keep_satisfied": [],
        "keep_informed": [],
        "monitor": [],
    }
    counts = dict.fromkeys(Stance, 0)
    for placement, stakeholder in await _placements_with_stakeholders(session, initiative_id):
        quadrants[quadrant(placement.power, placement.interest)].append(
            MapEntry(
                placement_id=placement.id,
                stakeholder=stakeholder_public(stakeholder),
                power=placement.power,
                interest=placement.interest,
                quadrant=quadrant(placement.power, placement.interest),
                stance=placement.stance,
                participation_level=placement.participation_level,
                key_authorizer=placement.key_authorizer,
            )
        )
        counts[placement.stance] += 1
    return AuthorizingEnvironmentMap(initiative_id=initiative_id, quadrants=quadrants, stance_counts=counts)


def quadrant(power: int, interest: int) -> Quadrant:
    """Mendelow's grid: manage key players closely, keep the powerful satisfied, keep the interested
    informed, monitor the rest."""
    if power >= GRID_HIGH:
        return "key_players" if interest >= GRID_HIGH else "keep_satisfied"
    return "keep_informed" if interest >= GRID_HIGH else "monitor"


async def triangle(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID
) -> TriangleDiagnosis:
    """Where the initiative's triangle is weak, corner by corner, with the findings behind each score."""
    initiative = await _initiative_with_environment(session, principal, initiative_id)
    return await diagnose(session, await load_facts(session, initiative))


async def load_facts(session: AsyncSession, initiative: Initiative) -> TriangleFacts:
    measures = await _all(session, select(Indicator).where(Indicator.initiative_id == initiative.id))
    capacity = await _all(session, select(CapacityItem).where(CapacityItem.initiative_id == initiative.id))
    placements = await _placements_with_stakeholders(session, initiative.id)
    history: dict[uuid.UUID, list[StanceChange]] = defaultdict(list)
    if placements:
        stmt = (
            select(StanceChange)
            .where(any_of(StanceChange.initiative_stakeholder_id, [p.id for p, _ in placements]))
            .order_by(StanceChange.created_at, StanceChange.id)
        )
        for change in await _all(session, stmt):
            history[change.initiative_stakeholder_id].append(change)
    stages = await _all(
        session,
        select(StageChange)
        .where(StageChange.initiative_id == initiative.id)
        .order_by(StageChange.created_at, StageChange.id),
    )
    return TriangleFacts(initiative, measures, capacity, placements, dict(history), stages)


# --- helpers ----------------------------------------------------------------------------------------


async def _initiative_with_environment(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID
) -> Initiative:
    """The initiative, for a principal who may also see its authorizing environment."""
    initiative = await get_initiative(session, principal, initiative_id)
    authorize(principal, Action.STAKEHOLDER_READ, district_id=initiative.district_id)
    return initiative


async def _parts_of_initiative(
    session: AsyncSession, model: type[Any], initiative_id: uuid.UUID, page: PageRequest
) -> Page[Any]:
    """A page of the initiative's rows of `model` (its measures, capacity items, placements, stage
    history), oldest first, once the caller was found to read the initiative."""
    stmt = select(model).where(model.initiative_id == initiative_id)
    return await paginate(session, stmt, model, page)


async def _parts_per_initiative(
    session: AsyncSession,
    principal: Principal,
    model: type[Any],
    initiative_ids: list[uuid.UUID],
    page: PageRequest,
) -> dict[uuid.UUID, Page[Any]]:
    """A page of rows of `model` per initiative asked about (a DataLoader batch): empty for one the
    principal may not read."""
    visible_ids = list(await initiatives_by_id(session, principal, initiative_ids))
    return await paginate_per_parent(
        session, select(model), model, model.initiative_id, visible_ids, page, answer_for=initiative_ids
    )


async def _child_for_update(
    session: AsyncSession, principal: Principal, model: type[Any], row_id: uuid.UUID, *, what: str
) -> Any:
    """A row belonging to an initiative (a measure, a capacity item, a placement), locked, once the
    principal may change that initiative. Not visible, or another district's: `NotFound`."""

    async def of_initiative_to_change(row: Any) -> None:
        await _initiative_for_update(session, principal, row.initiative_id)

    return await get_part_or_404(session, model, row_id, of_initiative_to_change, what=what, lock=True)


async def _placements_with_stakeholders(
    session: AsyncSession, initiative_id: uuid.UUID
) -> list[tuple[InitiativeStakeholder, Stakeholder]]:
    stmt = (
        select(InitiativeStakeholder, Stakeholder)
        .join(Stakeholder, Stakeholder.id == InitiativeStakeholder.stakeholder_id)
        .where(InitiativeStakeholder.initiative_id == initiative_id)
        .order_by(InitiativeStakeholder.created_at, InitiativeStakeholder.id)
    )
    return [(p, s) for p, s in (await session.execute(stmt)).all()]


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


def _record_stance(
    session: AsyncSession,
    principal: Principal,
    placement: InitiativeStakeholder,
    from_stance: Stance | None,
    to_stance: Stance,
    evidence: str | None,
) -> None:
    session.add(
        StanceChange(
            district_id=placement.district_id,
            initiative_stakeholder_id=placement.id,
            from_stance=from_stance,
            to_stance=to_stance,
            evidence=evidence,
            recorded_by_kind=principal.kind.value,
            recorded_by_id=principal.id,
            recorded_by_label=principal.label,
        )
    )


def _district_of(principal: Principal) -> uuid.UUID:
    require_authenticated(principal)
    if principal.district_id is None:
        raise PermissionDenied("This action needs a principal of a district.")
    return principal.district_id


async def _check_references(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    school_id: uuid.UUID | None = None,
    owner_person_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> None:
    """Ids in a body must name rows of the same district; otherwise `NotFound` naming the field."""
    checks = [
        ("school_id", School, school_id),
        ("owner_person_id", Person, owner_person_id),
        ("person_id", Person, person_id),
    ]
    for field, model, row_id in checks:
        if row_id is None:
            continue
        what = field.removesuffix("_id").replace("_", " ")
        await referenced_row(session, model, row_id, district_id, (field,), what)


def _check_dates(start: Any, end: Any, *, fields: tuple[str, str] = ("starts_on", "ends_on")) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationFailed(
            f"{fields[1]} is before {fields[0]}.",
            errors=[FieldError((fields[1],), f"Must be on or after {fields[0]}.", "dates_out_of_order")],
        )
