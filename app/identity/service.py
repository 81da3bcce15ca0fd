"""The rules for people, accounts, roles and API clients. Both transports call these.

Managing accounts, roles and clients is for district admins; reading the district's people is for staff
in leadership, coaching and admin roles (see `app.auth.permissions`). Every function takes the session
and the principal, raises `DomainError`s, flushes and never commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import column, exists, func, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.grants import end_grant
from app.auth.permissions import DISTRICT_ONLY_ROLES, SCHOOL_ONLY_ROLES, Action
from app.auth.policy import authorize, get_to_change, get_visible, get_visible_many, require, visible
from app.auth.principal import Principal, PrincipalKind
from app.auth.service import revoke_all_refresh_tokens
from app.auth.throttle import PasswordAttempt
from app.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import VersionCheck, apply_changes, check_version, flush_or_conflict, where_given
from app.core.security import hash_secret, new_token_secret
from app.core.sql import any_of
from app.identity.models import ApiClient, Person, Role, RoleAssignment, User
from app.identity.schemas import (
    ApiClientCreate,
    ApiClientCreated,
    ApiClientPublic,
    Me,
    PasswordChange,
    PersonCreate,
    PersonUpdate,
    RoleAssignmentCreate,
    RoleAssignmentPublic,
    RoleGrantInput,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.tenancy.models import School

_PERSON_UNIQUE = {"uq_person_district_id_sourced_id": ("sourced_id", "A person with this sourced_id exists.")}
_USER_UNIQUE = {
    "uq_user_account_district_id_lower_email": (
        "email",
        "An account with this email already exists in this district.",
    ),
    "uq_user_account_person_id": ("person_id", "This person already has an account."),
}
_ROLE_UNIQUE = {
    "uq_role_assignment_user_id_role_school_id": ("role", "The user already holds this role there."),
}


# --- people -----------------------------------------------------------------------------------------


async def list_people(session: AsyncSession, principal: Principal, page: PageRequest) -> Page[Person]:
    """The district's people, oldest first. `PermissionDenied` for roles that may not see them."""
    require(principal, Action.PERSON_READ)
    return await paginate(
        session, visible(select(Person), Person, principal, Action.PERSON_READ), Person, page
    )


async def get_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    return await get_visible(session, Person, person_id, principal, Action.PERSON_READ, what="person")


async def create_person(session: AsyncSession, principal: Principal, data: PersonCreate) -> Person:
    """Add a person to the principal's district. `Conflict` on a duplicate sourced_id."""
    district_id = _own_district(principal)
    authorize(principal, Action.PERSON_MANAGE, district_id=district_id)
    person = Person(district_id=district_id, **data.model_dump())
    session.add(person)
    await flush_or_conflict(session, _PERSON_UNIQUE)
    return person


async def update_person(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    data: PersonUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Person:
    person = await get_to_change(
        session, Person, person_id, principal, Action.PERSON_READ, Action.PERSON_MANAGE, what="person"
    )
    check_version(person, expected_version, what="person")
    apply_changes(person, data.changes())
    await flush_or_conflict(session, _PERSON_UNIQUE)
    return person


# --- accounts ---------------------------------------------------------------------------------------


async def list_users(session: AsyncSession, principal: Principal, page: PageRequest) -> Page[UserPublic]:
    """The district's accounts with their roles (district admins)."""
    require(principal, Action.USER_MANAGE)
    result = await paginate(session, visible(select(User), User, principal, Action.USER_MANAGE), User, page)
    roles = await _roles_of(session, [u.id for u in result.items])
    return result.with_items([_user_public(u, roles[u.id]) for u in result.items])


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserPublic:
    user = await get_visible(session, User, user_id, principal, Action.USER_MANAGE, what="user")
    return _user_public(user, (await _roles_of(session, [user.id]))[user.id])


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> UserPublic:
    """Create an account (and its person, when `display_name` is given) with its first roles.

    Raises `PermissionDenied` (not a district admin), `ValidationFailed` (neither or both of person_id
    and display_name; a role granted at the wrong level), `NotFound` (person or school not in the
    district) and `Conflict` (email taken, person already has an account).
    """
    district_id = _own_district(principal)
    authorize(principal, Action.USER_MANAGE, district_id=district_id)
    if (data.person_id is None) == (data.display_name is None):
        raise ValidationFailed(
            "Give either person_id or display_name.",
            errors=[FieldError(("person_id",), "Give either person_id or display_name, not both.", "one_of")],
        )
    if data.person_id is not None:
        person = await get_visible(
            session, Person, data.person_id, principal, Action.PERSON_READ, what="person"
        )
        if await _has_private_history(session, person.id):
            # A login inherits everything recorded about its person, and everything shared with it.
            # Teacher-private records (feedback results, walkthrough observations, coaching cycles) are
            # read only by the people they name, whatever the reader's role, so an admin cannot make a
            # login that would read them as its own or as shared with it.
            raise Conflict(
                "This person is named in teacher-private records (feedback results, walkthrough "
                "observations or coaching cycles, their own or shared with them): a login for them "
                "would read those records. Their account is made with a new person, or by them through "
                "the district's identity provider.",
                errors=[FieldError(("person_id",), "Holds teacher-private records.", "private_history")],
            )
    else:
        person = Person(
            district_id=district_id, display_name=data.display_name, kind=data.kind, email=data.email
        )
        session.add(person)
    user = User(
        district_id=district_id,
        person_id=person.id,
        email=data.email,
        password_hash=hash_secret(data.password),
    )
    session.add(user)
    await flush_or_conflict(session, _USER_UNIQUE)
    assignments = [
        await _add_role(session, principal, user, grant.role, grant.school_id, field=("roles", index))
        for index, grant in enumerate(data.roles)
    ]
    await flush_or_conflict(session, _ROLE_UNIQUE)
    return _user_public(user, assignments)


# Every column that names a person who reads a teacher-private row (`policy.private_to`: the teacher,
# the coach, whoever the teacher shared it with). Lower areas do not import the monitoring and coaching
# models; these columns are all this check needs. A new private record, or a new way of sharing one,
# adds its column here.
_PRIVATE_HISTORY = (
    table("feedback_result", column("teacher_person_id")).c.teacher_person_id,
    table("feedback_share", column("person_id")).c.person_id,
    table("walkthrough_observation", column("teacher_person_id")).c.teacher_person_id,
    table("coaching_cycle", column("teacher_person_id")).c.teacher_person_id,
    table("coaching_cycle", column("coach_person_id")).c.coach_person_id,
    table("coaching_share", column("person_id")).c.person_id,
)


async def _has_private_history(session: AsyncSession, person_id: uuid.UUID) -> bool:
    named = [exists().where(person == person_id) for person in _PRIVATE_HISTORY]
    return bool(await session.scalar(select(or_(*named))))


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    data: UserUpdate,
    *,
    expected_version: VersionCheck = None,
) -> UserPublic:
    """Change an account's email or active flag. Deactivating ends its sessions: its refresh tokens,
    and its access tokens from the next request on. An admin cannot deactivate themself (a district
    must not lock out its last admin by accident)."""
    user = await get_visible(session, User, user_id, principal, Action.USER_MANAGE, what="user", lock=True)
    check_version(user, expected_version, what="user")
    changes = data.changes()
    if changes.get("is_active") is False and user.id == principal.id:
        raise ValidationFailed(
            "You cannot deactivate your own account.",
            errors=[FieldError(("is_active",), "Ask another district admin.", "self_deactivation")],
        )
    if changes.get("is_active") is False and user.is_active:
        await revoke_all_refresh_tokens(session, user.id)
        await end_grant(session, user.id)
    apply_changes(user, changes)
    await flush_or_conflict(session, _USER_UNIQUE)
    return _user_public(user, (await _roles_of(session, [user.id]))[user.id])


async def reset_password(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, new_password: str
) -> None:
    """An admin sets another account's password: every session of that account ends (refresh
    tokens now, access tokens from the next request), and the audit trail records that the password
    changed and who changed it. `PermissionDenied` for one's own account: changing one's own password
    always takes the current one (`change_own_password`), so a stolen access token cannot be turned
    into a permanent takeover."""
    user = await get_visible(session, User, user_id, principal, Action.USER_MANAGE, what="user", lock=True)
    if user.id == principal.id:
        raise PermissionDenied(
            "Change your own password with PUT /me/password (GraphQL: changeMyPassword), giving the "
            "current one.",
            extra={"action": "own_password_reset"},
        )
    await _set_password(session, user, new_password)


async def change_own_password(
    session: AsyncSession, principal: Principal, data: PasswordChange, attempt: PasswordAttempt
) -> None:
    """A person changes their own password, proving the current one; every session of theirs ends,
    this one's access token included. Wrong current passwords are throttled as sign-ins are
    (`app.auth.throttle`): `RateLimited` while locked out, `ValidationFailed` for a wrong one."""
    user = await _own_account(session, principal)
    if not await attempt.check(user, data.current_password):
        raise ValidationFailed(
            "The current password is wrong.",
            errors=[FieldError(("current_password",), "Wrong password.", "wrong_password")],
        )
    user = await _own_account(session, principal, lock=True)
    await _set_password(session, user, data.new_password)


async def me(session: AsyncSession, principal: Principal) -> Me:
    """Who is calling: the account and its roles, or the API client and its scopes."""
    if principal.kind is PrincipalKind.CLIENT and principal.id and principal.district_id:
        return Me(
            kind="client", id=principal.id, district_id=principal.district_id, scopes=sorted(principal.scopes)
        )
    user = await _own_account(session, principal)
    person = await session.get(Person, user.person_id)
    roles = (await _roles_of(session, [user.id]))[user.id]
    return Me(
        kind="user",
        id=user.id,
        district_id=user.district_id,
        email=user.email,
        display_name=person.display_name if person else None,
        person_id=user.person_id,
        roles=[RoleGrantInput(role=r.role, school_id=r.school_id) for r in roles],
    )


async def own_person(session: AsyncSession, principal: Principal) -> Person | None:
    """The caller's own person record, which everyone reads (whatever their role lets them see of
    others); None for an API client."""
    if principal.kind is not PrincipalKind.USER:
        return None
    user = await _own_account(session, principal)
    return await session.get(Person, user.person_id)


# --- roles ------------------------------------------------------------------------------------------


async def list_role_assignments(
    session: AsyncSession, principal: Principal, page: PageRequest, *, user_id: uuid.UUID | None = None
) -> Page[RoleAssignment]:
    require(principal, Action.USER_MANAGE)
    stmt = visible(select(RoleAssignment), RoleAssignment, principal, Action.USER_MANAGE)
    stmt = where_given(stmt, RoleAssignment, user_id=user_id)
    return await paginate(session, stmt, RoleAssignment, page)


async def grant_role(
    session: AsyncSession, principal: Principal, data: RoleAssignmentCreate
) -> RoleAssignment:
    """Grant a role. District roles (district_admin, district_leader) take no school; school roles
    (school_leader, teacher) need one; the rest may be either. The grant applies from the user's next
    token (sign-in or refresh)."""
    user = await get_visible(session, User, data.user_id, principal, Action.USER_MANAGE, what="user")
    assignment = await _add_role(session, principal, user, data.role, data.school_id, field=())
    await flush_or_conflict(session, _ROLE_UNIQUE)
    return assignment


async def role_assignments_by_id(
    session: AsyncSession, principal: Principal, assignment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, RoleAssignment]:
    """The role assignments among `assignment_ids` the principal may see: those it may list, the
    district's for whoever manages its accounts (a DataLoader batch)."""
    return await get_visible_many(session, RoleAssignment, assignment_ids, principal, Action.USER_MANAGE)


async def revoke_role(session: AsyncSession, principal: Principal, assignment_id: uuid.UUID) -> None:
    """Take a role away, from the user's next request: their access tokens end, and a refresh gives
    one without it. An admin cannot drop their own admin role."""
    assignment = await get_visible(
        session, RoleAssignment, assignment_id, principal, Action.USER_MANAGE, what="role assignment"
    )
    if assignment.user_id == principal.id and assignment.role is Role.DISTRICT_ADMIN:
        raise ValidationFailed("You cannot revoke your own district_admin role; ask another admin.")
    await session.delete(assignment)
    await session.flush()
    # Tokens carry roles: the user's tokens end, and the next one (a refresh) is without this role.
    await end_grant(session, assignment.user_id)


# --- API clients ------------------------------------------------------------------------------------


async def list_api_clients(session: AsyncSession, principal: Principal, page: PageRequest) -> Page[ApiClient]:
    require(principal, Action.API_CLIENT_MANAGE)
    stmt = visible(select(ApiClient), ApiClient, principal, Action.API_CLIENT_MANAGE)
    return await paginate(session, stmt, ApiClient, page)


async def get_api_client(session: AsyncSession, principal: Principal, api_client_id: uuid.UUID) -> ApiClient:
    return await get_visible(
        session, ApiClient, api_client_id, principal, Action.API_CLIENT_MANAGE, what="API client"
    )


async def create_api_client(
    session: AsyncSession, principal: Principal, data: ApiClientCreate
) -> ApiClientCreated:
    """Register an integrator. The secret is in this answer only: it is stored as an argon2id hash."""
    district_id = _own_district(principal)
    authorize(principal, Action.API_CLIENT_MANAGE, district_id=district_id)
    secret = new_token_secret()
    client = ApiClient(
        district_id=district_id,
        name=data.name,
        client_id="tri_" + new_token_secret(12),
        secret_hash=hash_secret(secret),
        scopes=sorted({s.value for s in data.scopes}),
    )
    session.add(client)
    await session.flush()
    return ApiClientCreated(**ApiClientPublic.model_validate(client).model_dump(), client_secret=secret)


async def revoke_api_client(
    session: AsyncSession, principal: Principal, api_client_id: uuid.UUID
) -> ApiClient:
    """Revoke a client: it can get no new token, and the tokens it holds are refused from the next
    request on."""
    client = await get_visible(
        session, ApiClient, api_client_id, principal, Action.API_CLIENT_MANAGE, what="API client", lock=True
    )
    if client.revoked_at is None:
        apply_changes(client, {"revoked_at": utcnow()})
        await session.flush()
        await end_grant(session, client.id)
    return client


# --- helpers ----------------------------------------------------------------------------------------


def _own_district(principal: Principal) -> uuid.UUID:
    if principal.district_id is None:
        if not principal.is_authenticated:
            raise Unauthenticated("Send a bearer token.")
        raise PermissionDenied("This action needs a principal of a district.")
    return principal.district_id


async def _own_account(session: AsyncSession, principal: Principal, *, lock: bool = False) -> User:
    if not principal.is_authenticated:
        raise Unauthenticated("Send a bearer token.")
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        raise PermissionDenied("Only people have accounts; API clients do not.")
    stmt = select(User).where(User.id == principal.id)
    user = await session.scalar(stmt.with_for_update() if lock else stmt)
    if user is None:
        raise NotFound("Your account no longer exists.")
    return user


async def _set_password(session: AsyncSession, user: User, new_password: str) -> None:
    apply_changes(user, {"password_hash": hash_secret(new_password), "password_changed_at": utcnow()})
    await revoke_all_refresh_tokens(session, user.id)
    await end_grant(session, user.id)
    await session.flush()


async def _add_role(
    session: AsyncSession,
    principal: Principal,
    user: User,
    role: Role,
    school_id: uuid.UUID | None,
    *,
    field: tuple[str | int, ...],
) -> RoleAssignment:
    if school_id is None and role in SCHOOL_ONLY_ROLES:
        raise ValidationFailed(
            f"{role.value} is granted at a school.",
            errors=[FieldError((*field, "school_id"), f"{role.value} needs a school_id.", "school_required")],
        )
    if school_id is not None and role in DISTRICT_ONLY_ROLES:
        raise ValidationFailed(
            f"{role.value} is a district role.",
            errors=[FieldError((*field, "school_id"), f"{role.value} takes no school_id.", "district_role")],
        )
    if school_id is not None:
        in_district = await session.scalar(
            select(func.count())
            .select_from(School)
            .where(School.id == school_id, School.district_id == user.district_id)
        )
        if not in_district:
            raise NotFound(
                f"No school with id {school_id}.",
                errors=[FieldError((*field, "school_id"), "No such school in this district.", "not_found")],
            )
    assignment = RoleAssignment(district_id=user.district_id, user_id=user.id, school_id=school_id, role=role)
    session.add(assignment)
    return assignment


async def _roles_of(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[RoleAssignment]]:
    grouped: dict[uuid.UUID, list[RoleAssignment]] = defaultdict(list)
    if user_ids:
        stmt = (
            select(RoleAssignment)
            .where(any_of(RoleAssignment.user_id, user_ids))
            .order_by(RoleAssignment.created_at, RoleAssignment.id)
        )
        for assignment in (await session.execute(stmt)).scalars():
            grouped[assignment.user_id].append(assignment)
    return grouped


def _user_public(user: User, roles: list[RoleAssignment]) -> UserPublic:
    return UserPublic.from_row(user, roles=[RoleAssignmentPublic.model_validate(r) for r in roles])
