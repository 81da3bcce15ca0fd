"""What computing a release gives, whatever its subject: the areas compute, `app.releases.service`
stores. Kept apart from the service so an area can name it without importing the service."""

from __future__ import annotations

from collections import defaultdict
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


def differ_too_little(
    before: Iterable[list[Any]],
    after: Iterable[list[Any]],
    known: frozenset[str],
    min_people: int,
    min_n: int,
) -> bool:
    """Whether two bases of a cell (two revisions of it, or two cells pooling the same people) differ
    by some people the reader does not `know`, but by fewer than `min_people` of them or fewer than
    `min_n` items between them: read one after the other, the difference would single them out."""
    rest = {p: n for p, n in changed_people(before, after).items() if p not in known}
    return bool(rest) and (len(rest) < min_people or sum(rest.values()) < min_n)


def by_size(basis: dict[str, list[list[Any]]], keys: Iterable[str]) -> list[str]:
    """Cells in the order `overlapping` keeps them: the most people first, then the most items, then
    by key (so the bigger of two overlapping cells is the one shown, whoever reads)."""
    return sorted(
        keys,
        key=lambda k: (-len(basis.get(k, [])), -sum(int(e[1]) for e in basis.get(k, [])), k),
    )


def overlapping(
    basis: dict[str, list[list[Any]]],
    keys: Iterable[str],
    known: frozenset[str],
    min_people: int,
    min_n: int,
    shown_before: Iterable[list[list[Any]]] = (),
) -> set[str]:
    """Complementary suppression across the cells one release publishes (`keys`, shown so far, in the
    order to keep them): two cells that pool some of the same people (two measures of one school,
    two practices' coaching counts) difference to the people whose entries differ between them, on
    the people and their items only (`[person, items]`: the values of two cells are of different
    things). A cell is kept only if, against every cell kept before it, those people less the
    reader's `known` are none or at least `min_people` holding at least `min_n` items; the cells
    returned are the ones to hide. Cells with no person in common pass without comparing.
    `shown_before`: the bases of cells already shown elsewhere (other periods' releases), kept
    whatever they are, so a new cell is compared with them too (two overlapping periods)."""
    kept: list[list[list[Any]]] = []
    # Which kept cells hold each person: only cells sharing someone are compared.
    holding: dict[str, list[int]] = defaultdict(list)

    def keep(items: list[list[Any]]) -> None:
        for person, _ in items:
            holding[person].append(len(kept))
        kept.append(items)

    for entries in shown_before:
        keep([[e[0], e[1]] for e in entries])
    hidden: set[str] = set()
    for key in keys:
        items = [[e[0], e[1]] for e in basis.get(key, [])]
        others = sorted({i for person, _ in items for i in holding.get(person, ())})
        for i in others:
            if differ_too_little(kept[i], items, known, min_people, min_n):
                hidden.add(key)
                break
        else:
            keep(items)
    return hidden
