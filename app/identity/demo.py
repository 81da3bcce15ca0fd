"""Demo data helpers about the district's people that several areas' demo seeds read."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role, RoleAssignment, User


async def demo_staff(session: AsyncSession, district_id: uuid.UUID) -> dict[Role, uuid.UUID]:
    """The person who holds each role in the demo district (one per role: the demo grants each once)."""
    return dict(
        (
            await session.execute(
                select(RoleAssignment.role, User.person_id)
                .join(User, User.id == RoleAssignment.user_id)
                .where(RoleAssignment.district_id == district_id)
            )
        ).all()
    )
