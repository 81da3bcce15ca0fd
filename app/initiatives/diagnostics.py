"""Triangle diagnostics: where an initiative's triangle is weak, with the reasons.

Findings come from rules. A rule is a plain function from `TriangleFacts` to findings, registered with
`@finding_rule`; an area that knows more (co-creation activities, say) registers its own rules, and a
`@facts_loader` that puts what those rules need into `facts.extra`, from its own module. Nothing here
lists the areas: adding findings never means editing a central switch.

Each corner starts at 100. A finding takes away by severity (high 40, medium 20, low 10); a `credit`
adds 10. Scores stay within 0..100.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.initiatives.models import (
    CapacityItem,
    Indicator,
    Initiative,
    InitiativeStakeholder,
    StageChange,
    Stakeholder,
    StanceChange,
)
from app.initiatives.schemas import Corner, CornerScore, Finding, TriangleDiagnosis

CORNERS: tuple[Corner, ...] = ("public_value", "capacity", "legitimacy")
WEIGHTS = {"high": -40, "medium": -20, "low": -10, "credit": 10}


@dataclass
class TriangleFacts:
    """Everything the rules look at, loaded once per diagnosis."""

    initiative: Initiative
    measures: list[Indicator]
    capacity: list[CapacityItem]
    placements: list[tuple[InitiativeStakeholder, Stakeholder]]
    # placement id -> its stance changes, oldest first
    stance_history: dict[uuid.UUID, list[StanceChange]]
    # the initiative's moves from stage to stage, oldest first
    stage_history: list[StageChange] = field(default_factory=list)
    # contributed by other areas' facts loaders, by loader name
    extra: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[TriangleFacts], Iterable[Finding]]
FactsLoader = Callable[[AsyncSession, TriangleFacts], Awaitable[Any]]

_RULES: list[Rule] = []
_FACT_LOADERS: dict[str, FactsLoader] = {}


def finding_rule(rule: Rule) -> Rule:
    """Register a rule. Its findings appear in every diagnosis from then on."""
    _RULES.append(rule)
    return rule


def facts_loader(name: str) -> Callable[[FactsLoader], FactsLoader]:
    """Register a loader whose result every rule can read as `facts.extra[name]`."""

    def register(loader: FactsLoader) -> FactsLoader:
        _FACT_LOADERS[name] = loader
        return loader

    return register


async def diagnose(session: AsyncSession, facts: TriangleFacts) -> TriangleDiagnosis:
    """Run every registered rule over the facts (after the registered loaders have added theirs)."""
    for name, loader in _FACT_LOADERS.items():
        facts.extra[name] = await loader(session, facts)
    findings = [finding for rule in _RULES for finding in rule(facts)]
    corners = []
    for corner in CORNERS:
        mine = [f for f in findings if f.corner == corner]
        score = max(0, min(100, 100 + sum(WEIGHTS[f.severity] for f in mine)))
        corners.append(CornerScore(corner=corner, score=score, findings=mine))
    weakest = min(corners, key=lambda c: c.score).corner
    return TriangleDiagnosis(initiative_id=facts.initiative.id, corners=corners, weakest=weakest)
