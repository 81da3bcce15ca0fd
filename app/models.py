"""Every table model, imported once so the metadata is complete (Alembic, tests, the app)."""

from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle, RefreshToken
from app.coaching.models import CoachingCycle, CoachingObservation, CoachingSession, CoachingShare
from app.core.idempotency import IdempotencyKey
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
from app.monitoring.models import Measurement
from app.opendata.models import OpenDataRate, OpenDataSetting
from app.plans.models import (
    ActionStep,
    Evidence,
    Goal,
    Plan,
    PlanCollaborator,
    PlanRevision,
    PlanRevisionCause,
    ReviewCheckpoint,
    Strategy,
)
from app.practice.models import (
    FeedbackResult,
    FeedbackShare,
    PdsaCycle,
    PlcMeeting,
    Practice,
    Walkthrough,
    WalkthroughObservation,
)
from app.releases.models import Release
from app.sis.models import (
    BehaviorReferral,
    Enrollment,
    Section,
    Student,
    SyncRun,
    TierAssignment,
)
from app.tenancy.models import District, School
from app.webhooks.models import (
    IndicatorStatusSeen,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "ActionStep",
    "Activity",
    "ApiClient",
    "AuditEvent",
    "BehaviorReferral",
    "CapacityItem",
    "CoachingCycle",
    "CoachingObservation",
    "CoachingSession",
    "CoachingShare",
    "District",
    "Enrollment",
    "Evidence",
    "FeedbackResult",
    "FeedbackShare",
    "Goal",
    "IdempotencyKey",
    "Indicator",
    "IndicatorStatusSeen",
    "Initiative",
    "InitiativeStakeholder",
    "Input",
    "InputLink",
    "LoginThrottle",
    "Measurement",
    "OpenDataRate",
    "OpenDataSetting",
    "Participation",
    "PdsaCycle",
    "Person",
    "Plan",
    "PlanCollaborator",
    "PlanRevision",
    "PlanRevisionCause",
    "PlcMeeting",
    "Practice",
    "RefreshToken",
    "Release",
    "ReviewCheckpoint",
    "RoleAssignment",
    "School",
    "Section",
    "Stakeholder",
    "StanceChange",
    "Strategy",
    "Student",
    "SyncRun",
    "TierAssignment",
    "User",
    "Walkthrough",
    "WalkthroughObservation",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
