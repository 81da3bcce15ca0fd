"""What computing a release gives, whatever its subject: the areas compute, `app.releases.service`
stores. Kept apart from the service so an area can name it without importing the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ComputedRelease:
    """The published cells (`tables`), whose records each cell was drawn from (`basis`, for the
    per-reader check that a reader cannot subtract what they already know), the suppression audit's
    verdict, and how many records it covers."""

    tables: dict[str, Any]
    basis: dict[str, Any]
    audit: dict[str, Any]
    items: int
