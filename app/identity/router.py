"""REST for people, accounts, roles, API clients and `me`. Parse, call the service, shape the reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from app.auth.dependencies import password_attempt
from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import (
    AreaRouter,
    Caller,
    Session,
)
from app.identity import service
from app.identity.schemas import (
    ApiClientCreate,
    ApiClientCreated,
    ApiClientPublic,
    Me,
    PasswordChange,
    PasswordReset,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
    RoleAssignmentCreate,
    RoleAssignmentPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = AreaRouter(tags=["identity"])

PersonId = Annotated[uuid.UUID, Path(description="The person's id.")]
UserId = Annotated[uuid.UUID, Path(description="The account's id.")]


@router.get("/me", response_model=Me)
async def get_me(session: Session, principal: Caller) -> Me:
    """Who you are: your account and roles, or your API client and its scopes."""
    return await service.me(session, principal)


@router.put(
    "/me/password",
    status_code=204,
    response_class=Response,
    responses=problem_responses(429),
)
async def change_my_password(
    request: Request, body: PasswordChange, session: Session, principal: Caller
) -> Response:
    """Change your password (at least 12 characters), giving the current one. Every session of yours
    ends, this one included: sign in again. Wrong current passwords are throttled as sign-ins are
    (429 with `Retry-After`)."""
    await service.change_own_password(session, principal, body, password_attempt(request))
    return Response(status_code=204)


# --- people -----------------------------------------------------------------------------------------


PEOPLE_LIST = Collection(router, "/people", PersonPublic)
PEOPLE_LIST.list(
    service.list_people, "The people of your district (staff, families, community members, partners)."
)
PEOPLE_LIST.create(
    PersonCreate,
    service.create_person,
    "Add a person to your district (district admins, roster sync clients).",
    responses=problem_responses(409),
)


PEOPLE = Resource(router, "/people/{person_id}", PersonId, PersonPublic)
PEOPLE.get(service.get_person, "One person, with its version in the `ETag` header.")
PEOPLE.update(
    PersonUpdate,
    service.update_person,
    "Change the fields you send; `If-Match` guards against overwriting a newer write.",
)


# --- accounts ---------------------------------------------------------------------------------------


USER_LIST = Collection(router, "/users", UserPublic)
USER_LIST.list(service.list_users, "Accounts of your district with their roles (district admins).")
USER_LIST.create(
    UserCreate,
    service.create_user,
    """Create an account for an existing person (`person_id`) or a new one (`display_name`, `kind`),
    with its first roles. Passwords need at least 12 characters.""",
    responses=problem_responses(404, 409),
)

USERS = Resource(router, "/users/{user_id}", UserId, UserPublic)
USERS.get(service.get_user, "One account with its roles.")
USERS.update(
    UserUpdate,
    service.update_user,
    "Change an account's email, or deactivate it (`is_active: false`), which ends its sessions.",
)


@router.put(
    "/users/{user_id}/password",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404),
)
async def reset_user_password(
    user_id: UserId, body: PasswordReset, session: Session, principal: Caller
) -> Response:
    """Set a new password for another account (district admins). Every session of that account ends
    at once, and the audit trail records who reset it. Your own password is changed with
    `PUT /me/password`, which asks for the current one (403 here)."""
    await service.reset_password(session, principal, user_id, body.new_password)
    return Response(status_code=204)


# --- roles ------------------------------------------------------------------------------------------


ROLE_ASSIGNMENT_LIST = Collection(router, "/role-assignments", RoleAssignmentPublic)
ROLE_ASSIGNMENT_LIST.list(
    service.list_role_assignments,
    "Who holds which role where (district admins).",
    filters={"user_id": Annotated[uuid.UUID | None, Query(description="Only this account's roles.")]},
)


ROLE_ASSIGNMENT_LIST.create(
    RoleAssignmentCreate,
    service.grant_role,
    "Grant a role in the district or at a school. It applies from the user's next token.",
    etag=False,
    responses=problem_responses(404, 409),
)


ROLE_ASSIGNMENTS = Resource(router, "/role-assignments/{assignment_id}", Annotated[uuid.UUID, Path()])
ROLE_ASSIGNMENTS.remove(service.revoke_role, "Take a role away. It applies from the user's next token.")


# --- API clients ------------------------------------------------------------------------------------


API_CLIENT_LIST = Collection(router, "/api-clients", ApiClientPublic)
API_CLIENT_LIST.list(
    service.list_api_clients, "Your district's integrator clients, revoked ones included (district admins)."
)


@router.post(
    "/api-clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientCreated,
)
async def create_api_client(body: ApiClientCreate, session: Session, principal: Caller) -> ApiClientCreated:
    """Register an integrator with scopes (`read`, `roster:write`, `referrals:write`, `monitoring:write`).

    The answer holds `client_secret` once; only its hash is kept. The integrator then calls
    `POST /api/v1/auth/token` with `grant_type=client_credentials`.
    """
    return await service.create_api_client(session, principal, body)


API_CLIENTS = Resource(router, "/api-clients/{api_client_id}", Annotated[uuid.UUID, Path()])
API_CLIENTS.view("", ApiClientPublic, service.get_api_client, "One client (never its secret).")


@router.post(
    "/api-clients/{api_client_id}/revoke",
    response_model=ApiClientPublic,
    responses=problem_responses(404),
)
async def revoke_api_client(
    api_client_id: Annotated[uuid.UUID, Path()], session: Session, principal: Caller
) -> ApiClientPublic:
    """Revoke a client: it gets no new tokens. Idempotent."""
    return ApiClientPublic.model_validate(await service.revoke_api_client(session, principal, api_client_id))
