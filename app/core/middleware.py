"""Request id, access log and the last line of defence against unexpected errors, in one ASGI layer.

A pure ASGI middleware (not Starlette's `BaseHTTPMiddleware`, which costs a task per request). It is the
outermost layer we own, so it sees every response, including the masked 500 it renders itself.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import InternalError
from app.core.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from app.core.request_context import set_request_id

logger = logging.getLogger("triangle.access")

REQUEST_ID_HEADER = b"x-request-id"
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
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                await _send_masked_error(scope, send_with_request_id, request_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_REQUEST_ID.match(value):
            return value.decode()
    return None


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
