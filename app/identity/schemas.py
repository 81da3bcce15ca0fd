"""Request and response models for people, accounts, roles and API clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from app.auth.permissions import Scope
from app.core.languages import LanguageTag
from app.core.schemas import (
    CommunityRole,
    EntityPublic,
    Name,
    Neighbourhood,
    PublicModel,
    RequestModel,
    SourcedId,
    Tags,
    UpdateModel,
    VersionedEntityPublic,
)
from app.identity.models import PersonKind, Role

# Long passphrases beat complexity rules (NIST SP 800-63B): at least 12 characters, no other rule.
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]
Email = Annotated[EmailStr, StringConstraints(max_length=320)]


class PersonCreate(RequestModel):
    display_name: Name
    kind: PersonKind
    email: Email | None = None
    sourced_id: SourcedId | None = None
    preferred_language: LanguageTag | None = Field(
        default=None, description="A BCP 47 tag (`es`, `vi`, `zh-Hant`): the language to reach them in."
    )
    neighbourhood: Neighbourhood | None = None
    community_role: CommunityRole | None = None
    tags: Tags = []


class PersonUpdate(UpdateModel):
    display_name: Name = None  # type: ignore[assignment]
    kind: PersonKind = None  # type: ignore[assignment]
    email: Email | None = None
    sourced_id: SourcedId | None = None
    preferred_language: LanguageTag | None = None
    neighbourhood: Neighbourhood | None = None
    community_role: CommunityRole | None = None
    tags: Tags = None  # type: ignore[assignment]


class PersonPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    display_name: str
    kind: PersonKind
    email: str | None
    sourced_id: str | None
    preferred_language: str | None
    neighbourhood: str | None
    community_role: str | None
    tags: list[str]


class RoleGrantInput(RequestModel):
    role: Role
    school_id: uuid.UUID | None = Field(default=None, description="Null for a district-wide grant.")


class UserCreate(RequestModel):
    """A login for a person. Give `person_id` of an existing person, or `display_name` (and `kind`) to
    create the person with the account."""

    email: Email
    password: Password
    person_id: uuid.UUID | None = None
    display_name: Name | None = None
    kind: PersonKind = PersonKind.STAFF
    roles: list[RoleGrantInput] = Field(default_factory=list, max_length=50)


class UserUpdate(UpdateModel):
    email: Email = None  # type: ignore[assignment]
    is_active: bool = Field(
        default=None,  # type: ignore[assignment]
        description="False deactivates the account: it can no longer sign in and its refresh tokens end.",
    )


class PasswordReset(RequestModel):
    new_password: Password


class PasswordChange(RequestModel):
    current_password: str = Field(max_length=256)
    new_password: Password


class RoleAssignmentCreate(RequestModel):
    user_id: uuid.UUID
    role: Role
    school_id: uuid.UUID | None = Field(default=None, description="Null for a district-wide grant.")


class RoleAssignmentPublic(EntityPublic):
    district_id: uuid.UUID
    user_id: uuid.UUID
    school_id: uuid.UUID | None
    role: Role


class UserPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    person_id: uuid.UUID
    email: str
    is_active: bool
    roles: list[RoleAssignmentPublic]


class Me(PublicModel):
    """Who the caller is, with its roles (people) or scopes (API clients)."""

    kind: str = Field(description="`user` or `client`.")
    id: uuid.UUID
    district_id: uuid.UUID
    email: str | None = None
    display_name: str | None = None
    person_id: uuid.UUID | None = Field(
        default=None, description="Your own person record (`GET /people/{id}`); null for an API client."
    )
    roles: list[RoleGrantInput] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)


class ApiClientCreate(RequestModel):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))


class ApiClientPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    revoked_at: datetime | None


class ApiClientCreated(ApiClientPublic):
    client_secret: str = Field(description="Shown this once. Store it now: only its hash is kept.")
