"""REST for initiatives, their measures and capacity, stakeholders and the authorizing environment.

Parse, call the service, shape the reply. No rules here.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query

from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import (
    AreaRouter,
)
from app.initiatives import service
from app.initiatives.models import Stage, StakeholderCategory
from app.initiatives.schemas import (
    AuthorizingEnvironmentMap,
    CapacityItemCreate,
    CapacityItemPublic,
    CapacityItemUpdate,
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    InitiativeCreate,
    InitiativePublic,
    InitiativeUpdate,
    PlacementCreate,
    PlacementPublic,
    PlacementUpdate,
    StageChangePublic,
    StakeholderCreate,
    StakeholderPublic,
    StakeholderUpdate,
    StanceChangePublic,
    TriangleDiagnosis,
)

router = AreaRouter(tags=["initiatives"])

InitiativeId = Annotated[uuid.UUID, Path(description="The initiative's id.")]
WRITE_ERRORS = problem_responses(404, 409, 412)


# --- initiatives ------------------------------------------------------------------------------------


Collection(router, "/initiatives", InitiativePublic).list(
    service.list_initiatives,
    """Initiatives you can see: your school's, the district's (district-wide roles), and everything
    published. Filter by stage, school, owner or stakeholder category; `updated_since` for sync.""",
    filters={
        "stage": Stage | None,
        "school_id": uuid.UUID | None,
        "owner_person_id": uuid.UUID | None,
        "stakeholder_category": Annotated[
            StakeholderCategory | None,
            Query(description="Only initiatives with a stakeholder of this category."),
        ],
    },
    filter_of=service.InitiativeFilter,
)


Collection(router, "/initiatives", InitiativePublic).create(
    InitiativeCreate,
    service.create_initiative,
    """Start an initiative at the `exploring` stage: a district initiative (no `school_id`) or one
    school's. District admins and leaders, or the school's leaders.""",
)


INITIATIVES = Resource(router, "/initiatives/{initiative_id}", InitiativeId, InitiativePublic)
INITIATIVES.get(service.get_initiative, "One initiative, with its version in the `ETag` header.")
INITIATIVES.update(
    InitiativeUpdate,
    service.update_initiative,
    """Change an initiative, its stage included (exploring → co_designing → approved → implementing →
    sustaining; back to co_designing when needed; retired from anywhere). Send `If-Match`.""",
)


INITIATIVES.view(
    "/triangle",
    TriangleDiagnosis,
    service.triangle,
    """Where the strategic triangle is weak: a 0–100 score per corner (public value, organizational
    capacity, legitimacy and support) with the findings behind it, each with a code, a severity and a
    plain-language explanation.""",
    name="get_triangle",
    operation_id="getInitiativeTriangle",
)


INITIATIVES.view(
    "/authorizing-environment",
    AuthorizingEnvironmentMap,
    service.authorizing_environment,
    """The stakeholders on the power/interest grid (key players, keep satisfied, keep informed,
    monitor) with their stances, ready to draw.""",
    name="get_authorizing_environment",
)


# --- value measures ---------------------------------------------------------------------------------


INITIATIVES.items(
    "/measures",
    IndicatorPublic,
    service.list_measures,
    "The indicators that measure the initiative's public value.",
)


INITIATIVES.add(
    "/measures",
    IndicatorCreate,
    IndicatorPublic,
    service.add_measure,
    "Add a value measure: what is counted, in which unit, which way is better, baseline and target.",
    etag=False,
)


INDICATORS = Resource(router, "/indicators/{indicator_id}", Annotated[uuid.UUID, Path()], IndicatorPublic)
INDICATORS.update(
    IndicatorUpdate,
    service.update_measure,
    """Change an indicator: an initiative's value measure (its baseline, once known, say), or a plan
    goal's (by its plan's authors before approval; an approved plan's goals change by revision, 409).
    Send `If-Match` with the version read.""",
)
INDICATORS.remove(
    service.remove_measure,
    "Remove an initiative's value measure. A goal's measure goes with its goal (409).",
    responses=problem_responses(404, 409),
)


# --- capacity ---------------------------------------------------------------------------------------


INITIATIVES.items(
    "/capacity-items",
    CapacityItemPublic,
    service.list_capacity,
    "What the initiative needs to deliver its value, and how far each is in place.",
    name="list_capacity_items",
)


INITIATIVES.add(
    "/capacity-items",
    CapacityItemCreate,
    CapacityItemPublic,
    service.add_capacity_item,
    "Add a capacity item (people, structures, systems, skills or resources).",
    etag=False,
)


CAPACITY_ITEMS = Resource(
    router, "/capacity-items/{item_id}", Annotated[uuid.UUID, Path()], CapacityItemPublic
)
CAPACITY_ITEMS.update(
    CapacityItemUpdate,
    service.update_capacity_item,
    "Change a capacity item, typically its status: missing → building → in_place.",
)
CAPACITY_ITEMS.remove(service.remove_capacity_item, "Remove a capacity item.")


# --- stakeholders -----------------------------------------------------------------------------------


STAKEHOLDER_LIST = Collection(router, "/stakeholders", StakeholderPublic)
STAKEHOLDER_LIST.list(
    service.list_stakeholders,
    "The district's stakeholders: people, groups and bodies whose support initiatives need.",
    filters={"category": StakeholderCategory | None},
)
STAKEHOLDER_LIST.create(
    StakeholderCreate,
    service.create_stakeholder,
    "Add a stakeholder to the district (a person, or a group or body such as the board or a union).",
    etag=False,
)


STAKEHOLDERS = Resource(
    router, "/stakeholders/{stakeholder_id}", Annotated[uuid.UUID, Path()], StakeholderPublic
)
STAKEHOLDERS.get(service.get_stakeholder, "One stakeholder.")
STAKEHOLDERS.update(StakeholderUpdate, service.update_stakeholder, "Change a stakeholder.")


# --- the authorizing environment --------------------------------------------------------------------


INITIATIVES.items(
    "/stakeholders",
    PlacementPublic,
    service.list_placements,
    """The initiative's authorizing environment: each stakeholder's power, interest, stance,
    participation level and whether it is a key authorizer.""",
)


INITIATIVES.add(
    "/stakeholders",
    PlacementCreate,
    PlacementPublic,
    service.place_stakeholder,
    """Place a stakeholder of the district in the initiative's authorizing environment. The stance
    given (with its `evidence`) opens the stakeholder's stance history.""",
    etag=False,
    responses=problem_responses(404, 409),
)


INITIATIVE_STAKEHOLDERS = Resource(
    router, "/initiative-stakeholders/{placement_id}", Annotated[uuid.UUID, Path()], PlacementPublic
)
INITIATIVE_STAKEHOLDERS.update(
    PlacementUpdate,
    service.update_placement,
    "Change a stakeholder's place. A new `stance` (with its `evidence`) is added to the history.",
)
INITIATIVE_STAKEHOLDERS.remove(
    service.remove_placement,
    "Take a stakeholder out of the initiative's authorizing environment (its history goes too).",
)


INITIATIVES.items(
    "/stage-history",
    StageChangePublic,
    service.stage_history,
    """Every move of the initiative from stage to stage, oldest first: who moved it, from which stage
    to which, and when (`created_at`). Co-creation counts for a stage only if it was held, and
    recorded, before the initiative entered that stage. Readable by whoever reads the initiative.""",
    name="list_stage_history",
)


INITIATIVE_STAKEHOLDERS.items(
    "/stance-history",
    StanceChangePublic,
    service.stance_history,
    """Every stance recorded for the stakeholder on this initiative, oldest first, with who recorded
    it and the evidence.""",
    name="list_stance_history",
)
