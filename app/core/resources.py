"""An object's REST routes, declared in a line each: read it, change it with `If-Match`, remove it, list
or add the things under it, and read what the service computes about it; and the routes of a kind of
object as a whole (`Collection`): page through them, add one.

Most areas expose their objects the same way: `GET /things/{thing_id}` answers the object with its
version in `ETag`, `PATCH` changes it with the version the client read, `DELETE` removes it with 204,
`GET /things/{thing_id}/parts` pages through its parts with a `Link` header, and `POST` there adds one.
The route only parses, calls the service and shapes the reply (rules stay in the service, who may do
what in `app.auth.policy`), so those routes are written here once and an area declares them:

    WALKTHROUGH_LIST = Collection(router, "/walkthroughs", WalkthroughPublic)
    WALKTHROUGH_LIST.create(WalkthroughCreate, practice.create_walkthrough, "Record a walkthrough …")
    WALKTHROUGHS = Resource(router, "/walkthroughs/{walkthrough_id}", WalkthroughId, WalkthroughPublic)
    WALKTHROUGHS.get(practice.get_walkthrough, "One walkthrough, with its version in the `ETag` header.")

Each declaration makes the route a hand-written one would: the same path, operation id (the camel case
of the service function's name unless given), summary (from that name, as FastAPI derives it from a
route function's), description, parameters in the same order, request body and responses, so the
OpenAPI document does not change. Reads reply through `one_body` and `list_body` (`app.core.rest`), as
the hand-written reads do. A list's optional query filters are declared by name and annotation and
handed to the service by name. A route that does anything else (shapes its reply in its own way,
answers another status, reads a header) stays hand-written in its router.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest
from app.core.problems import problem_responses
from app.core.repository import VersionCheck
from app.core.rest import (
    Caller,
    ExpectedVersion,
    ListParams,
    Session,
    camel_case,
    list_body,
    one_body,
    set_etag,
)
from app.core.schemas import ListResponse

NOT_FOUND = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 409, 412)

Read = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
Write = Callable[..., Awaitable[Any]]
Remove = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
List = Callable[[AsyncSession, Principal, Any, PageRequest], Awaitable[Page[Any]]]
Listing = Callable[[AsyncSession, Principal, PageRequest], Awaitable[Page[Any]]]
Create = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
# The session and the caller, as every route takes them.
_CALLER = {"session": Session, "principal": Caller}

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


class _Routes:
    """What the routes of one object (`Resource`) and of a kind of object (`Collection`) share: the
    router, the path, and the object's id in it, which a collection has none of."""

    router: APIRouter
    path: str
    public: Any
    key_name: str | None = None
    key: Any = None

    def _key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The object's id as the service takes it, before the page or the body; none for a collection."""
        return () if self.key_name is None else (values[self.key_name],)

    def _list(
        self,
        sub: str,
        public: Any,
        read: Callable[..., Awaitable[Page[Any]]],
        doc: str | None,
        filters: dict[str, Any] | None,
        each: Callable[[Any], Any] | None,
        filter_of: Callable[..., Any] | None,
        route: dict[str, Any],
    ) -> None:
        """`GET path+sub`: a page of `read(session, principal, [id,] page, **filters)` (or, with
        `filter_of`, `read(session, principal, [id,] page, filter_of(*filters))`) as
        `ListResponse[public]`, with its `Link` header."""
        filters = filters or {}

        async def run(
            request: Request,
            response: Response,
            session: AsyncSession,
            principal: Principal,
            page: Any,
            **values: Any,
        ) -> Response:
            chosen = {name: values[name] for name in filters}
            if filter_of is None:
                result = await read(session, principal, *self._key(values), page, **chosen)
            else:
                result = await read(session, principal, *self._key(values), page, filter_of(*chosen.values()))
            return list_body(request, response, _made(result, each), public)

        parameters = {"request": Request, "response": Response, **_CALLER, "page": ListParams}
        self._add(
            "GET",
            read,
            doc,
            run,
            Response,
            parameters,
            optional=filters,
            sub=sub,
            response_model=ListResponse[public],
            **route,
        )

    def _create(
        self,
        sub: str,
        body: Any,
        public: Any,
        create: Write,
        doc: str | None,
        etag: bool,
        route: dict[str, Any],
    ) -> None:
        """`POST path+sub` with `body`: `create(session, principal, [id,] body)`, answered 201 with the
        new object and, unless `etag` is off, its `ETag`."""

        async def run(
            session: AsyncSession,
            principal: Principal,
            body: Any,
            response: Response | None = None,
            **values: Any,
        ) -> Any:
            made = await create(session, principal, *self._key(values), body)
            if response is not None:
                set_etag(response, made.version)
            return public.model_validate(made)

        parameters = {"body": body, "response": Response, **_CALLER} if etag else {"body": body, **_CALLER}
        self._add(
            "POST",
            create,
            doc,
            run,
            public,
            parameters,
            sub=sub,
            status_code=201,
            response_model=public,
            **route,
        )

    def _add(
        self,
        method: str,
        service: Callable[..., Any],
        doc: str | None,
        run: Callable[..., Any],
        returns: Any,
        parameters: dict[str, Any],
        *,
        sub: str = "",
        **route: Any,
    ) -> None:
        key = {} if self.key_name is None else {self.key_name: self.key}
        _route(
            self.router, method, self.path + sub, service, doc, run, returns, {**key, **parameters}, **route
        )


class Resource(_Routes):
    """The routes of one kind of object at `path`, whose last segment is its id (`{thing_id}`, of
    type `key`, an `Annotated` path parameter); `public` is its reply model. `sub` routes hang below
    the object (`/things/{thing_id}/parts`)."""

    def __init__(self, router: APIRouter, path: str, key: Any, public: Any = None) -> None:
        found = _PATH_KEY.search(path)
        if found is None:
            raise ValueError(f"{path!r} does not end with an id parameter")
        self.router, self.path, self.key, self.public = router, path, key, public
        self.key_name = found.group(1)

    def get(self, read: Read, doc: str | None = None, **route: Any) -> None:
        """`GET path`: `read(session, principal, id)`, answered with its `ETag`."""
        public, key_name = self.public, self.key_name

        async def run(
            response: Response, session: AsyncSession, principal: Principal, **key: Any
        ) -> Response:
            found = await read(session, principal, key[key_name])
            return one_body(response, found, public, version=found.version)

        parameters = {"response": Response, **_CALLER}
        self._add("GET", read, doc, run, Response, parameters, response_model=public, **route)

    def update(self, body: Any, write: Write, doc: str | None = None, **route: Any) -> None:
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

        parameters = {"body": body, "response": Response, **_CALLER, "expected_version": ExpectedVersion}
        route.setdefault("responses", WRITE_ERRORS)
        self._add("PATCH", write, doc, run, public, parameters, response_model=public, **route)

    def remove(self, remove: Remove, doc: str | None = None, **route: Any) -> None:
        """`DELETE path`: `remove(session, principal, id)`, answered with 204 and no body."""
        key_name = self.key_name

        async def run(session: AsyncSession, principal: Principal, **key: Any) -> Response:
            await remove(session, principal, key[key_name])
            return Response(status_code=204)

        self._add(
            "DELETE", remove, doc, run, Response, _CALLER, status_code=204, response_class=Response, **route
        )

    def items(
        self,
        sub: str,
        public: Any,
        read: List,
        doc: str | None = None,
        *,
        filters: dict[str, Any] | None = None,
        each: Callable[[Any], Any] | None = None,
        filter_of: Callable[..., Any] | None = None,
        **route: Any,
    ) -> None:
        """`GET path/sub`: a page of `read(session, principal, id, page)` as `ListResponse[public]`, with
        its `Link` header. `filters` are the optional query parameters the list takes (name and
        annotation, absent = None), passed on to `read` by name, or, with `filter_of` (the service's
        filter type), as one `filter_of(*filters)` in their order; `each` makes an item of the reply
        from each the service answers, where the service answers views (`GoalPublic.from_view`)."""
        self._list(sub, public, read, doc, filters, each, filter_of, route)

    def add(
        self,
        sub: str,
        body: Any,
        public: Any,
        create: Write,
        doc: str | None = None,
        *,
        etag: bool = True,
        **route: Any,
    ) -> None:
        """`POST path/sub` with `body`: `create(session, principal, id, body)`, answered 201 with the new
        object and its `ETag` (none with `etag=False`, for parts that carry no version), and, as every
        create, taking an `Idempotency-Key` (`AreaRouter`)."""
        self._create(sub, body, public, create, doc, etag, route)

    def view(self, sub: str, model: Any, read: Read, doc: str | None = None, **route: Any) -> None:
        """`GET path/sub`: what `read(session, principal, id)` makes of the object, as `model`."""
        key_name = self.key_name

        async def run(session: AsyncSession, principal: Principal, **key: Any) -> Any:
            return await read(session, principal, key[key_name])

        self._add("GET", read, doc, run, model, _CALLER, sub=sub, response_model=model, **route)


class Collection(_Routes):
    """The routes of a kind of object as a whole, at `path` (`/things`): page through those the caller
    may read, and add one. `public` is the reply model."""

    def __init__(self, router: APIRouter, path: str, public: Any) -> None:
        self.router, self.path, self.public = router, path, public

    def list(
        self,
        read: Listing,
        doc: str | None = None,
        *,
        filters: dict[str, Any] | None = None,
        each: Callable[[Any], Any] | None = None,
        filter_of: Callable[..., Any] | None = None,
        **route: Any,
    ) -> None:
        """`GET path`: a page of `read(session, principal, page)` as `ListResponse[public]`, with its
        `Link` header; `filters`, `filter_of` and `each` as for `Resource.items`."""
        route.setdefault("responses", None)
        self._list("", self.public, read, doc, filters, each, filter_of, route)

    def create(
        self, body: Any, create: Create, doc: str | None = None, *, etag: bool = True, **route: Any
    ) -> None:
        """`POST path` with `body`: `create(session, principal, body)`, answered 201 with the new object
        and its `ETag` (none with `etag=False`, for objects that carry no version), and, as every
        create, taking an `Idempotency-Key` (`AreaRouter`)."""
        self._create("", body, self.public, create, doc, etag, route)


def _made(result: Page[Any], each: Callable[[Any], Any] | None) -> Page[Any]:
    """The page as the reply lists it: each item made by `each`, where the service answers views."""
    return result if each is None else result.with_items([each(item) for item in result.items])


def _route(
    router: APIRouter,
    method: str,
    path: str,
    service: Callable[..., Any],
    doc: str | None,
    run: Callable[..., Any],
    returns: Any,
    parameters: dict[str, Any],
    *,
    optional: dict[str, Any] | None = None,
    name: str | None = None,
    operation_id: str | None = None,
    **route: Any,
) -> None:
    """Add the route, named as `service` unless `name` says otherwise; `parameters` are the route
    function's, in order, by name, then the `optional` ones (None when not sent)."""
    name = name or service.__name__
    signature = [_parameter(parameter, annotation) for parameter, annotation in parameters.items()]
    signature += [
        inspect.Parameter(parameter, _KEYWORD, annotation=annotation, default=None)
        for parameter, annotation in (optional or {}).items()
    ]
    route.setdefault("responses", NOT_FOUND)
    router.add_api_route(
        path,
        _endpoint(name, doc, signature, returns, run),
        methods=[method],
        operation_id=operation_id or camel_case(name),
        name=name,
        **route,
    )
