"""`triangle import-oneroster`: the CSV import from the command line, with a progress bar and a summary.

The import runs as the installation's operator inside the named district, through the same service as
`POST /api/v1/sync/oneroster`, and is recorded as a sync run like any other.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from app.core.config import Settings
from app.core.db import create_engine, create_session_factory, session_scope
from app.sis import service
from app.sis.models import SyncRun, SyncRunStatus

COLUMNS = ("received", "created", "updated", "unchanged", "deleted", "rejected", "skipped", "missing")
SHOWN_ERRORS = 20


class ProgressBar:
    """One line per file, redrawn in place on a terminal (and printed once per file elsewhere)."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.interactive = stream.isatty()
        self.current: str | None = None
        self.last_draw = 0.0

    def __call__(self, name: str, rows: int, done_bytes: int, total_bytes: int) -> None:
        finished = done_bytes >= total_bytes
        if name != self.current:
            self.current = name
        now = time.monotonic()
        if self.interactive and not finished and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        share = min(done_bytes / total_bytes, 1.0) if total_bytes else 1.0
        filled = int(share * self.width)
        line = f"{name:<22} [{'#' * filled}{'.' * (self.width - filled)}] {share:>4.0%} {rows:>10,} rows"
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if finished else ""))
            self.stream.flush()
        elif finished:
            self.stream.write(line + "\n")


def summary_table(run: SyncRun) -> str:
    """The run's counts per file, as a plain-text table."""
    header = ("file", "mode", *COLUMNS)
    rows = [
        (
            f"{name}.csv",
            str(counts.get("mode", "")),
            *(f"{counts[c]:,}" if counts.get(c) is not None else "-" for c in COLUMNS),
        )
        for name, counts in run.counts.items()
    ]
    total = (
        "total",
        "",
        *(f"{getattr(run, c):,}" if hasattr(run, c) and c != "missing" else "" for c in COLUMNS),
    )
    widths = [max(len(str(row[i])) for row in (header, *rows, total)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows), rule, line(total)])


def import_bundle(
    database_url: str,
    settings: Settings,
    bundle: Path,
    district_name: str,
    *,
    partial: bool,
    archive_missing: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the import; print the summary. Exit status: 0 applied, 1 nothing applied, 2 bad arguments."""
    # Resolved per call, not bound at import: a default of `sys.stderr` would keep whatever stream
    # was current when the module was first imported (a closed capture, under pytest).
    out = out or sys.stdout
    err = err or sys.stderr
    import asyncio

    from app.tenancy.operator import find_district, operator_of

    if not bundle.is_file():
        err.write(f"{bundle}: no such file\n")
        return 2

    async def run() -> SyncRun | None:
        engine = create_engine(database_url, settings)
        try:
            factory = create_session_factory(engine)
            async with session_scope(factory) as session:
                district = await find_district(session, district_name)
            if district is None:
                return None
            operator = operator_of(district.id)
            async with session_scope(factory, operator) as session:
                with bundle.open("rb") as stream:
                    return await service.import_oneroster(
                        session,
                        operator,
                        stream,
                        partial=partial,
                        archive_missing=archive_missing,
                        progress=ProgressBar(err),
                    )
        finally:
            await engine.dispose()

    run_result = asyncio.run(run())
    if run_result is None:
        err.write(f"No district named {district_name!r}.\n")
        return 2
    out.write(summary_table(run_result) + "\n")
    for error in run_result.errors[:SHOWN_ERRORS]:
        where = ":".join(str(p) for p in (error.get("file"), error.get("row")) if p is not None)
        field = f" {error['field']}" if error.get("field") else ""
        dependents = (
            f" ({error['dependents']:,} records that refer to it skipped)" if error.get("dependents") else ""
        )
        out.write(f"  {where}{field}: {error['message']}{dependents}\n")
    if run_result.error_count > SHOWN_ERRORS:
        out.write(
            f"  … and {run_result.error_count - SHOWN_ERRORS:,} more (GET /api/v1/sync/runs/{run_result.id})\n"
        )
    verdict = {
        SyncRunStatus.APPLIED: "applied",
        SyncRunStatus.PARTIALLY_APPLIED: "applied except the refused records above",
        SyncRunStatus.REJECTED: "REJECTED: nothing was applied",
    }[run_result.status]
    out.write(f"sync run {run_result.id}: {verdict}\n")
    return 1 if run_result.status is SyncRunStatus.REJECTED else 0
