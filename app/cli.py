"""`triangle`: serve, migrate, demo data and contract exports.

triangle --version
triangle serve [--host H] [--port P] [--workers N] [--no-migrate] [--forwarded-allow-ips IPS]
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
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from app.core.config import get_settings


class CommandError(Exception):
    """A mistake in what the operator asked for: printed as one line, exit status 2 (1 when the
    request was well-formed but refused, such as an email already taken)."""

    def __init__(self, message: str, exit_status: int = 2) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def _database_url() -> str:
    from app.core.db import resolve_database_url

    return resolve_database_url(get_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    import logging
    import signal
    import tempfile

    import uvicorn

    from app.core.embedded import EmbeddedDatabase
    from app.core.logging import configure_logging
    from app.core.migrations import migrate
    from app.core.security import KeyRing

    settings = get_settings()
    # Logging first, so everything from here on (the embedded server starting, migrations) is logged
    # in the same shape as the requests.
    configure_logging(settings.log_level, settings.log_json)
    log = logging.getLogger("triangle.serve")
    # uvicorn re-raises SIGTERM once it has shut down gracefully, and Python's default action for it
    # ends the process without `finally` or `atexit`: the embedded server would be left running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    embedded = EmbeddedDatabase(settings.data_dir) if settings.database_url is None else None
    try:
        # Resolve once in this process: with the embedded server, every uvicorn worker then joins the
        # one this process started instead of racing to start their own.
        url = embedded.start() if embedded else str(settings.database_url)
        if not args.no_migrate:
            asyncio.run(migrate(url))
        # Create the first signing key here, once, rather than in each worker as it starts.
        KeyRing.load_or_create(settings.keys_dir)
        os.environ["DATABASE_URL"] = url
        if not args.no_worker:
            os.environ["TRIANGLE_WEBHOOK_WORKER"] = "true"
        get_settings.cache_clear()
        if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # Each worker keeps its metrics in files here; /metrics adds them up, whichever answers.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="triangle-metrics-")
        if settings.metrics_port is not None:
            _serve_metrics(args.host, settings.metrics_port)
        if embedded:
            embedded.watch()
        log.info(
            "serving",
            extra={"host": args.host, "port": args.port, "workers": args.workers, "embedded": bool(embedded)},
        )
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,  # ours: JSON lines with the request id
            proxy_headers=True,
            forwarded_allow_ips=args.forwarded_allow_ips,
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )
    finally:
        if embedded:
            embedded.stop()
        log.info("stopped")
    return 0


def _serve_metrics(host: str, port: int) -> None:
    """`/metrics` on a port of its own (TRIANGLE_METRICS_PORT), from this process: it reads every
    worker's values from PROMETHEUS_MULTIPROC_DIR, or the one in-process worker's."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client import multiprocess as prometheus_multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=host, registry=registry)
    else:
        start_http_server(port, addr=host)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


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
    from pydantic import ValidationError

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
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        named = {"email": "--email", "name": "--district", "password": "the password"}.get(field, field)
        raise CommandError(f"{named}: {error['msg']}; nothing was created") from None
    except DomainError as exc:
        details = "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in exc.errors or [])
        raise CommandError(f"{exc.detail}{' (' + details + ')' if details else ''}", exit_status=1) from None
    print(f"{'created' if created else 'found'} district {district}")
    print(f"district_admin {args.email} can now sign in: POST /api/v1/auth/token (grant_type=password)")
    return 0


def cmd_add_signing_key(args: argparse.Namespace) -> int:
    from app.core.security import KeyRing

    directory = get_settings().keys_dir
    kid = KeyRing.add_key(directory)
    print(f"new signing key {kid} in {directory}: it signs from now on; remove older keys once the")
    print("tokens they signed have expired (refresh tokens are not signed: they are unaffected)")
    return 0


def _pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` of the server's own major version when there is one (PATH's, or the
    embedded server's bundled one); else the oldest newer one. pg_dump refuses a newer server, and
    a newer pg_dump's output may not restore into an older server."""
    import re
    import shutil
    import subprocess

    candidates = [found] if (found := shutil.which(name)) else []
    try:
        from app.core.embedded import _pgserver

        utils = _pgserver().utils
        bundled = Path(utils.POSTGRES_VERSIONS[utils.TARGET_POSTGRES_VERSION]) / name
        if bundled.exists():
            candidates.append(str(bundled))
    except Exception:  # noqa: S110  (no bundled binaries on this platform)
        pass
    server = _server_major()

    def major(tool: str) -> int:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        return int(match.group(1)) if match else 0

    usable = sorted((major(tool), tool) for tool in candidates if major(tool) >= server)
    if not usable:
        raise CommandError(f"no {name} for PostgreSQL {server}: install its client tools")
    return usable[0][1]


def _server_major() -> int:
    from sqlalchemy import text

    from app.core.db import create_engine

    async def ask() -> int:
        engine = create_engine(_database_url(), get_settings())
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(text("SHOW server_version_num"))) // 10000
        finally:
            await engine.dispose()

    return asyncio.run(ask())


def _libpq_url() -> str:
    return _database_url().replace("postgresql+asyncpg://", "postgresql://", 1)


def _run_pg_tool(name: str, arguments: list[str], failed: str) -> None:
    """Run PostgreSQL's `name` (pg_dump, pg_restore) on this database with `arguments`; a non-zero
    exit is a `CommandError` saying so, followed by `failed` (what it means for the user's data)."""
    import subprocess

    done = subprocess.run([_pg_tool(name), *arguments], check=False)  # noqa: S603
    if done.returncode != 0:
        raise CommandError(f"{name} failed (exit status {done.returncode}); {failed}")


def cmd_backup(args: argparse.Namespace) -> int:
    _run_pg_tool(
        "pg_dump",
        ["--format=custom", "--no-owner", "--file", args.file, _libpq_url()],
        f"{args.file} is not a backup",
    )
    print(f"wrote {args.file} (restore with: triangle restore {args.file})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if not Path(args.file).is_file():
        raise CommandError(f"no such backup: {args.file}")
    _run_pg_tool(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", _libpq_url(), args.file],
        "nothing was changed",
    )
    print(f"restored {args.file}")
    return 0


def cmd_settings_reference(args: argparse.Namespace) -> int:
    from app.core.config import settings_reference

    print(settings_reference(), end="")
    return 0


def cmd_import_oneroster(args: argparse.Namespace) -> int:
    if not Path(args.bundle).is_file():
        # Before the database is started or migrated, and before the importer (the whole data model)
        # is imported: a mistyped path is answered at once.
        raise CommandError(f"{args.bundle}: no such file")
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


def _whole_number(low: int, high: int, not_a_number: str, out_of_range: str) -> Callable[[str], int]:
    """An argparse `type` for a whole number from `low` to `high`; the messages are templates of the
    `text` given and of its `value`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(not_a_number.format(text=text)) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(out_of_range.format(value=value))
        return value

    return parse


_port = _whole_number(1, 65535, "not a port number: {text!r}", "{value} is not a port (1-65535)")
_workers = _whole_number(1, 256, "not a number: {text!r}", "{value} workers: give 1 to 256")


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (and where to look), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from app.version import package_version

    parser = _Parser(prog="triangle", description="The Triangle API service.")
    parser.add_argument(
        "--version", action="store_true", help="print the version, git revision and schema revision"
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser(
        "serve",
        help="migrate, then serve REST and GraphQL",
        description=f"Migrate the database, then serve REST and GraphQL (Triangle {package_version()}). "
        "Every other setting comes from the environment: see the README's configuration reference.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes; each has its own connection pool (TRIANGLE_DB_POOL_SIZE)",
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")
    serve.add_argument(
        "--no-worker", action="store_true", help="deliver no webhooks here (run `triangle worker` instead)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=argparse.SUPPRESS,
        help="proxies whose X-Forwarded-For is believed (comma-separated; default: "
        "$FORWARDED_ALLOW_IPS, else 127.0.0.1)",
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

    commands.add_parser(
        "add-signing-key", help="rotate: add a new token signing key to the (shared) keys directory"
    ).set_defaults(handler=cmd_add_signing_key)

    backup = commands.add_parser(
        "backup", help="write the database (embedded or DATABASE_URL) to a file, while serving"
    )
    backup.add_argument("file", help="the backup to write (pg_dump's custom format)")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser(
        "restore", help="replace the database's contents with a backup, in one transaction"
    )
    restore.add_argument("file", help="a file `triangle backup` wrote")
    restore.set_defaults(handler=cmd_restore)

    commands.add_parser(
        "settings-reference", help="print every setting, its default and meaning (Markdown)"
    ).set_defaults(handler=cmd_settings_reference)

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
    """Run a command. A bad setting or argument is one line on stderr and a non-zero exit status,
    never a traceback."""
    from pydantic import ValidationError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from app.version import build_info

        info = build_info()
        print(
            f"triangle {info['version']} (git {info['git_revision'] or 'unknown'}, "
            f"schema {info['schema_revision']})"
        )
        return 0
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("triangle: error: name a command (triangle --help lists them)", file=sys.stderr)
        return 2
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"triangle: error: {_describe_settings_error(exc)}", file=sys.stderr)
        return 2
    if args.command == "serve" and "forwarded_allow_ips" not in vars(args):
        args.forwarded_allow_ips = settings.forwarded_allow_ips
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"triangle: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        unanswered = _database_did_not_answer(exc)
        if unanswered is None:
            raise
        print(f"triangle: error: {unanswered}", file=sys.stderr)
        return 1


def _database_did_not_answer(exc: BaseException) -> str | None:
    """What to tell an operator whose database could not be used at all (nothing listening, a host
    name that does not resolve, a timeout, a database or login the server refuses), found anywhere
    in the exception's chain; None for any other failure, which keeps its traceback. Says where from
    the settings, never the URL itself, which may hold a password."""
    import socket

    import asyncpg

    refused = (
        ConnectionError,
        socket.gaierror,
        TimeoutError,
        asyncpg.PostgresConnectionError,
        asyncpg.InvalidCatalogNameError,
        asyncpg.InvalidAuthorizationSpecificationError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
    )
    link: BaseException | None = exc
    while link is not None and not isinstance(link, refused):
        link = link.__cause__ or link.__context__
    if link is None:
        return None
    settings = get_settings()
    if settings.database_url is None:
        where = f"the embedded PostgreSQL in {settings.data_dir}"
    else:
        from sqlalchemy.engine import make_url

        url = make_url(settings.database_url)
        where = f"{url.host or 'the local socket'}:{url.port or 5432}/{url.database or ''}"
    return f"the database did not answer ({where}): {link}"


def _describe_settings_error(exc: Exception) -> str:
    """The first invalid setting, named as the variable an operator sets."""
    errors = exc.errors()  # type: ignore[attr-defined]
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    variable = field.upper() if field.isupper() else f"TRIANGLE_{field.upper()}"
    if field.lower() == "database_url":
        variable = "DATABASE_URL"
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{variable}: {message}{more}"


if __name__ == "__main__":
    sys.exit(main())
