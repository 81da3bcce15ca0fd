"""What computing a release gives, whatever its subject: the areas compute, `app.releases.service`
stores. Kept apart from the service so an area can name it without importing the service."""

from __future__ import annotations

from collections.abc import Iterable
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


def changed_people(before: Iterable[list[Any]], after: Iterable[list[Any]]) -> dict[str, int]:
    """The people whose entry differs between two revisions' basis of one cell (added, removed or
    changed; an entry `[person, items, ...]`), each with the larger of their item counts: the two
    revisions read one after the other are these people's difference. An entry of an older release
    that kept less is compared on what both kept."""
    old = {entry[0]: entry[1:] for entry in before}
    new = {entry[0]: entry[1:] for entry in after}
    changed: dict[str, int] = {}
    for person in old.keys() | new.keys():
        a, b = old.get(person), new.get(person)
        common = min(len(a), len(b)) if a is not None and b is not None else 0
        if a is None or b is None or a[:common] != b[:common]:
            changed[person] = max(int(a[0]) if a else 0, int(b[0]) if b else 0)
    return changed
