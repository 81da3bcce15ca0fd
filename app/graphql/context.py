"""The per-request GraphQL context: who is calling, how to reach the database, and the DataLoaders.

DataLoaders are built here, per request, never at module level: a module-level loader would cache rows
across requests and across districts. Each loader batch opens its own short session, and so does every
top-level resolver, because strawberry resolves sibling fields concurrently and one `AsyncSession`
cannot serve two operations at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from app.auth.dependencies import get_principal
from app.auth.principal import Principal


@dataclass
class Context(BaseContext):
    principal: Principal
    session_factory: async_sessionmaker[AsyncSession]
    _loaders: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def loader(self, name: str, factory: Any) -> Any:
        """The request's loader called `name`, built on first use by `factory(context)`."""
        existing = self._loaders.get(name)
        if existing is None:
            existing = self._loaders[name] = factory(self)
        return existing


async def get_context(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Context:
    return Context(principal=principal, session_factory=request.app.state.session_factory)
