"""REST for districts and schools: parse, call the service, shape the reply. No rules here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path

from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import (
    AreaRouter,
)
from app.tenancy import service
from app.tenancy.schemas import (
    DistrictPublic,
    DistrictUpdate,
    SchoolCreate,
    SchoolPublic,
    SchoolUpdate,
)

router = AreaRouter(tags=["tenancy"])

DistrictId = Annotated[uuid.UUID, Path(description="The district's id.")]
SchoolId = Annotated[uuid.UUID, Path(description="The school's id.")]


Collection(router, "/districts", DistrictPublic).list(
    service.list_districts,
    """List the districts you can see (your own), a page at a time.

    Districts are provisioned by the installation's operator (`triangle create-admin`), not over the API.

    Follow `next_cursor` (or the `Link: rel="next"` header) for the next page. Pass `updated_since`
    to pull only what changed since your last sync.
    """,
)


DISTRICTS = Resource(router, "/districts/{district_id}", DistrictId, DistrictPublic)
DISTRICTS.get(
    service.get_district, "Get one district. The `ETag` header carries its version for a later `If-Match`."
)
DISTRICTS.update(
    DistrictUpdate,
    service.update_district,
    """Change the fields you send; omitted fields stay as they are.

    Send `If-Match` with the `ETag` you read: if someone changed the district since, you get 412 with
    `current_version` and nothing is written.""",
)


DISTRICTS.items(
    "/schools",
    SchoolPublic,
    service.list_schools,
    "List a district's schools, oldest first, a page at a time (with `updated_since` for sync).",
)


DISTRICTS.add(
    "/schools",
    SchoolCreate,
    SchoolPublic,
    service.create_school,
    "Create a school in a district. Names and `sourced_id`s are unique within the district.",
    responses=problem_responses(404, 409),
)


SCHOOLS = Resource(router, "/schools/{school_id}", SchoolId, SchoolPublic)
SCHOOLS.get(service.get_school, "Get one school, with its version in the `ETag` header.")
SCHOOLS.update(
    SchoolUpdate,
    service.update_school,
    "Change the fields you send; `If-Match` guards against overwriting a newer write (412).",
)
