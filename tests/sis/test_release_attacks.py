"""Attacks on behaviour analytics: windows subtracted from windows, tables linked to tables, rosters
arriving between reads, and suppression patterns an interval audit can take apart.

Each test is an attack of issue 13; each asserts the attacker recovers nothing. The last ones audit
the suppression itself, on generated districts, with an attacker's own linear programmes: for every
hidden count, the smallest and largest value it can take given everything published must be at least
the district's minimum n apart.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from scipy.optimize import linprog

from app.identity.models import Role
from app.sis.suppression import Figure, Partition, suppress
from tests.conftest import Tokens, World
from tests.sis.helpers import put_ok

ANALYTICS = "/api/v1/behavior-analytics"
OCTOBER = {
    "subject": "behavior",
    "period": "2026-10",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
}


async def seed(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    *,
    school: str = "a-es",
    prefix: str = "s",
    students: int = 30,
    referrals: list[tuple[int, str, str, str]] = (),  # type: ignore[assignment]
    teachers: dict[str, range] | None = None,
) -> list[str]:
    """`students` students at `school`; referrals as (student index, category, staff, date); teachers as
    sourcedId -> the student indexes in their one class."""
    ids = [f"{prefix}-{i:02}" for i in range(students)]
    await put_ok(client, "students", [{"sourcedId": s, "school": school, "grade": "03"} for s in ids], admin)
    await put_ok(
        client,
        "staff",
        [{"sourcedId": t, "role": "teacher", "givenName": t, "familyName": "T"} for t in ("t-1", "t-2")],
        admin,
    )
    for teacher, members in (teachers or {}).items():
        await put_ok(
            client, "classes", [{"sourcedId": f"c-{teacher}", "title": teacher, "school": school}], admin
        )
        enrollments = [
            {"sourcedId": f"e-{teacher}", "class": f"c-{teacher}", "user": teacher, "role": "teacher"}
        ]
        enrollments += [
            {"sourcedId": f"e-{teacher}-{ids[i]}", "class": f"c-{teacher}", "user": ids[i], "role": "student"}
            for i in members
        ]
        await put_ok(client, "enrollments", enrollments, admin)
    if referrals:
        await put_ok(
            client,
            "referrals",
            [
                {
                    "sourcedId": f"r-{prefix}-{n}",
                    "student": ids[i],
                    "school": school,
                    "staff": staff,
                    "date": day,
                    "category": category,
                    "severity": "minor",
                }
                for n, (i, category, staff, day) in enumerate(referrals)
            ],
            admin,
        )
    return ids


async def release(client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any] = OCTOBER) -> None:
    await client.post("/api/v1/releases", json=body, headers=admin)


async def school_report(
    client: httpx.AsyncClient, headers: dict[str, str], school_id: Any, **params: Any
) -> dict[str, Any] | None:
    response = await client.get(f"{ANALYTICS}/schools/{school_id}", params=params, headers=headers)
    return response.json() if response.status_code == 200 else None


def value(cell: dict[str, Any]) -> Any:
    return None if cell["suppressed"] else cell["value"]


async def test_two_windows_do_not_give_the_one_between(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    september = [(i, "disruption", "t-1", "2026-09-10") for i in range(12)]
    october = [(12, "disruption", "t-1", "2026-10-10"), (13, "disruption", "t-1", "2026-10-11")]
    await seed(client, admin, referrals=september + october)
    await release(
        client,
        admin,
        {**OCTOBER, "period": "2026-09", "period_start": "2026-09-01", "period_end": "2026-09-30"},
    )
    await release(client, admin)
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    school = world.school_ids("A")[0]
    # Only released periods can be read: a window of one's own is refused, not quietly ignored.
    for window in ({"period_start": "2026-09-01", "period_end": "2026-10-31"}, {"period_end": "2026-09-30"}):
        refused = await client.get(f"{ANALYTICS}/schools/{school}", params=window, headers=leader)
        assert refused.status_code == 422, refused.text
        assert {tuple(e["path"]) for e in refused.json()["errors"]} == {("query", name) for name in window}
    # The released periods themselves still answer, each on its own.
    assert await school_report(client, leader, school, period="2026-09") is not None
    assert await school_report(client, leader, school, period="2026-10") is not None


async def test_teacher_rows_do_not_add_up_to_a_hidden_school_total(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    referred = [(0, "disruption", "t-1", "2026-10-05"), (1, "disruption", "t-1", "2026-10-06")]
    referred += [(2, "defiance", "t-1", "2026-10-07"), (20, "disruption", "t-2", "2026-10-08")]
    await seed(client, admin, referrals=referred, teachers={"t-1": range(0, 20), "t-2": range(20, 30)})
    await release(client, admin)
    body = await school_report(
        client,
        await tokens.headers("A", Role.SCHOOL_LEADER),
        world.school_ids("A")[0],
        period="2026-10",
    )
    assert body is not None
    assert value(body["referrals"]) is None, "four students' referrals"
    rows = [value(t["referrals"]) for t in body["teachers"]]
    assert None in rows or sum(rows) != 4, "the teachers' rows add up to the hidden total"


async def test_categories_are_listed_with_their_zeros(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    await seed(client, admin, referrals=[(i, "disruption", "t-1", "2026-10-05") for i in range(12)])
    await seed(client, admin, school="a-hs", prefix="m", referrals=[(0, "fighting", "t-1", "2026-10-05")])
    await release(client, admin)
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    params = {"period": "2026-10"}
    first = await school_report(client, leader, world.school_ids("A")[0], **params)
    assert first is not None
    # A row shown only when not zero says "none" of every category left out.
    assert {c["category"] for c in first["by_category"]} == {"disruption", "fighting"}


async def test_a_small_schools_roster_arriving_does_not_move_the_district_totals(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    await seed(
        client, admin, students=40, referrals=[(i, "disruption", "t-1", "2026-10-05") for i in range(15)]
    )
    await release(client, admin)
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    params = {"period": "2026-10"}

    async def district() -> dict[str, Any]:
        response = await client.get(ANALYTICS, params=params, headers=leader)
        assert response.status_code == 200, response.text
        return response.json()["district"]

    before = await district()
    await seed(
        client, admin, school="a-hs", prefix="m", students=3, referrals=[(0, "fighting", "t-1", "2026-10-05")]
    )
    after = await district()
    changed = [
        (b["value"], a["value"])
        for b, a in zip(_cells(before), _cells(after), strict=True)
        if b["value"] is not None and a["value"] is not None and b["value"] != a["value"]
    ]
    assert not changed, "the difference is three students' figures"


def _cells(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if set(node) == {"value", "suppressed"}:
            return [node]
        return [c for v in node.values() for c in _cells(v)]
    if isinstance(node, list):
        return [c for v in node for c in _cells(v)]
    return []


# --- the suppression audit, with the attacker's own linear programmes --------------------------------


def attack(cells: dict[Any, Figure], partitions: list[Partition]) -> dict[Any, tuple[float, float]]:
    """For every hidden cell, the interval a reader who knows every published cell and every partition
    can pin it to (counts are whole and not negative)."""
    hidden = [key for key, cell in cells.items() if cell.suppressed]
    index = {key: i for i, key in enumerate(hidden)}
    rows, rhs = [], []
    for p in partitions:
        row = [0.0] * len(hidden)
        constant = 0.0
        for key, sign in [(m, 1.0) for m in p.members] + [(p.total, -1.0)]:
            if key in index:
                row[index[key]] += sign
            else:
                constant += sign * cells[key].value
        if any(row):
            rows.append(row)
            rhs.append(-constant)
    intervals = {}
    for key, i in index.items():
        objective = [0.0] * len(hidden)
        objective[i] = 1.0
        bounds = [(0, None)] * len(hidden)
        low = linprog(objective, A_eq=rows or None, b_eq=rhs or None, bounds=bounds, method="highs")
        high = linprog(
            [-c for c in objective], A_eq=rows or None, b_eq=rhs or None, bounds=bounds, method="highs"
        )
        top = float("inf") if high.status == 3 else -high.fun
        intervals[key] = (low.fun, top)
    return intervals


def district_table(sizes: list[int], rng: random.Random) -> tuple[dict[Any, Figure], list[Partition]]:
    """Schools × referral buckets, with each school's total and the district's row and total."""
    buckets = ("0", "1", "2-5", "6+")
    cells: dict[Any, Figure] = {}
    for s, size in enumerate(sizes):
        cuts = sorted(rng.randint(0, size) for _ in range(3))
        parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], size - cuts[2]]
        cells[("enrolled", s)] = Figure(size, size)
        for b, n in zip(buckets, parts, strict=True):
            cells[("bucket", s, b)] = Figure(n, n)
    total = sum(sizes)
    cells[("enrolled", "D")] = Figure(total, total)
    for b in buckets:
        n = sum(cells[("bucket", s, b)].value for s in range(len(sizes)))
        cells[("bucket", "D", b)] = Figure(n, n)
    partitions = [
        Partition(tuple(("bucket", s, b) for b in buckets), ("enrolled", s))
        for s in [*range(len(sizes)), "D"]
    ]
    partitions.append(Partition(tuple(("enrolled", s) for s in range(len(sizes))), ("enrolled", "D")))
    partitions += [
        Partition(tuple(("bucket", s, b) for s in range(len(sizes))), ("bucket", "D", b)) for b in buckets
    ]
    return cells, partitions


def test_rows_under_a_hidden_total_are_suppressed_too() -> None:
    """The district pass hides a small school's cells; the school's own rows must not give them back."""
    # C (5) is hidden in the top row, and B (45) with it; B's own row is B1 + B2 with B2 = 2 hidden:
    # unless B1 hides too, G - A - B1 = B2 + C = 7 pins both.
    cells = {
        "G": Figure(100, 100),
        "A": Figure(50, 50),
        "B": Figure(45, 45),
        "C": Figure(5, 5),
        "B1": Figure(43, 43),
        "B2": Figure(2, 2),
    }
    partitions = [Partition(("A", "B", "C"), "G"), Partition(("B1", "B2"), "B")]
    suppress(cells, partitions, 10)
    intervals = attack(cells, partitions)
    for key in ("C", "B2"):
        low, high = intervals[key]
        assert high - low >= 10, f"{key} pinned to [{low}, {high}]"


@pytest.mark.parametrize("seed_value", range(30))
def test_no_hidden_cell_of_a_generated_district_is_narrower_than_n(seed_value: int) -> None:
    rng = random.Random(seed_value)  # noqa: S311 (reproducible test data, not secrets)
    sizes = [3, *(rng.choice([12, 25, 40, 300, 800]) for _ in range(rng.randint(1, 5)))]
    rng.shuffle(sizes)
    cells, partitions = district_table(sizes, rng)
    sensitive = {key for key, cell in cells.items() if cell.n < 10}
    suppress(cells, partitions, 10)
    # Every cell about fewer than 10 students can be pinned no closer than 10 apart.
    narrow = {key: i for key, i in attack(cells, partitions).items() if key in sensitive and i[1] - i[0] < 10}
    assert not narrow, f"school sizes {sizes}: {narrow}"
