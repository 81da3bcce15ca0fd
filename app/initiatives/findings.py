"""The findings this area can see from the triangle itself: measures, capacity and the authorizing
environment. Registered on import (see `app.initiatives.diagnostics`)."""

from __future__ import annotations

from collections.abc import Iterator

from app.core.labels import label
from app.initiatives.diagnostics import TriangleFacts, finding_rule
from app.initiatives.models import (
    STANCE_ORDER,
    CapacityStatus,
    ParticipationLevel,
    Stage,
    Stance,
)
from app.initiatives.schemas import Finding

# "High power" for the resistance finding: the top of the 1-5 scale, the people who can stop it.
HIGH_POWER = 4
RESISTING = frozenset({Stance.OPPOSED, Stance.SKEPTICAL})
SUPPORTING = frozenset({Stance.SUPPORTIVE, Stance.CHAMPION})


@finding_rule
def no_measure(facts: TriangleFacts) -> Iterator[Finding]:
    if not facts.measures:
        yield Finding(
            code="public_value.no_measure",
            corner="public_value",
            severity="high",
            explanation="The public value has no measure: nobody can tell whether it is being delivered. "
            "Add at least one indicator with a baseline and a target.",
        )


@finding_rule
def no_baseline(facts: TriangleFacts) -> Iterator[Finding]:
    missing = [m for m in facts.measures if m.baseline_value is None]
    if missing:
        names = ", ".join(m.name for m in missing)
        yield Finding(
            code="public_value.no_baseline",
            corner="public_value",
            severity="medium",
            explanation=f"No baseline for: {names}. Without a starting point, progress cannot be shown.",
            subjects=[m.id for m in missing],
        )


@finding_rule
def capacity_missing_while_implementing(facts: TriangleFacts) -> Iterator[Finding]:
    missing = [c for c in facts.capacity if c.status is CapacityStatus.MISSING]
    if facts.initiative.stage is Stage.IMPLEMENTING and missing:
        described = "; ".join(f"{label(c.category)}: {c.description}" for c in missing)
        yield Finding(
            code="capacity.missing_while_implementing",
            corner="capacity",
            severity="high",
            explanation=f"Implementation has started while capacity is still missing ({described}).",
            subjects=[c.id for c in missing],
        )


@finding_rule
def key_stakeholders_resisting(facts: TriangleFacts) -> Iterator[Finding]:
    for placement, stakeholder in facts.placements:
        important = placement.key_authorizer or placement.power >= HIGH_POWER
        if important and placement.stance in RESISTING:
            why = "a key authorizer" if placement.key_authorizer else f"high in power ({placement.power}/5)"
            yield Finding(
                code="legitimacy.key_stakeholder_resisting",
                corner="legitimacy",
                severity="high" if placement.stance is Stance.OPPOSED else "medium",
                explanation=f"{stakeholder.name}, {why}, is {label(placement.stance)}. Their authorization "
                "is needed; engage them before going further.",
                subjects=[placement.id],
            )


@finding_rule
def no_authorizing_environment(facts: TriangleFacts) -> Iterator[Finding]:
    if not facts.placements:
        yield Finding(
            code="legitimacy.no_authorizing_environment",
            corner="legitimacy",
            severity="high",
            explanation="No stakeholders are mapped: whose support this initiative needs is unknown.",
        )
    elif not any(p.stance in SUPPORTING for p, _ in facts.placements):
        yield Finding(
            code="legitimacy.no_support",
            corner="legitimacy",
            severity="high",
            explanation="No stakeholder is supportive yet: the initiative has no visible authorization.",
        )


@finding_rule
def narrow_coalition(facts: TriangleFacts) -> Iterator[Finding]:
    supporters = [(p, s) for p, s in facts.placements if p.stance in SUPPORTING]
    categories = sorted({s.category.value for _, s in supporters})
    if supporters and len(categories) <= 2:
        yield Finding(
            code="legitimacy.narrow_coalition",
            corner="legitimacy",
            severity="medium",
            explanation=f"All support comes from {' and '.join(categories)}: a narrow coalition of people "
            "who already agree. Seek authorization from other parts of the community.",
            subjects=[p.id for p, _ in supporters],
        )


@finding_rule
def formal_authority_only_informed(facts: TriangleFacts) -> Iterator[Finding]:
    for placement, stakeholder in facts.placements:
        if stakeholder.formal_authority and placement.participation_level is ParticipationLevel.INFORM:
            yield Finding(
                code="legitimacy.formal_authority_only_informed",
                corner="legitimacy",
                severity="medium",
                explanation=f"{stakeholder.name} can formally approve or block this, but has only been "
                "informed. Consult or involve them.",
                subjects=[placement.id],
            )


@finding_rule
def stance_trending_down(facts: TriangleFacts) -> Iterator[Finding]:
    """The latest change moved down, and the stance is now below where it was first recorded."""
    for placement, stakeholder in facts.placements:
        history = facts.stance_history.get(placement.id, [])
        if len(history) < 2:
            continue
        latest, first = history[-1], history[0]
        went_down = latest.from_stance is not None and _rank(latest.to_stance) < _rank(latest.from_stance)
        if went_down and _rank(latest.to_stance) < _rank(first.to_stance):
            yield Finding(
                code="legitimacy.stance_trending_down",
                corner="legitimacy",
                severity="medium",
                explanation=f"{stakeholder.name} has moved from {label(first.to_stance)} to "
                f"{label(latest.to_stance)}. Find out what changed.",
                subjects=[placement.id],
            )


def _rank(stance: Stance) -> int:
    return STANCE_ORDER.index(stance)
