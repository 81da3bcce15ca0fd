"""GraphQL for the district's open-data choice. No rules here: `app.opendata.service`."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from app.graphql.context import Context
from app.graphql.kit import answer, converter, create, mutation, payload, read
from app.graphql.permissions import AUTHENTICATED
from app.opendata import service
from app.opendata.models import OpenDataSetting
from app.opendata.schemas import OpenDataSettingUpdate


@converter(OpenDataSetting, languages=lambda row: list(row.languages))
@strawberry.type(
    name="OpenDataSetting",
    description="Whether the district publishes open data, at `/open-data/{slug}/`, and under which licence.",
)
class OpenDataSettingType:
    database_id: uuid.UUID
    enabled: bool
    slug: str
    licence: str
    languages: list[str]
    contact: str | None
    version: int


@strawberry.type
class OpenDataQuery:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your district's open-data choice; null until it was ever set. District admins.",
    )
    async def open_data_setting(self, info: Info[Context, None]) -> OpenDataSettingType | None:
        return OpenDataSettingType.from_model(await read(info, service.setting_of))


@strawberry.input
class SetOpenDataSettingInput:
    enabled: bool
    slug: str
    licence: str | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    contact: str | None = strawberry.UNSET


OpenDataSettingPayload = payload("OpenDataSettingPayload", setting=OpenDataSettingType)


@strawberry.type
class OpenDataMutation:
    set_open_data_setting = mutation(
        "Opt in to open data (or out): what the district published becomes readable by anyone at "
        "`/open-data/{slug}/`. District admins.",
        create(
            SetOpenDataSettingInput,
            answer(OpenDataSettingPayload, setting=OpenDataSettingType.from_model),
            service.set_setting,
            OpenDataSettingUpdate,
        ),
    )
