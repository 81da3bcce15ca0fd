"""Small-cell suppression: no published figure may describe, or give away, fewer students than the
district's minimum n.

Two rules, applied to a table of cells and the partitions that tie them to published totals:

1. *Primary*: a cell describing fewer than `min_n` students is suppressed (zero included: "no student
   at this school is at tier 3" is a statement about a group too small to show).
2. *Complementary*: where the members of a partition add up to a published total, the suppressed
   members must not be recoverable by subtraction. So if any member is suppressed, at least two must
   be, and together they must describe at least `min_n` students; otherwise the smallest published
   member is suppressed too. Repeated until nothing changes, because hiding a cell in one partition
   (a row) can expose it in another (a column).

The same rules run on the whole district whoever asks, so two people with different views never see
two different suppression patterns that could be combined.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(slots=True)
class Figure:
    """A figure before publication: its value, how many students it describes, whether it is hidden."""

    value: float
    n: int
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class Partition:
    """Cells that add up to `total` (the total itself a cell of the same table)."""

    members: tuple[Hashable, ...]
    total: Hashable


def suppress(cells: dict[Hashable, Figure], partitions: Iterable[Partition], min_n: int) -> None:
    """Mark the cells to suppress, in place. Cells already marked stay suppressed."""
    for cell in cells.values():
        if cell.n < min_n:
            cell.suppressed = True
    partitions = [p for p in partitions if len(p.members) > 1]
    changed = True
    while changed:
        changed = False
        for partition in partitions:
            if cells[partition.total].suppressed:
                continue
            members = [cells[key] for key in partition.members]
            hidden = [c for c in members if c.suppressed]
            if not hidden:
                continue
            shown = [c for c in members if not c.suppressed]
            if not shown:
                continue
            if len(hidden) >= 2 and sum(c.n for c in hidden) >= min_n:
                continue
            min(shown, key=lambda c: (c.value, c.n)).suppressed = True
            changed = True
