"""The domain's errors. Services raise these; each transport renders them its own way.

REST turns them into RFC 9457 problem details (`app.core.problems`); GraphQL turns them into user errors
in a mutation's payload or into `extensions.code` (`app.graphql.errors`). Nothing below the transports
knows about HTTP status codes except as the one hint each class carries for REST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: where it is, what is wrong, and a stable machine-readable code.

    Services name fields relative to the input they were given (`("name",)`); each transport places
    that path in its own request (`body.name` in REST, `input.name` in GraphQL). A path that starts with
    a location (`query`, `path`, `header`) is already placed.
    """

    path: tuple[str | int, ...]
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {"path": list(self.path), "message": self.message, "code": self.code}


@dataclass(eq=False)
class DomainError(Exception):
    """Base of every error a client may cause. Subclasses fix `code`, `title` and `status`."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    status: ClassVar[int] = 400
    description: ClassVar[str] = "The request cannot be processed as sent."
    # Seconds a client should wait before retrying (sent as `Retry-After`); None: do not retry as is.
    retry_after: ClassVar[int | None] = None

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    registry: ClassVar[dict[str, type[DomainError]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        DomainError.registry[cls.code] = cls


DomainError.registry[DomainError.code] = DomainError


class ValidationFailed(DomainError):
    code = "validation_failed"
    title = "Validation failed"
    status = 422
    description = "One or more fields are invalid; `errors` names each field by its path."


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"
    status = 404
    description = (
        "The resource does not exist, or it belongs to another district. The two cases are "
        "deliberately indistinguishable."
    )


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"
    status = 409
    description = "The request conflicts with the current state, such as a duplicate unique value."


class StaleVersion(DomainError):
    """The client edited an old version; `extra["current_version"]` tells it what to merge against."""

    code = "stale_version"
    title = "Stale version"
    status = 412
    description = (
        "The resource changed since the client read it. Nothing was written; re-read it, merge, and "
        "retry with the current version."
    )


class PreconditionRequired(DomainError):
    """A write to a versioned resource came without the version it was based on (RFC 6585)."""

    code = "precondition_required"
    title = "Precondition required"
    status = 428
    description = (
        "Writes to a versioned resource must say which version they change: send `If-Match` with the "
        "`ETag` you read, or `If-Match: *` to write whatever the current version is. Nothing was written."
    )


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"
    status = 401
    description = "A valid bearer token is required."


class PermissionDenied(DomainError):
    code = "forbidden"
    title = "Forbidden"
    status = 403
    description = "The caller is known but its role or scopes do not allow this action."


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    title = "Method not allowed"
    status = 405
    description = "The path exists but does not accept this HTTP method; see the `Allow` header."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    title = "Unsupported media type"
    status = 415
    description = (
        "The body is not in the media type the operation takes (`application/json`); nothing was written."
    )


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"
    status = 429
    description = "Too many attempts; wait before trying again."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    title = "Payload too large"
    status = 413
    description = "The request body is larger than this service accepts for the operation."


class InternalError(DomainError):
    """Never raised by services: the masked form of an unexpected failure."""

    code = "internal_error"
    title = "Internal server error"
    status = 500
    description = "An unexpected error; it has been logged with the request id."
