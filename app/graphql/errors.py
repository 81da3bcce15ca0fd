"""How GraphQL reports errors.

- Mutations return a payload whose `userErrors` lists what the client got wrong (field path, message,
  code): validation failures, conflicts, stale versions and authorization failures alike.
- Errors raised while resolving a query field carry `extensions.code` from the domain error.
- The database out of reach is `unavailable` (and the response a 503 with `Retry-After`).
- Anything unexpected is logged and masked: the client sees "Unexpected error." and the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from app.core.availability import DatabaseUnavailable, is_database_unavailable, outage
from app.core.errors import DomainError, InternalError, ValidationFailed
from app.core.problems import field_errors_from_pydantic
from app.core.request_context import current_request_id, note_database_unavailable
from app.graphql.context import Context

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


@strawberry.type(description="Something the client sent that could not be done; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field at fault, if any.")
    message: str
    code: str = strawberry.field(description="Stable machine-readable code, e.g. `stale_version`.")


def _camel(part: str | int) -> str:
    if isinstance(part, int):
        return str(part)
    head, *rest = part.split("_")
    return head + "".join(word.title() for word in rest)


def user_errors(exc: DomainError) -> list[UserError]:
    """A domain error as user errors: one per field error (path under `input`, in GraphQL's camelCase),
    or one for the whole input."""
    if not exc.errors:
        return [UserError(field=None, message=exc.detail, code=exc.code)]
    return [
        UserError(field=["input", *map(_camel, e.path)], message=e.message, code=e.code) for e in exc.errors
    ]


def validate_input(model: type[M], data: dict[str, Any]) -> M:
    """Validate a GraphQL input against the same request model REST uses, so the rules cannot drift."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            "The input is invalid.", errors=field_errors_from_pydantic(list(exc.errors()))
        ) from exc


async def run_mutation(
    context: Context,
    work: Callable[[AsyncSession], Awaitable[R]],
    on_error: Callable[[list[UserError]], R],
) -> R:
    """One unit of work per mutation field: commit on success, roll back and report on a domain error."""
    try:
        async with context.transaction() as session:
            return await work(session)
    except DomainError as exc:
        return on_error(user_errors(exc))


class ErrorShaping(SchemaExtension):
    """Adds `extensions.code` to domain errors and masks everything unexpected."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [shape_error(error) for error in result.errors]


def shape_error(error: GraphQLError) -> GraphQLError:
    """`extensions.code` for a domain error; anything unexpected logged and masked."""
    original = error.original_error
    if original is None:  # syntax, validation and limit errors: the client's own, safe to show
        return error
    if isinstance(original, DomainError):
        code = original.code
        message = error.message
    elif isinstance(original, GlobalIDValueError):
        code, message = "invalid_id", error.message
    elif is_database_unavailable(original):
        # Not a bug: logged once per outage, answered `unavailable` (and 503 by the middleware).
        outage.failed(original, "/graphql")
        note_database_unavailable()
        code, message = DatabaseUnavailable.code, "The database cannot be reached just now; retry shortly."
    else:
        logger.error("unhandled error in a resolver", exc_info=original)
        code, message = InternalError.code, "Unexpected error."
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code, "request_id": current_request_id()},
    )
