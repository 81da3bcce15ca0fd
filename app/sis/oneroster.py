"""Reading a OneRoster 1.2 CSV bundle: a zip with `manifest.csv` and one CSV file per kind of record.

The bundle is read as a stream: each CSV file is decoded and parsed row by row and handed to the bulk
writer in chunks, so memory stays flat however large the district. What the importer keeps between
chunks lives in temporary tables of the import's own transaction (the sourcedIds seen so far, for
duplicates and for archiving; the roles of `roles.csv`), not in Python.

Files read, in this order (a file's references must exist before it): `orgs.csv` (type `school`),
`roles.csv` (who is a student, teacher, administrator or aide, and where), `users.csv`, `classes.csv`,
`enrollments.csv`, and two Triangle extensions: `referrals.csv` and `tierAssignments.csv` (named in the
manifest as `file.referrals` and `file.tierAssignments`). Other files of the binding (courses,
academic sessions, demographics, …) are allowed and not read.

Defences, each a clear problem rather than a 500: a file that is not a zip, too many members, a
member that inflates past the size limit or more than `MAX_RATIO` times its compressed size (a zip
bomb), a damaged member (bad CRC, broken deflate stream), a missing manifest or file, an unknown mode,
text that is not UTF-8, a header that lacks a required column.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import itertools
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import asyncpg

from app.sis.bulk import (
    DIGESTS_DDL,
    DIGESTS_TABLE,
    MAX_KEPT_ERRORS,
    REFERENCE_KIND,
    TABLES,
    BulkWriter,
    Counts,
    NotWritten,
    Prepared,
    RowError,
    Validated,
    end_dependants,
    has_hashes_sql,
    match_sql,
    missing_sql,
    validate,
    without_rows,
)
from app.sis.schemas import SyncEntity

# Zip-bomb and abuse limits. CSV text compresses about 5–20×; a ratio past 100 is not a roster.
MAX_MEMBERS = 64
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_TOTAL_BYTES = 8 * 1024**3
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024**2
# Records per chunk handed to the bulk writer: large enough that the few statements a chunk costs are
# spread thin, small enough that memory stays a few MiB whatever the bundle's size.
CHUNK_ROWS = 20_000
# csv's own limit on one field; a SIS field is never near it.
csv.field_size_limit(1024**2)

Progress = Callable[[str, int, int, int], None]


class BundleError(Exception):
    """The bundle as a whole cannot be read: nothing of it is applied."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None, code: str) -> None:
        super().__init__(message)
        self.error = RowError(row=row, field=None, message=message, code=code, file=file)


@dataclass(frozen=True, slots=True)
class FileSpec:
    key: str  # the manifest's `file.<key>`
    required: tuple[str, ...]
    entity: SyncEntity | None  # None: users (students and staff)

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"


FILES = (
    FileSpec("orgs", ("sourcedId", "name", "type"), SyncEntity.SCHOOLS),
    FileSpec("users", ("sourcedId", "givenName", "familyName"), None),
    FileSpec("classes", ("sourcedId", "title", "schoolSourcedId"), SyncEntity.CLASSES),
    FileSpec("enrollments", ("sourcedId", "classSourcedId", "userSourcedId", "role"), SyncEntity.ENROLLMENTS),
    FileSpec(
        "referrals",
        ("sourcedId", "studentSourcedId", "schoolSourcedId", "date", "category", "severity"),
        SyncEntity.REFERRALS,
    ),
    FileSpec(
        "tierAssignments",
        ("sourcedId", "studentSourcedId", "domain", "tier", "effectiveFrom"),
        SyncEntity.TIER_ASSIGNMENTS,
    ),
)
ROLES = FileSpec("roles", ("userSourcedId", "role"), None)
ROSTER_FILES = frozenset({"orgs", "users", "classes", "enrollments"})
BEHAVIOR_FILES = frozenset({"referrals", "tierAssignments"})
MODES = frozenset({"bulk", "delta", "absent"})

# OneRoster roles -> what the service keeps (family and other roles are not synced).
STAFF_ROLES = {
    "teacher": "teacher",
    "aide": "aide",
    "administrator": "administrator",
    "principal": "administrator",
    "siteAdministrator": "administrator",
    "districtAdministrator": "administrator",
    "systemAdministrator": "administrator",
}


@dataclass
class Manifest:
    version: str
    modes: dict[str, str]  # file key -> bulk | delta (absent files left out)


@dataclass
class ImportResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    # (file, row) of a refused record -> how many records were skipped because they depend on it.
    dependents: dict[tuple[str | None, int | None], int] = field(default_factory=dict)

    def refuse(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def skip(self, skipped: list[tuple[str, str | None, int | None]]) -> None:
        for _, file, row in skipped:
            self.dependents[file, row] = self.dependents.get((file, row), 0) + 1

    def finish(self) -> None:
        """Tell each kept root cause how many records it took down with it."""
        for error in self.errors:
            error.dependents = self.dependents.get((error.file, error.row), 0)


# --- the zip -----------------------------------------------------------------------------------------


def open_bundle(stream: IO[bytes]) -> zipfile.ZipFile:
    """The zip, once its directory passes the size, count and ratio limits."""
    try:
        bundle = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError("The upload is not a zip file.", code="not_a_zip") from exc
    members = bundle.infolist()
    if len(members) > MAX_MEMBERS:
        raise BundleError(
            f"The zip holds {len(members)} files; at most {MAX_MEMBERS} are read.", code="too_many_files"
        )
    total = 0
    for info in members:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise BundleError(
                "Encrypted zip members are not supported.", file=info.filename, code="encrypted"
            )
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise BundleError(
                f"{info.filename} inflates to {info.file_size:,} bytes, past the limit: refused as a zip bomb.",
                file=info.filename,
                code="zip_bomb",
            )
        if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleError(
                f"{info.filename} inflates {info.file_size // max(info.compress_size, 1):,} times its "
                f"compressed size (at most {MAX_RATIO}): refused as a zip bomb.",
                file=info.filename,
                code="zip_bomb",
            )
    return bundle


class _CountingReader(io.RawIOBase):
    """Counts the bytes a member yields (for progress); zipfile already stops at the declared size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _member(bundle: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """A member by name, at the top of the zip or in one folder (zips made from a folder)."""
    for info in bundle.infolist():
        if info.filename == name or (
            info.filename.rsplit("/", 1)[-1] == name and info.filename.count("/") <= 1
        ):
            return info
    return None


@dataclass
class CsvFile:
    """A CSV member opened for streaming: its header and an iterator of (line, {column: value})."""

    name: str
    columns: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    reader: _CountingReader
    size: int


def open_csv(bundle: zipfile.ZipFile, name: str, required: tuple[str, ...]) -> CsvFile:
    info = _member(bundle, name)
    if info is None:
        raise BundleError(
            f"The manifest lists {name}, but the zip has no such file.", file=name, code="missing_file"
        )
    counting = _CountingReader(bundle.open(info))
    text = io.TextIOWrapper(
        io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig", errors="strict", newline=""
    )
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except UNREADABLE as exc:
        raise _unreadable(name, 1, exc) from exc
    if header is None:
        raise BundleError(
            f"{name} is empty: it needs at least a header row.", file=name, row=1, code="missing_header"
        )
    columns = [c.strip() for c in header]
    lacking = [c for c in required if c not in columns]
    if lacking:
        raise BundleError(
            f"{name} lacks required column(s): {', '.join(lacking)}.",
            file=name,
            row=1,
            code="missing_columns",
        )

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        width = len(columns)
        try:
            for values in reader:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line
                if len(values) != width:
                    yield reader.line_num, {"__width__": f"{len(values)} fields where the header has {width}"}
                    continue
                yield reader.line_num, dict(zip(columns, values, strict=True))
        except UNREADABLE as exc:
            raise _unreadable(name, reader.line_num + 1, exc) from exc

    return CsvFile(name, columns, rows(), counting, info.file_size)


# What reading a member can raise: text that is not UTF-8, CSV that is not CSV, and a damaged member
# (zipfile's "Bad CRC-32" once the data does not match its checksum, zlib's error for a damaged deflate
# stream, EOFError for a truncated one).
UNREADABLE = (UnicodeDecodeError, csv.Error, zipfile.BadZipFile, zlib.error, EOFError)


def _unreadable(name: str, line: int, exc: Exception) -> BundleError:
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return BundleError(
            f"{name} is damaged in the zip (near line {line}: {exc}); make the zip again from the SIS "
            "export.",
            file=name,
            row=line,
            code="corrupt_file",
        )
    if isinstance(exc, UnicodeDecodeError):
        return BundleError(
            f"{name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} near line {line}); "
            "OneRoster CSV files must be UTF-8.",
            file=name,
            row=line,
            code="wrong_encoding",
        )
    return BundleError(
        f"{name} is not valid CSV near line {line}: {exc}.", file=name, row=line, code="invalid_csv"
    )


def read_manifest(bundle: zipfile.ZipFile) -> Manifest:
    """`manifest.csv`: `propertyName,value` rows naming the OneRoster version and each file's mode."""
    manifest = open_csv(bundle, "manifest.csv", ("propertyName", "value"))
    properties: dict[str, str] = {}
    for _, row in manifest.rows:
        if "__width__" in row:
            continue
        properties[row["propertyName"].strip()] = row["value"].strip()
    version = properties.get("oneroster.version", "")
    if version not in {"1.1", "1.2"}:
        raise BundleError(
            f"manifest.csv names oneroster.version {version!r}; this service reads 1.2 (and 1.1).",
            file="manifest.csv",
            code="unsupported_version",
        )
    modes: dict[str, str] = {}
    for spec in (*FILES, ROLES):
        mode = properties.get(f"file.{spec.key}", "absent")
        if mode not in MODES:
            raise BundleError(
                f"manifest.csv: file.{spec.key} is {mode!r}; use bulk, delta or absent.",
                file="manifest.csv",
                code="invalid_mode",
            )
        if mode != "absent":
            modes[spec.key] = mode
    if not modes.keys() & {spec.key for spec in FILES}:
        raise BundleError(
            "manifest.csv names no file to import.", file="manifest.csv", code="nothing_to_import"
        )
    return Manifest(version, modes)


# --- rows -> records ---------------------------------------------------------------------------------


def _record(row: dict[str, str], mapping: dict[str, str]) -> dict[str, Any]:
    """The CSV row as a sync record (OneRoster field names), empty cells left out."""
    record: dict[str, Any] = {}
    for column, name in mapping.items():
        value = row.get(column)
        if value:  # most optional cells are empty: no strip for them
            value = value.strip()
            if value:
                record[name] = value
    return record


_COMMON = {"sourcedId": "sourcedId", "status": "status", "dateLastModified": "dateLastModified"}
MAPPINGS: dict[str, dict[str, str]] = {
    "orgs": {**_COMMON, "name": "name"},
    "classes": {**_COMMON, "title": "title", "schoolSourcedId": "school", "classCode": "classCode"},
    "enrollments": {
        **_COMMON,
        "classSourcedId": "class",
        "userSourcedId": "user",
        "role": "role",
        "primary": "primary",
        "beginDate": "beginDate",
        "endDate": "endDate",
    },
    "referrals": {
        **_COMMON,
        "studentSourcedId": "student",
        "schoolSourcedId": "school",
        "staffSourcedId": "staff",
        "date": "date",
        "category": "category",
        "severity": "severity",
    },
    "tierAssignments": {
        **_COMMON,
        "studentSourcedId": "student",
        "domain": "domain",
        "tier": "tier",
        "effectiveFrom": "effectiveFrom",
        "effectiveTo": "effectiveTo",
    },
}


# Part of every digest: bump it when what a CSV record becomes changes (the mappings, the checks, the
# staged columns), so digests stored by an older version match nothing and every line is read in full
# once more.
DIGEST_VERSION = "1"


def record_digest(entity: SyncEntity, record: dict[str, Any]) -> bytes:
    """A digest of the record a CSV line maps to (a dict of strings, in the mapping's order; its repr
    is unambiguous). Stored with the row the record writes (`sis_hash`): a later line with the same
    digest maps to the same record, so it is known unchanged without being validated or staged."""
    text = f"{DIGEST_VERSION}|{entity.value}|{record!r}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _first(value: str | None) -> str | None:
    """The first of a OneRoster list field (`grades`, `orgSourcedIds`: comma-separated)."""
    if not value:
        return None
    head = value.split(",")[0].strip()
    return head or None


# --- the import --------------------------------------------------------------------------------------


def _take(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> list[tuple[int, dict[str, str]]]:
    return list(itertools.islice(rows, size))


async def next_chunk(rows: Iterator[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """The next `CHUNK_ROWS` rows of a CSV file (empty at its end). Inflating and parsing them is CPU
    work with no I/O, done in a worker thread so the event loop keeps serving other requests (a bundle
    of nothing but malformed lines never reaches the database, so it would otherwise never yield)."""
    return await asyncio.to_thread(_take, rows, CHUNK_ROWS)


@dataclass(slots=True)
class Chunk:
    """The next `CHUNK_ROWS` lines of a file, read, mapped and validated: all the Python work on them
    that needs no database, done in the thread that reads ahead."""

    lines: int
    width_errors: list[RowError]
    # users.csv: the rows, to be split by role (that needs roles.csv, in the database).
    rows: list[tuple[int, dict[str, str]]]
    # Every other file: its records, validated (unless the reader was told most lines will turn out
    # unchanged by their digests: then only the others are validated, once they are known).
    validated: dict[SyncEntity, Validated]
    # orgs.csv: the sourcedIds of orgs that are not schools.
    other_orgs: list[str]
    # Every other file: its records (line, record) and, for tables that keep digests, each one's digest.
    records: dict[SyncEntity, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    digests: dict[SyncEntity, list[bytes]] = field(default_factory=dict)


def _read_chunk(
    spec: FileSpec, rows: Iterator[tuple[int, dict[str, str]]], validate_ahead: bool = True
) -> Chunk:
    chunk = _take(rows, CHUNK_ROWS)
    width_errors = [
        RowError(line, None, f"The line has {row['__width__']}.", "wrong_field_count", None, spec.filename)
        for line, row in chunk
        if "__width__" in row
    ]
    good = [(line, row) for line, row in chunk if "__width__" not in row] if width_errors else chunk
    if spec.key == "users":
        return Chunk(len(chunk), width_errors, good, {}, [])
    other_orgs: list[str] = []
    if spec.key == "orgs":
        # Only schools: the district itself and other kinds of org are not synced.
        schools = [(line, row) for line, row in good if row.get("type", "").strip() == "school"]
        other_orgs = [
            row.get("sourcedId", "").strip() for _, row in good if row.get("type", "").strip() != "school"
        ]
        entity, records = (
            SyncEntity.SCHOOLS,
            [(line, _record(row, MAPPINGS["orgs"])) for line, row in schools],
        )
    else:
        entity = spec.entity  # type: ignore[assignment]  (set for every file but users)
        records = [(line, _record(row, MAPPINGS[spec.key])) for line, row in good]
    digests = {}
    if TABLES[entity].hashed:
        digests[entity] = [record_digest(entity, record) for _, record in records]
    validated = (
        {entity: validate(entity, records, file=spec.filename, csv_records=True)} if validate_ahead else {}
    )
    return Chunk(len(chunk), width_errors, [], validated, other_orgs, {entity: records}, digests)


async def read_chunk(
    spec: FileSpec, rows: Iterator[tuple[int, dict[str, str]]], validate_ahead: bool = True
) -> Chunk:
    """`_read_chunk` in a worker thread (see `next_chunk`)."""
    return await asyncio.to_thread(_read_chunk, spec, rows, validate_ahead)


class BundleImport:
    """One bundle into one district, on the writer's connection, inside a transaction it does not own.

    `run` writes as it reads. The caller wraps it in a savepoint and rolls the savepoint back when the
    result has errors and the caller did not ask for partial application.
    """

    def __init__(
        self,
        writer: BulkWriter,
        bundle: zipfile.ZipFile,
        manifest: Manifest,
        *,
        partial: bool,
        archive_missing: bool,
        progress: Progress | None = None,
    ) -> None:
        self.writer = writer
        self.connection: asyncpg.Connection = writer.connection
        self.bundle = bundle
        self.manifest = manifest
        self.partial = partial
        self.archive_missing = archive_missing
        self.progress = progress
        self.result = ImportResult()
        self._suffix = uuid.uuid4().hex[:12]
        self._roles_table: str | None = None
        self.not_written = NotWritten(self.connection, self._suffix)
        # sourcedIds of orgs.csv rows that are not schools (the district, …): few, kept here.
        self._non_school_orgs: set[str] = set()
        self.not_kept = 0
        # entity -> whether the district has rows with digests at all (asked once per import).
        self._has_digests: dict[SyncEntity, bool] = {}
        # Whether most lines of the file's last chunk were known unchanged by their digests: then the
        # reader stops validating ahead (it would validate lines that turn out not to need it).
        self._mostly_unchanged = False

    def _school_of(self, org_sourced_ids: str | None) -> str | None:
        """The school among a user's `orgSourcedIds` (a comma-separated list that may name the district
        too): the first that orgs.csv did not call something else."""
        for org in (org_sourced_ids or "").split(","):
            if org.strip() and org.strip() not in self._non_school_orgs:
                return org.strip()
        return None

    @property
    def failed(self) -> bool:
        return self.result.error_count > 0 and not self.partial

    async def run(self) -> ImportResult:
        if "roles" in self.manifest.modes and "users" in self.manifest.modes:
            await self._load_roles()
        for spec in FILES:
            mode = self.manifest.modes.get(spec.key)
            if mode is None:
                continue
            counts = Counts(mode=mode, skipped=0)
            self.result.counts[spec.key] = counts
            await self._import_file(spec, mode, counts)
        self.result.finish()
        return self.result

    async def _import_file(self, spec: FileSpec, mode: str, counts: Counts) -> None:
        csv_file = open_csv(self.bundle, spec.filename, spec.required)
        if spec.key == "users" and "role" not in csv_file.columns and self._roles_table is None:
            raise BundleError(
                "users.csv has no role column, so roles.csv is needed (file.roles in the manifest).",
                file="users.csv",
                code="missing_roles",
            )
        seen = f"seen_{spec.key.lower()}_{self._suffix}"
        await self.connection.execute(f"CREATE TEMP TABLE {seen} (sourced_id text) ON COMMIT DROP")
        done = 0
        self._mostly_unchanged = False
        # The next chunk is read, parsed and validated (in a worker thread) while the database takes
        # this one: the import takes about the longer of the two, not their sum. Two chunks in memory
        # at most.
        ahead = asyncio.ensure_future(read_chunk(spec, csv_file.rows))
        try:
            while (chunk := await ahead).lines:
                ahead = asyncio.ensure_future(
                    read_chunk(spec, csv_file.rows, validate_ahead=not self._mostly_unchanged)
                )
                await self._chunk(spec, chunk, counts, seen)
                done += chunk.lines
                if self.progress and chunk.lines == CHUNK_ROWS:
                    self.progress(spec.filename, done, csv_file.reader.count, csv_file.size)
        finally:
            # Leaving early (a refused bundle, a rolled-back attempt): let the read in flight finish
            # and drop it, so no thread reads the member after the import has moved on.
            if not ahead.done():
                with contextlib.suppress(Exception):
                    await ahead
            elif not ahead.cancelled():
                ahead.exception()
        if self.progress:
            self.progress(spec.filename, done, csv_file.size, csv_file.size)
        if mode == "bulk":
            # The seen-table gets its index only now, built once (kept up row by row it cost more than
            # the duplicate checks it would serve): the anti-join below needs it whatever the planner
            # believes of the real table (whose statistics may predate the import).
            await self.connection.execute(f"CREATE INDEX ON {seen} (sourced_id)")
            await self.connection.execute(f"ANALYZE {seen}")
            await self._missing(spec, counts, seen)

    async def _chunk(self, spec: FileSpec, chunk: Chunk, counts: Counts, seen: str) -> None:
        if chunk.width_errors:
            counts.received += len(chunk.width_errors)
            counts.rejected += len(chunk.width_errors)
            self.result.refuse(chunk.width_errors)
        groups: dict[SyncEntity, list[tuple[int, Any]]] = {}
        if spec.key == "users":
            self.not_kept = 0
            groups, role_errors = await self._users(chunk.rows, spec.filename)
            counts.received += self.not_kept
            counts.skipped = (counts.skipped or 0) + self.not_kept
            if role_errors:
                counts.received += len(role_errors)
                counts.rejected += len(role_errors)
                self.result.refuse(role_errors)
                roots = [(e.sourced_id, e.file, e.row) for e in role_errors if e.sourced_id]
                await self.not_written.add("student", roots)
                await self.not_written.add("staff", roots)
        if chunk.other_orgs:
            self._non_school_orgs.update(chunk.other_orgs)
            counts.received += len(chunk.other_orgs)
            counts.skipped = (counts.skipped or 0) + len(chunk.other_orgs)
        digests = dict(chunk.digests)
        if SyncEntity.STUDENTS in groups:
            digests[SyncEntity.STUDENTS] = [
                record_digest(SyncEntity.STUDENTS, record) for _, record in groups[SyncEntity.STUDENTS]
            ]
        lines = unchanged = 0
        for entity in [*groups, *chunk.records]:
            records = groups[entity] if entity in groups else chunk.records[entity]
            validated = chunk.validated.get(entity)
            known_rows: set[int] = set()
            hashes: dict[int, bytes] | None = None
            if entity in digests:
                hashes = {line: digest for (line, _), digest in zip(records, digests[entity], strict=True)}
                known_rows, known_ids = await self._unchanged(entity, records, digests[entity], seen)
                lines += len(records)
                unchanged += len(known_rows)
                if known_rows:
                    counts.received += len(known_rows)
                    if not self.failed:
                        counts.unchanged += len(known_rows)
                    records = [(line, record) for line, record in records if line not in known_rows]
                    if validated is not None:
                        validated = without_rows(validated, known_rows, known_ids)
            if entity not in groups and validated is None:
                validated = await asyncio.to_thread(
                    validate, entity, records, file=spec.filename, csv_records=True
                )
            if not records and (validated is None or not validated.received):
                continue
            prepared = await self.writer.prepare(
                entity,
                records if entity in groups else (),
                file=spec.filename,
                seen_table=seen,
                not_written=self.not_written,
                csv_records=True,
                validated=validated,
                hashes=hashes,
            )
            self.result.refuse(prepared.errors)
            self.result.skip(prepared.skipped)
            await self._remember_not_written(prepared)
            await self._write(prepared, counts)
        self._mostly_unchanged = lines > 0 and unchanged * 2 >= lines

    async def _unchanged(
        self, entity: SyncEntity, records: list[tuple[int, dict[str, Any]]], digests: list[bytes], seen: str
    ) -> tuple[set[int], set[str]]:
        """The lines (and their sourcedIds) known unchanged by their digest (see `match_sql`): active
        records whose sourcedId is not repeated in the chunk. Remembered in the seen-table there."""
        if not records:
            return set(), set()
        if entity not in self._has_digests:
            self._has_digests[entity] = await self.connection.fetchval(
                has_hashes_sql(entity), self.writer.district_id
            )
        if not self._has_digests[entity]:
            return set(), set()
        repeated = Counter(record.get("sourcedId") for _, record in records)
        lines: dict[str, int] = {}
        ids: list[str] = []
        hashes: list[bytes] = []
        for (line, record), digest in zip(records, digests, strict=True):
            sourced_id = record.get("sourcedId")
            if sourced_id is None or repeated[sourced_id] > 1 or record.get("status", "active") != "active":
                continue
            lines[sourced_id] = line
            ids.append(sourced_id)
            hashes.append(digest)
        if not ids:
            return set(), set()
        await self.connection.execute(DIGESTS_DDL)
        await self.connection.execute(f"TRUNCATE {DIGESTS_TABLE}")
        await self.connection.copy_records_to_table(DIGESTS_TABLE, records=zip(ids, hashes, strict=True))
        await self.connection.execute(f"ANALYZE {DIGESTS_TABLE}")
        found = {r[0] for r in await self.connection.fetch(match_sql(entity, seen), self.writer.district_id)}
        return {lines[sourced_id] for sourced_id in found}, found

    async def _remember_not_written(self, prepared: Prepared) -> None:
        """What of this chunk later files may point at but will not find: its refused and skipped
        records (with their root cause), and, once the import is failing, its valid records too."""
        kind = REFERENCE_KIND.get(prepared.entity)
        if kind is None:
            return
        roots: dict[str, tuple[str, str | None, int | None]] = {}
        for error in prepared.errors:
            if error.sourced_id is not None and error.sourced_id not in roots:
                roots[error.sourced_id] = (error.sourced_id, error.file, error.row)
        held = prepared.held + (prepared.upsert_ids if self.failed else [])
        await self.not_written.add(
            kind, [*roots.values(), *prepared.skipped, *((sid, None, None) for sid in held)]
        )

    async def _write(self, prepared: Prepared, counts: Counts) -> None:
        if self.failed:
            # Nothing of this import will be kept: go on only to report every invalid record.
            counts.received += prepared.received
            counts.rejected += prepared.rejected_rows
            counts.skipped = (counts.skipped or 0) + len(prepared.skipped)
            return
        counts.add(await self.writer.write(prepared))

    async def _missing(self, spec: FileSpec, counts: Counts, seen: str) -> None:
        entities = [SyncEntity.STUDENTS, SyncEntity.STAFF] if spec.entity is None else [spec.entity]
        # A refused line may be a record the SIS still has: never archive from a file with refused lines.
        archive = self.archive_missing and not self.failed and counts.rejected == 0
        missing = 0
        for entity in entities:
            query = missing_sql(entity, seen, archive=archive)
            if not archive:
                missing += await self.connection.fetchval(query, self.writer.district_id)
                continue
            gone = [r["id"] for r in await self.connection.fetch(query, self.writer.district_id)]
            missing += len(gone)
            await end_dependants(self.connection, self.writer.district_id, entity, gone)
        counts.missing = missing
        if archive:
            counts.deleted += missing

    # users.csv: students and staff, by role

    async def _load_roles(self) -> None:
        """roles.csv into a temporary table: user -> role and org, primary roles first."""
        self._roles_table = f"roles_{self._suffix}"
        await self.connection.execute(
            f"CREATE TEMP TABLE {self._roles_table} "
            "(user_sourced_id text, role text, org_sourced_id text, is_primary bool) ON COMMIT DROP"
        )
        csv_file = open_csv(self.bundle, ROLES.filename, ROLES.required)
        while chunk := await next_chunk(csv_file.rows):
            batch = [
                (
                    row["userSourcedId"].strip(),
                    row["role"].strip(),
                    (row.get("orgSourcedId") or "").strip() or None,
                    (row.get("roleType") or "").strip() == "primary",
                )
                for _, row in chunk
                if "__width__" not in row and row.get("status", "").strip() != "tobedeleted"
            ]
            if batch:
                await self.connection.copy_records_to_table(self._roles_table, records=batch)
        await self.connection.execute(f"CREATE INDEX ON {self._roles_table} (user_sourced_id)")
        # Statistics, so the lookups of each users.csv chunk use the index (a temporary table has none).
        await self.connection.execute(f"ANALYZE {self._roles_table}")

    async def _users(
        self, rows: list[tuple[int, dict[str, str]]], filename: str
    ) -> tuple[dict[SyncEntity, list[tuple[int, Any]]], list[RowError]]:
        """The chunk's users split into students and staff by their role; users with no role at all are
        refused (family members and other roles are skipped: the service keeps no record of them)."""
        roles: dict[str, tuple[str, str | None]] = {}
        if self._roles_table is not None:
            found = await self.connection.fetch(
                f"SELECT DISTINCT ON (user_sourced_id) user_sourced_id, role, org_sourced_id "  # noqa: S608
                f"FROM {self._roles_table} WHERE user_sourced_id = ANY($1::text[]) "
                "ORDER BY user_sourced_id, is_primary DESC",
                [row.get("sourcedId", "").strip() for _, row in rows],
            )
            roles = {r["user_sourced_id"]: (r["role"], r["org_sourced_id"]) for r in found}
        students: list[tuple[int, Any]] = []
        staff: list[tuple[int, Any]] = []
        unknown_deletions: list[tuple[int, dict[str, Any]]] = []
        errors: list[RowError] = []
        for line, row in rows:
            sourced_id = row.get("sourcedId", "").strip()
            role, org = roles.get(sourced_id, (None, None))
            if "role" in row and row["role"].strip():
                role, org = row["role"].strip(), self._school_of(row.get("orgSourcedIds"))
            base = _record(row, _COMMON)
            if role is None and base.get("status") == "tobedeleted":
                unknown_deletions.append((line, base))
            elif role == "student":
                # Names and contact details are never read for students.
                # OneRoster 1.2's CSV binding names the column primaryOrgSourcedId; some exports
                # write primaryOrg (the REST binding's name).
                primary = row.get("primaryOrgSourcedId") or row.get("primaryOrg") or ""
                student = {**base, "school": primary.strip() or org}
                student["grade"] = _first(row.get("grades"))
                students.append((line, {k: v for k, v in student.items() if v is not None}))
            elif role in STAFF_ROLES:
                staff.append(
                    (
                        line,
                        {
                            **base,
                            **_record(
                                row, {"givenName": "givenName", "familyName": "familyName", "email": "email"}
                            ),
                            "role": STAFF_ROLES[role],
                        },
                    )
                )
            elif role is not None:
                self.not_kept += 1  # parents, guardians, relatives, …: the service keeps no record
            else:
                errors.append(
                    RowError(
                        line,
                        "role",
                        "No role for this user (roles.csv or a role column).",
                        "unknown_role",
                        sourced_id or None,
                        filename,
                    )
                )
        if unknown_deletions:
            known = await self.connection.fetch(
                "SELECT sourced_id FROM student WHERE district_id = $1 AND sourced_id = ANY($2::text[])",
                self.writer.district_id,
                [r["sourcedId"] for _, r in unknown_deletions if "sourcedId" in r],
            )
            are_students = {r["sourced_id"] for r in known}
            for line, record in unknown_deletions:
                (students if record.get("sourcedId") in are_students else staff).append((line, record))
        return {SyncEntity.STUDENTS: students, SyncEntity.STAFF: staff}, errors
