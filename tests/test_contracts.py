"""The committed contracts are what the code exports, and usable by generated clients."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.cli import main as cli_main
from app.cli import openapi_document
from app.core.schemas import DECIMAL_PATTERN
from app.graphql.schema import export_schema_sdl
from app.sis.bulk import DROPPED_FIELDS
from app.sis.schemas import MAX_BATCH, RECORD_MODELS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def exported() -> dict[str, object]:
    """What `triangle export-openapi` exports, built once for these tests (an app and its whole
    OpenAPI document: seconds)."""
    return openapi_document()


def test_openapi_json_is_fresh(exported: dict[str, object]) -> None:
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert committed == exported, "openapi/openapi.json is stale: run `triangle export-openapi`"


def test_graphql_schema_is_fresh() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text()
    assert committed == export_schema_sdl(), "schema/schema.graphql is stale: run `triangle export-schema`"


def test_every_operation_has_a_stable_id_a_tag_and_documented_errors(exported: dict[str, Any]) -> None:
    document = exported
    operation_ids: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), where
            operation_ids.append(operation["operationId"])
            assert operation.get("tags"), where
            assert operation.get("description") or operation.get("summary"), where
            if path.startswith("/api/"):
                assert "422" in operation["responses"], where
                problem = operation["responses"]["422"]["content"]["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}, where
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def test_the_cli_writes_both_contracts(tmp_path: Path, exported: dict[str, object]) -> None:
    assert cli_main(["export-openapi", "--output", str(tmp_path / "o.json")]) == 0
    assert cli_main(["export-schema", "--output", str(tmp_path / "s.graphql")]) == 0
    assert json.loads((tmp_path / "o.json").read_text()) == exported
    assert (tmp_path / "s.graphql").read_text() == export_schema_sdl()


# Operations anyone may call: the token endpoint (RFC 6749 §3.2 authenticates in the body), token
# revocation (RFC 7009), the health probes, the build's version, the index of links, and what a district
# publishes as open data.
PUBLIC_OPERATIONS = {
    ("/api/v1/auth/token", "post"),
    ("/api/v1/auth/revoke", "post"),
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/version", "get"),
    ("/", "get"),
}


def _public(path: str, method: str) -> bool:
    return (path, method) in PUBLIC_OPERATIONS or (path.startswith("/open-data/") and method == "get")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_operation_that_needs_a_token_says_so(exported: dict[str, Any]) -> None:
    schemes = exported["components"]["securitySchemes"]
    flows = schemes["OAuth2"]["flows"]
    assert flows["password"]["tokenUrl"] == flows["clientCredentials"]["tokenUrl"] == "/api/v1/auth/token"
    assert {"read", "roster:write"} <= set(flows["clientCredentials"]["scopes"])
    assert schemes["BearerToken"] == {**schemes["BearerToken"], "type": "http", "scheme": "bearer"}

    for path, method, operation in _operations(exported):
        if _public(path, method):
            assert "security" not in operation, (path, method)
        else:
            assert operation.get("security") == [{"OAuth2": []}, {"BearerToken": []}], (path, method)


def test_response_headers_are_declared(exported: dict[str, Any]) -> None:
    for path, method, operation in _operations(exported):
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (path, method, status)

    plan = exported["paths"]["/api/v1/plans/{plan_id}"]
    assert "ETag" in plan["get"]["responses"]["200"]["headers"]
    assert "ETag" in plan["patch"]["responses"]["200"]["headers"]
    assert "Link" in exported["paths"]["/api/v1/plans"]["get"]["responses"]["200"]["headers"]
    assert "Link" not in plan["get"]["responses"]["200"]["headers"]
    for _path, _method, operation in _operations(exported):
        for status in ("429", "503"):
            if status in operation["responses"]:
                assert "Retry-After" in operation["responses"][status]["headers"]


def test_readme_configuration_reference_is_current() -> None:
    from pathlib import Path

    from app.core.config import settings_reference

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("<!-- settings-reference:begin -->\n")[1].split("<!-- settings-reference:end -->")[0]
    assert table == settings_reference(), (
        "README configuration reference is stale: triangle settings-reference"
    )


def _decimal_branches(node: Any) -> list[dict[str, Any]]:
    """Every `anyOf` that reads a number or a string: how pydantic describes a decimal input."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        types = [branch.get("type") for branch in node.get("anyOf", ())]
        if "number" in types and "string" in types:
            found.append(node)
        for value in node.values():
            found.extend(_decimal_branches(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_decimal_branches(value))
    return found


def test_decimals_say_they_are_numbers_written_as_text(exported: dict[str, Any]) -> None:
    """A decimal is sent as a string; the contract gives its pattern, so a client does not take
    `"value": "12.5"` for free text (and a validator checks what the server writes)."""
    inputs = _decimal_branches(exported)
    assert inputs, "the contract has decimal inputs (indicators, measurements, weights)"
    for node in inputs:
        strings = [branch for branch in node["anyOf"] if branch.get("type") == "string"]
        assert [branch.get("pattern") for branch in strings] == [DECIMAL_PATTERN]
    schemas = exported["components"]["schemas"]
    assert schemas["MeasurementPublic"]["properties"]["value"]["pattern"] == DECIMAL_PATTERN
    pattern = re.compile(DECIMAL_PATTERN)
    for written in ("12.5000", "-3", "0.25", "1E+3", ".5"):
        assert pattern.match(written), written
    for not_a_number in ("ten", "1,5", "NaN", "", "1.2.3"):
        assert not pattern.match(not_a_number), not_a_number


def test_sync_batches_describe_each_record_field_by_field(exported: dict[str, Any]) -> None:
    """Generated clients get typed sync records (`SchoolRecord`, `StaffRecord`, …), not free-form
    objects, and the contract admits what the server admits: a `tobedeleted` record with only its
    sourcedId, and the OneRoster fields a student or staff record may carry that are discarded."""
    schemas = exported["components"]["schemas"]
    for entity, model in RECORD_MODELS.items():
        operation = exported["paths"][f"/api/v1/sync/{entity.value}"]["put"]
        batch_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        records = schemas[batch_ref.rsplit("/", 1)[1]]["properties"]["records"]
        assert records["maxItems"] == MAX_BATCH
        refs = [option["$ref"].rsplit("/", 1)[1] for option in records["items"]["anyOf"]]
        assert refs == [model.__name__, "DeletionSyncRecord"]
        record = schemas[model.__name__]
        assert record["additionalProperties"] is False
        assert "sourcedId" in record["required"]
        assert set(DROPPED_FIELDS[entity]) <= set(record["properties"])
    assert "givenName" in schemas["StudentRecord"]["properties"]
    assert schemas["DeletionSyncRecord"]["required"] == ["sourcedId", "status"]
