"""GraphQL for my agenda: `me { agenda }`. No rules here: `app.agenda.service`, which REST calls too."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.agenda import service
from app.graphql.context import Context
from app.graphql.kit import converter, read

AgendaKindEnum = strawberry.enum(service.AgendaKind, name="AgendaKind", description="What needs you.")


@converter(service.AgendaItem, ids={"plan_id": "Plan"})
@strawberry.type(name="AgendaItem", description="One thing that needs you, with where to read it.")
class AgendaItemType:
    kind: AgendaKindEnum  # type: ignore[valid-type]
    database_id: uuid.UUID = strawberry.field(description="The UUID of the thing, as REST names it.")
    title: str
    due_on: date = strawberry.field(
        description="When it fell or falls due; for things that wait for an answer, since when they wait."
    )
    overdue: bool = strawberry.field(description="A dated thing (step, review) whose day has passed.")
    plan_id: relay.GlobalID | None
    link: str = strawberry.field(description="Where to read it over REST.")


@strawberry.type(
    name="Agenda",
    description="What needs you now, most urgent first: by the day each fell due (oldest first), then by kind.",
)
class AgendaType:
    as_of: date = strawberry.field(description="The day (UTC) due and overdue are judged on.")
    total: int = strawberry.field(description="How many things need you (`items` holds the 200 most urgent).")
    items: list[AgendaItemType]


async def resolve_agenda(info: Info[Context, None]) -> AgendaType:
    agenda = await read(info, service.my_agenda)
    items = [AgendaItemType.from_model(item) for item in agenda.items]
    return AgendaType(as_of=agenda.as_of, total=agenda.total, items=items)
