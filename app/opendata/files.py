"""The public files: CSV and JSON per table, the Data Package descriptor, and the HTML pages."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import Any

from app.opendata.models import OpenDataSetting
from app.opendata.service import TABLES
from app.tenancy.models import District

_LICENCES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def as_json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        [{k: _plain(v) for k, v in row.items()} for row in rows], ensure_ascii=False, indent=1
    ).encode()


# A spreadsheet takes a cell that begins with one of these for a formula, and runs it when the file is
# opened (CSV injection, in OWASP's words). What people said is published word for word, so a public
# file must not let anyone's words become a formula on a reader's machine.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: str) -> str:
    """A text cell as a spreadsheet shows it: one that would start a formula gets a leading apostrophe
    (OWASP's advice), which spreadsheets read as "this is text" and do not display."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if kind == "string" and isinstance(value, str):
        return _as_text(value)
    return value


def as_csv(table: str, rows: list[dict[str, Any]]) -> bytes:
    """The table as CSV. Text cells that a spreadsheet would run as a formula begin with an apostrophe;
    the JSON file of the same table keeps every text exactly as stored."""
    columns = TABLES[table][1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(_plain(row[c.name]), c.type) for c in columns])
    return out.getvalue().encode()


def datapackage(setting: OpenDataSetting, district: District, base_url: str) -> dict[str, Any]:
    """The Frictionless Data Package descriptor: one resource per table, with its schema."""
    licence: dict[str, str] = {"name": setting.licence}
    if setting.licence in _LICENCES:
        licence["path"] = _LICENCES[setting.licence]
    return {
        "name": f"triangle-{setting.slug}",
        "title": f"{district.name}: open data",
        "description": 'Published initiatives, plans, "you said, we did" and released figures.',
        "licenses": [licence],
        "sources": [
            {
                "title": f"{district.name}, via Triangle",
                "path": f"{base_url.rstrip('/')}/open-data/{setting.slug}/",
            }
        ],
        **({"contributors": [{"title": setting.contact, "role": "publisher"}]} if setting.contact else {}),
        "resources": [
            {
                "name": table.replace("_", "-"),
                "path": f"{table}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": description,
                "schema": {
                    "fields": [
                        {"name": c.name, "type": c.type, "description": c.description} for c in columns
                    ],
                    **({"primaryKey": ["id"]} if columns[0].name == "id" else {}),
                },
            }
            for table, (description, columns) in TABLES.items()
        ],
    }


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:48rem;margin:auto;padding:1rem;line-height:1.5}"
    "h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}li{margin:.5rem 0}"
    ".said{font-style:italic}.did{margin-left:1rem}small{color:#555}"
)
_OUTCOMES = {
    "open": "Not yet answered",
    "under_consideration": "Under consideration",
    "adopted": "Adopted",
    "adapted": "Adapted",
    "declined": "Declined",
    "deferred": "Deferred",
}


def _page(title: str, lang: str, languages: list[str], body: list[str]) -> bytes:
    alternates = "".join(
        f'<link rel="alternate" hreflang="{escape(code)}" href="?lang={escape(code)}">' for code in languages
    )
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{alternates}<style>{_STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    ).encode()


def _inputs(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["<p>No contributions published yet.</p>"]
    out = ["<ul>"]
    for row in rows:
        who = f" — {escape(row['contributor'])}" if row["contributor"] else ""
        did = escape(row["we_did"]) if row["we_did"] else "<small>No response yet.</small>"
        out.append(
            f'<li><div class="said">You said: “{escape(row["you_said"])}”{who}</div>'
            f'<div class="did"><strong>{_OUTCOMES.get(row["outcome"], escape(row["outcome"]))}.</strong> '
            f"We did: {did}</div><small>{escape(row['activity'])}, {escape(str(row['held_on']))}</small></li>"
        )
    out.append("</ul>")
    return out


def district_page(
    setting: OpenDataSetting, district: District, data: dict[str, list[dict[str, Any]]], lang: str
) -> bytes:
    """The district's "you said, we did": its published initiatives and what became of what people said."""
    body = [f"<h1>{escape(district.name)}: you said, we did</h1>", "<h2>Initiatives</h2><ul>"]
    for i in data["initiatives"]:
        body.append(
            f'<li><a href="initiatives/{i["id"]}">{escape(i["title"])}</a><br>{escape(i["public_value"])}</li>'
        )
    body.append("</ul><h2>What you said, and what we did</h2>")
    body += _inputs(data["you_said_we_did"])
    body.append(
        '<h2>Data</h2><p><a href="datapackage.json">Data Package</a> · '
        + " · ".join(f'<a href="{t}.csv">{t}.csv</a>' for t in TABLES)
        + f"</p><p><small>Licence: {escape(setting.licence)}</small></p>"
    )
    return _page(f"{district.name}: you said, we did", lang, setting.languages, body)


def initiative_page(
    setting: OpenDataSetting,
    district: District,
    data: dict[str, list[dict[str, Any]]],
    initiative_id: uuid.UUID,
    lang: str,
) -> bytes | None:
    """One published initiative: its public value, measures, plans and "you said, we did"."""
    found = [i for i in data["initiatives"] if i["id"] == initiative_id]
    if not found:
        return None
    initiative = found[0]
    plan_ids = {p["id"] for p in data["plans"] if p["initiative_id"] == initiative_id}
    body = [
        f'<p><a href="../">{escape(district.name)}</a></p><h1>{escape(initiative["title"])}</h1>',
        f"<p>{escape(initiative['public_value'])}</p>",
    ]
    measures = [x for x in data["indicators"] if x["initiative_id"] == initiative_id]
    if measures:
        body.append("<h2>How we measure it</h2><ul>")
        for x in measures:
            target = (
                f" — target {_plain(x['target_value'])} by {x['target_date']}"
                if x["target_value"] is not None
                else ""
            )
            body.append(f"<li>{escape(x['name'])} ({escape(x['unit'])}){escape(target)}</li>")
        body.append("</ul>")
    plans = [p for p in data["plans"] if p["id"] in plan_ids]
    if plans:
        body.append("<h2>Plans</h2><ul>")
        body += [
            f"<li>{escape(p['title'])} ({escape(p['cycle'])}, {escape(p['status'])})</li>" for p in plans
        ]
        body.append("</ul>")
    body.append("<h2>What you said, and what we did</h2>")
    body += _inputs(
        [
            r
            for r in data["you_said_we_did"]
            if r["initiative_id"] == initiative_id or r["plan_id"] in plan_ids
        ]
    )
    return _page(initiative["title"], lang, setting.languages, body)
