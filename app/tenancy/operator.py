"""The installation's operator at the console: finding a district by name and acting inside it.

Kept apart from `app.demo` (which imports every service to build the demo data set), so a console
command such as `triangle import-oneroster` starts without loading what it does not use.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Principal
from app.tenancy.models import District


def operator_of(district_id: uuid.UUID) -> Principal:
    """The installation's operator, acting inside one district."""
    return Principal(kind=SYSTEM.kind, district_id=district_id, label="system")


async def find_district(session: AsyncSession, name: str) -> District | None:
    """The district of this name (case and surrounding spaces do not matter), if any."""
    return await session.scalar(select(District).where(func.lower(District.name) == name.strip().lower()))
