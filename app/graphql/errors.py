"""How GraphQL reports errors.

- Mutations return a payload whose `userErrors` lists what the client got wrong (field path, message,
  code): validation failures, conflicts, stale versions and authorization failures alike.
- Errors raised while resolving a query field carry `extensions.code` from the domain error.
- Errors before execution are the client's and say which with a code: `graphql_parse_failed` (not
  GraphQL), `graphql_validation_failed` (not valid against the schema or over a limit), and
  `bad_user_input` (a value of the wrong type, inline or in a variable). They are logged at info.
- The database out of reach is `unavailable` (and the response a 503 with `Retry-After`).
- Anything unexpected is logged and masked: the client sees "Unexpected error." and the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay.types import GlobalIDValueError

from app.core.availability import DatabaseUnavailable, is_database_unavailable, outage
from app.core.errors import DomainError, InternalError, ValidationFailed
from app.core.problems import field_errors_from_pydantic
from app.core.request_context import current_request_id, note_database_unavailable
from app.core.rest import camel_case
from app.graphql.context import Context

logger = logging.getLogger(__name__)

BAD_USER_INPUT = "bad_user_input"

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


@strawberry.enum(
    description="What kind of mistake a user error is: one value per kind of domain error, to switch on."
)
class UserErrorKind(Enum):
    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    STALE_VERSION = "stale_version"
    PRECONDITION_REQUIRED = "precondition_required"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    BAD_REQUEST = "bad_request"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"
    BATCH_REJECTED = "batch_rejected"
    REFERENCE_TO_DELETED = "reference_to_deleted"
    SYNC_BUSY = "sync_busy"
    INVALID_BUNDLE = "invalid_bundle"
    # The token endpoint's (RFC 6749 §5.2), for mutations that check credentials.
    OAUTH_ERROR = "oauth_error"
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    INVALID_SCOPE = "invalid_scope"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"


@strawberry.type(description="Something the client sent that could not be done; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field at fault, if any.")
    message: str
    code: str = strawberry.field(
        description="Stable machine-readable code: the kind, or for a field the rule it broke "
        "(e.g. `string_too_short`, `out_of_range`)."
    )
    kind: UserErrorKind = strawberry.field(description="The kind of mistake; `code` may say more.")
    current_version: int | None = strawberry.field(
        default=None,
        description="With `STALE_VERSION`: the version stored now, to merge against and send back.",
    )


def _camel(part: str | int) -> str:
    return str(part) if isinstance(part, int) else camel_case(part)


def user_errors(exc: DomainError, under: str | None = "input") -> list[UserError]:
    """A domain error as user errors: one per field error (path under the `under` argument, in
    GraphQL's camelCase; `under=None` for a mutation with plain arguments, whose path starts with the
    argument's name), or one for the whole input."""
    kind = UserErrorKind(exc.code)
    current_version = exc.extra.get("current_version")
    if not exc.errors:
        return [
            UserError(
                field=None, message=exc.detail, code=exc.code, kind=kind, current_version=current_version
            )
        ]
    return [
        UserError(
            field=[*([under] if under else []), *map(_camel, e.path)],
            message=e.message,
            code=e.code,
            kind=kind,
            current_version=current_version,
        )
        for e in exc.errors
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
    *,
    under: str | None = "input",
) -> R:
    """One unit of work per mutation field: commit on success, roll back and report on a domain error
    (field paths under the `under` argument; None where the mutation takes plain arguments)."""
    try:
        async with context.transaction() as session:
            return await work(session)
    except DomainError as exc:
        return on_error(user_errors(exc, under))


def shape_error(error: GraphQLError) -> GraphQLError:
    """`extensions.code` for a domain error; anything unexpected logged and masked."""
    original = error.original_error
    if not error.path:  # before execution: the request itself is at fault
        return _request_error(error)
    if original is None:
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
    return _with_code(error, message, code)


def _request_error(error: GraphQLError) -> GraphQLError:
    """An error met before any resolver ran: a syntax error, a document the schema refuses, or a
    variable whose value does not coerce (graphql-core reports the reason, whatever a scalar's parser
    raised, as a `GraphQLError` in `original_error`). All are the client's to fix, so the message is
    shown and nothing is logged above info. Anything else that failed before execution is ours."""
    original = error.original_error
    if original is None and "code" in (error.extensions or {}):
        # Coded where it was raised (a value written inline, a price over the limit): kept, with the
        # request id every error quotes.
        code = error.extensions["code"]
        logger.info("graphql request refused: %s", error.message, extra={"code": code})
        return _with_code(error, error.message, code)
    if isinstance(error, GraphQLSyntaxError):
        code = "graphql_parse_failed"
    elif isinstance(original, GraphQLError):
        code = BAD_USER_INPUT
    elif original is None:
        code = "graphql_validation_failed"
    else:
        logger.error("unhandled error before execution", exc_info=original)
        return _with_code(error, "Unexpected error.", InternalError.code)
    logger.info("graphql request refused: %s", error.message, extra={"code": code})
    return _with_code(error, error.message, code)


def _with_code(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code, "request_id": current_request_id()},
    )
