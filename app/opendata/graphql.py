"""GraphQL for the district's open-data choice. No rules here: `app.opendata.service`."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.graphql.context import Context
from app.graphql.errors import run_mutation, validate_input
from app.graphql.kit import converter, payload, read
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import present_fields
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
        row = await read(info, service.setting_of)
        return OpenDataSettingType.from_model(row) if row is not None else None


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
    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Opt in to open data (or out): what the district published becomes readable by anyone "
        "at `/open-data/{slug}/`. District admins.",
    )
    async def set_open_data_setting(
        self, info: Info[Context, None], input: SetOpenDataSettingInput
    ) -> OpenDataSettingPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> OpenDataSettingPayload:
            data = validate_input(OpenDataSettingUpdate, present_fields(input))
            row = await service.set_setting(session, principal, data)
            return OpenDataSettingPayload(setting=OpenDataSettingType.from_model(row))

        return await run_mutation(info.context, work, lambda e: OpenDataSettingPayload(user_errors=e))
