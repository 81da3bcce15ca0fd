"""Read rows: what a read path gets instead of ORM entities.

An ORM entity costs an identity-map entry and an `InstanceState` that holds a reference cycle, so every
row a request loads is left for the cyclic garbage collector; on a page of a few hundred rows that is
most of the collector's work and a good part of the request. Pages read for display (DataLoader batches,
lists) need none of it: they select the table's columns and get a `ReadRow` of the model, a slotted
object with the same attribute names and the model's read-only properties (`ActionStep.is_pilot`), so
the code that shapes a reply cannot tell the difference, and a write through one fails loudly.
"""

from __future__ import annotations

import keyword
from functools import cache, partial
from typing import Any

from sqlalchemy import inspect


class ReadRow:
    """Base of every read row class; `model` names the table model it reads."""

    __slots__ = ()
    model: Any = None
    names: tuple[str, ...] = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.names[:3])
        return f"<{type(self).__name__} {shown}, …>"


@cache
def read_class(model: type[Any]) -> type[ReadRow]:
    """The read row class of a table model: its column attributes, and its properties."""
    names = tuple(attribute.key for attribute in inspect(model).column_attrs)
    namespace: dict[str, Any] = {
        "__slots__": names,
        "__module__": model.__module__,
        "__doc__": f"A {model.__name__} as read for a reply (not an ORM entity).",
        "model": model,
        "names": names,
    }
    for klass in reversed(model.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, property) and name not in names:
                namespace[name] = value
    return type(f"{model.__name__}Row", (ReadRow,), namespace)


def columns_of(model: type[Any]) -> list[Any]:
    """The columns a read row of `model` is built from, in its attribute order."""
    mapper = inspect(model)
    return [attribute.columns[0] for attribute in mapper.column_attrs]


def read_rows(model: type[Any], rows: Any) -> list[Any]:
    """Read rows of `model` from result rows that hold its columns in `columns_of` order (and maybe
    more after them)."""
    return _builder(read_class(model))(rows)


@cache
def _builder(cls: type[ReadRow]) -> Any:
    """A function from result rows to read rows of `cls`, written out for its columns (one slot
    assignment per column, no per-value call): pages are read by the hundred."""
    names = cls.names
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        return partial(_read_rows_generic, cls)
    body = "".join(f"        item.{name} = row[{index}]\n" for index, name in enumerate(names))
    source = (
        "def build(rows):\n"
        "    made = []\n"
        "    append = made.append\n"
        "    for row in rows:\n"
        "        item = new(cls)\n"
        f"{body}"
        "        append(item)\n"
        "    return made\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(source, namespace)  # noqa: S102  (names checked above: column attribute identifiers)
    return namespace["build"]


def _read_rows_generic(cls: type[ReadRow], rows: Any) -> list[Any]:
    names = cls.names
    width = len(names)
    made = []
    new = object.__new__
    set_attribute = object.__setattr__
    for row in rows:
        item = new(cls)
        for name, value in zip(names, row[:width], strict=True):
            set_attribute(item, name, value)
        made.append(item)
    return made


async def fetch_rows(session: Any, statement: Any, values: dict[str, Any] | None = None) -> list[Any]:
    """Result rows of a column statement: on the request's connection directly when the session
    offers it (`RequestSession.rows`), else through the session."""
    rows = getattr(session, "rows", None)
    if rows is not None:
        return list(await rows(statement, values))
    return list((await session.execute(statement, values)).all())
