"""GraphQL for people, accounts, roles, API clients and `me`. Types, queries, mutations; no rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.auth.dependencies import password_attempt
from app.auth.permissions import Action
from app.auth.policy import get_visible_many
from app.auth.principal import Principal
from app.core.errors import PermissionDenied
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.errors import UserError, validate_input
from app.graphql.kit import (
    Answer,
    Id,
    answer,
    change,
    converter,
    create,
    fields,
    listing,
    mutate,
    mutate_arguments,
    mutation,
    mutation_by,
    node_resolver,
    node_resolver_via_service,
    payload,
    read,
)
from app.graphql.loaders import by_id
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import node_uuid, optional_global_id, parse_global_id, present_fields
from app.identity import schemas, service
from app.identity.models import ApiClient, Person, PersonKind, Role

if TYPE_CHECKING:
    from app.agenda.graphql import AgendaType

PersonKindEnum = strawberry.enum(PersonKind, name="PersonKind")
RoleEnum = strawberry.enum(Role, name="Role")


person_by_id = by_id(
    lambda session, principal, ids: get_visible_many(session, Person, ids, principal, Action.PERSON_READ)
)
role_assignment_by_id = by_id(service.role_assignments_by_id)


async def person_of(
    info: Info[Context, None], reference: relay.GlobalID | uuid.UUID | None
) -> PersonType | None:
    """The person a reference names, through the request's one loader (one query for every reference
    in the response): null when there is none, and for callers who do not read the district's people."""
    person_id = node_uuid(reference, "Person") if isinstance(reference, relay.GlobalID) else reference
    if person_id is None:
        return None
    try:
        person = await info.context.loader("person_by_id", person_by_id).load(person_id)
    except PermissionDenied:
        return None
    return PersonType.from_model(person) if person is not None else None


def person_field(description: str, reference: str) -> Any:
    """The field of the person the object's `reference` attribute names (a global id or a UUID), read
    as `person_of` reads it: `owner = person_field("Who owns it; ...", "owner_person_id")`."""

    async def resolve(self: Any, info: Info[Context, None]) -> PersonType | None:
        return await person_of(info, getattr(self, reference))

    return strawberry.field(resolver=resolve, description=description)


@converter(Person, tags=lambda row: list(row.tags))
@strawberry.type(
    name="Person", description="Anyone the work involves: staff, family, community member, partner."
)
class PersonType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    display_name: str
    kind: PersonKindEnum  # type: ignore[valid-type]
    email: str | None
    sourced_id: str | None
    preferred_language: str | None = strawberry.field(
        description="A BCP 47 tag: the language to reach them in."
    )
    neighbourhood: str | None
    community_role: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = node_resolver_via_service(service.get_person)


@converter(
    Any,
    role="row.role",
    school_id=lambda row: optional_global_id("School", row.school_id),
    user_id=lambda row: relay.GlobalID("User", str(row.user_id)),
)
@strawberry.type(name="RoleAssignment", description="A role held in the district, or at one school.")
class RoleAssignmentType(relay.Node):
    id: relay.NodeID[str]
    role: RoleEnum  # type: ignore[valid-type]
    school_id: relay.GlobalID | None = strawberry.field(description="Null for a district-wide grant.")
    user_id: relay.GlobalID

    resolve_nodes = node_resolver("role_assignment_by_id", role_assignment_by_id, via="load_nodes")


@converter(
    schemas.UserPublic,
    ids={"person_id": "Person"},
    roles=lambda row: [RoleAssignmentType.from_model(r) for r in row.roles],
)
@strawberry.type(name="User", description="A login, with its roles.")
class UserType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    email: str
    is_active: bool
    person_id: relay.GlobalID
    roles: list[RoleAssignmentType]
    version: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = node_resolver_via_service(service.get_user)


@converter(ApiClient, scopes=lambda row: list(row.scopes))
@strawberry.type(name="ApiClient", description="An integrator's machine identity, with scopes.")
class ApiClientType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    revoked_at: datetime | None
    version: int
    created_at: datetime

    resolve_nodes = node_resolver_via_service(service.get_api_client)


@strawberry.type(name="RoleGrant")
class RoleGrantType:
    role: RoleEnum  # type: ignore[valid-type]
    school_id: relay.GlobalID | None


@converter(
    schemas.Me,
    ids={"district_id": "District"},
    roles=lambda row: [
        RoleGrantType(role=r.role, school_id=optional_global_id("School", r.school_id)) for r in row.roles
    ],
    person_uuid="row.person_id",
)
@strawberry.type(
    name="Me", description="Who is calling: an account and its roles, or an API client and its scopes."
)
class MeType:
    kind: str
    database_id: uuid.UUID
    district_id: relay.GlobalID
    email: str | None
    display_name: str | None
    roles: list[RoleGrantType]
    scopes: list[str]
    person_uuid: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Your own person record; null for an API client.")
    async def person(self, info: Info[Context, None]) -> PersonType | None:
        if self.person_uuid is None:
            return None
        return PersonType.from_model(await read(info, service.own_person))

    @strawberry.field(
        description="What needs you now: due steps, reviews, inputs to answer, revisions to decide, "
        "PDSA studies, walkthrough support; most urgent first.",
        metadata=cost(1),
    )
    async def agenda(
        self, info: Info[Context, None]
    ) -> Annotated[AgendaType, strawberry.lazy("app.agenda.graphql")]:
        from app.agenda.graphql import resolve_agenda

        return await resolve_agenda(info)


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class IdentityQuery:
    @strawberry.field(permission_classes=AUTHENTICATED, description="Who you are.")
    async def me(self, info: Info[Context, None]) -> MeType:
        return MeType.from_model(await read(info, service.me))

    people = listing("The people of your district.", PersonType, service.list_people)

    users = listing("Accounts of your district (admins).", UserType, service.list_users)

    api_clients = listing(
        "Integrator clients of your district (admins).", ApiClientType, service.list_api_clients
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input
class CreatePersonInput:
    display_name: str
    kind: PersonKindEnum  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    sourced_id: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    neighbourhood: str | None = strawberry.UNSET
    community_role: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input(description="Changes to a person: omitted fields stay as they are.")
class UpdatePersonInput:
    id: relay.GlobalID
    expected_version: int | None = None
    display_name: str | None = strawberry.UNSET
    kind: PersonKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    sourced_id: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    neighbourhood: str | None = strawberry.UNSET
    community_role: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input
class RoleGrantInput:
    role: RoleEnum  # type: ignore[valid-type]
    school_id: relay.GlobalID | None = None


@strawberry.input(description="A login for an existing person (personId) or a new one (displayName).")
class CreateUserInput:
    email: str
    password: str
    person_id: relay.GlobalID | None = None
    display_name: str | None = strawberry.UNSET
    kind: PersonKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    roles: list[RoleGrantInput] | None = strawberry.UNSET


@strawberry.input(description="Changes to an account; isActive false ends its sessions.")
class UpdateUserInput:
    id: relay.GlobalID
    expected_version: int | None = None
    email: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.input
class ResetUserPasswordInput:
    id: relay.GlobalID
    new_password: str


@strawberry.input
class ChangeMyPasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class DonePayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class GrantRoleInput:
    user_id: relay.GlobalID
    role: RoleEnum  # type: ignore[valid-type]
    school_id: relay.GlobalID | None = None


@strawberry.input
class CreateApiClientInput:
    name: str
    scopes: list[str]


@strawberry.type
class ApiClientPayload:
    api_client: ApiClientType | None = None
    client_secret: str | None = strawberry.field(
        default=None, description="Only in createApiClient's answer, once. Store it now."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _uuid_or_none(value: relay.GlobalID | None, type_name: str, field: str) -> uuid.UUID | None:
    return parse_global_id(value, type_name, field=field) if value is not None else None


async def _create_user(
    session: AsyncSession, principal: Principal, input: CreateUserInput
) -> schemas.UserPublic:
    fields = present_fields(input, exclude=frozenset({"person_id", "roles"}))
    fields["person_id"] = _uuid_or_none(input.person_id, "Person", "personId")
    fields["roles"] = [
        {"role": grant.role, "school_id": _uuid_or_none(grant.school_id, "School", "schoolId")}
        for grant in (input.roles or [])
    ]
    return await service.create_user(session, principal, validate_input(schemas.UserCreate, fields))


async def _reset_password(session: AsyncSession, principal: Principal, input: ResetUserPasswordInput) -> None:
    user_id = parse_global_id(input.id, "User")
    data = validate_input(schemas.PasswordReset, {"new_password": input.new_password})
    await service.reset_password(session, principal, user_id, data.new_password)


PersonPayload = payload("PersonPayload", person=PersonType)
UserPayload = payload("UserPayload", user=UserType)
RoleAssignmentPayload = payload("RoleAssignmentPayload", role_assignment=RoleAssignmentType)

_PERSON = answer(PersonPayload, person=PersonType.from_model)
_USER = answer(UserPayload, user=UserType.from_model)
_DONE = answer(DonePayload, ok=lambda _: True)
_API_CLIENT = answer(ApiClientPayload, api_client=ApiClientType.from_model)
_NEW_API_CLIENT = Answer(
    ApiClientPayload,
    convert=lambda created: {
        "api_client": ApiClientType.from_model(created),
        "client_secret": created.client_secret,
    },
)


@strawberry.type
class IdentityMutation:
    create_person = mutation(
        "Add a person to your district.",
        create(CreatePersonInput, _PERSON, service.create_person, schemas.PersonCreate),
    )

    update_person = mutation(
        "Change a person.", change(UpdatePersonInput, _PERSON, service.update_person, schemas.PersonUpdate)
    )

    create_user = mutation_by("Create an account (district admins).", CreateUserInput, _USER, _create_user)

    update_user = mutation(
        "Change or deactivate an account.",
        change(UpdateUserInput, _USER, service.update_user, schemas.UserUpdate),
    )

    reset_user_password = mutation_by(
        "Set an account's password (admins).", ResetUserPasswordInput, _DONE, _reset_password
    )

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Change your own password.")
    async def change_my_password(
        self, info: Info[Context, None], input: ChangeMyPasswordInput
    ) -> DonePayload:
        attempt = password_attempt(info.context.request)
        return await mutate(
            info, _DONE, service.change_own_password, fields(schemas.PasswordChange, input), attempt
        )

    grant_role = mutation(
        "Grant a role (admins).",
        create(
            GrantRoleInput,
            answer(RoleAssignmentPayload, role_assignment=RoleAssignmentType.from_model),
            service.grant_role,
            schemas.RoleAssignmentCreate,
        ).ids(user_id="User", school_id="School"),
    )

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Take a role away (admins).")
    async def revoke_role(self, info: Info[Context, None], id: relay.GlobalID) -> DonePayload:
        return await mutate_arguments(info, _DONE, service.revoke_role, Id(id, "RoleAssignment"))

    create_api_client = mutation(
        "Register an integrator; the secret is in this answer only.",
        create(CreateApiClientInput, _NEW_API_CLIENT, service.create_api_client, schemas.ApiClientCreate),
    )

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Revoke an integrator (idempotent).")
    async def revoke_api_client(self, info: Info[Context, None], id: relay.GlobalID) -> ApiClientPayload:
        return await mutate_arguments(info, _API_CLIENT, service.revoke_api_client, Id(id, "ApiClient"))
