"""Request and response models for the district's open-data choice."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from app.core.schemas import RequestModel, VersionedEntityPublic

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class OpenDataSettingUpdate(RequestModel):
    """Opt in (or out) of open data. Everything published is then public under `/open-data/{slug}/`."""

    enabled: bool
    slug: Slug = Field(description="The stable public path segment, e.g. `riverside`.")
    licence: str = Field(default="CC-BY-4.0", min_length=1, max_length=64, description="An SPDX licence id.")
    languages: list[Language] = Field(default=["en"], min_length=1, max_length=10)
    contact: str | None = Field(default=None, max_length=200)


class OpenDataSettingPublic(VersionedEntityPublic):
    enabled: bool
    slug: str
    licence: str
    languages: list[str]
    contact: str | None
