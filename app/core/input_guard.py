"""Text no column can hold is refused at the door: NUL characters and unpaired UTF-16 surrogates.

PostgreSQL cannot store U+0000 in `text`, and a lone surrogate (`"\\ud800"` in JSON) is not encodable
as UTF-8, so either one reaching a query is a driver error, a 500, after the request may already have
written something. They are never meaningful text, so every string a request carries is checked
once, here, before any route, resolver or service sees it:

- the path and the query string (including a GraphQL GET's `variables`),
- JSON bodies (REST bodies, GraphQL documents and variables) and form bodies (the token endpoint),
- GraphQL string literals inside a document (`"\\u0000"` is a legal GraphQL escape): a validation
  rule, `ForbiddenTextInDocument`, since only the parser sees what those escapes decode to.

A refused REST request answers a 422 problem naming the field; a refused GraphQL request answers a
GraphQL error with `extensions.code = "bad_user_input"`. Nothing is written either way.

Multipart bodies (file uploads) are not buffered here: their parsers read them as bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from graphql import GraphQLError, StringValueNode, ValidationRule
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import FieldError, ValidationFailed
from app.core.problems import problem_response
from app.core.request_context import current_request_id

FORBIDDEN_TEXT_CODE = "forbidden_character"
FORBIDDEN_TEXT_MESSAGE = "Text may not contain NUL characters or unpaired surrogates."
GRAPHQL_CODE = "bad_user_input"

# NUL, and any surrogate code point: a string decoded from valid UTF-8 never holds one, and one
# decoded from JSON holds one only when a `\ud800`-style escape was not part of a pair.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH", b"DELETE"})
# Printable ASCII: with no `%` escape in it, a query string or form body holds nothing to refuse.
_PLAIN = re.compile(rb"^[\x21-\x7e]*$")


def forbidden(text: str) -> bool:
    """Whether `text` holds a character no column can store."""
    return _FORBIDDEN.search(text) is not None


def first_forbidden(value: Any) -> tuple[str | int, ...] | None:
    """The path of the first string (key or value) in a decoded JSON value holding a forbidden
    character, or None. Iterative: a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if forbidden(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if forbidden(key):
                    return (*path, key)
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in enumerate(item))
    return None


def _form_pairs(raw: bytes) -> list[tuple[bytes, bytes]]:
    pairs = []
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        pairs.append(
            (unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" ")))
        )
    return pairs


def _first_forbidden_pair(raw: bytes) -> tuple[str, bytes] | None:
    """The first field of a query string or urlencoded body that is NUL-bearing or not UTF-8."""
    if b"%" not in raw and _PLAIN.match(raw):
        return None
    for name, value in _form_pairs(raw):
        try:
            text = name.decode() + value.decode()
        except UnicodeDecodeError:
            return name.decode(errors="replace"), value
        if forbidden(text):
            return name.decode(errors="replace"), value
    return None


class InputGuard:
    """Pure ASGI middleware refusing forbidden text anywhere in a request (see the module docstring).

    Kept cheap on the common path (not benchmarked separately): a query string of plain ASCII is
    passed without decoding, and a JSON body is only scanned for `\\u`, parsed here only when it holds
    one (the only way a valid JSON document can carry NUL or a surrogate).
    """

    def __init__(self, app: ASGIApp, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        graphql = scope["path"].rstrip("/") == self.graphql_path
        if forbidden(scope["path"]):
            await self._refuse(scope, send, ("path",), graphql)
            return
        query = scope.get("query_string", b"")
        if query:
            found = _first_forbidden_pair(query)
            if found is not None:
                await self._refuse(scope, send, ("query", found[0]), graphql)
                return
            if graphql and b"variables" in query:
                path = _graphql_query_variables(query)
                if path is not None:
                    await self._refuse(scope, send, ("query", "variables", *path), graphql)
                    return
        kind = _checked_body(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body, receive = await _buffered(receive)
        if kind == "json":
            path = _json_body_forbidden(body)
            location: tuple[str | int, ...] | None = ("body", *path) if path is not None else None
        else:
            found = _first_forbidden_pair(body)
            location = ("body", found[0]) if found is not None else None
        if location is not None:
            await self._refuse(scope, send, location, graphql)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, path: tuple[str | int, ...], graphql: bool) -> None:
        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        if graphql:
            response: JSONResponse = JSONResponse(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": FORBIDDEN_TEXT_MESSAGE,
                            "extensions": {
                                "code": GRAPHQL_CODE,
                                "field": [str(p) for p in path],
                                "request_id": current_request_id(),
                            },
                        }
                    ],
                }
            )
        else:
            error = FieldError(path, FORBIDDEN_TEXT_MESSAGE, FORBIDDEN_TEXT_CODE)
            response = problem_response(
                Request(scope),
                code=ValidationFailed.code,
                title=ValidationFailed.title,
                status=422,
                detail="1 invalid field(s) in the request.",
                errors=[error],
            )
        await response(scope, nothing, send)


def _checked_body(scope: Scope) -> str | None:
    """ "json" or "form" for a request whose body is checked here, None otherwise."""
    if scope.get("method", "").encode() not in _BODY_METHODS:
        return None
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
            if media == b"application/x-www-form-urlencoded":
                return "form"
            return None
    return None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it on as one message (then the real channel)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _json_body_forbidden(body: bytes) -> tuple[str | int, ...] | None:
    if b"\\u" not in body:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the route (or GraphQL transport) refuses it as malformed
    return first_forbidden(value)


def _graphql_query_variables(query: bytes) -> tuple[str | int, ...] | None:
    for name, value in _form_pairs(query):
        if name == b"variables":
            try:
                return first_forbidden(json.loads(value))
            except (ValueError, RecursionError):
                return None
    return None


class ForbiddenTextInDocument(ValidationRule):
    """A GraphQL string literal holding NUL (`"\\u0000"`) is refused at validation, before any
    resolver runs. (graphql-core already refuses unpaired surrogate escapes as a syntax error.)"""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if forbidden(node.value):
            self.report_error(GraphQLError(FORBIDDEN_TEXT_MESSAGE, node, extensions={"code": GRAPHQL_CODE}))
