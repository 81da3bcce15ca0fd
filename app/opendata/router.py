"""The public open-data surface (no token) under `/open-data/{slug}/`, and the admins' switch for it."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.auth.principal import SYSTEM
from app.core.db import session_scope
from app.core.errors import NotFound
from app.core.problems import problem_responses
from app.core.rest import AreaRouter, Caller, Session, set_etag
from app.opendata import files, service
from app.opendata.models import OpenDataSetting
from app.opendata.schemas import OpenDataSettingPublic, OpenDataSettingUpdate

router = AreaRouter(tags=["open data"])
public = APIRouter(prefix="/open-data", tags=["open data"], responses=problem_responses(404, 429))

SlugPath = Annotated[str, Path(max_length=63, description="The district's public path, e.g. `riverside`.")]
Lang = Annotated[str | None, Query(max_length=35, description="A language the district publishes.")]


@router.get(
    "/open-data-settings",
    operation_id="getOpenDataSetting",
    response_model=OpenDataSettingPublic,
    responses=problem_responses(404),
)
async def get_setting(response: Response, session: Session, principal: Caller) -> OpenDataSetting:
    """Whether your district publishes open data, and where. 404 until it was ever set. District admins."""
    setting = await service.setting_of(session, principal)
    if setting is None:
        raise NotFound("Your district has not set up open data.")
    set_etag(response, setting.version)
    return setting


@router.put(
    "/open-data-settings",
    operation_id="setOpenDataSetting",
    response_model=OpenDataSettingPublic,
    responses=problem_responses(409),
)
async def set_setting(
    body: OpenDataSettingUpdate, response: Response, session: Session, principal: Caller
) -> OpenDataSetting:
    """Opt in to open data (or out): with `enabled`, what the district published (published
    initiatives and plans, "you said, we did" with consenting names, released behaviour figures) is
    readable by anyone at `/open-data/{slug}/`, as HTML, JSON, CSV and a Data Package. District admins."""
    setting = await service.set_setting(session, principal, body)
    set_etag(response, setting.version)
    return setting


async def _serve(
    request: Request, slug: str, kind: str, lang: str | None = None, item: uuid.UUID | None = None
) -> Response:
    settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    async with session_scope(request.app.state.session_factory, SYSTEM) as session:
        await service.check_rate(session, address, settings.open_data_requests_per_minute)
    async with session_scope(request.app.state.read_session_factory, SYSTEM) as session:
        setting, district = await service.published_district(session, slug)
        language = service.check_language(setting, lang)
        data = await service.tables(session, district.id)
    if kind == "page":
        body, media = files.district_page(setting, district, data, language), "text/html; charset=utf-8"
    elif kind == "initiative":
        page = files.initiative_page(setting, district, data, item, language)  # type: ignore[arg-type]
        if page is None:
            raise NotFound(f"No published initiative with id {item}.")
        body, media = page, "text/html; charset=utf-8"
    elif kind == "datapackage.json":
        descriptor = files.datapackage(setting, district, settings.public_base_url)
        body, media = json.dumps(descriptor, indent=1).encode(), "application/json"
    else:
        table, _, extension = kind.rpartition(".")
        if table not in service.TABLES or extension not in ("json", "csv"):
            raise NotFound(f"No file {kind!r}: see datapackage.json for the tables.")
        if extension == "json":
            body, media = files.as_json(data[table]), "application/json"
        else:
            body, media = files.as_csv(table, data[table]), "text/csv; charset=utf-8"
    etag = service.etag(body)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.open_data_max_age_seconds}",
        "Vary": "Accept-Encoding",
        "Content-Language": language,
        "Access-Control-Allow-Origin": "*",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


@public.get("/{slug}/", operation_id="openDataPage", response_class=Response)
async def district_page(request: Request, slug: SlugPath, lang: Lang = None) -> Response:
    """The district's "you said, we did" page (HTML): its published initiatives and what became of
    what people said. No token. Carries `ETag` (send `If-None-Match` for a 304) and `Cache-Control`."""
    return await _serve(request, slug, "page", lang)


@public.get(
    "/{slug}/initiatives/{initiative_id}", operation_id="openDataInitiativePage", response_class=Response
)
async def initiative_page(
    request: Request, slug: SlugPath, initiative_id: uuid.UUID, lang: Lang = None
) -> Response:
    """One published initiative's page (HTML): public value, measures, plans, "you said, we did"."""
    return await _serve(request, slug, "initiative", lang, initiative_id)


@public.get("/{slug}/{file}", operation_id="openDataFile", response_class=Response)
async def data_file(
    request: Request,
    slug: SlugPath,
    file: Annotated[
        str, Path(max_length=64, description="`datapackage.json`, or `{table}.json` / `{table}.csv`.")
    ],
) -> Response:
    """The open data as files: `datapackage.json` (a Frictionless Data Package naming every table,
    its schema, licence and source) and each table as `{table}.csv` or `{table}.json`. No token."""
    return await _serve(request, slug, file)
