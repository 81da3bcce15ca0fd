"""Request id, access log and the last line of defence against unexpected errors, in one ASGI layer.

A pure ASGI middleware (not Starlette's `BaseHTTPMiddleware`, which costs a task per request). It is the
outermost layer we own, so it sees every response, including the masked 500 it renders itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.availability import RETRY_AFTER_SECONDS, DatabaseUnavailable, is_database_unavailable, outage
from app.core.errors import InternalError
from app.core.metrics import observe_request, route_of
from app.core.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from app.core.request_context import RequestFacts, begin_request, set_request_id

logger = logging.getLogger("triangle.access")

REQUEST_ID_HEADER = b"x-request-id"
CSP_HEADER = b"content-security-policy"

# Every answer: no MIME sniffing (a JSON or SVG answer is never run as something else) and no
# Referer leaving the service (URLs hold ids). A page that needs more (GraphiQL, the docs) sets its
# own Content-Security-Policy (`page_policy`); everything else gets one that runs no script at all,
# which is what a plan exported as HTML or a run chart in SVG should be held to.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
DEFAULT_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def page_policy(html: str) -> str:
    """The Content-Security-Policy of one of our own HTML pages: scripts and styles from this service,
    and the page's own inline scripts by hash (CSP 3), nothing from anywhere else, never framed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


# A caller may pass its own id to correlate logs; accept only short, printable ones.
_ACCEPTABLE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        set_request_id(request_id)
        client = scope.get("client")
        facts = RequestFacts(client_address=client[0] if client else None)
        begin_request(facts)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode()),
                    *SECURITY_HEADERS,
                ]
                if not any(name == CSP_HEADER for name, _ in headers):
                    headers.append((CSP_HEADER, DEFAULT_POLICY))
                if facts.database_unavailable and message["status"] < 500:
                    # A GraphQL answer whose resolvers found the database down: the errors say
                    # `unavailable`, and the status lets clients and proxies retry it as such.
                    message["status"] = 503
                    headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
                message["headers"] = headers
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as exc:
            if is_database_unavailable(exc):
                outage.failed(exc, scope.get("path"))
                if not response_started:
                    await _send_unavailable(scope, send_with_request_id, request_id)
            else:
                logger.exception("unhandled error", extra={"path": scope.get("path")})
                if not response_started:
                    await _send_masked_error(scope, send_with_request_id, request_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            observe_request(scope.get("method", ""), route, status, seconds)
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_REQUEST_ID.match(value):
            return value.decode()
    return None


async def _send_unavailable(scope: Scope, send: Send, request_id: str) -> None:
    """503 with `Retry-After`: a problem document, or a GraphQL error response on `/graphql`."""
    detail = "The database cannot be reached just now; nothing was written. Retry shortly."
    if scope.get("path", "").startswith("/graphql"):
        content_type = b"application/json"
        document: dict[str, object] = {
            "data": None,
            "errors": [
                {
                    "message": detail,
                    "extensions": {"code": DatabaseUnavailable.code, "request_id": request_id},
                }
            ],
        }
    else:
        content_type = PROBLEM_MEDIA_TYPE.encode()
        document = {
            "type": PROBLEM_TYPE_BASE + DatabaseUnavailable.code,
            "title": DatabaseUnavailable.title,
            "status": 503,
            "detail": detail,
            "instance": scope.get("path"),
            "request_id": request_id,
            "errors": [],
        }
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_masked_error(scope: Scope, send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + InternalError.code,
            "title": InternalError.title,
            "status": 500,
            "detail": "An unexpected error occurred. Quote the request id when reporting it.",
            "instance": scope.get("path"),
            "request_id": request_id,
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeadAsGet:
    """`HEAD` answered as `GET` without the body (RFC 9110 §9.3.2): every read answered 405 to it.

    FastAPI's routes serve only the methods they declare, and declaring HEAD beside each GET would
    give every read a second operation in the contract. So the request runs as the GET it stands for
    (a read: the unit of work opens no transaction for it), the answer keeps its status and headers,
    `Content-Length` included, and its body is not sent. Outside the other layers, which see a GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended or message.get("more_body", False):
                    return
                ended = True
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class ConditionalGet:
    """`If-None-Match` on every read that carries an `ETag` (RFC 9110 §13.1.2): when the caller already
    holds the current version, answer 304 with the `ETag` and no body.

    One ASGI layer for every route, so no route has to remember it: the route still runs (it is the one
    that knows the version, and checks who may see it), only its body is not sent. Comparison is weak, as
    the RFC asks for `If-None-Match`: `W/"3"` matches `"3"`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        held = _if_none_match(scope)
        if held is None:
            await self.app(scope, receive, send)
            return
        not_modified = False

        async def send_conditionally(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                etag = next((v for n, v in message.get("headers", ()) if n == b"etag"), None)
                if etag is not None and (b"*" in held or _opaque(etag) in held):
                    not_modified = True
                    kept = [(n, v) for n, v in message["headers"] if n not in _NOT_FOR_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b""})
                    return
            if not_modified:
                return  # the body of a response already answered with 304
            await send(message)

        await self.app(scope, receive, send_conditionally)


# A 304 carries the validators and caching headers of the 200 it stands for, not a description of a body.
_NOT_FOR_304 = frozenset({b"content-type", b"content-length", b"content-encoding", b"transfer-encoding"})


def _opaque(tag: bytes) -> bytes:
    tag = tag.strip()
    return tag[2:] if tag.startswith(b"W/") else tag


def _if_none_match(scope: Scope) -> set[bytes] | None:
    values = [v for n, v in scope.get("headers", ()) if n == b"if-none-match"]
    if not values:
        return None
    return {_opaque(tag) for value in values for tag in value.split(b",") if tag.strip()}
