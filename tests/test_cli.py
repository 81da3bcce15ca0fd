"""The command line: a bad argument, setting or input is one clear line and a non-zero exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import main
from app.core.config import get_settings
from app.version import package_version


@pytest.fixture(autouse=True)
def fresh_settings() -> None:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("usage:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_port_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "99999"])
    assert exited.value.code == 2
    assert "99999 is not a port" in _one_line(capsys.readouterr().err)


def test_a_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIANGLE_DB_POOL_SIZE", "abc")
    assert main(["migrate"]) == 2
    assert _one_line(capsys.readouterr().err).startswith("triangle: error: TRIANGLE_DB_POOL_SIZE: ")


def test_serve_help_documents_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for option, default in [("--host", "127.0.0.1"), ("--port", "8000"), ("--workers", "1")]:
        assert option in out
        assert f"(default: {default})" in out
    assert "--no-migrate" in out
    assert "--forwarded-allow-ips" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"triangle {package_version()} ")


@pytest.mark.parametrize(
    ("district", "email", "password", "says"),
    [
        ("Riverside", "not-an-email", "long enough password", "--email"),
        ("", "admin@riverside.example", "long enough password", "--district"),
        ("Riverside", "admin@riverside.example", "short", "the password"),
    ],
)
async def test_create_admin_refuses_bad_input_and_writes_nothing(
    database_url: str,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    district: str,
    email: str,
    password: str,
    says: str,
) -> None:
    import asyncio

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRIANGLE_ADMIN_PASSWORD", password)
    districts = await session.scalar(text("SELECT count(*) FROM district"))
    # The command runs its own event loop, as from a shell.
    status = await asyncio.to_thread(main, ["create-admin", "--district", district, "--email", email])
    assert status == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"triangle: error: {says}")
    assert await session.scalar(text("SELECT count(*) FROM district")) == districts


@pytest.mark.parametrize(
    ("argv", "trusted"),
    [([], "10.0.0.0/8"), (["--forwarded-allow-ips", "192.168.1.7"], "192.168.1.7")],
)
def test_serve_trusts_forwarded_addresses_only_from_the_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], trusted: str
) -> None:
    import signal

    import uvicorn

    ran: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    monkeypatch.setenv("TRIANGLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    monkeypatch.setenv("TRIANGLE_SHUTDOWN_TIMEOUT_SECONDS", "7")
    # `serve` configures logging for the process: as the suite's apps do.
    monkeypatch.setenv("TRIANGLE_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("TRIANGLE_LOG_JSON", "false")
    handler = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["serve", "--no-migrate", *argv]) == 0
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert ran["proxy_headers"] is True
    assert ran["forwarded_allow_ips"] == trusted
    assert ran["timeout_graceful_shutdown"] == 7


# --- start-up: a console command loads only what it needs -------------------------------------------

# The web framework, the GraphQL schema and the statistics libraries take seconds to import; no console
# command but `serve` and the contract exports needs them.
HEAVY = ("fastapi", "strawberry", "scipy", "app.main", "app.models", "app.demo")


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    import json
    import os
    import subprocess
    import sys

    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(  # noqa: S603  (this interpreter, our own probe)
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_starts_without_the_web_stack() -> None:
    loaded = _modules_after(
        "from app.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_import_oneroster_loads_only_the_import(database_url: str, tmp_path: Path) -> None:
    """The import against an up-to-date database: no web stack, no Alembic environment (which imports
    every table model), no demo data set."""
    import zipfile

    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    loaded = _modules_after(
        f"from app.cli import main\nassert main(['import-oneroster', {str(empty)!r}, '--district', 'Nope']) == 2",
        env={"DATABASE_URL": database_url},
    )
    assert "app.sis.console" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    # The database is at head: read from alembic_version and the migration files, Alembic not imported.
    assert "alembic" not in loaded


def test_the_head_revision_is_read_from_the_files_as_alembic_reads_it() -> None:
    from app.core.migrations import head_revision, script_head

    assert script_head() == head_revision()


def test_a_mistyped_bundle_path_is_answered_before_the_importer_loads(tmp_path: Path) -> None:
    """`triangle import-oneroster` with a path that is not a file: one line at once, before the
    importer (and with it the data model and Alembic) is imported."""
    missing = tmp_path / "no-such.zip"
    loaded = _modules_after(
        f"from app.cli import main\nassert main(['import-oneroster', {str(missing)!r}, '--district', 'X']) == 2"
    )
    assert not loaded & {"app.sis.console", "app.sis.service", "app.core.migrations", "alembic"}


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("127.0.0.1:1/triangle", "127.0.0.1:1"),  # nothing listens there
        ("no-such-host.invalid/triangle", "no-such-host.invalid"),  # the name does not resolve
        (None, "triangle_no_such_database"),  # the server answers; the database is not there
    ],
)
def test_a_database_that_does_not_answer_is_one_line_without_the_password(
    database_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str | None,
    says: str,
) -> None:
    """A new operator's first `triangle migrate` against a wrong DATABASE_URL printed asyncpg's
    traceback. It is one line that says where, and never the URL's password."""
    from sqlalchemy.engine import make_url

    if where is None:
        url = make_url(database_server_url).set(
            drivername="postgresql", database="triangle_no_such_database", password="s3cret-pw"
        )
        monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    else:
        monkeypatch.setenv("DATABASE_URL", f"postgresql://triangle:s3cret-pw@{where}")
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    line = _one_line(err)
    assert line.startswith("triangle: error: the database did not answer")
    assert says in line
    assert "s3cret-pw" not in err
