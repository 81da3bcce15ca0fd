"""Small-cell suppression on hand-made tables: the primary rule, the complementary rule, and the
cascade between rows and columns."""

from __future__ import annotations

from app.sis.suppression import Figure, Partition, suppress


def table(**values: int) -> dict[str, Figure]:
    return {key: Figure(value, value) for key, value in values.items()}


def hidden(cells: dict[str, Figure]) -> set[str]:
    return {key for key, cell in cells.items() if cell.suppressed}


def test_cells_below_the_minimum_are_suppressed_zero_included() -> None:
    cells = table(a=9, b=10, c=0, total=19)
    suppress(cells, [], 10)
    assert hidden(cells) == {"a", "c"}


def test_a_lone_suppressed_cell_takes_the_smallest_other_with_it() -> None:
    # tier 1 = 85, tier 2 = 12, tier 3 = 3 of 100: without a second hidden cell, 100 - 85 - 12 = 3.
    cells = table(t1=85, t2=12, t3=3, enrolled=100)
    suppress(cells, [Partition(("t1", "t2", "t3"), "enrolled")], 10)
    assert hidden(cells) == {"t2", "t3"}


def test_hidden_cells_must_together_describe_at_least_the_minimum() -> None:
    # Two hidden cells of 2 and 1 would still tell that 3 students are in one of them.
    cells = table(b0=15, b1=2, b2_5=12, b6=1, enrolled=30)
    suppress(cells, [Partition(("b0", "b1", "b2_5", "b6"), "enrolled")], 10)
    assert hidden(cells) == {"b1", "b6", "b2_5"}
    assert not cells["b0"].suppressed


def test_nothing_more_is_hidden_when_the_total_is_hidden() -> None:
    cells = table(a=4, b=3, total=7)
    suppress(cells, [Partition(("a", "b"), "total")], 10)
    assert hidden(cells) == {"a", "b", "total"}


def test_hiding_a_cell_in_a_row_can_expose_it_in_a_column() -> None:
    # Two schools × two tiers, with row and column totals. School X's tier 3 (4) is hidden; its row
    # partner (tier 2 of X) follows; then column "tier 2" has one hidden cell, so Y's tier 2 follows,
    # and row Y then needs its own partner hidden too.
    cells = table(x2=20, x3=4, x=24, y2=30, y3=40, y=70, d2=50, d3=44, d=94)
    partitions = [
        Partition(("x2", "x3"), "x"),
        Partition(("y2", "y3"), "y"),
        Partition(("x2", "y2"), "d2"),
        Partition(("x3", "y3"), "d3"),
        Partition(("x", "y"), "d"),
    ]
    suppress(cells, partitions, 10)
    assert hidden(cells) == {"x2", "x3", "y2", "y3"}
    # Whatever is shown, no hidden cell can be solved from a published total.
    assert {"x", "y", "d2", "d3", "d"}.isdisjoint(hidden(cells))


def test_already_hidden_cells_stay_hidden() -> None:
    cells = table(a=50, b=60, total=110)
    cells["a"].suppressed = True
    suppress(cells, [Partition(("a", "b"), "total")], 10)
    assert hidden(cells) == {"a", "b"}
