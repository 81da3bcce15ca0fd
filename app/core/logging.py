"""Structured JSON logs: one object per line on stderr, with the worker's pid and, inside a request,
its id, the caller's principal id and the client's address (as the trusted proxy reported it)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from app.core.request_context import current_facts, current_request_id

# Attributes every LogRecord has; anything else was passed with `extra=` and belongs in the output.
# uvicorn adds `color_message` (the message with ANSI colours) to its records: noise in a JSON log.
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        facts = current_facts()
        if facts is not None:
            if facts.principal_id:
                entry["principal_id"] = facts.principal_id
            if facts.client_address:
                entry["client_address"] = facts.client_address
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", json_output: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_output
        else logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate ours (which carries the request id); keep its errors.
    logging.getLogger("uvicorn.access").disabled = True
    # Python's warnings (deprecations, a library's UserWarning) as log records, not raw stderr lines.
    logging.captureWarnings(True)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
