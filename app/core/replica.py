"""Reads from a read replica (`DATABASE_READ_URL`), writes to the primary, within one session.

A read request's session (`create_read_session_factory`) sends its SELECTs to the replica. What such
a request writes itself (the audit record of a sensitive read) goes to the primary: the flush, and any
INSERT, UPDATE or DELETE, are bound there. Requests that write (REST writes, GraphQL mutations) use
the primary for everything, their reads included, so a request always sees what it wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.sql.dml import UpdateBase

from app.audit.recorder import AuditedSession


class ReplicaReadingSession(AuditedSession):
    """Binds reads to `replica` (set on a subclass per engine) and writes to the session's own bind."""

    replica: Engine

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        if self._flushing or isinstance(clause, UpdateBase):
            return super().get_bind(mapper, clause=clause, **kwargs)
        return self.replica


def replica_session_class(replica: Engine) -> type[ReplicaReadingSession]:
    return type("ReplicaReadingSession", (ReplicaReadingSession,), {"replica": replica})
