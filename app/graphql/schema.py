"""The GraphQL schema, assembled from each area's queries and mutations, with its abuse limits."""

from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import orjson
import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from graphql.validation import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    ValuesOfCorrectTypeRule,
    specified_rules,
)
from strawberry import relay
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult, Info

from app.audit.graphql import AuditQuery
from app.coaching.graphql import CoachingMutation, CoachingQuery
from app.continuity.graphql import ContinuityMutation, ContinuityQuery
from app.core.config import Settings
from app.core.errors import FieldError, ValidationFailed
from app.core.input_guard import ForbiddenTextInDocument
from app.core.pagination import MAX_LIMIT
from app.engagement.graphql import EngagementMutation, EngagementQuery, TranslationMutation
from app.graphql.context import Context
from app.graphql.cost import OperationCost, operation_cost, price
from app.graphql.errors import BAD_USER_INPUT, shape_error
from app.graphql.execution import PlanCache, QueryPlan, coerce_variables, compile_text, run_plan
from app.graphql.permissions import AUTHENTICATED
from app.graphql.scalars import SCALAR_OVERRIDES
from app.identity.graphql import IdentityMutation, IdentityQuery
from app.initiatives.graphql import InitiativesMutation, InitiativesQuery
from app.monitoring.graphql import MonitoringMutation, MonitoringQuery
from app.opendata.graphql import OpenDataMutation, OpenDataQuery
from app.plans.graphql import PlansMutation, PlansQuery
from app.portfolio.graphql import PortfolioQuery
from app.practice.graphql import PracticeMutation, PracticeQuery
from app.tenancy.graphql import TenancyMutation, TenancyQuery
from app.webhooks.graphql import WebhooksMutation, WebhooksQuery


@strawberry.type
class Query(
    TenancyQuery,
    IdentityQuery,
    InitiativesQuery,
    EngagementQuery,
    PlansQuery,
    ContinuityQuery,
    PortfolioQuery,
    PracticeQuery,
    CoachingQuery,
    MonitoringQuery,
    AuditQuery,
    WebhooksQuery,
    OpenDataQuery,
):
    # A plain resolver rather than `relay.node()`: that helper mutates its field when a schema is built,
    # and the app builds one schema per `create_app`.
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Any object by its global id; null if it is not there for you.",
    )
    async def node(self, info: Info[Context, None], id: relay.GlobalID) -> relay.Node | None:
        return await id.resolve_node(info, required=False)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description=f"Objects by their global ids (at most {MAX_LIMIT}), in the order asked; null for each "
        "that is not there for you, as `node` answers it. Each kind of object is read once, whatever the "
        "number of its ids.",
    )
    async def nodes(self, info: Info[Context, None], ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        return await nodes_by_global_id(info, ids)


async def nodes_by_global_id(info: Info[Context, None], ids: list[relay.GlobalID]) -> list[Any]:
    """`nodes(ids:)`: the ids grouped by type, each type's `resolve_nodes` called once (its reads
    authorized and batched as for `node`), answered in the order asked. An id naming no node type is
    null, like one that does not exist."""
    if len(ids) > MAX_LIMIT:
        raise ValidationFailed(
            f"At most {MAX_LIMIT} ids at a time.",
            errors=[FieldError(("ids",), f"At most {MAX_LIMIT} ids.", "too_long")],
        )
    by_type: dict[str, list[int]] = {}
    for position, global_id in enumerate(ids):
        by_type.setdefault(global_id.type_name, []).append(position)
    answered: list[Any] = [None] * len(ids)
    for type_name, positions in by_type.items():
        definition = info.schema.get_type_by_name(type_name)
        origin = getattr(definition, "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
            continue
        found = origin.resolve_nodes(info=info, node_ids=[ids[p].node_id for p in positions], required=False)
        if inspect.isawaitable(found):
            found = await found
        for position, node in zip(positions, found, strict=True):
            answered[position] = node
    return answered


@strawberry.type
class Mutation(
    TenancyMutation,
    IdentityMutation,
    InitiativesMutation,
    EngagementMutation,
    TranslationMutation,
    PlansMutation,
    ContinuityMutation,
    PracticeMutation,
    CoachingMutation,
    MonitoringMutation,
    WebhooksMutation,
    OpenDataMutation,
):
    pass


def limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """Every validation rule a document meets: the specification's (with values of the wrong type
    coded `bad_user_input`, as a bad variable is), the depth and alias limits and, when switched off,
    introspection.

    Built once per schema: strawberry's limiters make a new rule class each time they are constructed,
    and the rule classes are part of the validation cache's key, so limiters built per request would
    make every request miss the cache and validate its document again.
    """
    rules = [
        *(CodedValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules),
        ForbiddenTextInDocument,
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    if not settings.graphql_introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


class CodedValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """The specification's rule for literal argument values, reporting with code `bad_user_input`:
    `first: "ten"` written inline is the same mistake as `"ten"` sent as a variable."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        super().report_error(error)


class ValidationRules(SchemaExtension):
    """The schema's validation rules, in place of strawberry's default list (see `limit_rules`)."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        self.execution_context.validation_rules = self.rules
        yield


class CompiledSchema(strawberry.Schema):
    """Strawberry's schema, running the queries it has seen before from compiled plans.

    Errors of both paths are shaped once, here (`shape_error`): codes for the client's mistakes,
    masking for ours.

    A document's first run goes through the interpreter (parsing, limits, validation, execution);
    when it validated, its plan is kept, and later requests with the same text run the plan
    (`app.graphql.execution`). Mutations and anything the plan does not cover always take the
    interpreter. With `verify`, every query runs through the interpreter and then through its plan,
    and a difference between the two answers is an error (the test suite runs this way).

    Automatic persisted queries (Apollo's protocol, which Apollo Client, urql and Relay's tooling
    speak): a client may send `extensions.persistedQuery.sha256Hash` instead of the document's text.
    """

    def __init__(
        self,
        *args: Any,
        plans_kept: int = 256,
        verify: bool = False,
        max_cost: int = 500_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_cost = max_cost
        self.plans = PlanCache(plans_kept)
        self.verify = verify
        self.documents = PersistedDocuments(max(1024, plans_kept))

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        query, refusal = self.documents.resolve(query, operation_extensions)
        if refusal is not None:
            return ExecutionResult(data=None, errors=[shape_error(refusal)])
        key = (query, operation_name) if isinstance(query, str) and self.plans.maxsize else None
        plan = self.plans.get(key) if key is not None else None
        if plan and not self.verify:
            result = await self._run_plan(plan, variable_values, context_value, root_value)
            if result is not None:
                return result
        result = await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
            operation_extensions=operation_extensions,
        )
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        if key is None or not _validated(result):
            return result
        if plan is False:
            plan = compile_text(self._schema, key[0], operation_name)
            self.plans.put(key, plan)
        if plan and self.verify and not getattr(context_value, "wrote", True):
            context_value.forget_loaded()
            compiled = await self._run_plan(plan, variable_values, context_value, root_value)
            if compiled is not None:
                _require_same(key[0], result, compiled)
        return result

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log nothing here: strawberry would log every error at error level with its traceback, a
        client's mistakes (a missing token, a bad query) included. Errors are logged once, by
        `shape_error`: unexpected ones at error level with their traceback, the client's at info, and
        the database being out of reach once per outage."""

    def _price(self, plan: QueryPlan, variable_values: dict[str, Any] | None) -> OperationCost | None:
        """The plan's price for these variables, kept with the plan (for up to 64 sets of values)."""
        try:
            key = orjson.dumps(variable_values or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # values orjson cannot write: priced every time
            return price(self._schema, plan.operation, plan.fragments, variable_values, self.max_cost)
        if key not in plan.costs:
            if len(plan.costs) >= 64:
                plan.costs.clear()
            plan.costs[key] = price(
                self._schema, plan.operation, plan.fragments, variable_values, self.max_cost
            )
        return plan.costs[key]  # type: ignore[no-any-return]

    async def _run_plan(
        self, plan: QueryPlan, variable_values: dict[str, Any] | None, context: Any, root_value: Any
    ) -> ExecutionResult | None:
        """The plan's answer; None when the variables do not coerce (the interpreter says why)."""
        variables = coerce_variables(self._schema, plan, variable_values)
        if variables is None:
            return None
        cost = self._price(plan, variable_values)
        extensions = {"cost": cost.extension()} if cost is not None else None
        refusal = cost.refusal() if cost is not None else None
        if refusal is not None:
            return ExecutionResult(data=None, errors=[shape_error(refusal)], extensions=extensions)
        context.read_only = True  # plans are queries
        data, errors = await run_plan(self._schema, plan, variables, context, root_value)
        self.plans.runs += 1
        if errors:
            self._process_errors(errors)
            errors = [shape_error(error) for error in errors]
        return ExecutionResult(data=data, errors=errors or None, extensions=extensions)


class CostLimit(SchemaExtension):
    """Prices the operation before it executes (`app.graphql.cost`), refuses it with code
    `query_too_costly` when it is over `graphql_max_cost`, and puts its price in `extensions.cost`."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.cost: OperationCost | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            self.cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables, self.limit
            )
            refusal = self.cost.refusal() if self.cost is not None else None
            if refusal is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost.extension()} if self.cost is not None else {}


class OneOperationOrItsName(SchemaExtension):
    """The specification's GetOperation: a document of several operations runs the one
    `operationName` names, and without a name it is refused (strawberry ran the first). Nothing runs,
    and the operation priced (`CostLimit`) is the one that would have run."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # The name the request sent (strawberry's `operation_name` falls back to the first one's).
        sent = getattr(context, "_provided_operation_name", None)
        if document is not None and sent is None:
            operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            if operations > 1:
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"The document holds {operations} operations: send `operationName` to say "
                            "which to run.",
                            extensions={"code": "bad_request"},
                        )
                    ],
                )
        yield


class QueriesOnlyRead(SchemaExtension):
    """A query operation reads through the request's read session (no BEGIN/COMMIT); a mutation
    writes in transactions. Runs once the operation is known, before any resolver."""

    def on_execute(self) -> Iterator[None]:
        execution_context = self.execution_context
        if execution_context.operation_type.value == "query":
            execution_context.context.read_only = True
        yield


class PersistedDocuments:
    """Query documents by their SHA-256, for automatic persisted queries.

    A client sends the hash alone; when it is unknown here (a new operation, another worker or
    replica, a restart) the answer is `PersistedQueryNotFound` and the client sends the hash with the
    text once, which registers it. Only text whose hash matches is kept, so a client cannot make one
    hash answer for another document. Least recently used documents are forgotten first.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._texts: OrderedDict[str, str] = OrderedDict()

    def peek(self, extensions: dict[str, Any] | None) -> str | None:
        """The known text a hash-only request names, if any; registers and refuses nothing."""
        persisted = (extensions or {}).get("persistedQuery")
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return None
        digest = persisted.get("sha256Hash")
        return self._texts.get(digest) if isinstance(digest, str) else None

    def resolve(
        self, query: str | None, extensions: dict[str, Any] | None
    ) -> tuple[str | None, GraphQLError | None]:
        """The document to run, or the error to answer with."""
        persisted = (extensions or {}).get("persistedQuery")
        if not isinstance(persisted, dict):
            return query, None
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str):
            return query, _persisted_error(
                "Unsupported persistedQuery: send version 1 and a sha256Hash.",
                "PERSISTED_QUERY_NOT_SUPPORTED",
            )
        if query is None:
            text = self._texts.get(digest)
            if text is None:
                return None, _persisted_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            self._texts.move_to_end(digest)
            return text, None
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            return query, _persisted_error(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        self._texts[digest] = query
        self._texts.move_to_end(digest)
        while len(self._texts) > self.maxsize:
            self._texts.popitem(last=False)
        return query, None


def _persisted_error(message: str, code: str) -> GraphQLError:
    # Apollo's messages and codes, upper-case as its clients look for them.
    return GraphQLError(message, extensions={"code": code})


def _validated(result: ExecutionResult) -> bool:
    """The document parsed and validated: any error it met came from executing it (it has a path)."""
    return result.data is not None and all(error.path for error in result.errors or ())


def _require_same(query: str, interpreted: ExecutionResult, compiled: ExecutionResult) -> None:
    def errors(result: ExecutionResult) -> list[tuple[Any, ...]]:
        return sorted(
            (e.message, tuple(map(str, e.path or ())), str((e.extensions or {}).get("code")))
            for e in result.errors or ()
        )

    if interpreted.data != compiled.data or errors(interpreted) != errors(compiled):
        raise CompiledPlanMismatch(
            f"compiled plan answered differently from the interpreter for:\n{query}\n"
            f"interpreter: {interpreted.data} {errors(interpreted)}\n"
            f"plan: {compiled.data} {errors(compiled)}"
        )


class CompiledPlanMismatch(AssertionError):
    """A compiled plan's answer differs from the interpreter's: a bug in app.graphql.execution."""


def build_schema(settings: Settings) -> strawberry.Schema:
    rules = tuple(limit_rules(settings))
    extensions: list[object] = [
        lambda: CostLimit(limit=settings.graphql_max_cost),
        OneOperationOrItsName,
        QueriesOnlyRead,
        # Limits run at validation, before any resolver: a hostile document costs parsing only.
        lambda: ValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        # Measured on this stack: about +55% throughput on small queries.
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    return CompiledSchema(
        plans_kept=settings.graphql_compiled_queries,
        verify=settings.graphql_verify_compiled,
        max_cost=settings.graphql_max_cost,
        query=Query,
        mutation=Mutation,
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides=SCALAR_OVERRIDES,
    )


@lru_cache
def export_schema_sdl() -> str:
    """The SDL as committed to `schema/schema.graphql` (the same for every setting)."""
    return build_schema(Settings(database_url=None)).as_str() + "\n"
