"""REST for releases: publish a closed period's figures, and list what was published."""

from __future__ import annotations

from typing import Any

from fastapi import status

from app.core.problems import problem_responses
from app.core.resources import Collection
from app.core.rest import AreaRouter, Caller, Session
from app.releases import service
from app.releases.models import Release, ReleaseSubject
from app.releases.schemas import ReleaseAudit, ReleaseCreate, ReleasePublic

router = AreaRouter(tags=["releases"])


def _public(release: Release | Any) -> ReleasePublic:
    return ReleasePublic.from_row(
        release, released_at=release.created_at, audit=ReleaseAudit.model_validate(release.audit)
    )


@router.post(
    "/releases",
    status_code=status.HTTP_201_CREATED,
    response_model=ReleasePublic,
    responses=problem_responses(409),
)
async def create_release(body: ReleaseCreate, session: Session, principal: Caller) -> ReleasePublic:
    """Publish a closed period's figures: behaviour analytics (`subject: behavior`, with the period's
    dates, which must be past and must not overlap another released period) or student feedback
    aggregates (`subject: feedback`, naming the period the results carry). The figures are computed
    once, suppressed over every table they make up together, audited, and stored; they never change.
    Releasing the same period again is a correction (a new revision), refused with 409 when a figure
    would move by less than the district's minimum, or through fewer people than its minimums, and
    when the revision it corrects was stored before releases kept what each cell was drawn from
    (`legacy_release`). Two cells that pool the same teachers (two measures, two practices, two
    periods) never both show when they differ by fewer than the minimums: the smaller, or the one
    released later, is suppressed. District admins and district leaders."""
    return _public(await service.create_release(session, principal, body))


Collection(router, "/releases", ReleasePublic).list(
    service.list_releases,
    """Every release of your district, oldest first, each revision on its own, with its suppression
    audit's verdict.""",
    filters={"subject": ReleaseSubject | None},
    each=_public,
)
