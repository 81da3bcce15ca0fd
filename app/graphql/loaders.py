"""DataLoader factories: one batched query per level of a nested GraphQL query, whatever its size.

Each batch reads through the request's one session (see `app.graphql.context`) and calls a service
function, so loaders apply the same visibility rules as every other read.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.auth.policy import children_visible_many
from app.auth.principal import Principal
from app.core.errors import PermissionDenied
from app.core.pagination import Page, PageRequest
from app.graphql.context import Context

ByIds = Callable[[AsyncSession, Principal, list[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]]
PagesByParents = Callable[
    [AsyncSession, Principal, list[uuid.UUID], PageRequest], Awaitable[dict[uuid.UUID, Page[Any]]]
]


def by_id(fetch: ByIds) -> Callable[[Context], DataLoader[uuid.UUID, Any]]:
    """A loader of rows by id; an id the principal may not see loads as None."""

    def factory(context: Context) -> DataLoader[uuid.UUID, Any]:
        async def batch(ids: Sequence[uuid.UUID]) -> list[Any]:
            async with context.session() as session:
                found = await fetch(session, context.principal, list(ids))
            return [found.get(row_id) for row_id in ids]

        return DataLoader(load_fn=batch)

    return factory


def parts_by_id(
    model: Any, parent: str, parents_by_id: ByIds
) -> Callable[[Context], DataLoader[uuid.UUID, Any]]:
    """A loader of the parts of a whole (a plan's sign-offs, …) by id: a part is there for whoever reads
    its whole (`parents_by_id`, by the part's `parent` attribute), as the policy's
    `children_visible_many` decides."""

    async def fetch(
        session: AsyncSession, principal: Principal, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        return await children_visible_many(session, principal, model, ids, parent, parents_by_id)

    return by_id(fetch)


def page_per_parent(
    fetch: PagesByParents,
) -> Callable[[Context], DataLoader[tuple[uuid.UUID, PageRequest], Page[Any]]]:
    """A loader of one page of children per parent, keyed by (parent id, page request).

    Keys asking for the same page shape (the usual case: one field in a nested query) share a query.
    """

    def factory(context: Context) -> DataLoader[tuple[uuid.UUID, PageRequest], Page[Any]]:
        async def batch(keys: Sequence[tuple[uuid.UUID, PageRequest]]) -> list[Page[Any]]:
            by_shape: dict[PageRequest, list[uuid.UUID]] = defaultdict(list)
            for parent_id, page in keys:
                by_shape[page].append(parent_id)
            results: dict[tuple[uuid.UUID, PageRequest], Page[Any]] = {}
            async with context.session() as session:
                for page, parent_ids in by_shape.items():
                    pages = await fetch(session, context.principal, parent_ids, page)
                    results.update({(parent_id, page): pages[parent_id] for parent_id in parent_ids})
            return [results[key] for key in keys]

        return DataLoader(load_fn=batch)

    return factory


def narrowed_page_loader(
    context: Context, name: str, fetch: Callable[..., Awaitable[dict[uuid.UUID, Page[Any]]]], **filters: Any
) -> DataLoader[tuple[uuid.UUID, PageRequest], Page[Any]]:
    """The request's per-parent page loader for one set of filter values (`disposition=…`), so a nested
    connection takes the same filters as its REST list. Its name carries the values: parents asked with
    the same filters share one query; other values batch on their own. Without filters it is the
    plain `name` loader, shared with every other field that reads the same children."""
    given = {key: value for key, value in filters.items() if value is not None}
    key = name + "".join(f"|{field}={value}" for field, value in sorted(given.items()))
    return context.loader(key, page_per_parent(functools.partial(fetch, **given)))


def node_uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    """The UUIDs inside the node ids Relay hands to `resolve_nodes` (already decoded from global ids),
    None for any that is not one: such a node does not exist for anybody."""
    ids: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            ids.append(uuid.UUID(node_id))
        except ValueError:
            ids.append(None)
    return ids


async def load_nodes(
    info: Any,
    name: str,
    factory: Callable[[Context], DataLoader[uuid.UUID, Any]],
    node_ids: Any,
    convert: Any,
    *,
    refused_is_null: bool = True,
) -> list[Any]:
    """Relay `node`/`nodes` resolution through the request's `name` loader (one batch for all ids): a
    malformed id, a row the caller may not read and a caller refused the kind altogether all resolve
    to null, as `node` promises ("null if it is not there for you"); without `refused_is_null`, a
    refusal of the whole kind is an error."""
    ids = node_uuids(node_ids)
    loader = info.context.loader(name, factory)
    try:
        rows = await loader.load_many([i for i in ids if i is not None])
    except PermissionDenied:
        if not refused_is_null:
            raise
        return [None for _ in ids]
    found = iter(rows)
    return [
        (convert(row) if (row := next(found)) is not None else None) if i is not None else None for i in ids
    ]
