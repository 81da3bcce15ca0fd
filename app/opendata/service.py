"""Open data: the published part of a district, for anyone, without sign-in.

The rules:
- Nothing is public until the district opts in (`OpenDataSetting.enabled`, district admins).
- Only what the district already published is read, each table by an explicit list of columns
  (`TABLES`): published initiatives (their public value) and their indicators; approved, active or
  closed plans the district published, their goals and strategies; "you said, we did" from published
  activities of those initiatives and plans, naming a contributor only where they agreed
  (`Participation.may_be_named`); and behaviour releases' school and district figures as released
  (suppressed cells empty). Never: people other than consenting contributors, drafts, evidence,
  measurements (they are not releases), per-teacher figures, feedback results, a release's basis.
- Student feedback releases stay out: the API hides a released cell from a reader who can read part
  of what it was drawn from (a teacher reads their own results), a rule no public file can keep.
- Reads are counted per address in PostgreSQL (`check_rate`), so every worker and replica agree.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import authorize, require_authenticated
from app.auth.principal import Principal
from app.core.errors import FieldError, NotFound, PermissionDenied, RateLimited, ValidationFailed
from app.core.repository import flush_or_conflict
from app.engagement.models import Activity, Input, Participation
from app.identity.models import Person
from app.initiatives.models import Indicator, Initiative, Stakeholder
from app.opendata.models import OpenDataSetting
from app.opendata.schemas import OpenDataSettingUpdate
from app.plans.models import Goal, Plan, PlanStatus, Strategy
from app.releases.models import Release, ReleaseSubject
from app.tenancy.models import District, School

PUBLISHED_PLAN_STATUSES = (PlanStatus.APPROVED, PlanStatus.ACTIVE, PlanStatus.CLOSED)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless Table Schema type
    description: str


def _c(name: str, kind: str, description: str) -> Column:
    return Column(name, kind, description)


# Every public table and its columns: nothing outside these lists is ever written.
TABLES: dict[str, tuple[str, list[Column]]] = {
    "initiatives": (
        "Published initiatives of the district: the public value each is to deliver.",
        [
            _c("id", "string", "The initiative's id."),
            _c("title", "string", "Its title."),
            _c("public_value", "string", "The benefit to the community it is to deliver."),
            _c("beneficiaries", "string", "Who benefits."),
            _c("summary", "string", "A summary."),
            _c("stage", "string", "exploring, co_designing, approved, implementing, sustaining or retired."),
            _c("school", "string", "The school, or empty for a district initiative."),
            _c("starts_on", "date", "When it starts."),
            _c("ends_on", "date", "When it ends."),
        ],
    ),
    "indicators": (
        "The measures of published initiatives and of published plans' goals.",
        [
            _c("id", "string", "The indicator's id."),
            _c("initiative_id", "string", "The initiative it measures, if any."),
            _c("goal_id", "string", "The plan goal it measures, if any."),
            _c("name", "string", "What is counted."),
            _c("kind", "string", "implementation, outcome, perception or process."),
            _c("unit", "string", "The unit."),
            _c("direction", "string", "Which way is better."),
            _c("baseline_value", "number", "Where it started."),
            _c("baseline_date", "date", "When the baseline was taken."),
            _c("target_value", "number", "Where it is to be."),
            _c("target_date", "date", "By when."),
        ],
    ),
    "plans": (
        "Improvement plans the district approved and published.",
        [
            _c("id", "string", "The plan's id."),
            _c("title", "string", "Its title."),
            _c("summary", "string", "A summary."),
            _c("cycle", "string", "The school year, e.g. 2026-27."),
            _c("status", "string", "approved, active or closed."),
            _c("school", "string", "The school, or empty for the district's plan."),
            _c("initiative_id", "string", "The initiative it carries out, when that is published."),
            _c("approved_at", "datetime", "When it was approved."),
        ],
    ),
    "goals": (
        "The measurable goals of published plans.",
        [
            _c("id", "string", "The goal's id."),
            _c("plan_id", "string", "Its plan."),
            _c("statement", "string", "The goal."),
            _c("indicator_id", "string", "The indicator that measures it."),
        ],
    ),
    "strategies": (
        "The change ideas under published plans' goals.",
        [
            _c("id", "string", "The strategy's id."),
            _c("goal_id", "string", "Its goal."),
            _c("title", "string", "The change idea."),
        ],
    ),
    "you_said_we_did": (
        "What people contributed in published activities, and what became of it. Contributors are "
        "named only where they agreed.",
        [
            _c("id", "string", "The input's id."),
            _c("initiative_id", "string", "The published initiative the activity served, if any."),
            _c("plan_id", "string", "The published plan the activity served, if any."),
            _c("activity", "string", "The activity's title."),
            _c("held_on", "date", "When the activity was held."),
            _c("kind", "string", "idea, concern, barrier, leverage_point, question or decision."),
            _c("you_said", "string", "What was said."),
            _c("outcome", "string", "open, under_consideration, adopted, adapted, declined or deferred."),
            _c("we_did", "string", "The response given back."),
            _c("responded_at", "datetime", "When it was given."),
            _c("contributor", "string", "Who said it, only with their agreement; empty otherwise."),
        ],
    ),
    "released_figures": (
        "Behaviour figures the district released for closed periods: students per school by tier of "
        "support and by number of referrals. Suppressed cells (too few students) are empty.",
        [
            _c("release_id", "string", "The release."),
            _c("period", "string", "The released period."),
            _c("period_start", "date", "Its first day."),
            _c("period_end", "date", "Its last day."),
            _c("revision", "integer", "1, or the correction's number."),
            _c("school", "string", "The school, or the district's name for the district as a whole."),
            _c("figure", "string", "What the cell counts (a path into the release)."),
            _c("value", "number", "The figure; empty when suppressed."),
            _c("suppressed", "boolean", "Hidden to protect small groups."),
        ],
    ),
}

# Subtrees of a release never published: figures about single teachers.
_UNPUBLISHED_KEYS = frozenset({"teachers", "by_teacher", "basis"})


async def setting_of(session: AsyncSession, principal: Principal) -> OpenDataSetting | None:
    """The district's open-data choice (None: never set, so nothing is published). District admins."""
    require_authenticated(principal)
    if principal.district_id is None:
        raise PermissionDenied("Open data belongs to a district.")
    authorize(principal, Action.OPEN_DATA_MANAGE, district_id=principal.district_id)
    return (
        await session.execute(
            select(OpenDataSetting).where(OpenDataSetting.district_id == principal.district_id)
        )
    ).scalar_one_or_none()


async def set_setting(
    session: AsyncSession, principal: Principal, data: OpenDataSettingUpdate
) -> OpenDataSetting:
    """Opt in or out, and choose the public path, licence, languages and contact. Raises
    `PermissionDenied` and `Conflict` (the path is another district's)."""
    setting = await setting_of(session, principal)
    if setting is None:
        setting = OpenDataSetting(district_id=principal.district_id, slug=data.slug)  # type: ignore[arg-type]
        session.add(setting)
    else:
        setting.version += 1
    for name, value in data.model_dump().items():
        setattr(setting, name, value)
    await flush_or_conflict(
        session, {"uq_open_data_setting_slug": ("slug", "Another district publishes under this path.")}
    )
    return setting


async def published_district(session: AsyncSession, slug: str) -> tuple[OpenDataSetting, District]:
    """The district publishing under `slug`. `NotFound` unless it opted in."""
    found = (
        await session.execute(
            select(OpenDataSetting, District)
            .join(District, District.id == OpenDataSetting.district_id)
            .where(OpenDataSetting.slug == slug, OpenDataSetting.enabled.is_(True))
        )
    ).first()
    if found is None:
        raise NotFound(f"No open data is published under {slug!r}.")
    return found[0], found[1]


async def published_district_by_name(session: AsyncSession, name: str) -> tuple[OpenDataSetting, District]:
    found = (
        await session.execute(
            select(OpenDataSetting, District)
            .join(District, District.id == OpenDataSetting.district_id)
            .where(func.lower(District.name) == name.lower(), OpenDataSetting.enabled.is_(True))
        )
    ).first()
    if found is None:
        raise NotFound(f"District {name!r} does not publish open data (or does not exist).")
    return found[0], found[1]


async def tables(session: AsyncSession, district_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every public table of the district, rows as column → value (only the columns of `TABLES`)."""
    schools = dict(
        (await session.execute(select(School.id, School.name).where(School.district_id == district_id))).all()
    )
    initiatives = list(
        (
            await session.execute(
                select(Initiative)
                .where(Initiative.district_id == district_id, Initiative.published.is_(True))
                .order_by(Initiative.created_at, Initiative.id)
            )
        ).scalars()
    )
    initiative_ids = {i.id for i in initiatives}
    plans = list(
        (
            await session.execute(
                select(Plan)
                .where(
                    Plan.district_id == district_id,
                    Plan.published.is_(True),
                    Plan.status.in_(PUBLISHED_PLAN_STATUSES),
                )
                .order_by(Plan.created_at, Plan.id)
            )
        ).scalars()
    )
    plan_ids = {p.id for p in plans}
    goals = list(
        (
            await session.execute(
                select(Goal).where(Goal.plan_id.in_(plan_ids)).order_by(Goal.created_at, Goal.id)
            )
        ).scalars()
    )
    goal_of_indicator = {g.indicator_id: g.id for g in goals}
    strategies = list(
        (
            await session.execute(
                select(Strategy)
                .where(Strategy.plan_id.in_(plan_ids))
                .order_by(Strategy.created_at, Strategy.id)
            )
        ).scalars()
    )
    indicators = list(
        (
            await session.execute(
                select(Indicator)
                .where(
                    Indicator.district_id == district_id,
                    or_(
                        Indicator.initiative_id.in_(initiative_ids), Indicator.id.in_(list(goal_of_indicator))
                    ),
                )
                .order_by(Indicator.created_at, Indicator.id)
            )
        ).scalars()
    )
    return {
        "initiatives": [
            {
                "id": i.id,
                "title": i.title,
                "public_value": i.public_value,
                "beneficiaries": i.beneficiaries,
                "summary": i.summary,
                "stage": i.stage.value,
                "school": schools.get(i.school_id) if i.school_id else None,
                "starts_on": i.starts_on,
                "ends_on": i.ends_on,
            }
            for i in initiatives
        ],
        "indicators": [
            {
                "id": x.id,
                "initiative_id": x.initiative_id if x.initiative_id in initiative_ids else None,
                "goal_id": goal_of_indicator.get(x.id),
                "name": x.name,
                "kind": x.kind.value,
                "unit": x.unit,
                "direction": x.direction.value,
                "baseline_value": x.baseline_value,
                "baseline_date": x.baseline_date,
                "target_value": x.target_value,
                "target_date": x.target_date,
            }
            for x in indicators
        ],
        "plans": [
            {
                "id": p.id,
                "title": p.title,
                "summary": p.summary,
                "cycle": p.cycle,
                "status": p.status.value,
                "school": schools.get(p.school_id) if p.school_id else None,
                "initiative_id": p.initiative_id if p.initiative_id in initiative_ids else None,
                "approved_at": p.approved_at,
            }
            for p in plans
        ],
        "goals": [
            {"id": g.id, "plan_id": g.plan_id, "statement": g.statement, "indicator_id": g.indicator_id}
            for g in goals
        ],
        "strategies": [{"id": s.id, "goal_id": s.goal_id, "title": s.title} for s in strategies],
        "you_said_we_did": await _you_said_we_did(session, district_id, initiative_ids, plan_ids),
        "released_figures": await _released_figures(session, district_id),
    }


async def _you_said_we_did(
    session: AsyncSession, district_id: uuid.UUID, initiative_ids: set[uuid.UUID], plan_ids: set[uuid.UUID]
) -> list[dict[str, Any]]:
    """Inputs of published activities held for a published initiative or plan; names by consent."""
    serves = or_(Activity.initiative_id.in_(initiative_ids), Activity.plan_id.in_(plan_ids))
    rows = (
        await session.execute(
            select(Input, Activity, Participation.may_be_named, Stakeholder.name, Person.display_name)
            .join(Activity, Activity.id == Input.activity_id)
            .join(Participation, Participation.id == Input.participation_id)
            .outerjoin(
                Stakeholder,
                and_(Participation.may_be_named.is_(True), Stakeholder.id == Participation.stakeholder_id),
            )
            .outerjoin(
                Person, and_(Participation.may_be_named.is_(True), Person.id == Participation.person_id)
            )
            .where(Input.district_id == district_id, Activity.published.is_(True), serves)
            .order_by(Input.created_at, Input.id)
        )
    ).all()
    return [
        {
            "id": row.id,
            "initiative_id": activity.initiative_id if activity.initiative_id in initiative_ids else None,
            "plan_id": activity.plan_id if activity.plan_id in plan_ids else None,
            "activity": activity.title,
            "held_on": activity.held_on,
            "kind": row.kind.value,
            "you_said": row.text,
            "outcome": row.disposition.value,
            "we_did": row.response,
            "responded_at": row.responded_at,
            "contributor": (stakeholder_name or person_name) if may_be_named else None,
        }
        for row, activity, may_be_named, stakeholder_name, person_name in rows
    ]


async def _released_figures(session: AsyncSession, district_id: uuid.UUID) -> list[dict[str, Any]]:
    releases = list(
        (
            await session.execute(
                select(Release)
                .where(Release.district_id == district_id, Release.subject == ReleaseSubject.BEHAVIOR)
                .order_by(Release.period, Release.revision)
            )
        ).scalars()
    )
    rows: list[dict[str, Any]] = []
    for release in releases:
        parts = [release.tables.get("district", {}), *release.tables.get("schools", {}).values()]
        for part in parts:
            for figure, cell in _cells(part, ()):
                rows.append(
                    {
                        "release_id": release.id,
                        "period": release.period,
                        "period_start": release.period_start,
                        "period_end": release.period_end,
                        "revision": release.revision,
                        "school": part.get("school_name") or part.get("summary", {}).get("school_name"),
                        "figure": figure,
                        "value": None if cell.get("suppressed") else cell.get("value"),
                        "suppressed": bool(cell.get("suppressed")),
                    }
                )
    return rows


def _cells(node: Any, path: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """The released cells under `node` (`{"value", "suppressed"}` leaves) with a readable path, leaving
    out every per-teacher subtree."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "suppressed" in node and "value" in node:
            return [(".".join(path), node)]
        for key, value in node.items():
            if key in _UNPUBLISHED_KEYS or key.endswith("_id"):
                continue
            found += _cells(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and "person_id" in item:
                continue
            label = next(
                (
                    str(item[k])
                    for k in ("domain", "tier", "bucket", "grade", "category", "key")
                    if isinstance(item, dict) and k in item
                ),
                str(index),
            )
            found += _cells(item, (*path, label))
    return found


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


_COUNT = text(
    """
    INSERT INTO open_data_rate (address, window_started_at, requests) VALUES (:address, now(), 1)
    ON CONFLICT (address) DO UPDATE SET
      requests = CASE WHEN open_data_rate.window_started_at <= now() - make_interval(secs => :window)
                      THEN 1 ELSE open_data_rate.requests + 1 END,
      window_started_at = CASE WHEN open_data_rate.window_started_at <= now() - make_interval(secs => :window)
                               THEN now() ELSE open_data_rate.window_started_at END
    RETURNING requests
    """
)
WINDOW = timedelta(minutes=1)


async def check_rate(session: AsyncSession, address: str, limit: int) -> None:
    """Count one request from `address`; `RateLimited` past `limit` in the current minute.

    One atomic upsert in PostgreSQL: every worker and replica counts into the same row.
    """
    requests = await session.scalar(_COUNT, {"address": address[:64], "window": WINDOW.total_seconds()})
    if requests is not None and requests > limit:
        raise RateLimited(
            f"More than {limit} requests a minute from your address; wait a minute.",
            extra={"retry_after": int(WINDOW.total_seconds())},
        )


def check_language(setting: OpenDataSetting, lang: str | None) -> str:
    """The language to serve: the one asked for if the district publishes it, else its first."""
    if lang is None:
        return setting.languages[0] if setting.languages else "en"
    if lang not in setting.languages:
        raise ValidationFailed(
            f"This district publishes in {', '.join(setting.languages)}.",
            errors=[FieldError(("query", "lang"), "Not a language the district publishes.", "language")],
        )
    return lang
