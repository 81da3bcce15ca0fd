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
    # Improvement plans. Full read covers a school's plans (drafts too); "read published" covers
    # approved plans the district published. PLAN_EDIT edits any plan in reach; PLAN_AUTHOR edits only
    # plans one collaborates on as lead or co-author (checked against the collaborator list).
    PLAN_READ = "plan:read"
    PLAN_READ_PUBLISHED = "plan:read_published"
    PLAN_CREATE = "plan:create"
    PLAN_EDIT = "plan:edit"
    PLAN_AUTHOR = "plan:author"
    # Running PDSA cycles on a plan's strategies: its authors, and the coaches of its school.
    PDSA_RUN = "pdsa:run"
    # A school plan is approved by a school leader; a district plan by a district leader.
    PLAN_APPROVE_SCHOOL = "plan:approve_school"
    PLAN_APPROVE_DISTRICT = "plan:approve_district"
    # Progress monitoring. Measurements are read wherever their indicator's initiative or plan is.
    MEASUREMENT_RECORD = "measurement:record"
    # Walkthroughs: the aggregate picture is for the school's staff; who was observed at which level
    # and who needs which support is for those who support teachers (leaders, coaches). A teacher
    # always sees their own observations (checked against the observation, not granted here).
    WALKTHROUGH_READ = "walkthrough:read"
    WALKTHROUGH_DETAIL_READ = "walkthrough:detail_read"
    WALKTHROUGH_MANAGE = "walkthrough:manage"
    # PLC meetings belong to the teachers in them: the school's teachers and coaches read all of them;
    # leadership reads only what a PLC shared with it.
    PLC_RECORD = "plc:record"
    PLC_READ = "plc:read"
    PLC_READ_SHARED = "plc:read_shared"
    # Student feedback about a teacher's class is the teacher's. No role reads another teacher's
    # results; leaders read suppressed school-level aggregates. Recording is for the teacher (checked
    # against the result) and for survey integrations.
    FEEDBACK_RECORD = "feedback:record"
    FEEDBACK_AGGREGATE_READ = "feedback:aggregate_read"
    # The district's catalogue of evidence-based practices: every member of staff reads it; district
    # leaders keep it.
    PRACTICE_READ = "practice:read"
    PRACTICE_MANAGE = "practice:manage"
    # Coaching cycles are the teacher's and the coach's: starting one is for teachers and coaches
    # (each checked against the cycle: a teacher of its school, a coach there or district-wide); no role
    # reads a cycle it is not party to or shared with. Leaders read released counts only.
    COACHING_CYCLE_START = "coaching_cycle:start"
    COACHING_AGGREGATE_READ = "coaching:aggregate_read"
    # SIS sync. Roster rows (students, staff, classes, enrollments) are pseudonymous; behaviour rows
    # (referrals, tier assignments) are about single students, so reading them back is its own right.
    ROSTER_SYNC = "roster:sync"
    ROSTER_READ = "roster:read"
    BEHAVIOR_SYNC = "behavior:sync"
    BEHAVIOR_READ = "behavior:read"
    SYNC_RUN_READ = "sync_run:read"
    # Behaviour analytics: suppressed aggregates per school (tiers, referral counts, teachers).
    BEHAVIOR_ANALYTICS_READ = "behavior_analytics:read"
    # Releasing a closed period's pooled figures (behaviour analytics, feedback aggregates).
    RELEASE_PUBLISH = "release:publish"
    # Webhook subscriptions of any API client of the district (a client always manages its own).
    WEBHOOK_MANAGE = "webhook:manage"
    # Whether the district publishes open data, and under which licence.
    OPEN_DATA_MANAGE = "open_data:manage"
    # The district portfolio: every school plan side by side, for those who lead the district.
    PORTFOLIO_READ = "portfolio:read"


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
        Action.PLAN_READ_PUBLISHED,
        Action.PRACTICE_READ,
        # Authoring is granted per plan by the collaborator list, wherever the plan belongs.
        Action.PLAN_AUTHOR,
    }
)

# A read action, and the narrower action that reaches only published rows of the same kind.
PUBLISHED_COMPANION: dict[Action, Action] = {
    Action.INITIATIVE_READ: Action.INITIATIVE_READ_PUBLISHED,
    Action.ACTIVITY_READ: Action.ACTIVITY_READ_PUBLISHED,
    Action.PLAN_READ: Action.PLAN_READ_PUBLISHED,
}

_EVERYONE = frozenset(
    {
        Action.DISTRICT_READ,
        Action.SCHOOL_READ,
        Action.INITIATIVE_READ_PUBLISHED,
        Action.ACTIVITY_READ_PUBLISHED,
        Action.INPUT_CONTRIBUTE,
        Action.PLAN_READ_PUBLISHED,
    }
)
_STAFF = _EVERYONE | {
    Action.INITIATIVE_READ,
    Action.ACTIVITY_READ,
    Action.PLAN_READ,
    Action.PLAN_AUTHOR,
    Action.WALKTHROUGH_READ,
    Action.PRACTICE_READ,
}
_STAFF_LEADERSHIP = _STAFF | {
    Action.PERSON_READ,
    Action.STAKEHOLDER_READ,
    Action.CONTRIBUTOR_READ,
    Action.WALKTHROUGH_DETAIL_READ,
    Action.WALKTHROUGH_MANAGE,
    Action.MEASUREMENT_RECORD,
    Action.FEEDBACK_AGGREGATE_READ,
    Action.COACHING_AGGREGATE_READ,
}
# The teachers' own spaces: PLC notes nobody outside the PLC community reads unless shared.
_PLC_COMMUNITY = frozenset({Action.PLC_RECORD, Action.PLC_READ})
_INITIATIVE_LEADERSHIP = frozenset(
    {
        Action.INITIATIVE_CREATE,
        Action.INITIATIVE_UPDATE,
        Action.INITIATIVE_APPROVE,
        Action.STAKEHOLDER_MANAGE,
        Action.ACTIVITY_MANAGE,
        Action.PLAN_CREATE,
        Action.PLAN_EDIT,
    }
)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.DISTRICT_ADMIN: frozenset(Action) - {Action.DISTRICT_CREATE} - _PLC_COMMUNITY
    | {Action.PLC_READ_SHARED},
    Role.DISTRICT_LEADER: _STAFF_LEADERSHIP
    | _INITIATIVE_LEADERSHIP
    | {
        Action.PORTFOLIO_READ,
        Action.BEHAVIOR_ANALYTICS_READ,
        Action.PLAN_APPROVE_DISTRICT,
        Action.PLC_READ_SHARED,
        Action.RELEASE_PUBLISH,
        Action.PRACTICE_MANAGE,
    },
    # At their own school: its initiatives (create, edit, approve) and its school record.
    Role.SCHOOL_LEADER: _STAFF_LEADERSHIP
    | _INITIATIVE_LEADERSHIP
    | {
        Action.SCHOOL_UPDATE,
        Action.BEHAVIOR_ANALYTICS_READ,
        Action.PLAN_APPROVE_SCHOOL,
        Action.PLC_READ_SHARED,
    },
    # Coaches run activities (co-teaching, coaching cycles, walkthrough debriefs) at their school.
    # ... and PDSA cycles on the plans of their school (or of plans they review).
    Role.COACH: _STAFF_LEADERSHIP
    | _PLC_COMMUNITY
    | {
        Action.ACTIVITY_MANAGE,
        Action.PDSA_RUN,
        Action.COACHING_CYCLE_START,
    },
    Role.TEACHER: _STAFF | _PLC_COMMUNITY | {Action.FEEDBACK_RECORD, Action.COACHING_CYCLE_START},
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
    # Reading single students' referrals and tiers back: never implied by `referrals:write`.
    REFERRALS_READ = "referrals:read"


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
            Action.PLAN_READ,
            Action.PLAN_READ_PUBLISHED,
            Action.ROSTER_READ,
            Action.SYNC_RUN_READ,
            Action.BEHAVIOR_ANALYTICS_READ,
            Action.PRACTICE_READ,
        }
    ),
    # A roster client may read back the pseudonymous roster it writes, and its runs.
    Scope.ROSTER_WRITE: frozenset(
        {
            Action.SCHOOL_CREATE,
            Action.SCHOOL_UPDATE,
            Action.PERSON_MANAGE,
            Action.ROSTER_SYNC,
            Action.ROSTER_READ,
            Action.SYNC_RUN_READ,
        }
    ),
    # Integrators write referrals; they do not read single students' referrals back unless granted
    # `referrals:read`.
    Scope.REFERRALS_WRITE: frozenset({Action.BEHAVIOR_SYNC, Action.SYNC_RUN_READ}),
    Scope.REFERRALS_READ: frozenset({Action.BEHAVIOR_READ}),
    # Survey and assessment integrations push measurements and feedback results; they read nothing back.
    Scope.MONITORING_WRITE: frozenset({Action.MEASUREMENT_RECORD, Action.FEEDBACK_RECORD}),
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
    Action.RELEASE_PUBLISH: "Only district admins and district leaders release a period's figures.",
    Action.WEBHOOK_MANAGE: "Only district admins, or the API client itself, manage its webhook subscriptions.",
    Action.OPEN_DATA_MANAGE: "Only district admins decide what the district publishes as open data.",
    Action.PORTFOLIO_READ: "The district portfolio is for district leaders and admins.",
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
    Action.PLAN_READ: "Your role sees only approved plans the district has published.",
    Action.PLAN_READ_PUBLISHED: "Your role or scopes do not cover plans.",
    Action.PLAN_CREATE: "Only district admins and leaders, or a school's leaders for their school, start plans.",
    Action.PLAN_EDIT: "Only a plan's lead, or leaders within reach of the plan, decide this.",
    Action.PLAN_AUTHOR: "Only the plan's lead and co-authors, or leaders, edit it.",
    Action.PDSA_RUN: "Only the plan's authors, leaders, and coaches of its school or among its reviewers run "
    "its PDSA cycles.",
    Action.PLAN_APPROVE_SCHOOL: "A school plan is approved by a leader of that school.",
    Action.PLAN_APPROVE_DISTRICT: "A district plan is approved by a district leader.",
    Action.MEASUREMENT_RECORD: "Only leaders, coaches and monitoring integrations record measurements.",
    Action.WALKTHROUGH_READ: "Walkthroughs are for the school's staff.",
    Action.WALKTHROUGH_DETAIL_READ: "Who was observed at which level is for school leaders and coaches; "
    "teachers see their own observations.",
    Action.WALKTHROUGH_MANAGE: "Only school leaders, coaches and district leaders run walkthroughs.",
    Action.PLC_RECORD: "PLC meetings are recorded by the school's teachers and coaches.",
    Action.PLC_READ: "Leadership sees only what a PLC shared with it.",
    Action.PLC_READ_SHARED: "Your role does not cover PLC meetings.",
    Action.FEEDBACK_RECORD: "Feedback results are recorded by the teacher or a survey integration.",
    Action.FEEDBACK_AGGREGATE_READ: "School-level feedback aggregates are for leaders and coaches.",
    Action.PRACTICE_READ: "The practice catalogue is for the district's staff.",
    Action.PRACTICE_MANAGE: "Only district admins and district leaders keep the practice catalogue.",
    Action.COACHING_CYCLE_START: "Coaching cycles are started by the teacher or the coach in them.",
    Action.COACHING_AGGREGATE_READ: "Coaching counts are for leaders and coaches.",
    Action.ROSTER_SYNC: "Only district admins and clients with the roster:write scope sync the roster.",
    Action.ROSTER_READ: "Only district admins and clients with the read or roster:write scope read the synced roster.",
    Action.BEHAVIOR_SYNC: "Only district admins and clients with the referrals:write scope sync behaviour data.",
    Action.BEHAVIOR_READ: "Single students' referrals and tiers are read only by district admins and clients with the referrals:read scope.",
    Action.SYNC_RUN_READ: "Only district admins and sync clients see sync runs.",
    Action.BEHAVIOR_ANALYTICS_READ: "Only district admins and leaders, or a school's leaders for their school, see behaviour analytics.",
}
