"""The contract as an integrator meets it: a valid OpenAPI document from which openapi-python-client
generates a client without a warning, and that client's first calls work against the real service."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable

from app.identity.models import Role
from tests.conftest import TEST_PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "openapi" / "python-client.yaml"


@pytest.fixture
def crawl_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`referencing` registries crawled once each, not at every lookup.

    jsonschema adds the schema it validates against to its registry uncrawled, and `Registry.anchor`
    crawls the whole registry again for each `$dynamicRef` it resolves: with the OpenAPI 3.1 dialect
    (`$dynamicRef: "#meta"` in every schema) that is most of the validation's time. A registry is
    immutable, so crawling one is a pure function of it: the same crawled registry answers every
    later lookup, and the validation finds exactly what it found before (`test_the_validation_with_registries_
    crawled_once_still_refuses` shows it still refuses)."""
    crawl = Registry.crawl
    crawled: dict[int, tuple[Registry[Any], Registry[Any]]] = {}

    def once(registry: Registry[Any]) -> Registry[Any]:
        known = crawled.get(id(registry))
        if known is None or known[0] is not registry:  # the pair keeps `registry` (and its id) alive
            known = crawled[id(registry)] = (registry, crawl(registry))
        return known[1]

    monkeypatch.setattr(Registry, "crawl", once)


@pytest.mark.long
@pytest.mark.usefixtures("crawl_once")
def test_the_openapi_document_is_valid() -> None:
    validate(json.loads(CONTRACT.read_text()))


def _small_contract() -> dict[str, Any]:
    """A valid OpenAPI 3.1 document: one operation, a schema that refers to another."""
    return {
        "openapi": json.loads(CONTRACT.read_text())["openapi"],
        "info": {"title": "Triangle", "version": "0"},
        "paths": {
            "/districts/{district_id}": {
                "get": {
                    "operationId": "getDistrict",
                    "parameters": [
                        {"name": "district_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The district.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/DistrictPublic"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "DistrictPublic": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "schools": {"type": "array", "items": {"$ref": "#/components/schemas/School"}},
                    },
                },
                "School": {"type": "object", "properties": {"name": {"type": "string"}}},
            }
        },
    }


def _district(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]["DistrictPublic"]


@pytest.mark.usefixtures("crawl_once")
def test_a_small_valid_document_passes_with_registries_crawled_once() -> None:
    """The unspoilt document of the next test is valid: each refusal there is its spoiling's."""
    validate(_small_contract())


@pytest.mark.parametrize(
    "spoil",
    [
        # A schema keyword the dialect's meta-schema refuses (checked through `$dynamicRef: "#meta"`).
        lambda d: _district(d).update(type="strng"),
        lambda d: _district(d)["properties"]["name"].update(minLength=-1),
        # The document's own structure (the OpenAPI 3.1 schema).
        lambda d: d["info"].pop("title"),
        # A reference to a schema that is not there.
        lambda d: d["components"]["schemas"].pop("School"),
    ],
    ids=["bad-type", "bad-keyword-value", "no-title", "dangling-ref"],
)
@pytest.mark.usefixtures("crawl_once")
def test_the_validation_with_registries_crawled_once_still_refuses(spoil: Any) -> None:
    document = _small_contract()
    spoil(document)
    with pytest.raises((OpenAPIValidationError, Unresolvable)):
        validate(document)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The client package generated from the committed contract, importable; its generator's output
    must hold no warning (a warning means an operation or a response is missing from the client)."""
    target = tmp_path_factory.mktemp("client")
    package = target / "triangle_client"
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run(  # noqa: S603  (our own generator, our own contract)
        [
            generator,
            "generate",
            "--path",
            CONTRACT,
            "--output-path",
            package,
            "--meta",
            "none",
            "--config",
            CONFIG,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(target))
    return "triangle_client"


@pytest.mark.long
def test_the_generated_client_holds_every_operation(generated: str) -> None:
    operations = {
        operation["operationId"]
        for path in json.loads(CONTRACT.read_text())["paths"].values()
        for operation in path.values()
    }
    modules = {
        module.stem
        for module in (Path(importlib.import_module(generated).__file__).parent / "api").rglob("*.py")
    }
    snake = {"".join(f"_{c.lower()}" if c.isupper() else c for c in op) for op in operations}
    assert snake <= modules, sorted(snake - modules)


@pytest.mark.long
async def test_a_generated_client_signs_in_reads_and_signs_out(
    generated: str, app: FastAPI, world: World
) -> None:
    client_module = importlib.import_module(f"{generated}.client")
    issue_token = importlib.import_module(f"{generated}.api.auth.issue_token")
    revoke_token = importlib.import_module(f"{generated}.api.auth.revoke_token")
    get_me = importlib.import_module(f"{generated}.api.identity.get_me")
    models = importlib.import_module(f"{generated}.models")
    transport = httpx.ASGITransport(app=app)
    base_url = "http://testserver"

    _, email = world.user("A", Role.DISTRICT_LEADER)
    anonymous = client_module.Client(base_url=base_url, httpx_args={"transport": transport})
    body = models.BodyIssueToken(grant_type="password", username=email, password=TEST_PASSWORD)
    token = await issue_token.asyncio(client=anonymous, body=body)
    assert isinstance(token, models.TokenResponse), token

    signed_in = client_module.AuthenticatedClient(
        base_url=base_url, token=token.access_token, httpx_args={"transport": transport}
    )
    me = await get_me.asyncio(client=signed_in)
    assert isinstance(me, models.Me), me
    assert me.email == email

    # The contract once said JSON here while the server sends an empty body, and this call crashed.
    revoked = await revoke_token.asyncio_detailed(
        client=anonymous, body=models.BodyRevokeToken(token=token.access_token)
    )
    assert revoked.status_code == 200
    assert revoked.parsed is None
