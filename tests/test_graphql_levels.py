"""The compiled plan's level-wise execution (`app.graphql.execution`) against graphql-core's interpreter,
on a small schema made to fail: errors and nulls at every depth, non-null fields whose failure nulls an
object several levels up (across lists with nullable and non-null items), siblings failing together,
DataLoaders at each level, and a resolver that awaits twice.

Each document runs through the service's `CompiledSchema` keeping no plans (the interpreter) and
through its compiled plan; the two answers must be equal, errors (message, path and code, shaped as the
service shapes them) included. The plan must also run each level as one DataLoader batch, and without a task per object.

No database here: these are the executor's semantics, which the rest of the suite checks on the real
schema for every role (`graphql_verify_compiled`, `tests/test_read_path.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from app.core.errors import NotFound, PermissionDenied
from app.graphql.errors import shape_error
from app.graphql.execution import compile_text, run_plan
from app.graphql.schema import CompiledSchema


@dataclass
class Ctx:
    """What the plan runner needs of a context: loaders per request, and the flags the schema reads."""

    batches: list[tuple[str, int]] = field(default_factory=list)
    read_only: bool = False
    wrote: bool = False
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def loader(self, name: str) -> DataLoader[Any, Any]:
        if name not in self._loaders:

            async def batch(keys: Sequence[Any]) -> list[Any]:
                self.batches.append((name, len(keys)))
                await asyncio.sleep(0)  # a round trip
                return list(keys)

            self._loaders[name] = DataLoader(load_fn=batch)
        return self._loaders[name]

    def forget_loaded(self) -> None:
        self._loaders.clear()


def fails(n: int, every: int, at: int) -> bool:
    return n % every == at


@strawberry.type
class Step:
    n: int
    # Plain leaves read inline by the plan: an Int beyond 32 bits for every ninth step (the
    # serializer refuses it), a null in a non-null String for every eighth.
    big: int = 0
    text: str = ""

    @strawberry.field
    async def label(self, info: Info[Ctx, None]) -> str:
        """Non-null, loaded; fails for every seventh step: nulls its step (and further up where the
        step may not be null)."""
        n = await info.context.loader("label").load(self.n)
        if fails(n, 7, 3):
            raise NotFound(f"no label for {n}")
        return f"step {n}"

    @strawberry.field
    def note(self) -> str | None:
        if fails(self.n, 5, 1):
            raise PermissionDenied(f"note {self.n} is not yours")
        return None if self.n % 2 else f"note {self.n}"

    @strawberry.field
    async def twice(self, info: Info[Ctx, None]) -> int:
        """Awaits two loaders one after the other."""
        a = await info.context.loader("a").load(self.n)
        b = await info.context.loader("b").load(self.n + 1)
        return a + b

    @strawberry.field
    async def strict(self) -> int:
        """Non-null, fails without awaiting for every eleventh step."""
        if fails(self.n, 11, 4):
            raise NotFound(f"strict {self.n}")
        return self.n


@strawberry.type
class Group:
    n: int

    @staticmethod
    def step(n: int) -> Step:
        return Step(n=n, big=2**40 if fails(n, 9, 2) else n, text=None if fails(n, 8, 5) else "t")  # type: ignore[arg-type]

    @strawberry.field
    async def steps(self, info: Info[Ctx, None], first: int = 4) -> list[Step | None]:
        base = await info.context.loader("steps").load(self.n)
        return [Group.step(base * 10 + i) for i in range(first)]

    @strawberry.field
    async def strict_steps(self, info: Info[Ctx, None], first: int = 4) -> list[Step]:
        """Non-null items in a nullable list: one failing step nulls the whole list."""
        base = await info.context.loader("strict_steps").load(self.n)
        return [Group.step(base * 10 + i) for i in range(first)]

    @strawberry.field
    async def must_steps(self, info: Info[Ctx, None], first: int = 4) -> list[Step]:
        """Non-null list of non-null items: one failing step nulls the group."""
        base = await info.context.loader("must_steps").load(self.n)
        return [Group.step(base * 10 + i) for i in range(first)]

    @strawberry.field
    def title(self) -> str:
        if fails(self.n, 6, 5):
            raise NotFound(f"group {self.n} has no title")
        return f"group {self.n}"


@strawberry.type
class Edge:
    node: Group | None


@strawberry.type
class Page:
    edges: list[Edge]
    total: int


@strawberry.type
class Query:
    @strawberry.field
    async def groups(self, info: Info[Ctx, None], count: int = 6) -> list[Group | None]:
        await info.context.loader("groups").load(count)
        return [Group(n=n) for n in range(count)]

    @strawberry.field
    async def strict_groups(self, info: Info[Ctx, None], count: int = 6) -> list[Group] | None:
        await info.context.loader("groups").load(count)
        return [Group(n=n) for n in range(count)]

    @strawberry.field
    async def page(self, count: int = 6) -> Page:
        return Page(edges=[Edge(node=Group(n=n)) for n in range(count)], total=count)

    @strawberry.field
    async def must(self) -> Group:
        """A non-null root field: when it fails, `data` is null."""
        return Group(n=5)

    @strawberry.field
    def plain(self) -> int:
        return 1


DOCUMENTS = [
    # Nullable items and fields: errors stay where they happen.
    "{ groups(count: 8) { n title steps(first: 6) { n label note twice } } plain }",
    # A failing non-null label nulls its step inside a list of non-null steps: the list is null.
    "{ groups(count: 8) { n strictSteps(first: 8) { n label } } }",
    # ... inside a non-null list: the group is null (a nullable item of `groups`).
    "{ groups(count: 8) { n mustSteps(first: 8) { n label strict } } }",
    # ... and the groups are non-null items of a nullable root field: the root field is null.
    "{ strictGroups(count: 8) { n mustSteps(first: 8) { n label } } plain }",
    # A non-null root field nulled from three levels down: `data` is null.
    "{ must { n mustSteps(first: 8) { n label } } }",
    # Siblings failing in the same level (a synchronous and a loaded one).
    "{ groups(count: 4) { title mustSteps(first: 12) { note strict label } } }",
    # Through plain objects (edges) into resolvers, with aliases and fragments.
    """fragment S on Step { n label twice }
       { page(count: 7) { total edges { node { n t: title a: steps(first: 3) { ...S }
         b: mustSteps(first: 9) { ...S note } } } } }""",
    # Plain leaves the serializer refuses, or null where they may not be.
    "{ groups(count: 6) { n steps(first: 9) { n big text } mustSteps(first: 9) { big } } }",
    # Nothing fails but a nullable leaf: the common case.
    "{ groups(count: 3) { n steps(first: 2) { n twice note } } }",
]


def shaped(data: Any, errors: Any) -> tuple[Any, list[tuple[Any, ...]]]:
    listed = sorted(
        (e.message, tuple(map(str, e.path or ())), str((e.extensions or {}).get("code")))
        for e in (shape_error(error) for error in errors or ())
    )
    return data, listed


@pytest.fixture
def schema() -> CompiledSchema:
    return CompiledSchema(query=Query, plans_kept=64, verify=False, max_cost=10_000_000)


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_a_plan_answers_as_the_interpreter_does_errors_and_nulls_included(document: str) -> None:
    interpreter = CompiledSchema(query=Query, plans_kept=0, verify=False, max_cost=10_000_000)
    interpreted = await interpreter.execute(document, context_value=Ctx())
    plan = compile_text(interpreter._schema, document, None)
    assert plan is not None
    data, errors = await run_plan(interpreter._schema, plan, {}, Ctx(), None)
    assert shaped(data, errors) == shaped(interpreted.data, interpreted.errors)
    assert interpreted.errors  # every document but the last fails somewhere
    assert interpreted.data is not None or document.startswith("{ must")


async def test_each_level_is_one_batch_and_no_task_is_made_per_object(schema: CompiledSchema) -> None:
    """The plan starts every resolver of a level before awaiting any, in the request's own task: each
    loader sees one batch per level, and the tasks made are the loaders' dispatches, whatever the
    number of objects."""
    document = "{ groups(count: 30) { n steps(first: 10) { n label twice } } }"
    await schema.execute(document, context_value=Ctx())  # interpreted; compiles the plan
    loop = asyncio.get_running_loop()
    made: list[Any] = []
    default = loop.get_task_factory()
    request = asyncio.current_task()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        # The loop is the whole session's: other tasks on it (the suite dropping an earlier test's
        # database in the background) make tasks of their own meanwhile. Count those made by this
        # request, in its task or in a callback it scheduled (a loader's dispatch), not theirs.
        if asyncio.current_task() in (None, request):
            made.append(coro)
        if default is not None:
            return default(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    context = Ctx()
    loop.set_task_factory(counting)
    try:
        result = await schema.execute(document, context_value=context)
    finally:
        loop.set_task_factory(default)
    assert not result.errors or all(e.path for e in result.errors)
    assert len(result.data["groups"]) == 30
    # groups, steps, label, a, b: one batch each (30 groups × 10 steps = 300 keys per step loader).
    assert sorted(context.batches) == [("a", 300), ("b", 300), ("groups", 1), ("label", 300), ("steps", 30)]
    assert len(made) <= len(context.batches)
