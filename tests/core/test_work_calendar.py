"""Dates a request writes lie in the work calendar, 1900–2199: a far date is a 422, never a later 500.

Python's calendar ends at 9999-12-31 and begins at 0001-01-01, and the service computes with the dates
it keeps: a run chart pads its date axis around the measurements, a review schedule steps week by
week to its end. A measurement dated 9999-12-31 was accepted, and from then on the indicator's chart
answered 500 to everyone who opened it; a schedule ending on 9999-12-31 was a 500 itself. Each date a
request body writes is now checked where every request model's dates are (`RequestModel`).
"""

from __future__ import annotations

import httpx
import pytest

from app.monitoring.schemas import MeasurementCreate
from tests.conftest import GraphQLClient, Tokens
from tests.monitoring.helpers import API, admin_headers, gid, initiative_measure, plan_goal, record

FAR = ["9999-12-31", "0001-01-01", "2200-01-01", "1899-12-31"]


@pytest.mark.parametrize("day", FAR)
async def test_a_measurement_on_a_far_date_is_refused_and_the_chart_stays_readable(
    client: httpx.AsyncClient, tokens: Tokens, day: str
) -> None:
    admin = await admin_headers(tokens)
    indicator_id = await initiative_measure(client, admin)
    response = await record(client, admin, indicator_id, 5, day)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == ["body", "measured_on"]
    chart = await client.get(f"{API}/indicators/{indicator_id}/chart.svg", headers=admin)
    assert chart.status_code == 200
    assert "No measurements yet" in chart.text


async def test_the_last_day_of_the_work_calendar_is_kept_and_charted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = await admin_headers(tokens)
    indicator_id = await initiative_measure(client, admin)
    for day in ("1900-01-01", "2199-12-31"):
        response = await record(client, admin, indicator_id, 5, day)
        assert response.status_code == 201, response.text
        chart = await client.get(f"{API}/indicators/{indicator_id}/chart.svg", headers=admin)
        assert chart.status_code == 200, chart.text


async def test_a_review_schedule_to_a_far_date_is_refused(client: httpx.AsyncClient, tokens: Tokens) -> None:
    admin = await admin_headers(tokens)
    plan_id, _ = await plan_goal(client, admin)
    before = await client.get(f"{API}/plans/{plan_id}/checkpoints", headers=admin)
    response = await client.post(
        f"{API}/plans/{plan_id}/checkpoints/schedule",
        json={"first_on": "9999-12-01", "until": "9999-12-31", "every_weeks": 6},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    after = await client.get(f"{API}/plans/{plan_id}/checkpoints", headers=admin)
    assert after.json()["items"] == before.json()["items"]


async def test_graphql_refuses_a_far_date_as_a_user_error(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = await admin_headers(tokens)
    gql.headers = admin
    indicator_id = await initiative_measure(client, admin)
    answer = await gql(
        """mutation($input: RecordMeasurementInput!) {
             recordMeasurement(input: $input) { measurement { id } userErrors { field code kind } } }""",
        {"input": {"indicatorId": gid("Indicator", indicator_id), "value": "1", "measuredOn": "9999-12-31"}},
    )
    made = answer["recordMeasurement"]
    assert made["measurement"] is None
    assert [(e["field"], e["code"], e["kind"]) for e in made["userErrors"]] == [
        (["input", "measuredOn"], "date_out_of_range", "VALIDATION_FAILED")
    ]


@pytest.mark.parametrize("day", FAR)
def test_every_request_model_checks_its_dates(day: str) -> None:
    with pytest.raises(ValueError, match="between 1900-01-01 and 2199-12-31"):
        MeasurementCreate.model_validate({"value": "1", "measured_on": day})
