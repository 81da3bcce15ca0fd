"""Reading releases back: each period's latest revision, with what every earlier revision drew each of
its cells from, so a per-reader check can look at the corrections' differences too. Kept apart from
the service so the areas that read their releases can import it (the service imports them)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.releases.models import Release, ReleaseSubject


@dataclass
class Revisions:
    """A period's latest revision, and per cell key the basis of each earlier one, oldest first (an
    empty list where the cell was not in a revision)."""

    latest: Release
    earlier: dict[str, list[list[list[Any]]]] = field(default_factory=dict)


async def latest_revisions(
    session: AsyncSession, district_id: uuid.UUID, subject: ReleaseSubject, period: str | None = None
) -> list[Revisions]:
    """Every released period of `subject` (or only `period`), by period."""
    stmt = (
        select(Release)
        .where(Release.district_id == district_id, Release.subject == subject)
        .order_by(Release.period, Release.revision)
    )
    if period is not None:
        stmt = stmt.where(Release.period == period)
    by_period: dict[str, list[Release]] = defaultdict(list)
    for release in (await session.execute(stmt)).scalars():
        by_period[release.period].append(release)
    found = []
    for releases in by_period.values():
        *earlier, latest = releases
        found.append(
            Revisions(
                latest,
                {key: [r.basis.get(key, []) for r in earlier] for key in latest.basis} if earlier else {},
            )
        )
    return found
