"""Relay building blocks: connections over the shared keyset pagination, and global id parsing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from app.core.errors import FieldError, NotFound, ValidationFailed
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, count_total, encode_cursor

NodeT = TypeVar("NodeT")


def _edge_cursor(self: Any) -> str:
    return encode_cursor(self.row.created_at, self.row.id)


@strawberry.type(description="An edge in a connection: a node and the cursor to resume after it.")
class Edge(Generic[NodeT]):
    # Encoded only when a client selects it, from the row the node was made of.
    cursor: str = strawberry.field(resolver=_edge_cursor)
    node: NodeT
    row: strawberry.Private[Any]


def _start_cursor(self: Any) -> str | None:
    return encode_cursor(self.first.created_at, self.first.id) if self.first is not None else None


def _end_cursor(self: Any) -> str | None:
    return encode_cursor(self.last.created_at, self.last.id) if self.last is not None else None


@strawberry.type(description="Information to aid in pagination.")
class PageInfo:
    """Relay's page info (the same type strawberry's `relay.PageInfo` declares), with the cursors
    encoded only when a client selects them."""

    has_next_page: bool = strawberry.field(description="When paginating forwards, are there more items?")
    has_previous_page: bool = strawberry.field(description="When paginating backwards, are there more items?")
    start_cursor: str | None = strawberry.field(
        resolver=_start_cursor, description="When paginating backwards, the cursor to continue."
    )
    end_cursor: str | None = strawberry.field(
        resolver=_end_cursor, description="When paginating forwards, the cursor to continue."
    )
    first: strawberry.Private[Any] = None
    last: strawberry.Private[Any] = None


async def _total_count(self: Any, info: strawberry.Info) -> int | None:
    if self.count is None:
        return None
    async with info.context.session() as session:
        return await count_total(session, self.count)


@strawberry.type(description="A page of a list, in the Relay connection shape.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        resolver=_total_count,
        description="How many items the whole list holds (with its filters, whatever the page), counted "
        "when asked: by one statement for a top-level list, and for a list nested in another object by "
        "one statement for all the parents of its level. Null only on the few lists not counted.",
    )
    count: strawberry.Private[Any] = None

    @classmethod
    def from_page(cls, page: Page[Any], convert: Callable[[Any], NodeT]) -> Connection[NodeT]:
        items = page.items
        return cls(
            edges=[Edge(row=row, node=convert(row)) for row in items],
            page_info=PageInfo(
                has_next_page=page.next_cursor is not None,
                has_previous_page=page.has_previous,
                first=items[0] if items else None,
                last=items[-1] if items else None,
            ),
            count=page.count,
        )


def page_request(first: int | None, after: str | None, updated_since: datetime | None = None) -> PageRequest:
    """Bound connection arguments at the edge, as REST bounds `limit`."""
    limit = DEFAULT_LIMIT if first is None else first
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"first must be between 1 and {MAX_LIMIT}.",
            errors=[FieldError(("first",), f"Must be between 1 and {MAX_LIMIT}.", "out_of_range")],
        )
    if updated_since is not None and updated_since.tzinfo is None:
        raise ValidationFailed(
            "updatedSince needs a time zone.",
            errors=[
                FieldError(("updatedSince",), "Give a zone, e.g. 2026-09-01T00:00:00Z.", "naive_datetime")
            ],
        )
    return PageRequest(limit=limit, cursor=after, updated_since=updated_since)


def node_uuid(value: relay.GlobalID | str, expected_type: str) -> uuid.UUID | None:
    """The UUID inside a global id of `expected_type`, or None: lookups answer null for an id of
    another type, as they do for an id that does not exist (Relay's `node` semantics). An `ID`
    argument arrives as its text, which is decoded here the same way."""
    if isinstance(value, str):
        try:
            value = relay.GlobalID.from_id(value)
        except ValueError:  # undecodable text is simply no such node
            return None
    if value.type_name != expected_type:
        return None
    try:
        return uuid.UUID(value.node_id)
    except ValueError:
        return None


def optional_global_id(type_name: str, row_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of a row a nullable foreign key names, or None."""
    return relay.GlobalID(type_name, str(row_id)) if row_id is not None else None


def parse_optional_global_id(
    value: relay.GlobalID | None, expected_type: str, *, field: str
) -> uuid.UUID | None:
    """`parse_global_id` for an optional argument: None stays None."""
    return parse_global_id(value, expected_type, field=field) if value is not None else None


def parse_global_id(
    value: relay.GlobalID, expected_type: str, *, field: str = "id", path: tuple[str | int, ...] | None = None
) -> uuid.UUID:
    """The UUID inside a global id of `expected_type`; anything else is a `NotFound` naming the field
    (or the `path` of the input where the id was, for one nested in lists).

    A well-formed id of the wrong type or a mangled one are both "no such object", as REST answers 404.
    """
    row_id = node_uuid(value, expected_type)
    if row_id is not None:
        return row_id
    raise NotFound(
        f"No {expected_type} with id {value}.",
        errors=[FieldError(path or (field,), f"Not the id of a {expected_type}.", "not_found")],
    )


def present_fields(graphql_input: Any, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a client actually sent in an input object (UNSET ones dropped), by Python name.

    PATCH-style mutations pass this to the same `XUpdate` model REST uses: absent means unchanged,
    an explicit null is validated like REST's.
    """
    return {
        name: value
        for name, value in vars(graphql_input).items()
        if value is not strawberry.UNSET and name not in exclude
    }


# --- global ids for what rows record by table or by actor --------------------------------------------

# The GraphQL `Node` type of each table whose rows are nodes (audit events name their entity by table).
NODE_TYPE_OF_TABLE: dict[str, str] = {
    "accepted_risk": "AcceptedRisk",
    "action_step": "ActionStep",
    "activity": "Activity",
    "api_client": "ApiClient",
    "capacity_item": "CapacityItem",
    "coaching_cycle": "CoachingCycle",
    "coaching_observation": "CoachingObservation",
    "coaching_session": "CoachingSession",
    "coaching_share": "CoachingShare",
    "district": "District",
    "evidence": "Evidence",
    "feedback_result": "FeedbackResult",
    "feedback_share": "FeedbackShare",
    "goal": "Goal",
    "indicator": "Indicator",
    "initiative": "Initiative",
    "initiative_stakeholder": "InitiativeStakeholder",
    "input": "Input",
    "input_link": "InputLink",
    "measurement": "Measurement",
    "participation": "Participation",
    "pdsa_cycle": "PdsaCycle",
    "person": "Person",
    "plan": "Plan",
    "plan_collaborator": "PlanCollaborator",
    "plan_revision": "PlanRevision",
    "plan_sign_off": "PlanSignOff",
    "plc_meeting": "PlcMeeting",
    "practice": "Practice",
    "review_checkpoint": "ReviewCheckpoint",
    "role_assignment": "RoleAssignment",
    "school": "School",
    "stage_change": "StageChange",
    "stakeholder": "Stakeholder",
    "stance_change": "StanceChange",
    "strategy": "Strategy",
    "user_account": "User",
    "walkthrough": "Walkthrough",
    "walkthrough_observation": "WalkthroughObservation",
    "webhook_delivery": "WebhookDelivery",
    "webhook_subscription": "WebhookSubscription",
}
TABLE_OF_NODE_TYPE: dict[str, str] = {type_name: table for table, type_name in NODE_TYPE_OF_TABLE.items()}

# The GraphQL `Node` type of who acted, by the actor kind rows record (`user`, `client`; the operator
# acting from the command line is no node).
ACTOR_TYPES: dict[str, str] = {"user": "User", "client": "ApiClient"}


def global_id(type_name: str | None, row_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of a row of `type_name`; None when either is unknown."""
    if type_name is None or row_id is None:
        return None
    return relay.GlobalID(type_name, str(row_id))


def entity_global_id(table: str, row_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of a row named by its table, when rows of that table are nodes."""
    return global_id(NODE_TYPE_OF_TABLE.get(table), row_id)


def actor_global_id(kind: str, actor_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of who acted (a `User` or an `ApiClient`); None for the operator."""
    return global_id(ACTOR_TYPES.get(kind), actor_id)
