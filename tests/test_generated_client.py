"""The contract as an integrator meets it: a valid OpenAPI document from which openapi-python-client
generates a client without a warning, and that client's first calls work against the real service."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from app.identity.models import Role
from tests.conftest import TEST_PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "openapi" / "python-client.yaml"


@pytest.mark.long
def test_the_openapi_document_is_valid() -> None:
    validate(json.loads(CONTRACT.read_text()))


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
