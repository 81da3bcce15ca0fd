"""Status and run-chart signals on hand-made series: each rule, each edge (too few points, ties on the
median, no baseline date, no target date), pure functions with no database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.initiatives.models import Direction
from app.monitoring.signals import (
    BaselineSource,
    Goalposts,
    IndicatorStatus,
    Point,
    RuleOutcome,
    RunChartAnalysis,
    RunChartRule,
    RunChartRuleSet,
    SignalSide,
    StatusBasis,
    crossings_limit,
    indicator_status,
    longest_run_limit,
    run_chart_signals,
    run_limits,
)

START = date(2026, 9, 1)
# 300 days from baseline to target: at day 150 the path is halfway.
TARGET_DATE = START + timedelta(days=300)
HALFWAY = START + timedelta(days=150)


def d(*values: float) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


def outcome(analysis: RunChartAnalysis, rule: RunChartRule) -> RuleOutcome:
    (result,) = [r for r in analysis.rules if r.rule is rule]
    return result.outcome


def signals_of(
    analysis: RunChartAnalysis, rule: RunChartRule
) -> list[tuple[tuple[int, ...], SignalSide | None]]:
    return [(s.points, s.side) for s in analysis.signals if s.rule is rule]


# --- limits ------------------------------------------------------------------------------------------


def test_run_limits_are_the_classical_two_sided_five_percent_values() -> None:
    # Swed & Eisenhart, n1 = n2 = 5: reject at 2 runs or fewer, or 10; n1 = n2 = 10: 6 or fewer, 16 or more.
    assert run_limits(10) == (3, 9)
    assert run_limits(20) == (7, 15)
    # Odd counts split as evenly as they can; the limits widen with n and stay inside 2..n.
    previous = (0, 0)
    for n in range(10, 200):
        fewest, most = run_limits(n)
        assert 2 <= fewest < most <= n
        assert fewest >= previous[0]
        assert most >= previous[1]
        previous = (fewest, most)


def test_anhoej_limits_match_the_published_table() -> None:
    # Anhøj & Olesen 2014, table 1: longest run and fewest crossings for 10, 20, 24 and 30 points.
    assert [longest_run_limit(n) for n in (10, 20, 24, 30)] == [6, 7, 8, 8]
    assert [crossings_limit(n) for n in (10, 20, 24, 30)] == [2, 6, 8, 10]


# --- IHI: shift --------------------------------------------------------------------------------------


def test_a_shift_is_six_points_on_one_side_and_points_on_the_median_neither_count_nor_break_it() -> None:
    # The median is 5 (the 7th of 13); index 3 sits on it, inside a run of six below.
    values = d(2, 1, 2, 5, 1, 2, 1, 9, 8, 9, 8, 9, 8)
    analysis = run_chart_signals(values)
    assert analysis.median == Decimal(5)
    assert analysis.useful_observations == 12
    assert outcome(analysis, RunChartRule.SHIFT) is RuleOutcome.SIGNAL
    assert signals_of(analysis, RunChartRule.SHIFT) == [
        ((0, 1, 2, 4, 5, 6), SignalSide.BELOW),
        ((7, 8, 9, 10, 11, 12), SignalSide.ABOVE),
    ]


def test_five_points_on_one_side_are_not_a_shift() -> None:
    values = d(1, 2, 1, 2, 1, 9, 1, 9, 8, 9, 8, 9)
    analysis = run_chart_signals(values)
    assert analysis.longest_run == 5
    assert outcome(analysis, RunChartRule.SHIFT) is RuleOutcome.NO_SIGNAL
    assert signals_of(analysis, RunChartRule.SHIFT) == []


# --- IHI: trend --------------------------------------------------------------------------------------


def test_five_rising_points_are_a_trend() -> None:
    analysis = run_chart_signals(d(3, 1, 2, 3, 4, 5, 4))
    assert signals_of(analysis, RunChartRule.TREND) == [((1, 2, 3, 4, 5), SignalSide.UP)]


def test_equal_neighbours_count_once_in_a_trend() -> None:
    # 1, 2, 2, 3, 4 is four steps, not five: no trend.
    assert outcome(run_chart_signals(d(1, 2, 2, 3, 4)), RunChartRule.TREND) is RuleOutcome.NO_SIGNAL
    # 9, 7, 7, 7, 5, 3, 1 is five steps down; the repeated 7s belong to it.
    analysis = run_chart_signals(d(9, 7, 7, 7, 5, 3, 1))
    assert signals_of(analysis, RunChartRule.TREND) == [((0, 1, 2, 3, 4, 5, 6), SignalSide.DOWN)]


def test_a_turning_point_belongs_to_both_trends() -> None:
    analysis = run_chart_signals(d(1, 2, 3, 4, 5, 4, 3, 2, 1))
    assert signals_of(analysis, RunChartRule.TREND) == [
        ((0, 1, 2, 3, 4), SignalSide.UP),
        ((4, 5, 6, 7, 8), SignalSide.DOWN),
    ]


def test_a_trend_needs_five_points() -> None:
    analysis = run_chart_signals(d(1, 2, 3, 4))
    assert outcome(analysis, RunChartRule.TREND) is RuleOutcome.INSUFFICIENT_DATA
    assert analysis.signals == []


# --- IHI: runs ---------------------------------------------------------------------------------------


def test_too_few_runs() -> None:
    analysis = run_chart_signals(d(1, 2, 1, 2, 1, 9, 8, 9, 8, 9))
    assert analysis.runs == 2
    assert outcome(analysis, RunChartRule.TOO_FEW_RUNS) is RuleOutcome.SIGNAL
    [(points, side)] = signals_of(analysis, RunChartRule.TOO_FEW_RUNS)
    assert points == tuple(range(10))
    assert side is None
    assert outcome(analysis, RunChartRule.TOO_MANY_RUNS) is RuleOutcome.NO_SIGNAL


def test_too_many_runs() -> None:
    analysis = run_chart_signals(d(1, 9, 1, 9, 1, 9, 1, 9, 1, 9))
    assert analysis.runs == 10
    assert outcome(analysis, RunChartRule.TOO_MANY_RUNS) is RuleOutcome.SIGNAL
    assert outcome(analysis, RunChartRule.TOO_FEW_RUNS) is RuleOutcome.NO_SIGNAL


def test_an_ordinary_number_of_runs_signals_nothing() -> None:
    analysis = run_chart_signals(d(1, 9, 9, 1, 1, 9, 1, 9, 9, 1))
    assert analysis.runs == 7
    assert outcome(analysis, RunChartRule.TOO_FEW_RUNS) is RuleOutcome.NO_SIGNAL
    assert outcome(analysis, RunChartRule.TOO_MANY_RUNS) is RuleOutcome.NO_SIGNAL
    assert analysis.signals == []


# --- Anhøj -------------------------------------------------------------------------------------------


def test_an_unusually_long_run() -> None:
    # 16 useful points: a run longer than round(log2(16) + 3) = 7 is unusual; here two runs of 8.
    analysis = run_chart_signals(d(*[1, 2] * 4, *[9, 8] * 4))
    assert outcome(analysis, RunChartRule.LONG_RUN) is RuleOutcome.SIGNAL
    assert signals_of(analysis, RunChartRule.LONG_RUN) == [
        (tuple(range(8)), SignalSide.BELOW),
        (tuple(range(8, 16)), SignalSide.ABOVE),
    ]
    # A run of exactly the limit is not.
    analysis = run_chart_signals(d(1, 2, 1, 2, 1, 2, 1, 9, 1, 9, 8, 9, 8, 9, 8, 9))
    assert analysis.longest_run == 7
    assert analysis.useful_observations == 16
    assert outcome(analysis, RunChartRule.LONG_RUN) is RuleOutcome.NO_SIGNAL


def test_unusually_few_crossings() -> None:
    # 16 useful points: fewer than 4 crossings (5th percentile of Binomial(15, 0.5)) is unusual.
    few = run_chart_signals(d(*[1] * 4, *[9] * 4, *[1] * 4, *[9] * 4))
    assert few.crossings == 3
    assert outcome(few, RunChartRule.FEW_CROSSINGS) is RuleOutcome.SIGNAL
    [(points, _)] = signals_of(few, RunChartRule.FEW_CROSSINGS)
    assert points == tuple(range(16))
    enough = run_chart_signals(d(*[1] * 3, *[9] * 3, *[1] * 3, *[9] * 3, 1, 1, 9, 9))
    assert enough.crossings == 5
    assert outcome(enough, RunChartRule.FEW_CROSSINGS) is RuleOutcome.NO_SIGNAL


# --- too few points and ties on the median -----------------------------------------------------------


MEDIAN_RULES = [
    RunChartRule.SHIFT,
    RunChartRule.TOO_FEW_RUNS,
    RunChartRule.TOO_MANY_RUNS,
    RunChartRule.LONG_RUN,
    RunChartRule.FEW_CROSSINGS,
]


def test_fewer_than_ten_points_give_no_median_based_signal() -> None:
    # Nine points, all but one below the median: would be a shift, a long run and few crossings.
    analysis = run_chart_signals(d(1, 1, 1, 1, 1, 1, 1, 5, 9))
    for rule in MEDIAN_RULES:
        assert outcome(analysis, rule) is RuleOutcome.INSUFFICIENT_DATA
    assert [s for s in analysis.signals if s.rule in MEDIAN_RULES] == []


def test_points_on_the_median_do_not_count_towards_the_ten() -> None:
    # Twelve points, five on the median of 5: seven useful observations, not enough.
    analysis = run_chart_signals(d(5, 5, 1, 5, 1, 1, 5, 9, 1, 5, 9, 9))
    assert analysis.median == Decimal(5)
    assert analysis.points == 12
    assert analysis.useful_observations == 7
    for rule in MEDIAN_RULES:
        assert outcome(analysis, rule) is RuleOutcome.INSUFFICIENT_DATA


def test_an_empty_series() -> None:
    analysis = run_chart_signals([])
    assert analysis.median is None
    assert analysis.signals == []
    assert {r.outcome for r in analysis.rules} == {RuleOutcome.INSUFFICIENT_DATA}


def test_every_rule_of_both_sets_is_reported() -> None:
    analysis = run_chart_signals(d(*range(12)))
    assert {(r.rule_set, r.rule) for r in analysis.rules} == {
        (RunChartRuleSet.IHI, RunChartRule.SHIFT),
        (RunChartRuleSet.IHI, RunChartRule.TREND),
        (RunChartRuleSet.IHI, RunChartRule.TOO_FEW_RUNS),
        (RunChartRuleSet.IHI, RunChartRule.TOO_MANY_RUNS),
        (RunChartRuleSet.ANHOEJ, RunChartRule.LONG_RUN),
        (RunChartRuleSet.ANHOEJ, RunChartRule.FEW_CROSSINGS),
    }


# --- status ------------------------------------------------------------------------------------------


def on(day: date, value: float) -> Point:
    return Point(day, Decimal(str(value)))


RISING = Goalposts(Direction.INCREASE, Decimal(20), START, Decimal(40), TARGET_DATE)
FALLING = Goalposts(Direction.DECREASE, Decimal(40), START, Decimal(20), TARGET_DATE)


@pytest.mark.parametrize(
    ("goalposts", "latest", "expected"),
    [
        # Halfway, the path expects 30; the band is 10% of the 20-point distance: 2.
        (RISING, 31, IndicatorStatus.ON_TRACK),
        (RISING, 30, IndicatorStatus.ON_TRACK),
        (RISING, 28, IndicatorStatus.AT_RISK),
        (RISING, 27.9, IndicatorStatus.OFF_TRACK),
        (FALLING, 29, IndicatorStatus.ON_TRACK),
        (FALLING, 32, IndicatorStatus.AT_RISK),
        (FALLING, 33, IndicatorStatus.OFF_TRACK),
    ],
)
def test_status_against_the_path_from_baseline_to_target(
    goalposts: Goalposts, latest: float, expected: IndicatorStatus
) -> None:
    result = indicator_status(goalposts, [on(START, 20), on(HALFWAY, latest)])
    assert result.status is expected
    assert result.basis is StatusBasis.TRAJECTORY
    assert result.expected == Decimal(30)
    assert result.band == Decimal(2)


def test_after_the_target_date_the_path_expects_the_target() -> None:
    late = TARGET_DATE + timedelta(days=30)
    assert indicator_status(RISING, [on(late, 40)]).status is IndicatorStatus.ON_TRACK
    result = indicator_status(RISING, [on(late, 37)])
    assert result.expected == Decimal(40)
    assert result.status is IndicatorStatus.OFF_TRACK


def test_no_baseline_date_starts_the_path_at_the_first_measurement() -> None:
    goalposts = Goalposts(Direction.INCREASE, Decimal(20), None, Decimal(40), TARGET_DATE)
    first = START + timedelta(days=100)  # 200 days before the target
    result = indicator_status(goalposts, [on(first, 22), on(first + timedelta(days=100), 29)])
    assert result.baseline == Point(first, Decimal(20))
    assert result.baseline_source is BaselineSource.INDICATOR
    assert result.expected == Decimal(30)
    assert result.status is IndicatorStatus.AT_RISK


def test_no_baseline_at_all_makes_the_first_measurement_the_baseline() -> None:
    goalposts = Goalposts(Direction.INCREASE, None, None, Decimal(40), TARGET_DATE)
    alone = indicator_status(goalposts, [on(START, 20)])
    assert alone.status is IndicatorStatus.NO_DATA
    assert alone.baseline_source is BaselineSource.FIRST_MEASUREMENT
    result = indicator_status(goalposts, [on(START, 20), on(HALFWAY, 31)])
    assert result.baseline == Point(START, Decimal(20))
    assert result.status is IndicatorStatus.ON_TRACK


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (25, IndicatorStatus.ON_TRACK),
        (20, IndicatorStatus.AT_RISK),
        (18, IndicatorStatus.AT_RISK),
        (17, IndicatorStatus.OFF_TRACK),
    ],
)
def test_missing_target_date_is_judged_by_direction_against_the_baseline(
    latest: float, expected: IndicatorStatus
) -> None:
    # No date: no path. Better than the baseline is on track; the same, or worse by at most 10% of the
    # baseline-to-target distance (2), at risk; worse by more, off track.
    goalposts = Goalposts(Direction.INCREASE, Decimal(20), START, Decimal(40), None)
    result = indicator_status(goalposts, [on(HALFWAY, latest)])
    assert result.basis is StatusBasis.DIRECTION
    assert "target date" in result.reason
    assert result.status is expected


def test_missing_target_value_uses_a_tenth_of_the_baseline_as_the_band() -> None:
    goalposts = Goalposts(Direction.DECREASE, Decimal(50), START, None, None)
    assert indicator_status(goalposts, [on(HALFWAY, 49)]).status is IndicatorStatus.ON_TRACK
    assert indicator_status(goalposts, [on(HALFWAY, 54)]).status is IndicatorStatus.AT_RISK
    assert indicator_status(goalposts, [on(HALFWAY, 56)]).status is IndicatorStatus.OFF_TRACK


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (96, IndicatorStatus.ON_TRACK),
        (90, IndicatorStatus.AT_RISK),
        (104, IndicatorStatus.AT_RISK),
        (85, IndicatorStatus.OFF_TRACK),
    ],
)
def test_maintain_holds_a_level_either_way(latest: float, expected: IndicatorStatus) -> None:
    # Hold 95: within 5% (4.75) on track, within 10% (9.5) at risk.
    goalposts = Goalposts(Direction.MAINTAIN, Decimal(93), START, Decimal(95), TARGET_DATE)
    result = indicator_status(goalposts, [on(HALFWAY, latest)])
    assert result.basis is StatusBasis.LEVEL
    assert result.status is expected


def test_no_measurements_is_no_data() -> None:
    result = indicator_status(RISING, [])
    assert result.status is IndicatorStatus.NO_DATA
    assert result.basis is StatusBasis.NONE
