"""A time written with an offset whose UTC instant leaves years 1–9999 is the caller's mistake.

`9999-12-31T23:59:59-12:00` is well-formed ISO 8601, and so is `0001-01-01T00:00:00+14:00`, but in UTC
they fall in year 10000 and year 0, which neither Python's `datetime` nor the driver converting the
value to UTC for PostgreSQL can hold. Each path that takes a time (a query parameter, a JSON body, a
sync record, a line of a OneRoster CSV) refused the value only after it overflowed at the database:
a 500 for something a client sent. Each now answers 422 naming the field, and writes nothing.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from pydantic import ValidationError

from app.coaching.schemas import CoachingSessionCreate
from app.identity.models import Role
from tests.conftest import Tokens
from tests.sis.helpers import ORGS, SYNC, full_bundle, list_all, put, upload

BEYOND_UTC = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("value", BEYOND_UTC)
async def test_a_query_parameter_beyond_utc_is_a_422(
    client: httpx.AsyncClient, tokens: Tokens, value: str
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    for url in (
        f"/api/v1/initiatives?updated_since={quote(value)}",
        f"/api/v1/audit-events?occurred_from={quote(value)}",
        f"{SYNC}/students?updated_since={quote(value)}",
    ):
        response = await client.get(url, headers=admin)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("value", BEYOND_UTC)
async def test_a_sync_record_beyond_utc_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, tokens: Tokens, value: str
) -> None:
    roster = await tokens.client_headers("A", "roster")
    before = await list_all(client, f"{SYNC}/students", roster)
    record = {"sourcedId": "utc-1", "school": "a-es", "grade": "03", "dateLastModified": value}
    response = await put(client, "students", [record], roster)
    assert response.status_code == 422, response.text
    assert "dateLastModified" in response.text
    assert await list_all(client, f"{SYNC}/students", roster) == before


@pytest.mark.parametrize("value", BEYOND_UTC)
async def test_a_oneroster_line_beyond_utc_is_a_row_error_not_a_crash(
    client: httpx.AsyncClient, tokens: Tokens, value: str
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    orgs = ORGS.replace("a-es,,,A Elementary", f"a-es,,{value},A Elementary")
    response = await upload(client, full_bundle(**{"orgs.csv": orgs}), admin)
    assert response.status_code < 500, response.text
    assert "dateLastModified" in response.text


@pytest.mark.parametrize("value", BEYOND_UTC)
def test_a_request_body_time_beyond_utc_is_refused_by_its_model(value: str) -> None:
    """Every request model's times go through the same check (`RequestModel`), not only sync's."""
    with pytest.raises(ValidationError, match="UTC"):
        CoachingSessionCreate.model_validate({"kind": "observe", "starts_at": value, "ends_at": value})
