"""Small-cell suppression over a whole system of tables, checked by an interval audit.

A release publishes many tables drawn from the same population (school rows, district totals, grades,
categories, teachers). A reader holds all of them at once, so suppression runs over all of them at once.
Three steps, repeated until nothing changes:

1. *Primary*: a cell describing fewer than `min_n` students is suppressed (zero included: "no student
   at this school is at tier 3" is a statement about a group too small to show).
2. *Complementary*: in every additive relation (members adding up to a total), a lone hidden cell is
   the total minus the others, so at least two cells of a relation are hidden or none; where the total
   is shown, the hidden members must together describe at least `min_n` students. A relation whose
   total is itself hidden is not skipped: its shown members and another relation that pins the total
   would give its hidden member back.
3. *Audit*: for every suppressed cell, the smallest and largest value it can take given every published
   cell, every relation and every bound (a teacher's referrals are at most the school's), found by
   linear programming (HiGHS, through `scipy.optimize.linprog`). This is the audit statistical agencies
   run on their tables (τ-ARGUS). A sensitive cell (one suppressed by rule 1) whose interval is
   narrower than `min_n` gets company: the smallest published cell it shares a relation with is
   suppressed too, and the three steps run again. Complementary cells need no width of their own:
   they could have been published, and they are hidden only so the sensitive ones stay wide.

The rules run on the whole district whoever asks, so two readers never see two suppression patterns
that could be combined.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix


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


@dataclass(frozen=True, slots=True)
class Bound:
    """Cells that add up to at most `total`: parts of it, with a remainder that is not published."""

    members: tuple[Hashable, ...]
    total: Hashable


@dataclass(frozen=True, slots=True)
class Interval:
    """What a reader holding every published cell can tell of a suppressed one."""

    low: float
    high: float  # `inf` when nothing published bounds it

    @property
    def width(self) -> float:
        return self.high - self.low


def suppress(
    cells: dict[Hashable, Figure],
    partitions: Iterable[Partition],
    min_n: int,
    bounds: Iterable[Bound] = (),
) -> dict[Hashable, Interval]:
    """Mark the cells to suppress, in place (cells already marked stay suppressed and count as
    sensitive), until the audit finds every sensitive cell at least `min_n` wide; returns each
    suppressed cell's interval."""
    partitions = [p for p in partitions if p.members]
    bounds = [b for b in bounds if b.members]
    for cell in cells.values():
        if cell.n < min_n:
            cell.suppressed = True
    sensitive = {key for key, cell in cells.items() if cell.suppressed}
    while True:
        _complementary(cells, partitions, min_n)
        intervals = audit(cells, partitions, bounds)
        narrow = [
            key for key, interval in intervals.items() if key in sensitive and interval.width < min_n - 1e-6
        ]
        if not narrow:
            return intervals
        if not _widen(cells, partitions, bounds, narrow, min_n):
            # Nothing left to hide next to the narrow cells: hide the rest of the table rather than
            # publish a pinned cell. (Never reached on tables whose totals are hidden when small.)
            for cell in cells.values():
                cell.suppressed = True
            return audit(cells, partitions, bounds)


def _complementary(cells: dict[Hashable, Figure], partitions: list[Partition], min_n: int) -> None:
    changed = True
    while changed:
        changed = False
        for partition in partitions:
            members = [cells[key] for key in partition.members]
            total = cells[partition.total]
            hidden = [c for c in members if c.suppressed]
            shown = [c for c in members if not c.suppressed]
            if total.suppressed:
                # The total and one member hidden: another relation may pin the total, and then the
                # member is the total minus the shown. The audit would find it; hiding a second member
                # now saves it a round.
                if len(hidden) == 1 and shown:
                    min(shown, key=lambda c: (c.n, c.value)).suppressed = True
                    changed = True
                elif not hidden and len(members) == 1:
                    members[0].suppressed = True
                    changed = True
                continue
            if not hidden or (not shown and len(hidden) >= 2):
                continue
            if not shown:
                # A single member equal to its total: hiding one and showing the other hides nothing.
                total.suppressed = True
                changed = True
                continue
            if len(hidden) >= 2 and sum(c.n for c in hidden) >= min_n:
                continue
            min(shown, key=lambda c: (c.n, c.value)).suppressed = True
            changed = True


def audit(
    cells: dict[Hashable, Figure],
    partitions: Iterable[Partition],
    bounds: Iterable[Bound] = (),
    only: Iterable[Hashable] | None = None,
) -> dict[Hashable, Interval]:
    """For each suppressed cell (of `only`, when given), the interval of values consistent with every
    published cell, every relation and every bound, counts being at least zero."""
    hidden = [key for key, cell in cells.items() if cell.suppressed]
    if not hidden:
        return {}
    index = {key: i for i, key in enumerate(hidden)}

    def linear(members: tuple[Hashable, ...], total: Hashable) -> tuple[dict[int, float], float] | None:
        row: dict[int, float] = {}
        constant = 0.0  # Σ members − total, over the published cells
        for key, sign in [*((m, 1.0) for m in members), (total, -1.0)]:
            if key in index:
                row[index[key]] = row.get(index[key], 0.0) + sign
            else:
                constant += sign * cells[key].value
        row = {i: v for i, v in row.items() if v}
        return (row, constant) if row else None

    eq = [r for p in partitions if (r := linear(p.members, p.total)) is not None]
    ub = [r for b in bounds if (r := linear(b.members, b.total)) is not None]
    a_eq, b_eq = _matrix(eq, len(hidden))
    a_ub, b_ub = _matrix(ub, len(hidden))
    intervals: dict[Hashable, Interval] = {}
    wanted = index if only is None else {key: index[key] for key in only if key in index}
    for key, i in wanted.items():
        if not any(i in row for row, _ in eq) and not any(i in row for row, _ in ub):
            intervals[key] = Interval(0.0, float("inf"))
            continue
        objective = np.zeros(len(hidden))
        objective[i] = 1.0
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(
            -objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
        )
        top = float("inf") if high.status == 3 else -float(high.fun)
        intervals[key] = Interval(float(low.fun), top)
    return intervals


def _matrix(
    rows: list[tuple[dict[int, float], float]], width: int
) -> tuple[csr_matrix | None, np.ndarray | None]:
    if not rows:
        return None, None
    data, cols, ptr = [], [], [0]
    for row, _ in rows:
        cols += list(row)
        data += list(row.values())
        ptr.append(len(cols))
    matrix = csr_matrix((data, cols, ptr), shape=(len(rows), width))
    # Σ hidden + constant (=|≤) 0  ⇔  Σ hidden (=|≤) −constant
    return matrix, np.array([-constant for _, constant in rows])


def _widen(
    cells: dict[Hashable, Figure],
    partitions: list[Partition],
    bounds: list[Bound],
    narrow: list[Hashable],
    min_n: int,
) -> bool:
    """Suppress one more published cell for the first narrow sensitive cell, among the cells tied to
    it through relations and hidden cells: one that makes it wide enough, a part before a total (a
    school's total says more to its readers than one of its rows) and the fewest students first;
    failing that, the one that widens it most. False when there is none. Hiding a neighbour is not
    always enough: the cell that pins a small school's cell may be the district's total two relations
    away."""
    totals = {relation.total for relation in (*partitions, *bounds)}
    relations = [*partitions, *bounds]
    target = narrow[0]
    seen_cells, frontier = {target}, {target}
    candidates: set[Hashable] = set()
    for _ in range(3):  # relations within three hops of hidden cells
        next_frontier: set[Hashable] = set()
        for relation in relations:
            keys = (*relation.members, relation.total)
            if frontier.isdisjoint(keys):
                continue
            for key in keys:
                if not cells[key].suppressed:
                    candidates.add(key)
                elif key not in seen_cells:
                    seen_cells.add(key)
                    next_frontier.add(key)
        frontier = next_frontier
        if not frontier:
            break
    if not candidates:
        return False
    best: tuple[bool, bool, float, str] | None = None
    chosen: Hashable = None
    for key in candidates:
        cells[key].suppressed = True
        width = audit(cells, partitions, bounds, only=[target])[target].width
        cells[key].suppressed = False
        enough = width >= min_n - 1e-6
        rank = (not enough, key in totals, cells[key].n if enough else -min(width, 1e12), repr(key))
        if best is None or rank < best:
            best, chosen = rank, key
    cells[chosen].suppressed = True
    return True
