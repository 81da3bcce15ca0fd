"""The read lane: plain GET reads answered without FastAPI's routing and dependency solving.

FastAPI spends more on dispatching a one-object read (matching the route through the included
routers, solving its dependencies, validating each parameter) than the read itself costs. This ASGI
layer, innermost of ours (inside the request context, input guard and conditional GET), answers the
commonest shape of request to a GET route itself and hands everything else to FastAPI unchanged:

- It serves a route only when FastAPI would pick that same route for the path, and everything the
  route depends on is something it knows: UUID path parameters, optional query parameters of simple
  types (enums, UUIDs, bounded integers and strings), the caller (`get_principal`), the unit of work
  (`app.core.rest`'s session), the list parameters and order. A header, cookie or body parameter, or
  any other dependency, leaves the route to FastAPI.
- It serves a request only in the plainest form: no `root_path`, each known query parameter at most
  once and in canonical form (`limit=50`, a hyphenated UUID, an enum's value), and none it does not
  declare. Anything else (a repeated or odd-looking value, `updated_since`, an unknown name) goes
  to FastAPI, which validates and answers as always, problems included.
- It calls the route's own endpoint with the same values FastAPI would pass, inside the same unit of
  work, and writes the answer as FastAPI would (a returned `Response` as is; anything else through
  the route's response field). Whatever goes wrong before the answer is sent (a `NotFound`, a bad
  token, a database error) rolls the unit of work back and the request is handed to FastAPI from the
  start, which answers it in its usual way: the lane never writes a problem of its own.

So the routes, their OpenAPI contract and their errors stay FastAPI's; the lane only saves the
dispatch on the requests that need none of it. `tests/core/test_read_lane.py` compares both paths
answer for answer.
"""

from __future__ import annotations

import enum
import re
import types
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

import annotated_types
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute, iter_route_contexts, serialize_response
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependencies import get_principal
from app.core import rest
from app.core.db import session_scope

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INTEGER = re.compile(r"^(0|[1-9][0-9]{0,8})$")
_PARAMETER = "{}"


class _Irregular(Exception):
    """The request is not in the lane's plain form: FastAPI takes it."""


@dataclass(frozen=True, slots=True)
class _Query:
    """One query parameter: its name in the URL, the endpoint's (or dependency's) argument, and
    how to read it."""

    alias: str
    name: str
    parse: Callable[[str], Any]
    default: Any


@dataclass(frozen=True, slots=True)
class _Step:
    """A dependency the lane solves: the argument it fills, and for the list parameters and order,
    the dependency function and its own query parameters."""

    name: str
    kind: str  # "session", "principal" or "call"
    call: Any = None
    queries: tuple[_Query, ...] = ()


@dataclass(frozen=True, slots=True)
class _Route:
    route: APIRoute
    endpoint: Callable[..., Any]
    path_params: tuple[str, ...]
    queries: tuple[_Query, ...]
    steps: tuple[_Step, ...]
    request_name: str | None
    response_name: str | None
    response_field: Any
    status_code: int | None
    by_alias: bool
    needs_principal: bool  # whether a step takes the caller (or the unit of work bound to it)
    # Every query parameter the route declares: any other is refused (`rest.known_query_parameters`),
    # which the lane leaves to FastAPI.
    declared: frozenset[str] = frozenset()


class ReadLane:
    # Off, every request goes to FastAPI (tests compare the two paths).
    enabled = True

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, ...], _Route] | None = None
        self._built_for: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path") or not self.enabled:
            await self.app(scope, receive, send)
            return
        lane = self._lane_of(scope)
        parts = scope["path"].split("/")
        key = tuple(_PARAMETER if len(part) == 36 and _UUID.match(part) else part for part in parts)
        found = lane.get(key)
        if found is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await self._answer(found, scope, receive, parts, key)
        except Exception:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    def _lane_of(self, scope: Scope) -> dict[tuple[str, ...], _Route]:
        app = scope.get("app")
        if self._routes is None or self._built_for is not app:
            self._routes, self._built_for = (lane_of(app) if app is not None else {}), app
        return self._routes

    async def _answer(
        self, found: _Route, scope: Scope, receive: Receive, parts: list[str], key: tuple[str, ...]
    ) -> Response:
        ids = [uuid.UUID(part) for part, slot in zip(parts, key, strict=True) if slot == _PARAMETER]
        values: dict[str, Any] = dict(zip(found.path_params, ids, strict=True))
        query = QueryParams(scope["query_string"])
        if not found.declared.issuperset(query.keys()):
            raise _Irregular("an undeclared query parameter")
        values.update(_read_queries(found.queries, query))
        request = Request(scope, receive)
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        if found.request_name is not None:
            values[found.request_name] = request
        if found.response_name is not None:
            values[found.response_name] = sub_response
        principal = await get_principal(request) if found.needs_principal else None
        session_name = None
        for step in found.steps:
            if step.kind == "principal":
                values[step.name] = principal
            elif step.kind == "session":
                session_name = step.name
            else:
                values[step.name] = await step.call(**_read_queries(step.queries, query))
        scope["route"], scope["endpoint"] = found.route, found.endpoint
        given = [part for part, slot in zip(parts, key, strict=True) if slot == _PARAMETER]
        scope["path_params"] = dict(zip(found.path_params, given, strict=True))
        if session_name is None:
            raw = await found.endpoint(**values)
            if isinstance(raw, Response):
                return raw
            content = await self._serialize(found, raw)
        else:
            async with session_scope(scope["app"].state.read_session_factory, principal) as session:
                values[session_name] = session
                raw = await found.endpoint(**values)
                if isinstance(raw, Response):
                    return raw
                content = await self._serialize(found, raw)
        status = sub_response.status_code or found.status_code or 200
        response = Response(content=content, media_type="application/json", status_code=status)
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    @staticmethod
    async def _serialize(found: _Route, raw: Any) -> bytes:
        return await serialize_response(  # type: ignore[no-any-return]
            field=found.response_field, response_content=raw, by_alias=found.by_alias, dump_json=True
        )


def _read_queries(queries: tuple[_Query, ...], query: QueryParams) -> dict[str, Any]:
    values = {}
    for q in queries:
        given = query.getlist(q.alias)
        if not given:
            values[q.name] = q.default
        elif len(given) == 1:
            values[q.name] = q.parse(given[0])
        else:
            raise _Irregular(q.alias)
    return values


# --- which routes the lane serves ----------------------------------------------------------------


_LANES: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], _Route]] = weakref.WeakKeyDictionary()


def lane_of(app: Any) -> dict[tuple[str, ...], _Route]:
    """`app`'s lane, built once. The app's start-up builds it (`app.main`), before it freezes what it
    made: building it looks at every route, and FastAPI prepares each route's parameters and
    validators (some 50,000 objects) the first time anything does. Built by the first request
    instead, they would cost that request half a second and stay in the collector's reach for good,
    where each full collection walks them again (15-45 ms pauses under load)."""
    lane = _LANES.get(app)
    if lane is None:
        lane = _LANES[app] = build_lane(app)
    return lane


def build_lane(app: Any) -> dict[tuple[str, ...], _Route]:
    """The GET routes of `app` the lane can serve, by path shape (`{}` for each UUID segment)."""
    contexts = list(iter_route_contexts(app.routes))
    lane: dict[tuple[str, ...], _Route] = {}
    for context in contexts:
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()):
            continue
        served = _servable(context)
        if served is None:
            continue
        path = context.path
        key = tuple(_PARAMETER if "{" in part else part for part in path.split("/"))
        sample = "/".join(str(uuid.UUID(int=7)) if part == _PARAMETER else part for part in key)
        if key in lane or _first_match(contexts, sample) is not context.original_route:
            lane.pop(key, None)  # two routes of one shape, or FastAPI would pick another: not ours
            continue
        lane[key] = served
    return lane


def _first_match(contexts: list[Any], path: str) -> Any:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "path_params": {}}
    for context in contexts:
        try:
            match, _ = context.matches(scope) if hasattr(context, "matches") else (Match.NONE, {})
        except Exception:
            return None
        if match is Match.FULL:
            return context.original_route
    return None


_KNOWN_CALLS = {"session": rest._unit_of_work, "principal": get_principal}
_SOLVED_CALLS = (rest._page_request, rest._newest_first)


def _servable(context: Any) -> _Route | None:
    dependant = context.dependant
    if dependant is None or dependant.call is None:
        return None
    if not isinstance(context.response_class, DefaultPlaceholder) or context.response_field is None:
        return None
    if (
        context.response_model_include is not None
        or context.response_model_exclude is not None
        or context.response_model_exclude_unset
        or context.response_model_exclude_defaults
        or context.response_model_exclude_none
    ):
        return None
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        return None
    if dependant.background_tasks_param_name or dependant.websocket_param_name:
        return None
    if getattr(dependant, "security_scopes_param_name", None):
        return None
    import inspect as python_inspect

    if not python_inspect.iscoroutinefunction(dependant.call):
        return None
    path_params = []
    for param in dependant.path_params:
        if _plain_type(param.field_info.annotation) is not uuid.UUID:
            return None
        path_params.append(param.name)
    queries = _queries(dependant.query_params)
    if queries is None:
        return None
    steps = []
    for sub in dependant.dependencies:
        if sub.call is rest.known_query_parameters:
            continue  # solved by the lane itself: `declared` below
        if sub.call is rest.json_bodies_only:
            continue  # a GET route takes no body
        step = _step(sub)
        if step is None:
            return None
        steps.append(step)
    return _Route(
        route=context.original_route,
        endpoint=dependant.call,
        path_params=tuple(path_params),
        queries=queries,
        steps=tuple(steps),
        request_name=dependant.request_param_name,
        response_name=dependant.response_param_name,
        response_field=context.response_field,
        status_code=context.status_code,
        by_alias=context.response_model_by_alias,
        needs_principal=any(step.kind in ("principal", "session") for step in steps),
        declared=frozenset(q.alias for q in (*queries, *(q for step in steps for q in step.queries))),
    )


def _step(sub: Any) -> _Step | None:
    if sub.name is None:
        return None
    for kind, call in _KNOWN_CALLS.items():
        if sub.call is call:
            return _Step(sub.name, kind)
    if sub.call in _SOLVED_CALLS and not sub.dependencies and not sub.path_params:
        queries = _queries(sub.query_params)
        if queries is None or sub.header_params or sub.cookie_params or sub.body_params:
            return None
        return _Step(sub.name, "call", sub.call, queries)
    return None


def _queries(params: list[Any]) -> tuple[_Query, ...] | None:
    made = []
    for param in params:
        info = param.field_info
        if info.is_required():
            return None
        # A parameter of a type not read here (a time, say) is fine while absent; given, FastAPI reads it.
        parse = _parser(info.annotation, info.metadata) or _refuse
        made.append(_Query(param.alias, param.name, parse, info.get_default(call_default_factory=True)))
    return tuple(made)


def _refuse(text: str) -> Any:
    raise _Irregular(text)


def _plain_type(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return args[0] if len(args) == 1 else None
    return annotation


def _parser(annotation: Any, metadata: list[Any]) -> Callable[[str], Any] | None:
    kind = _plain_type(annotation)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        if metadata or not all(isinstance(member.value, str) for member in kind):
            return None
        return lambda text: _enum(kind, text)
    if kind is uuid.UUID and not metadata:
        return _uuid
    if kind is int:
        return _bounded_integer(metadata)
    if kind is str:
        return _bounded_text(metadata)
    return None


def _enum(kind: type[enum.Enum], text: str) -> Any:
    try:
        return kind(text)
    except ValueError as exc:
        raise _Irregular(text) from exc


def _uuid(text: str) -> uuid.UUID:
    if not _UUID.match(text):
        raise _Irregular(text)
    return uuid.UUID(text)


def _bounded_integer(metadata: list[Any]) -> Callable[[str], int] | None:
    checks: list[Callable[[int], bool]] = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            checks.append(lambda value, bound=item.ge: value >= bound)
        elif isinstance(item, annotated_types.Le):
            checks.append(lambda value, bound=item.le: value <= bound)
        elif isinstance(item, annotated_types.Gt):
            checks.append(lambda value, bound=item.gt: value > bound)
        elif isinstance(item, annotated_types.Lt):
            checks.append(lambda value, bound=item.lt: value < bound)
        else:
            return None

    def parse(text: str) -> int:
        if not _INTEGER.match(text):
            raise _Irregular(text)
        value = int(text)
        if not all(check(value) for check in checks):
            raise _Irregular(text)
        return value

    return parse


def _bounded_text(metadata: list[Any]) -> Callable[[str], str] | None:
    longest, shortest = None, 0
    for item in metadata:
        if isinstance(item, annotated_types.MaxLen):
            longest = item.max_length
        elif isinstance(item, annotated_types.MinLen):
            shortest = item.min_length
        else:
            return None

    def parse(text: str) -> str:
        if len(text) < shortest or (longest is not None and len(text) > longest):
            raise _Irregular(text)
        return text

    return parse
