"""docs/scale-out.md names every table's Citus distribution key; tenant tables carry `district_id`.

A new table without `district_id` fails here until it gets the column or a documented reason."""

from __future__ import annotations

import re
from pathlib import Path

import app.models  # noqa: F401  (every table registered)
from app.core.models import metadata

DOC = Path(__file__).parent.parent / "docs" / "scale-out.md"
_ROW = re.compile(r"^\| `(?P<table>[a-z_]+)` \| (?P<key>.+) \|$", re.MULTILINE)


def _documented() -> dict[str, str]:
    return {m["table"]: m["key"] for m in _ROW.finditer(DOC.read_text())}


def test_every_table_is_documented() -> None:
    documented = _documented()
    assert sorted(documented) == sorted(metadata.tables), "add the table to docs/scale-out.md"


def test_tenant_tables_carry_district_id() -> None:
    for name, key in _documented().items():
        table = metadata.tables[name]
        if key == "`district_id`":
            assert "district_id" in table.c, f"{name} is documented as a tenant table but has no district_id"
            assert name == "audit_event" or not table.c.district_id.nullable, (
                f"{name}.district_id is nullable"
            )
            continue
        # The documented exceptions, each with its reason; nothing else may lack district_id.
        assert name in {
            "district",
            "login_throttle",
            "refresh_token",
            "grant_version",
            "known_sign_in_address",
            "open_data_rate",
            "idempotency_key",
        }, f"{name} lacks district_id: give it the column, or document why in docs/scale-out.md"
        assert len(key) > 20, f"{name}: say why it is not distributed on district_id"
