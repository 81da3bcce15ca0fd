"""`triangle`: serve, migrate, demo data and contract exports.

triangle serve [--host H] [--port P] [--workers N] [--no-migrate]
triangle migrate
triangle demo
triangle export-openapi [--output openapi/openapi.json]
triangle export-schema [--output schema/schema.graphql]
triangle import-oneroster BUNDLE.zip --district NAME [--partial] [--archive-missing]
triangle worker
triangle export-open-data --district NAME DIR
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
from pathlib import Path

from app.core.config import get_settings


def _database_url() -> str:
    from app.core.db import resolve_database_url

    return resolve_database_url(get_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.migrations import migrate
    from app.core.security import KeyRing

    # Resolve once in this process: with the embedded server, every uvicorn worker then joins the one
    # this process started instead of racing to start their own.
    url = _database_url()
    if not args.no_migrate:
        asyncio.run(migrate(url))
    # Create the first signing key here, once, rather than in each worker as it starts.
    KeyRing.load_or_create(get_settings().keys_dir)
    os.environ["DATABASE_URL"] = url
    if not args.no_worker:
        os.environ["TRIANGLE_WEBHOOK_WORKER"] = "true"
    get_settings.cache_clear()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # ours: JSON lines with the request id
        proxy_headers=True,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.core.db import create_engine, create_session_factory
    from app.core.migrations import migrate
    from app.webhooks.worker import Worker

    settings = get_settings()
    url = _database_url()
    asyncio.run(migrate(url))

    async def run() -> None:
        engine = create_engine(url, settings)
        worker = Worker(create_session_factory(engine), settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await worker.run(stop)
        finally:
            await worker.aclose()
            await engine.dispose()

    print("webhook worker running; stop with Ctrl-C", flush=True)
    asyncio.run(run())
    return 0


def cmd_export_open_data(args: argparse.Namespace) -> int:
    from app.core.migrations import migrate
    from app.opendata.bundle import export_bundle

    url = _database_url()
    asyncio.run(migrate(url))
    return export_bundle(url, get_settings(), args.district, Path(args.directory))


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.core.migrations import head_revision, migrate

    asyncio.run(migrate(_database_url()))
    print(f"database at revision {head_revision()}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.core.migrations import migrate
    from app.demo import load_demo

    url = _database_url()
    asyncio.run(migrate(url))
    districts = asyncio.run(load_demo(url, get_settings(), args.password))
    for district in districts:
        if district.existed:
            print(f"{district.name}: already loaded (logins unchanged)")
            continue
        print(f"{district.name} ({district.district_id})")
        for role, (_, email) in district.users.items():
            print(f"  {role.value:<17} {email}")
    print(f"password for every demo login: {args.password}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app.auth.principal import SYSTEM
    from app.core.db import create_engine, create_session_factory, session_scope
    from app.core.errors import DomainError
    from app.core.migrations import migrate
    from app.demo import create_admin

    password = os.environ.get("TRIANGLE_ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass("Password for the new admin (12+ characters): ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ; nothing was created.", file=sys.stderr)
            return 2
    url = _database_url()

    async def run() -> tuple[str, bool]:
        await migrate(url)
        engine = create_engine(url, get_settings())
        try:
            async with session_scope(create_session_factory(engine), SYSTEM) as session:
                district, created = await create_admin(session, args.district, args.email, password)
                return f"{district.name} ({district.id})", created
        finally:
            await engine.dispose()

    try:
        district, created = asyncio.run(run())
    except DomainError as exc:
        for error in exc.errors or []:
            print(f"{'.'.join(map(str, error.path))}: {error.message}", file=sys.stderr)
        print(exc.detail, file=sys.stderr)
        return 1
    print(f"{'created' if created else 'found'} district {district}")
    print(f"district_admin {args.email} can now sign in: POST /api/v1/auth/token (grant_type=password)")
    return 0


def cmd_import_oneroster(args: argparse.Namespace) -> int:
    from app.core.migrations import migrate
    from app.sis.console import import_bundle

    url = _database_url()
    asyncio.run(migrate(url))
    return import_bundle(
        url,
        get_settings(),
        Path(args.bundle),
        args.district,
        partial=args.partial,
        archive_missing=args.archive_missing,
    )


def openapi_document() -> dict[str, object]:
    from app.core.config import Settings
    from app.main import create_app

    return create_app(Settings(database_url=None, log_json=False)).openapi()


def cmd_export_openapi(args: argparse.Namespace) -> int:
    _write(Path(args.output), json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n")
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from app.graphql.schema import export_schema_sdl

    _write(Path(args.output), export_schema_sdl())
    return 0


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    print(f"wrote {path}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triangle", description="The Triangle API service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve REST and GraphQL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")
    serve.add_argument(
        "--no-worker", action="store_true", help="deliver no webhooks here (run `triangle worker` instead)"
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database to the latest revision").set_defaults(
        handler=cmd_migrate
    )
    demo = commands.add_parser("demo", help="load two demo districts with one login per role")
    demo.add_argument("--password", default="demo-password", help="password of every demo login")
    demo.set_defaults(handler=cmd_demo)

    admin = commands.add_parser("create-admin", help="create a district admin (and the district, if new)")
    admin.add_argument("--district", required=True, help="district name; created when no district has it")
    admin.add_argument("--email", required=True)
    admin.set_defaults(handler=cmd_create_admin)

    commands.add_parser(
        "worker", help="deliver webhooks from the outbox (alone, or beside `serve --no-worker`)"
    ).set_defaults(handler=cmd_worker)

    open_data = commands.add_parser(
        "export-open-data", help="write a district's open data as CSV files and a Data Package"
    )
    open_data.add_argument("--district", required=True, help="the district's name")
    open_data.add_argument("directory", help="where to write datapackage.json and the CSV files")
    open_data.set_defaults(handler=cmd_export_open_data)

    export_openapi = commands.add_parser("export-openapi", help="write the OpenAPI document")
    export_openapi.add_argument("--output", default="openapi/openapi.json")
    export_openapi.set_defaults(handler=cmd_export_openapi)

    oneroster = commands.add_parser(
        "import-oneroster", help="import a OneRoster 1.2 CSV bundle (zip) into a district"
    )
    oneroster.add_argument("bundle", help="the zip: manifest.csv, orgs.csv, users.csv, …")
    oneroster.add_argument("--district", required=True, help="the district's name")
    oneroster.add_argument(
        "--partial", action="store_true", help="apply the valid records even when some are refused"
    )
    oneroster.add_argument(
        "--archive-missing",
        action="store_true",
        help="for bulk-mode files, archive records absent from the file (otherwise only counted)",
    )
    oneroster.set_defaults(handler=cmd_import_oneroster)

    export_schema = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export_schema.add_argument("--output", default="schema/schema.graphql")
    export_schema.set_defaults(handler=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
