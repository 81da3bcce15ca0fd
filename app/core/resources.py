"""One object's REST routes, declared in a line each: read one, change it with `If-Match`, remove it.

Most areas expose their objects the same way: `GET /things/{thing_id}` answers the object with its
version in `ETag`, `PATCH` changes it with the version the client read, and `DELETE` removes it with 204.
The route only parses, calls the service and shapes the reply, so those three are written here once, and
an area declares them:

    walkthrough = Resource(router, "/walkthroughs/{walkthrough_id}", WalkthroughId, WalkthroughPublic)
    walkthrough.get(practice.get_walkthrough, "One walkthrough, with its version in the `ETag` header.")

Each declaration makes the same route a hand-written one would: the same path, operation id, summary
(from the service function's name, as FastAPI derives it from a route function's), description,
parameters, request body and responses, so the OpenAPI document does not change. The reply of a read
goes through `one_body` (`app.core.replies`), as every hand-written read does.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.problems import problem_responses
from app.core.repository import VersionCheck
from app.core.rest import Caller, ExpectedVersion, Session, one_body, set_etag

NOT_FOUND = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 409, 412)

Read = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
Write = Callable[..., Awaitable[Any]]
Remove = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]

_PATH_KEY = re.compile(r"\{(\w+)\}$")
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, _KEYWORD, annotation=annotation)


def _endpoint(
    name: str, doc: str | None, parameters: list[inspect.Parameter], returns: Any, run: Callable[..., Any]
) -> Callable[..., Any]:
    """A route function FastAPI reads as it reads a written one: its signature names the parameters
    (and so the dependencies), its docstring is the operation's description."""

    async def endpoint(**values: Any) -> Any:
        return await run(**values)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    return endpoint


class Resource:
    """The routes of one kind of object at `path`, whose last segment is its id (`{thing_id}`, of
    type `key`, an `Annotated` path parameter); `public` is its reply model."""

    def __init__(self, router: APIRouter, path: str, key: Any, public: Any = None) -> None:
        found = _PATH_KEY.search(path)
        if found is None:
            raise ValueError(f"{path!r} does not end with an id parameter")
        self.router, self.path, self.key, self.public = router, path, key, public
        self.key_name = found.group(1)

    def get(
        self,
        read: Read,
        doc: str | None = None,
        *,
        operation_id: str | None = None,
        name: str | None = None,
        responses: dict[int | str, dict[str, Any]] = NOT_FOUND,
    ) -> None:
        """`GET path`: `read(session, principal, id)`, answered with its `ETag`."""
        public, key_name = self.public, self.key_name

        async def run(
            response: Response, session: AsyncSession, principal: Principal, **key: Any
        ) -> Response:
            found = await read(session, principal, key[key_name])
            return one_body(response, found, public, version=found.version)

        self._add(
            "GET", read, doc, operation_id, name, run, Response, response_model=public, responses=responses
        )

    def update(
        self,
        body: Any,
        write: Write,
        doc: str | None = None,
        *,
        operation_id: str | None = None,
        name: str | None = None,
        responses: dict[int | str, dict[str, Any]] = WRITE_ERRORS,
    ) -> None:
        """`PATCH path` with `body`: `write(session, principal, id, body, expected_version=…)`, answered
        with the changed object and its `ETag`."""
        public, key_name = self.public, self.key_name

        async def run(
            response: Response,
            session: AsyncSession,
            principal: Principal,
            body: Any,
            expected_version: VersionCheck,
            **key: Any,
        ) -> Any:
            changed = await write(session, principal, key[key_name], body, expected_version=expected_version)
            set_etag(response, changed.version)
            return public.model_validate(changed)

        extra = [_parameter("body", body), _parameter("expected_version", ExpectedVersion)]
        self._add(
            "PATCH",
            write,
            doc,
            operation_id,
            name,
            run,
            public,
            extra,
            response_model=public,
            responses=responses,
        )

    def remove(
        self,
        remove: Remove,
        doc: str | None = None,
        *,
        operation_id: str | None = None,
        name: str | None = None,
        responses: dict[int | str, dict[str, Any]] = NOT_FOUND,
    ) -> None:
        """`DELETE path`: `remove(session, principal, id)`, answered with 204 and no body."""
        key_name = self.key_name

        async def run(session: AsyncSession, principal: Principal, **key: Any) -> Response:
            await remove(session, principal, key[key_name])
            return Response(status_code=204)

        self._add(
            "DELETE",
            remove,
            doc,
            operation_id,
            name,
            run,
            Response,
            status_code=204,
            response_class=Response,
            responses=responses,
        )

    def _add(
        self,
        method: str,
        service: Callable[..., Any],
        doc: str | None,
        operation_id: str | None,
        name: str | None,
        run: Callable[..., Any],
        returns: Any,
        extra: list[inspect.Parameter] = (),  # type: ignore[assignment]
        **route: Any,
    ) -> None:
        name = name or service.__name__
        parameters = [
            _parameter(self.key_name, self.key),
            *extra,
            _parameter("response", Response),
            _parameter("session", Session),
            _parameter("principal", Caller),
        ]
        if method == "DELETE":
            parameters = [p for p in parameters if p.name != "response"]
        endpoint = _endpoint(name, doc, parameters, returns, run)
        self.router.add_api_route(
            self.path,
            endpoint,
            methods=[method],
            operation_id=operation_id or _camel(name),
            name=name,
            **route,
        )


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
