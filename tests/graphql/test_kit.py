"""The GraphQL kit's declarations fail at import, not on the first request, when they name what is not
there; and a declared field is the field a hand-written resolver would have been."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import strawberry

from app.graphql.kit import answer, arg, listing, payload
from app.initiatives.graphql import IndicatorType
from app.plans.graphql import PlansMutation, PlansQuery


@dataclass(frozen=True)
class _Filter:
    school_id: object = None


async def _list(*args: object) -> None:
    return None


def test_a_listing_refuses_an_argument_its_filter_does_not_have() -> None:
    with pytest.raises(TypeError, match="stage"):
        listing("Things.", IndicatorType, _list, _Filter, stage=arg(str))


def test_an_answer_names_the_type_of_the_object_it_answers() -> None:
    measure = answer(payload("KitTestPayload", measure=IndicatorType), measure=IndicatorType.from_model)
    assert measure.type_name == "Indicator"


def test_an_answer_without_one_object_has_no_type_to_name() -> None:
    done = answer(payload("KitTestDonePayload"))
    with pytest.raises(TypeError):
        _ = done.type_name


def test_declared_fields_have_the_arguments_and_types_written_out_before() -> None:
    schema = strawberry.Schema(query=PlansQuery, mutation=PlansMutation)
    plans = schema.get_type_by_name("PlansQuery").get_field("plans")  # type: ignore[union-attr]
    assert [a.graphql_name or a.python_name for a in plans.arguments] == [
        "first",
        "after",
        "updated_since",
        "school_id",
        "status",
        "cycle",
        "initiative_id",
    ]
    sdl = schema.as_str()
    assert "addStrategy(input: AddStrategyInput!): StrategyPayload!" in sdl
    assert "removeGoal(input: RemoveGoalInput!): RemovalPayload!" in sdl
    assert "plan(id: ID!): Plan" in sdl
