"""The vocabulary of authorization: actions, and what each role and each client scope may do.

The policy (`app.auth.policy`) is the only reader of these tables. To give a role a new power, change
the map here; no route or resolver decides anything on its own.
"""

from __future__ import annotations

from enum import StrEnum

from app.identity.models import Role


class Action(StrEnum):
    # Creating a district provisions a tenant: the installation's operator does it from the command
    # line (`triangle create-admin`); no role inside a district holds it.
    DISTRICT_CREATE = "district:create"
    DISTRICT_READ = "district:read"
    DISTRICT_UPDATE = "district:update"
    SCHOOL_READ = "school:read"
    SCHOOL_CREATE = "school:create"
    SCHOOL_UPDATE = "school:update"
    PERSON_READ = "person:read"
    PERSON_MANAGE = "person:manage"
    USER_MANAGE = "user:manage"
    API_CLIENT_MANAGE = "api_client:manage"
    AUDIT_READ = "audit:read"
    # Initiatives: full read covers a school's unpublished work (or the district's, for district-wide
    # grants); "read published" covers only what the district has published.
    INITIATIVE_READ = "initiative:read"
    INITIATIVE_READ_PUBLISHED = "initiative:read_published"
    INITIATIVE_CREATE = "initiative:create"
    INITIATIVE_UPDATE = "initiative:update"
    INITIATIVE_APPROVE = "initiative:approve"
    # The authorizing environment: who supports or resists what is politically sensitive, so it is for
    # leaders, coaches and admins, not every reader of an initiative.
    STAKEHOLDER_READ = "stakeholder:read"
    STAKEHOLDER_MANAGE = "stakeholder:manage"
    # Co-creation and co-production. Full read covers a school's activities (or all, district-wide);
    # "read published" covers the published record; anyone reads the activities they took part in.
    ACTIVITY_READ = "activity:read"
    ACTIVITY_READ_PUBLISHED = "activity:read_published"
    ACTIVITY_MANAGE = "activity:manage"
    # Contributing an input to an activity one took part in (checked against the participation).
    INPUT_CONTRIBUTE = "input:contribute"
    # Seeing who said what, beyond contributors who agreed to be named.
    CONTRIBUTOR_READ = "contributor:read"


# Reads of the district's directory (the district itself, its schools, its people): a grant at any
# school of the district covers every row, because knowing which schools exist is no one's private work.
DIRECTORY_ACTIONS = frozenset(
    {
        Action.DISTRICT_READ,
        Action.SCHOOL_READ,
        Action.PERSON_READ,
        Action.STAKEHOLDER_READ,
        Action.STAKEHOLDER_MANAGE,
        Action.INITIATIVE_READ_PUBLISHED,
        Action.ACTIVITY_READ_PUBLISHED,
        Action.INPUT_CONTRIBUTE,
    }
)

# A read action, and the narrower action that reaches only published rows of the same kind.
PUBLISHED_COMPANION: dict[Action, Action] = {
    Action.INITIATIVE_READ: Action.INITIATIVE_READ_PUBLISHED,
    Action.ACTIVITY_READ: Action.ACTIVITY_READ_PUBLISHED,
}

_EVERYONE = frozenset(
    {
        Action.DISTRICT_READ,
        Action.SCHOOL_READ,
        Action.INITIATIVE_READ_PUBLISHED,
        Action.ACTIVITY_READ_PUBLISHED,
        Action.INPUT_CONTRIBUTE,
    }
)
_STAFF = _EVERYONE | {Action.INITIATIVE_READ, Action.ACTIVITY_READ}
_STAFF_LEADERSHIP = _STAFF | {Action.PERSON_READ, Action.STAKEHOLDER_READ, Action.CONTRIBUTOR_READ}
_INITIATIVE_LEADERSHIP = frozenset(
    {
        Action.INITIATIVE_CREATE,
        Action.INITIATIVE_UPDATE,
        Action.INITIATIVE_APPROVE,
        Action.STAKEHOLDER_MANAGE,
        Action.ACTIVITY_MANAGE,
    }
)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.DISTRICT_ADMIN: frozenset(Action) - {Action.DISTRICT_CREATE},
    Role.DISTRICT_LEADER: _STAFF_LEADERSHIP | _INITIATIVE_LEADERSHIP,
    # At their own school: its initiatives (create, edit, approve) and its school record.
    Role.SCHOOL_LEADER: _STAFF_LEADERSHIP | _INITIATIVE_LEADERSHIP | {Action.SCHOOL_UPDATE},
    # Coaches run activities (co-teaching, coaching cycles, walkthrough debriefs) at their school.
    Role.COACH: _STAFF_LEADERSHIP | {Action.ACTIVITY_MANAGE},
    Role.TEACHER: _STAFF,
    Role.COMMUNITY_MEMBER: _EVERYONE,
    Role.VIEWER: _EVERYONE,
}

# Where each role may be granted: some are district roles by definition, some belong to a school.
DISTRICT_ONLY_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER})
SCHOOL_ONLY_ROLES = frozenset({Role.SCHOOL_LEADER, Role.TEACHER})


class Scope(StrEnum):
    """What an integrator's ApiClient may be granted."""

    READ = "read"
    ROSTER_WRITE = "roster:write"
    REFERRALS_WRITE = "referrals:write"
    MONITORING_WRITE = "monitoring:write"


SCOPE_ACTIONS: dict[Scope, frozenset[Action]] = {
    Scope.READ: frozenset(
        {
            Action.DISTRICT_READ,
            Action.SCHOOL_READ,
            Action.PERSON_READ,
            Action.INITIATIVE_READ,
            Action.INITIATIVE_READ_PUBLISHED,
            Action.STAKEHOLDER_READ,
            Action.ACTIVITY_READ,
            Action.ACTIVITY_READ_PUBLISHED,
        }
    ),
    Scope.ROSTER_WRITE: frozenset({Action.SCHOOL_CREATE, Action.SCHOOL_UPDATE, Action.PERSON_MANAGE}),
    # Behaviour data and measurements arrive with their areas; the scopes exist so clients can be
    # provisioned ahead of time.
    Scope.REFERRALS_WRITE: frozenset(),
    Scope.MONITORING_WRITE: frozenset(),
}

# Why an action is refused, in words an integrator or a front end can show.
DENIAL_REASONS: dict[Action, str] = {
    Action.DISTRICT_CREATE: "Districts are provisioned by the installation's operator (triangle create-admin).",
    Action.DISTRICT_UPDATE: "Only district admins change district settings.",
    Action.SCHOOL_CREATE: "Only district admins (or roster sync clients) add schools.",
    Action.SCHOOL_UPDATE: "Only district admins and the school's own leaders change a school.",
    Action.PERSON_READ: "Only staff in leadership, coaching or admin roles see the district's people.",
    Action.PERSON_MANAGE: "Only district admins (or roster sync clients) manage people.",
    Action.USER_MANAGE: "Only district admins manage accounts and roles.",
    Action.API_CLIENT_MANAGE: "Only district admins manage API clients.",
    Action.AUDIT_READ: "Only district admins read the audit trail.",
    Action.INITIATIVE_READ: "Your role sees only published initiatives.",
    Action.INITIATIVE_READ_PUBLISHED: "Your role or scopes do not cover initiatives.",
    Action.INITIATIVE_CREATE: "Only district admins and leaders, or a school's leaders for their school, start initiatives.",
    Action.INITIATIVE_UPDATE: "Only district admins and leaders, or a school's leaders for their school, change initiatives.",
    Action.INITIATIVE_APPROVE: "Only district admins and leaders, or a school's leaders for their school, approve initiatives.",
    Action.STAKEHOLDER_READ: "Only leaders, coaches and admins see the authorizing environment.",
    Action.STAKEHOLDER_MANAGE: "Only district admins and leaders, or school leaders, manage stakeholders.",
    Action.ACTIVITY_READ: "Your role sees only published activities and those you took part in.",
    Action.ACTIVITY_READ_PUBLISHED: "Your role or scopes do not cover activities.",
    Action.ACTIVITY_MANAGE: "Only district admins and leaders, or a school's leaders and coaches, run activities.",
    Action.INPUT_CONTRIBUTE: "Only people who took part in an activity contribute to it.",
    Action.CONTRIBUTOR_READ: "Contributors are named only to staff who run the work, or with their agreement.",
}
