"""Every table model, imported once so the metadata is complete (Alembic, tests, the app)."""

from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle, RefreshToken
from app.engagement.models import Activity, Input, InputLink, Participation
from app.identity.models import ApiClient, Person, RoleAssignment, User
from app.initiatives.models import (
    CapacityItem,
    Indicator,
    Initiative,
    InitiativeStakeholder,
    Stakeholder,
    StanceChange,
)
from app.tenancy.models import District, School

__all__ = [
    "Activity",
    "ApiClient",
    "AuditEvent",
    "CapacityItem",
    "District",
    "Indicator",
    "Initiative",
    "InitiativeStakeholder",
    "Input",
    "InputLink",
    "LoginThrottle",
    "Participation",
    "Person",
    "RefreshToken",
    "RoleAssignment",
    "School",
    "Stakeholder",
    "StanceChange",
    "User",
]
