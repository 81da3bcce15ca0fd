"""Measurements over REST and GraphQL: recording one and in bulk (idempotent by key, all or nothing,
partial mode, rows named by index), reading them back, who may do which, the indicator's status and
run-chart signals, and the SVG run chart.

Callers are district A's admin unless a test says otherwise.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, World
from tests.monitoring.helpers import (
    API,
    Headers,
    Json,
    admin_headers,
    days,
    gid,
    initiative_measure,
    plan_goal,
    publish,
    record,
    record_series,
)

BULK = f"{API}/measurements/bulk"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def admin(tokens: Tokens) -> Headers:
    return await admin_headers(tokens)


async def measurements_of(client: httpx.AsyncClient, headers: Headers, indicator_id: str) -> list[Json]:
    response = await client.get(
        f"{API}/indicators/{indicator_id}/measurements", params={"limit": 200}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def row(indicator_id: str, value: Any, day: int, **extra: Any) -> Json:
    return {"indicator_id": indicator_id, "value": str(value), "measured_on": days(day), **extra}


def paths(body: Json) -> list[list[Any]]:
    return [error["path"] for error in body["errors"]]


# --- recording one ----------------------------------------------------------------------------------


async def test_record_one_and_read_it_back(client: httpx.AsyncClient, admin: Headers, world: World) -> None:
    indicator_id = await initiative_measure(client, admin)
    response = await record(client, admin, indicator_id, "42.5", days(-7), n=120, source="Spring MAP")
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["value"] == "42.5000"
    assert made["n"] == 120
    assert made["source"] == "Spring MAP"
    assert made["school_id"] is None
    assert made["key"] is None
    assert made["district_id"] == str(world.district_id("A"))
    assert [m["id"] for m in await measurements_of(client, admin, indicator_id)] == [made["id"]]


async def test_the_same_key_twice_adds_one_measurement(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    first = await record(client, admin, indicator_id, 40, days(-7), key="survey-2026-10")
    assert first.status_code == 201
    again = await record(client, admin, indicator_id, 40, days(-7), key="survey-2026-10")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    corrected = await record(client, admin, indicator_id, 41, days(-7), key="survey-2026-10")
    assert corrected.status_code == 200
    assert corrected.json()["value"] == "41.0000"
    assert len(await measurements_of(client, admin, indicator_id)) == 1


async def test_invalid_values_are_refused_by_field(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    response = await client.post(
        f"{API}/indicators/{indicator_id}/measurements",
        json={"value": "NaN", "measured_on": "2026-13-01", "n": -1, "colour": "red"},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {tuple(p) for p in paths(response.json())} == {
        ("body", "value"),
        ("body", "measured_on"),
        ("body", "n"),
        ("body", "colour"),
    }


async def test_a_school_indicator_takes_only_its_schools_values(
    client: httpx.AsyncClient, admin: Headers, world: World
) -> None:
    school_1, school_2 = world.school_ids("A")
    indicator_id = await initiative_measure(client, admin, school_id=school_1)
    implied = await record(client, admin, indicator_id, 10, days(-3))
    assert implied.json()["school_id"] == str(school_1)
    other = await record(client, admin, indicator_id, 10, days(-2), school_id=str(school_2))
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "school_mismatch"
    foreign = await record(client, admin, indicator_id, 10, days(-2), school_id=str(world.school_ids("B")[0]))
    assert foreign.status_code == 404
    assert paths(foreign.json()) == [["body", "school_id"]]


async def test_a_key_of_another_indicator_is_a_conflict(client: httpx.AsyncClient, admin: Headers) -> None:
    first = await initiative_measure(client, admin)
    second = await initiative_measure(client, admin)
    assert (await record(client, admin, first, 1, days(-1), key="k-1")).status_code == 201
    response = await record(client, admin, second, 1, days(-1), key="k-1")
    assert response.status_code == 409
    assert paths(response.json()) == [["body", "key"]]


# --- bulk -------------------------------------------------------------------------------------------


async def test_bulk_is_idempotent_by_key(client: httpx.AsyncClient, admin: Headers) -> None:
    reading = await initiative_measure(client, admin)
    attendance = await initiative_measure(client, admin, name="Attendance")
    rows = [
        row(reading, 30, -60, key="r-1"),
        row(reading, 32, -30, key="r-2"),
        row(attendance, 91.5, -30, key="a-1", n=400),
    ]
    first = await client.post(BULK, json={"measurements": rows}, headers=admin)
    assert first.status_code == 200, first.text
    body = first.json()
    assert {k: body[k] for k in ("received", "created", "updated", "unchanged", "rejected")} == {
        "received": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert [(i["index"], i["key"], i["outcome"]) for i in body["items"]] == [
        (0, "r-1", "created"),
        (1, "r-2", "created"),
        (2, "a-1", "created"),
    ]
    ids = [i["id"] for i in body["items"]]

    again = (await client.post(BULK, json={"measurements": rows}, headers=admin)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert [i["id"] for i in again["items"]] == ids

    rows[1]["value"] = "33"
    changed = (await client.post(BULK, json={"measurements": rows}, headers=admin)).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    assert changed["items"][1]["outcome"] == "updated"
    assert len(await measurements_of(client, admin, reading)) == 2
    assert len(await measurements_of(client, admin, attendance)) == 1


async def test_one_invalid_row_applies_nothing(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    rows = [
        row(indicator_id, 30, -60, key="x-1"),
        {"indicator_id": indicator_id, "value": "lots", "measured_on": days(-30)},
        row(indicator_id, 31, -20, key="x-1"),
        row(indicator_id, 32, -10, unknown="field"),
    ]
    response = await client.post(BULK, json={"measurements": rows}, headers=admin)
    assert response.status_code == 422
    problem = response.json()
    assert problem["received"] == 4
    assert problem["rejected"] == 3
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        (["body", "measurements", 1, "value"], "decimal_parsing"),
        (["body", "measurements", 2, "key"], "duplicate"),
        (["body", "measurements", 3, "unknown"], "extra_forbidden"),
    ]
    assert await measurements_of(client, admin, indicator_id) == []


async def test_partial_applies_the_valid_rows_and_lists_the_rest(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    indicator_id = await initiative_measure(client, admin)
    rows = [
        row(indicator_id, 30, -60),
        {"indicator_id": indicator_id, "value": "30", "measured_on": "yesterday"},
        row(indicator_id, 31, -20),
    ]
    response = await client.post(BULK, params={"partial": "true"}, json={"measurements": rows}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 1)
    assert [(e["index"], e["field"], e["code"]) for e in body["errors"]] == [
        (1, "measured_on", "date_from_datetime_parsing")
    ]
    assert [i["index"] for i in body["items"]] == [0, 2]
    assert len(await measurements_of(client, admin, indicator_id)) == 2


async def test_another_districts_indicator_is_not_found_and_named_by_row(
    client: httpx.AsyncClient, tokens: Tokens, admin: Headers
) -> None:
    ours = await initiative_measure(client, admin)
    theirs = await initiative_measure(client, await admin_headers(tokens, "B"))
    rows = [row(ours, 1, -2), row(theirs, 2, -1), row(str(uuid.uuid4()), 3, -1)]
    response = await client.post(BULK, json={"measurements": rows}, headers=admin)
    assert response.status_code == 404
    problem = response.json()
    assert paths(problem) == [
        ["body", "measurements", 1, "indicator_id"],
        ["body", "measurements", 2, "indicator_id"],
    ]
    assert {e["code"] for e in problem["errors"]} == {"not_found"}
    assert await measurements_of(client, admin, ours) == []
    # The single route answers the same.
    assert (await record(client, admin, theirs, 1, days(-1))).status_code == 404


async def test_bulk_takes_at_most_five_thousand_rows(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    rows = [row(indicator_id, i % 100, -(i % 300), key=f"k-{i}") for i in range(5_000)]
    started = time.perf_counter()
    response = await client.post(BULK, json={"measurements": rows}, headers=admin)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 5_000
    assert elapsed < 30, f"5,000 rows took {elapsed:.1f}s"
    again = await client.post(BULK, json={"measurements": rows}, headers=admin)
    assert again.json()["unchanged"] == 5_000
    too_many = await client.post(BULK, json={"measurements": [*rows, rows[0]]}, headers=admin)
    assert too_many.status_code == 422
    assert paths(too_many.json()) == [["body", "measurements"]]


# --- listing and removing ---------------------------------------------------------------------------


async def test_list_pages_and_updated_since(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    await record_series(client, admin, indicator_id, [1, 2, 3])
    url = f"{API}/indicators/{indicator_id}/measurements"
    first = await client.get(url, params={"limit": 2}, headers=admin)
    assert len(first.json()["items"]) == 2
    assert 'rel="next"' in first.headers["link"]
    rest = await client.get(url, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=admin)
    assert [m["value"] for m in rest.json()["items"]] == ["3.0000"]
    assert rest.json()["next_cursor"] is None
    later = await client.get(url, params={"updated_since": "2999-01-01T00:00:00Z"}, headers=admin)
    assert later.json()["items"] == []
    naive = await client.get(url, params={"updated_since": "2026-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422


async def test_remove_a_measurement(
    client: httpx.AsyncClient, tokens: Tokens, admin: Headers, world: World
) -> None:
    # At the first school, where the teacher reads it (but records nothing).
    indicator_id = await initiative_measure(client, admin, school_id=world.school_ids("A")[0])
    made = (await record(client, admin, indicator_id, 5, days(-1))).json()
    teacher = await tokens.headers("A", Role.TEACHER)
    assert (await client.delete(f"{API}/measurements/{made['id']}", headers=teacher)).status_code == 403
    other_district = await admin_headers(tokens, "B")
    assert (
        await client.delete(f"{API}/measurements/{made['id']}", headers=other_district)
    ).status_code == 404
    assert (await client.delete(f"{API}/measurements/{made['id']}", headers=admin)).status_code == 204
    assert await measurements_of(client, admin, indicator_id) == []
    assert (await client.delete(f"{API}/measurements/{made['id']}", headers=admin)).status_code == 404


# --- who may ----------------------------------------------------------------------------------------


async def test_a_monitoring_client_records_but_reads_nothing_back(
    client: httpx.AsyncClient, tokens: Tokens, admin: Headers, world: World
) -> None:
    integration = await tokens.client_headers("A", "monitoring")
    _, indicator_id = await plan_goal(client, admin, school_id=world.school_ids("A")[0])
    one = await record(client, integration, indicator_id, 12, days(-14), key="sis-1")
    assert one.status_code == 201, one.text
    bulk = await client.post(
        BULK, json={"measurements": [row(indicator_id, 13, -7, key="sis-2")]}, headers=integration
    )
    assert bulk.status_code == 200, bulk.text
    for path in ("measurements", "status", "chart.svg"):
        response = await client.get(f"{API}/indicators/{indicator_id}/{path}", headers=integration)
        assert response.status_code == 403, path
    assert len(await measurements_of(client, admin, indicator_id)) == 2
    # Another district's indicator stays not found for it too.
    theirs = await initiative_measure(client, await admin_headers(tokens, "B"))
    assert (await record(client, integration, theirs, 1, days(-1))).status_code == 404
    assert (await client.get(f"{API}/indicators/{theirs}/status", headers=integration)).status_code == 404


async def test_coaches_record_within_their_reach(
    client: httpx.AsyncClient, session: Any, tokens: Tokens, admin: Headers, world: World
) -> None:
    school_1, school_2 = world.school_ids("A")
    coach = await tokens.headers("A", Role.COACH)  # a coach of the first school
    _, at_school_1 = await plan_goal(client, admin, school_id=school_1)
    _, unpublished = await plan_goal(client, admin, school_id=school_2)
    published_plan, published = await plan_goal(client, admin, school_id=school_2)
    await publish(session, published_plan)
    assert (await record(client, coach, at_school_1, 1, days(-1))).status_code == 201
    # Another school's plan: not there for the coach unless published, and then not theirs to record.
    assert (await record(client, coach, unpublished, 1, days(-1))).status_code == 404
    assert (await record(client, coach, published, 1, days(-1))).status_code == 403
    rows = [row(at_school_1, 2, -2), row(published, 2, -2), row(unpublished, 2, -2)]
    response = await client.post(BULK, json={"measurements": rows}, headers=coach)
    assert response.status_code == 404
    assert [(e["path"][2], e["code"]) for e in response.json()["errors"]] == [
        (1, "forbidden"),
        (2, "not_found"),
    ]
    # Teachers read the first school's measurements but record none.
    teacher = await tokens.headers("A", Role.TEACHER)
    assert len(await measurements_of(client, teacher, at_school_1)) == 1
    assert (await record(client, teacher, at_school_1, 1, days(-1))).status_code == 403
    assert (await client.post(BULK, json={"measurements": []}, headers=teacher)).status_code == 403


# --- status and signals, through REST ---------------------------------------------------------------


async def status_of(client: httpx.AsyncClient, headers: Headers, indicator_id: str, **params: Any) -> Json:
    response = await client.get(f"{API}/indicators/{indicator_id}/status", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("latest", "expected"), [("31", "on_track"), ("28.5", "at_risk"), ("27", "off_track")]
)
async def test_status_against_the_path(
    client: httpx.AsyncClient, admin: Headers, latest: str, expected: str
) -> None:
    # From 20 a hundred days ago to 40 a hundred days ahead: today the path expects 30, the band is 2.
    indicator_id = await initiative_measure(
        client,
        admin,
        baseline_value="20",
        baseline_date=days(-100),
        target_value="40",
        target_date=days(100),
    )
    assert (await record(client, admin, indicator_id, latest, days(0))).status_code == 201
    status = await status_of(client, admin, indicator_id)
    assert status["status"] == expected
    assert status["basis"] == "trajectory"
    assert (status["expected"], status["band"]) == ("30.0000", "2.0000")
    assert status["latest"] == {"measured_on": days(0), "value": f"{float(latest):.4f}"}
    assert status["target"] == {"measured_on": days(100), "value": "40.0000"}


async def test_status_edges_through_rest(client: httpx.AsyncClient, admin: Headers) -> None:
    # No measurements yet.
    empty = await initiative_measure(
        client, admin, baseline_value="20", target_value="40", target_date=days(100)
    )
    assert (await status_of(client, admin, empty))["status"] == "no_data"
    # No target date: judged by direction against the baseline.
    undated = await initiative_measure(client, admin, baseline_value="20", target_value="40")
    await record(client, admin, undated, "19.5", days(-1))
    status = await status_of(client, admin, undated)
    assert (status["status"], status["basis"], status["target"]) == ("at_risk", "direction", None)
    # No baseline date: the path starts at the first measurement.
    from_first = await initiative_measure(
        client, admin, direction="decrease", baseline_value="40", target_value="20", target_date=days(100)
    )
    await record(client, admin, from_first, "40", days(-100))
    await record(client, admin, from_first, "29", days(0))
    status = await status_of(client, admin, from_first)
    assert status["baseline"] == {"measured_on": days(-100), "value": "40.0000"}
    assert (status["status"], status["expected"]) == ("on_track", "30.0000")


async def test_run_chart_signals_through_rest(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    # Six low points, then six high: a shift each side, too few runs, few crossings.
    await record_series(client, admin, indicator_id, [10, 11, 10, 11, 10, 11, 20, 21, 20, 21, 20, 21])
    chart = (await status_of(client, admin, indicator_id))["run_chart"]
    assert chart["median"] == "15.5000"
    assert (chart["points"], chart["useful_observations"], chart["runs"]) == (12, 12, 2)
    rules = {(r["rule_set"], r["rule"]): r["outcome"] for r in chart["rules"]}
    assert rules == {
        ("ihi", "shift"): "signal",
        ("ihi", "trend"): "no_signal",
        ("ihi", "too_few_runs"): "signal",
        ("ihi", "too_many_runs"): "no_signal",
        ("anhoej", "long_run"): "no_signal",
        ("anhoej", "few_crossings"): "signal",
    }
    shifts = [s for s in chart["signals"] if s["rule"] == "shift"]
    assert [(s["side"], s["favourable"], [p["index"] for p in s["points"]]) for s in shifts] == [
        ("below", False, [0, 1, 2, 3, 4, 5]),
        ("above", True, [6, 7, 8, 9, 10, 11]),
    ]
    assert all(p["measurement_id"] for s in chart["signals"] for p in s["points"])


async def test_too_few_points_say_insufficient_data(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    await record_series(client, admin, indicator_id, [1, 1, 1, 1, 1, 1, 9, 9])
    chart = (await status_of(client, admin, indicator_id))["run_chart"]
    assert {r["rule"]: r["outcome"] for r in chart["rules"] if r["rule"] != "trend"} == dict.fromkeys(
        ["shift", "too_few_runs", "too_many_runs", "long_run", "few_crossings"], "insufficient_data"
    )
    assert chart["signals"] == []


async def test_one_schools_series_of_a_district_indicator(
    client: httpx.AsyncClient, admin: Headers, world: World
) -> None:
    school_1 = world.school_ids("A")[0]
    indicator_id = await initiative_measure(client, admin)
    await record(client, admin, indicator_id, 50, days(-2))
    await record(client, admin, indicator_id, 10, days(-2), school_id=str(school_1))
    await record(client, admin, indicator_id, 12, days(-1), school_id=str(school_1))
    own = await status_of(client, admin, indicator_id)
    assert (own["school_id"], own["run_chart"]["points"], own["latest"]["value"]) == (None, 1, "50.0000")
    school = await status_of(client, admin, indicator_id, school_id=str(school_1))
    assert (school["school_id"], school["run_chart"]["points"]) == (str(school_1), 2)


# --- the chart --------------------------------------------------------------------------------------


async def test_the_chart_is_a_standalone_svg_with_points_median_and_target(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    indicator_id = await initiative_measure(
        client,
        admin,
        name='Reading <at> "grade" & beyond',
        baseline_value="10",
        baseline_date=days(-300),
        target_value="30",
        target_date=days(60),
    )
    values = [10, 11, 10, 11, 10, 11, 20, 21, 20, 21, 20, 21]
    await record_series(client, admin, indicator_id, values)
    response = await client.get(f"{API}/indicators/{indicator_id}/chart.svg", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)  # noqa: S314  (the service's own output)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    assert 'Reading <at> "grade" & beyond' in root.findtext(f"{SVG}title", "")
    points = root.findall(f".//{SVG}circle[@data-index]")
    assert [float(p.get("data-value", "nan")) for p in points] == values
    signalled = [int(p.get("data-index", -1)) for p in points if "signal" in (p.get("class") or "").split()]
    assert signalled == list(range(12))  # every point is behind a shift
    median = root.find(f".//{SVG}line[@id='median']")
    assert median is not None
    assert median.get("data-value") == "15.5"
    target = root.find(f".//{SVG}g[@id='target']")
    assert target is not None
    assert (target.get("data-value"), target.get("data-date")) == ("30", days(60))
    assert target.find(f"{SVG}path") is not None  # the marker at the target date
    assert root.find(f".//{SVG}line[@id='trajectory']") is not None
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "% of students" in texts
    assert "Date measured" in texts
    assert "Median 15.5" in texts
    # Signals are named in words, not codes: in the description and in each point's tooltip.
    assert "IHI too few runs" in response.text
    assert "Anhøj few crossings" in response.text
    assert "IHI shift" in root.findtext(f".//{SVG}circle[@data-index='0']/{SVG}title", "")
    assert "_" not in " ".join(t.text or "" for t in root.iter(f"{SVG}title"))
    assert "too_few_runs" not in response.text


async def test_the_chart_of_an_indicator_with_no_data(client: httpx.AsyncClient, admin: Headers) -> None:
    indicator_id = await initiative_measure(client, admin)
    response = await client.get(f"{API}/indicators/{indicator_id}/chart.svg", headers=admin)
    root = ET.fromstring(response.text)  # noqa: S314
    assert root.findall(f".//{SVG}circle[@data-index]") == []
    assert "No measurements yet" in response.text


# --- GraphQL ----------------------------------------------------------------------------------------

USER_ERRORS = "userErrors { field message code }"
RECORD = f"""
mutation($input: RecordMeasurementInput!) {{
  recordMeasurement(input: $input) {{ outcome measurement {{ id databaseId value measuredOn key indicatorId }} {USER_ERRORS} }}
}}"""
RECORD_MANY = f"""
mutation($input: RecordMeasurementsInput!) {{
  recordMeasurements(input: $input) {{
    result {{ received created updated unchanged rejected
              items {{ index measurementId key outcome }} errors {{ index field inputField code }} }}
    {USER_ERRORS}
  }}
}}"""
INDICATOR = """
query($id: ID!) { indicator(id: $id) {
  name
  measurements(first: 10) { edges { node { value measuredOn key } } pageInfo { hasNextPage } }
  status { status basis runChart { points signals { rule side points { index } } } }
} }"""


async def test_graphql_record_and_read(gql: GraphQLClient, client: httpx.AsyncClient, admin: Headers) -> None:
    gql.headers = admin
    indicator_id = await initiative_measure(client, admin)
    variables = {
        "input": {
            "indicatorId": gid("Indicator", indicator_id),
            "value": "12.5",
            "measuredOn": days(-3),
            "key": "g-1",
        }
    }
    made = (await gql(RECORD, variables))["recordMeasurement"]
    assert made["userErrors"] == []
    assert made["outcome"] == "CREATED"
    assert made["measurement"]["key"] == "g-1"
    again = (await gql(RECORD, variables))["recordMeasurement"]
    assert again["outcome"] == "UNCHANGED"
    assert again["measurement"]["id"] == made["measurement"]["id"]

    data = (await gql(INDICATOR, {"id": gid("Indicator", indicator_id)}))["indicator"]
    assert [e["node"]["value"] for e in data["measurements"]["edges"]] == ["12.5000"]
    assert data["status"]["status"] == "NO_DATA"  # one point with no baseline: the baseline itself
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Measurement { value } } }",
        {"id": made["measurement"]["id"]},
    )
    assert node["node"] == {"value": "12.5000"}

    bad = (await gql(RECORD, {"input": {**variables["input"], "key": None, "n": -4}}))["recordMeasurement"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [(["input", "n"], "greater_than_equal")]

    removed = await gql(
        "mutation($id: ID!) { removeMeasurement(input: {id: $id}) { removedId userErrors { code } } }",
        {"id": made["measurement"]["id"]},
    )
    assert removed["removeMeasurement"]["userErrors"] == []
    assert await measurements_of(client, admin, indicator_id) == []


async def test_graphql_measurements_narrow_to_one_school_as_the_rest_list_does(
    gql: GraphQLClient, client: httpx.AsyncClient, admin: Headers, world: World
) -> None:
    """Parity with `GET /indicators/{id}/measurements?school_id=`."""
    gql.headers = admin
    indicator_id = await initiative_measure(client, admin)
    first, second = world.school_ids("A")[:2]
    for school, value in ((first, "10"), (second, "20"), (None, "15")):
        extra = {"school_id": str(school)} if school else {}
        assert (await record(client, admin, indicator_id, value, days(-2), **extra)).status_code == 201
    query = """query($id: ID!, $school: ID) { indicator(id: $id) {
      measurements(schoolId: $school) { edges { node { value } } } } }"""

    async def values(school: str | None) -> list[str]:
        data = (await gql(query, {"id": gid("Indicator", indicator_id), "school": school}))["indicator"]
        return sorted(e["node"]["value"] for e in data["measurements"]["edges"])

    assert await values(gid("School", first)) == ["10.0000"]
    assert await values(None) == ["10.0000", "15.0000", "20.0000"]
    rest = await client.get(
        f"/api/v1/indicators/{indicator_id}/measurements", params={"school_id": str(first)}, headers=admin
    )
    assert [m["value"] for m in rest.json()["items"]] == ["10.0000"]


async def test_graphql_bulk_is_atomic_idempotent_and_can_be_partial(
    gql: GraphQLClient, client: httpx.AsyncClient, admin: Headers, tokens: Tokens
) -> None:
    gql.headers = admin
    indicator_id = await initiative_measure(client, admin)
    theirs = await initiative_measure(client, await admin_headers(tokens, "B"))
    good = [
        {"indicatorId": gid("Indicator", indicator_id), "value": "1", "measuredOn": days(-2), "key": "b-1"},
        {"indicatorId": gid("Indicator", indicator_id), "value": "2", "measuredOn": days(-1), "key": "b-2"},
    ]
    foreign = {"indicatorId": gid("Indicator", theirs), "value": "3", "measuredOn": days(-1)}
    refused = (await gql(RECORD_MANY, {"input": {"measurements": [*good, foreign]}}))["recordMeasurements"]
    assert refused["result"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "measurements", "2", "indicatorId"], "not_found")
    ]
    assert await measurements_of(client, admin, indicator_id) == []

    partial = (await gql(RECORD_MANY, {"input": {"measurements": [*good, foreign], "partial": True}}))[
        "recordMeasurements"
    ]["result"]
    assert (partial["created"], partial["rejected"]) == (2, 1)
    assert partial["errors"] == [
        {"index": 2, "field": "indicator_id", "inputField": "indicatorId", "code": "not_found"}
    ]
    again = (await gql(RECORD_MANY, {"input": {"measurements": good}}))["recordMeasurements"]["result"]
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert [i["outcome"] for i in again["items"]] == ["UNCHANGED", "UNCHANGED"]
    assert len(await measurements_of(client, admin, indicator_id)) == 2


async def test_graphql_monitoring_client_records_but_cannot_read(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, admin: Headers
) -> None:
    indicator_id = await initiative_measure(client, admin)
    gql.headers = await tokens.client_headers("A", "monitoring")
    made = (
        await gql(
            RECORD,
            {"input": {"indicatorId": gid("Indicator", indicator_id), "value": "3", "measuredOn": days(-1)}},
        )
    )["recordMeasurement"]
    assert made["userErrors"] == []
    body = await gql.raw(INDICATOR, {"id": gid("Indicator", indicator_id)})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["forbidden"]
    status = await gql.raw(
        "query($id: ID!) { indicatorStatus(indicatorId: $id) { status } }",
        {"id": gid("Indicator", indicator_id)},
    )
    assert [e["extensions"]["code"] for e in status["errors"]] == ["forbidden"]
