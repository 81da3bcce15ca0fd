"""Column reads run straight on the request's asyncpg connection, each statement compiled once.

Executing a Core statement through SQLAlchemy costs, on every call, a look-up of its compiled form
by cache key, an execution context, the bind parameters processed through a dictionary, a greenlet
switch into the synchronous engine and back, and a `Result` built over the driver's rows. On a read
that answers in one statement this is about as much CPU as everything else the request does. The
read paths keep their statements per principal and shape (`app.auth.policy.statements`), so the same
statement object comes back request after request: this module compiles it once, keeps the SQL
text, the order of its parameters and its result processors, and then runs it the way asyncpg's own
users do, `prepared.fetch(*values)` on SQLAlchemy's own prepared statement of that text.

What it does is what SQLAlchemy's execution does for such a statement, done once instead of per call:

- the same SQL text (`statement.compile(dialect=…)`), the same parameter order (`positiontup`), the
  values bound inside the statement (the policy's district and schools) taken from it and processed
  by the same bind processors as SQLAlchemy's, and the values given per call likewise;
- the same prepared statement: SQLAlchemy's asyncpg adapter keeps one per SQL text and connection,
  and this asks the adapter for it, so both ways share it;
- the same result values: each column's result processor is the one SQLAlchemy would pick for the
  column's type and the type PostgreSQL describes (asyncpg's attributes), applied to the same values;
- the same events: `before_cursor_execute` and `after_cursor_execute` are dispatched, so whatever
  counts statements (`app.core.db.StatementCounter`) sees these too.

It runs only on a connection in autocommit mode (the read sessions', `create_read_session_factory`):
there no BEGIN has to be sent first, which is the adapter's job on any other connection. A statement
with parameters expanded at execution (`IN` lists, literal execution) or a schema translation goes
through SQLAlchemy as before, and so does any statement whose run raises: it is run again through
SQLAlchemy, which raises, translates and invalidates as it always has (a read has no side effects
to repeat). `tests/core/test_prepared.py` holds both ways to the same rows, values and types.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection


@dataclass(slots=True)
class _Compiled:
    """A statement compiled once: SQL text, how to make its positional values, and (after its first
    run) how to read its rows."""

    sql: str
    # Per positional parameter: its name, its bind processor, whether a value must be given per call,
    # and the (processed) value bound in the statement itself otherwise.
    slots: tuple[tuple[str, Callable[[Any], Any] | None, bool, Any], ...]
    result_types: tuple[Any, ...]
    # (column index, processor) for columns whose values SQLAlchemy processes; None until first run.
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


_SEEN: Any = object()  # run once: the next run compiles it
_REFUSED: Any = object()  # not for the raw way


class PreparedReads:
    """The compiled forms of the statements that are run again and again.

    A statement is compiled here the second time it is run: the read paths keep theirs (per principal
    and shape in the policy's cache, per shape for the DataLoaders' children), while a statement built
    afresh for one call is seen once and left to SQLAlchemy, whose own cache keys it by structure.
    Keyed weakly by the statement object itself (statements compare and hash by identity): an entry
    lives as long as its statement.
    """

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.compiled = 0  # statements compiled (tests read it)

    def forms(self, statement: Any, dialect: Any) -> _Compiled | None:
        """The statement compiled for `dialect`, or None when it goes through SQLAlchemy this time."""
        try:
            found = self._kept.get(statement, None)
        except TypeError:  # not weakly referenceable
            return None
        if found is None:
            self._kept[statement] = _SEEN
            return None
        if found is _SEEN:
            made = _compile(statement, dialect)
            self.compiled += made is not None
            self._kept[statement] = _REFUSED if made is None else made
            return made
        if found is _REFUSED:
            return None
        return found  # type: ignore[no-any-return]

    def refuse(self, statement: Any) -> None:
        self._kept[statement] = _REFUSED


def _compile(statement: Any, dialect: Any) -> _Compiled | None:
    compiled = statement.compile(dialect=dialect)
    if (
        not compiled.positional
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.schema_translate_map
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or not getattr(compiled, "_result_columns", None)
    ):
        return None
    processors = compiled._bind_processors
    bound = compiled.construct_params(escape_names=False, _check=False)
    slots = []
    for name in compiled.positiontup:
        bind = compiled.binds.get(name)
        if bind is None or bind.callable is not None:
            return None  # a value computed at execution: leave it to SQLAlchemy
        processor = processors.get(name)
        if bind.required:
            slots.append((name, processor, True, None))
        else:
            value = bound[name]
            slots.append((name, processor, False, processor(value) if processor is not None else value))
    return _Compiled(compiled.string, tuple(slots), tuple(entry[3] for entry in compiled._result_columns))


def _values(forms: _Compiled, parameters: dict[str, Any] | None) -> list[Any]:
    """The positional values, as SQLAlchemy's `construct_params` and bind processors make them."""
    given = parameters or {}
    values = []
    for name, processor, required, fixed in forms.slots:
        if name in given:
            value = given[name]
            values.append(processor(value) if processor is not None else value)
        elif required:
            raise KeyError(name)
        else:
            values.append(fixed)
    return values


def _result_processors(forms: _Compiled, attributes: Any, dialect: Any) -> tuple[Any, ...]:
    made = []
    for index, (type_, attribute) in enumerate(zip(forms.result_types, attributes, strict=True)):
        processor = type_._cached_result_processor(dialect, attribute.type.oid)
        if processor is not None:
            made.append((index, processor))
    return tuple(made)


kept = PreparedReads()


async def fetch(
    connection: Connection, statement: Any, parameters: dict[str, Any] | None
) -> list[Any] | None:
    """The rows of `statement` run raw on `connection` (a synchronous `Connection` whose DBAPI
    connection is SQLAlchemy's asyncpg adapter, in autocommit), or None when this statement or
    connection is not for the raw way (the caller then runs it through SQLAlchemy)."""
    proxied = connection._dbapi_connection  # None once invalidated: SQLAlchemy reconnects
    adapted = proxied.dbapi_connection if proxied is not None else None
    if adapted is None or getattr(adapted, "isolation_level", None) != "autocommit":
        return None
    return await fetch_on(adapted, connection, statement, parameters)


async def fetch_on(
    adapted: Any, events: Any, statement: Any, parameters: dict[str, Any] | None
) -> list[Any] | None:
    """The rows of `statement` run raw on `adapted` (SQLAlchemy's asyncpg adapter of a connection
    that is in no transaction, so each statement is its own), or None when the statement is not for
    the raw way. `events` is the `Connection` the statement counts as run on, or, for a pooled
    connection no `Connection` wraps (`app.core.db.ReadSession`), its engine: statement events are
    dispatched there, with no connection to name."""
    dialect = events.dialect
    forms = kept.forms(statement, dialect)
    if forms is None:
        return None
    if adapted._transaction is not None:
        return None
    try:
        values = _values(forms, parameters)
    except KeyError:
        return None  # a parameter not given: SQLAlchemy says so in its own words
    try:
        async with adapted._execute_mutex:
            prepared, attributes = await adapted._prepare(forms.sql, adapted._invalidate_schema_cache_asof)
            rows = await prepared.fetch(*values)
    except Exception:
        return None  # run again through SQLAlchemy, which raises and invalidates in its own way
    if len(attributes) != len(forms.result_types):
        kept.refuse(statement)  # columns SQLAlchemy would match by name: its way from now on
        return None
    if events._has_events or getattr(events, "engine", events)._has_events:
        # After the fact, so a statement that failed here and runs again is counted once.
        connection = events if isinstance(events, Connection) else None
        events.dispatch.before_cursor_execute(connection, None, forms.sql, values, None, False)
        events.dispatch.after_cursor_execute(connection, None, forms.sql, values, None, False)
    processors = forms.results
    if processors is None:
        processors = forms.results = _result_processors(forms, attributes, dialect)
    if not processors:
        return rows
    made = []
    for row in rows:
        values = list(row)
        for index, processor in processors:
            values[index] = processor(values[index])
        made.append(values)
    return made
