"""Is an indicator on track, and is its series telling us something? Pure functions, no database.

Two questions, answered from a series of dated values:

**Status** (`indicator_status`): the latest value against a straight path from the baseline to the
target by the target date, honouring which way is better.

- The path starts at the baseline (`baseline_value` at `baseline_date`). With no baseline date, the
  path starts at the date of the first measurement; with no baseline value either, the first
  measurement *is* the baseline (and a series of that one point says nothing yet: `no_data`).
- At the latest value's date the path expects `expected`. The shortfall is how far the latest value
  falls short of it in the better direction. The at-risk band is 10% of the distance from baseline to
  target (`AT_RISK_SHARE`): no shortfall is `on_track`, a shortfall within the band `at_risk`, more
  `off_track`. Being ahead of the path is on track.
- With no target value or no target date there is no path: the status is judged from the direction
  alone (`basis = "direction"`): better than the baseline is on track, the same or worse by at most
  the band is at risk, worse by more is off track. Without a target value the band is 10% of the
  baseline's magnitude.
- `maintain` indicators hold a level (the target, else the baseline): within half the band (5%) of
  it is on track, within the band (10%) at risk, beyond it off track, whichever side.
- A band of zero (a target equal to a baseline of zero, say) makes every shortfall off track.

**Run-chart signals** (`run_chart_signals`), on the values in time order, against their median:

- IHI (Provost & Murray, *The Health Care Data Guide*, 2011; Perla, Provost & Murray, "The run chart",
  BMJ Qual Saf 2011;20:46-51):
  - shift: 6 or more consecutive points on one side of the median; points on the median neither
    count nor break the run;
  - trend: 5 or more points all rising or all falling; equal neighbours count once;
  - too few / too many runs: the number of runs (points on the median skipped) outside the limits
    for the number of useful observations (see `run_limits`).
- Anhøj (Anhøj & Olesen, "Run charts revisited", PLoS One 2014;9(11):e113825):
  - an unusually long run: the longest run longer than round(log2(n) + 3);
  - unusually few crossings: fewer median crossings than the 5th percentile of Binomial(n - 1, 0.5);
  where n is the number of useful observations (points not on the median).

Every median-based rule needs `MIN_POINTS` useful observations (a median of fewer says little); the
trend rule needs `TREND_LENGTH` points. Below that a rule is reported as `insufficient_data`, never as
a signal. Each signal carries the indices of the points behind it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from app.initiatives.models import Direction

# The at-risk band, as a share of the distance from baseline to target.
AT_RISK_SHARE = Decimal("0.10")
# Median-based rules need this many useful observations (points not on the median).
MIN_POINTS = 10
SHIFT_LENGTH = 6
TREND_LENGTH = 5
# Each tail of the runs test (too few, too many): 2.5%, a two-sided 5% test.
RUNS_TAIL = 0.025
# Anhøj's crossings rule: the 5th percentile of Binomial(n - 1, 0.5).
CROSSINGS_QUANTILE = 0.05


class IndicatorStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


class StatusBasis(StrEnum):
    """What the status was judged against."""

    TRAJECTORY = "trajectory"  # the straight path from baseline to target by the target date
    DIRECTION = "direction"  # no target date or value: the baseline and which way is better
    LEVEL = "level"  # a `maintain` indicator: the level to hold
    NONE = "none"  # no status could be judged


class BaselineSource(StrEnum):
    INDICATOR = "indicator"
    FIRST_MEASUREMENT = "first_measurement"


class RunChartRuleSet(StrEnum):
    IHI = "ihi"
    ANHOEJ = "anhoej"


class RunChartRule(StrEnum):
    SHIFT = "shift"
    TREND = "trend"
    TOO_FEW_RUNS = "too_few_runs"
    TOO_MANY_RUNS = "too_many_runs"
    LONG_RUN = "long_run"
    FEW_CROSSINGS = "few_crossings"


class RuleOutcome(StrEnum):
    SIGNAL = "signal"
    NO_SIGNAL = "no_signal"
    INSUFFICIENT_DATA = "insufficient_data"


class SignalSide(StrEnum):
    """Where a signal points: above or below the median (runs), rising or falling (trends)."""

    ABOVE = "above"
    BELOW = "below"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Point:
    measured_on: date
    value: Decimal


# --- status -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Goalposts:
    """What an indicator aims at (its columns), as the status needs them."""

    direction: Direction
    baseline_value: Decimal | None = None
    baseline_date: date | None = None
    target_value: Decimal | None = None
    target_date: date | None = None


@dataclass(frozen=True, slots=True)
class StatusResult:
    status: IndicatorStatus
    basis: StatusBasis
    reason: str
    latest: Point | None = None
    baseline: Point | None = None
    baseline_source: BaselineSource | None = None
    expected: Decimal | None = None
    # How far the latest value falls short of what was expected, in the better direction (negative:
    # ahead); for `maintain`, how far it is from the level, either side.
    shortfall: Decimal | None = None
    band: Decimal | None = None


def indicator_status(goalposts: Goalposts, series: Sequence[Point]) -> StatusResult:
    """The status of the latest point of `series` (in time order) against `goalposts`."""
    if not series:
        return StatusResult(IndicatorStatus.NO_DATA, StatusBasis.NONE, "No measurements yet.")
    latest = series[-1]
    first = series[0]
    if goalposts.baseline_value is not None:
        baseline = Point(goalposts.baseline_date or first.measured_on, goalposts.baseline_value)
        source = BaselineSource.INDICATOR
    else:
        if len(series) == 1:
            return StatusResult(
                IndicatorStatus.NO_DATA,
                StatusBasis.NONE,
                "The only measurement is the baseline; the status needs one more.",
                latest=latest,
                baseline=first,
                baseline_source=BaselineSource.FIRST_MEASUREMENT,
            )
        baseline = first
        source = BaselineSource.FIRST_MEASUREMENT
    known = {"latest": latest, "baseline": baseline, "baseline_source": source}

    if goalposts.direction is Direction.MAINTAIN:
        level = goalposts.target_value if goalposts.target_value is not None else baseline.value
        band = abs(level) * AT_RISK_SHARE
        deviation = abs(latest.value - level)
        if deviation <= band / 2:
            status = IndicatorStatus.ON_TRACK
        elif deviation <= band:
            status = IndicatorStatus.AT_RISK
        else:
            status = IndicatorStatus.OFF_TRACK
        reason = (
            f"{_num(deviation)} from the level of {_num(level)} to hold (at risk beyond {_num(band / 2)})."
        )
        return StatusResult(
            status, StatusBasis.LEVEL, reason, expected=level, shortfall=deviation, band=band, **known
        )

    better = Decimal(1) if goalposts.direction is Direction.INCREASE else Decimal(-1)
    if goalposts.target_value is None or goalposts.target_date is None:
        scale = (
            abs(goalposts.target_value - baseline.value)
            if goalposts.target_value is not None
            else abs(baseline.value)
        )
        band = scale * AT_RISK_SHARE
        shortfall = (baseline.value - latest.value) * better
        if shortfall < 0:
            status = IndicatorStatus.ON_TRACK
        elif shortfall <= band:
            status = IndicatorStatus.AT_RISK
        else:
            status = IndicatorStatus.OFF_TRACK
        missing = "target value" if goalposts.target_value is None else "target date"
        reason = f"No {missing}: judged by direction against the baseline of {_num(baseline.value)}."
        return StatusResult(
            status,
            StatusBasis.DIRECTION,
            reason,
            expected=baseline.value,
            shortfall=shortfall,
            band=band,
            **known,
        )

    target = Point(goalposts.target_date, goalposts.target_value)
    expected = _on_path(baseline, target, latest.measured_on)
    band = abs(target.value - baseline.value) * AT_RISK_SHARE
    shortfall = (expected - latest.value) * better
    if shortfall <= 0:
        status = IndicatorStatus.ON_TRACK
    elif shortfall <= band:
        status = IndicatorStatus.AT_RISK
    else:
        status = IndicatorStatus.OFF_TRACK
    reason = (
        f"On {latest.measured_on.isoformat()} the path from {_num(baseline.value)} to {_num(target.value)} "
        f"by {target.measured_on.isoformat()} expects {_num(expected)}; the latest value is {_num(latest.value)}."
    )
    return StatusResult(
        status, StatusBasis.TRAJECTORY, reason, expected=expected, shortfall=shortfall, band=band, **known
    )


def _on_path(baseline: Point, target: Point, on: date) -> Decimal:
    """The straight path's value on `on`: the baseline before it starts, the target after it ends."""
    span = (target.measured_on - baseline.measured_on).days
    if span <= 0:
        return target.value if on >= target.measured_on else baseline.value
    elapsed = min(max((on - baseline.measured_on).days, 0), span)
    return baseline.value + (target.value - baseline.value) * Decimal(elapsed) / Decimal(span)


def _num(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- run-chart signals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    rule_set: RunChartRuleSet
    rule: RunChartRule
    # Indices into the series (in time order) of the points behind the signal.
    points: tuple[int, ...]
    side: SignalSide | None
    detail: str


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_set: RunChartRuleSet
    rule: RunChartRule
    outcome: RuleOutcome
    detail: str
    # The observed quantity (longest run, number of runs, crossings) and the limit it is held to.
    observed: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class RunChartAnalysis:
    points: int
    median: Decimal | None
    useful_observations: int
    runs: int
    crossings: int
    longest_run: int
    rules: list[RuleResult] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    @property
    def signalled_points(self) -> frozenset[int]:
        return frozenset(i for s in self.signals for i in s.points)


def run_chart_signals(values: Sequence[Decimal]) -> RunChartAnalysis:
    """The IHI and Anhøj rules applied to `values` (in time order) against their median."""
    n_points = len(values)
    median = Decimal(statistics.median(values)) if values else None
    runs = _runs(values, median) if median is not None else []
    useful = sum(len(run) for _, run in runs)
    crossings = max(len(runs) - 1, 0)
    longest = max((len(run) for _, run in runs), default=0)
    analysis = RunChartAnalysis(n_points, median, useful, len(runs), crossings, longest)
    _shift(analysis, runs)
    _trend(analysis, values)
    _runs_test(analysis, runs)
    _long_run(analysis, runs)
    _few_crossings(analysis, runs)
    return analysis


def _runs(values: Sequence[Decimal], median: Decimal) -> list[tuple[SignalSide, list[int]]]:
    """Maximal runs of consecutive points on one side of the median; points on it are skipped."""
    runs: list[tuple[SignalSide, list[int]]] = []
    for index, value in enumerate(values):
        if value == median:
            continue
        side = SignalSide.ABOVE if value > median else SignalSide.BELOW
        if runs and runs[-1][0] is side:
            runs[-1][1].append(index)
        else:
            runs.append((side, [index]))
    return runs


def _insufficient(
    analysis: RunChartAnalysis,
    rule_set: RunChartRuleSet,
    rule: RunChartRule,
    *,
    needed: int,
    have: int,
    what: str,
) -> None:
    analysis.rules.append(
        RuleResult(
            rule_set,
            rule,
            RuleOutcome.INSUFFICIENT_DATA,
            f"Needs at least {needed} {what}; there are {have}.",
        )
    )


_USEFUL = "points off the median"


# The set each rule belongs to: the IHI's four rules, Anhøj's two.
_RULE_SET = {
    RunChartRule.SHIFT: RunChartRuleSet.IHI,
    RunChartRule.TREND: RunChartRuleSet.IHI,
    RunChartRule.TOO_FEW_RUNS: RunChartRuleSet.IHI,
    RunChartRule.TOO_MANY_RUNS: RunChartRuleSet.IHI,
    RunChartRule.LONG_RUN: RunChartRuleSet.ANHOEJ,
    RunChartRule.FEW_CROSSINGS: RunChartRuleSet.ANHOEJ,
}


def _too_few_useful(analysis: RunChartAnalysis, *rules: RunChartRule) -> bool:
    """Whether the series has too few points off the median for `rules` to judge it; if so, each of
    them is recorded as lacking data."""
    n = analysis.useful_observations
    if n >= MIN_POINTS:
        return False
    for rule in rules:
        _insufficient(analysis, _RULE_SET[rule], rule, needed=MIN_POINTS, have=n, what=_USEFUL)
    return True


def _signal(
    analysis: RunChartAnalysis,
    rule: RunChartRule,
    points: Sequence[int],
    side: SignalSide | None,
    detail: str,
) -> None:
    analysis.signals.append(Signal(_RULE_SET[rule], rule, tuple(points), side, detail))


def _judged(
    analysis: RunChartAnalysis, rule: RunChartRule, signalled: bool, detail: str, *, observed: int, limit: int
) -> None:
    """Record the rule's verdict on the series: the quantity observed and the limit it is held to."""
    outcome = RuleOutcome.SIGNAL if signalled else RuleOutcome.NO_SIGNAL
    analysis.rules.append(RuleResult(_RULE_SET[rule], rule, outcome, detail, observed=observed, limit=limit))


def _shift(analysis: RunChartAnalysis, runs: list[tuple[SignalSide, list[int]]]) -> None:
    if _too_few_useful(analysis, RunChartRule.SHIFT):
        return
    found = [(side, run) for side, run in runs if len(run) >= SHIFT_LENGTH]
    for side, run in found:
        _signal(
            analysis,
            RunChartRule.SHIFT,
            run,
            side,
            f"{len(run)} consecutive points {side.value} the median (a shift is {SHIFT_LENGTH} or more).",
        )
    _judged(
        analysis,
        RunChartRule.SHIFT,
        bool(found),
        f"Longest run on one side of the median: {analysis.longest_run}; a shift is {SHIFT_LENGTH} or more.",
        observed=analysis.longest_run,
        limit=SHIFT_LENGTH - 1,
    )


def _trend(analysis: RunChartAnalysis, values: Sequence[Decimal]) -> None:
    if analysis.points < TREND_LENGTH:
        _insufficient(
            analysis,
            RunChartRuleSet.IHI,
            RunChartRule.TREND,
            needed=TREND_LENGTH,
            have=analysis.points,
            what="points",
        )
        return
    # Equal neighbours count once: collapse each stretch of equal values into one step.
    steps: list[tuple[Decimal, list[int]]] = []
    for index, value in enumerate(values):
        if steps and steps[-1][0] == value:
            steps[-1][1].append(index)
        else:
            steps.append((value, [index]))
    longest = 1 if steps else 0
    found: list[tuple[SignalSide, list[int], int]] = []
    start = 0
    while start < len(steps) - 1:
        rising = steps[start + 1][0] > steps[start][0]
        end = start + 1
        while end + 1 < len(steps) and (steps[end + 1][0] > steps[end][0]) == rising:
            end += 1
        length = end - start + 1
        longest = max(longest, length)
        if length >= TREND_LENGTH:
            indices = [i for _, group in steps[start : end + 1] for i in group]
            found.append((SignalSide.UP if rising else SignalSide.DOWN, indices, length))
        # The turning point belongs to both the trend that ends there and the next.
        start = end
    for side, indices, length in found:
        word = "rising" if side is SignalSide.UP else "falling"
        _signal(
            analysis,
            RunChartRule.TREND,
            indices,
            side,
            f"{length} points all {word} (a trend is {TREND_LENGTH} or more; equal neighbours count once).",
        )
    _judged(
        analysis,
        RunChartRule.TREND,
        bool(found),
        f"Longest stretch all rising or all falling: {longest} points; a trend is {TREND_LENGTH} or more.",
        observed=longest,
        limit=TREND_LENGTH - 1,
    )


def _runs_test(analysis: RunChartAnalysis, runs: list[tuple[SignalSide, list[int]]]) -> None:
    if _too_few_useful(analysis, RunChartRule.TOO_FEW_RUNS, RunChartRule.TOO_MANY_RUNS):
        return
    n = analysis.useful_observations
    fewest, most = run_limits(n)
    every = tuple(i for _, run in runs for i in run)
    too_few = analysis.runs < fewest
    too_many = analysis.runs > most
    off_median = f"{analysis.runs} runs in {n} points off the median"
    if too_few:
        _signal(
            analysis,
            RunChartRule.TOO_FEW_RUNS,
            every,
            None,
            f"{off_median}; fewer than {fewest} is unusual.",
        )
    if too_many:
        _signal(
            analysis,
            RunChartRule.TOO_MANY_RUNS,
            every,
            None,
            f"{off_median}; more than {most} is unusual.",
        )
    _judged(
        analysis,
        RunChartRule.TOO_FEW_RUNS,
        too_few,
        f"{analysis.runs} runs; fewer than {fewest} would be a signal.",
        observed=analysis.runs,
        limit=fewest,
    )
    _judged(
        analysis,
        RunChartRule.TOO_MANY_RUNS,
        too_many,
        f"{analysis.runs} runs; more than {most} would be a signal.",
        observed=analysis.runs,
        limit=most,
    )


def _long_run(analysis: RunChartAnalysis, runs: list[tuple[SignalSide, list[int]]]) -> None:
    if _too_few_useful(analysis, RunChartRule.LONG_RUN):
        return
    n = analysis.useful_observations
    limit = longest_run_limit(n)
    found = [(side, run) for side, run in runs if len(run) > limit]
    for side, run in found:
        _signal(
            analysis,
            RunChartRule.LONG_RUN,
            run,
            side,
            f"A run of {len(run)} points {side.value} the median; longer than {limit} is unusual for {n} points.",
        )
    _judged(
        analysis,
        RunChartRule.LONG_RUN,
        bool(found),
        f"Longest run {analysis.longest_run}; longer than round(log2({n}) + 3) = {limit} would be a signal.",
        observed=analysis.longest_run,
        limit=limit,
    )


def _few_crossings(analysis: RunChartAnalysis, runs: list[tuple[SignalSide, list[int]]]) -> None:
    if _too_few_useful(analysis, RunChartRule.FEW_CROSSINGS):
        return
    n = analysis.useful_observations
    fewest = crossings_limit(n)
    too_few = analysis.crossings < fewest
    if too_few:
        _signal(
            analysis,
            RunChartRule.FEW_CROSSINGS,
            [i for _, run in runs for i in run],
            None,
            f"The series crosses its median {analysis.crossings} times in {n} points; fewer than "
            f"{fewest} is unusual.",
        )
    _judged(
        analysis,
        RunChartRule.FEW_CROSSINGS,
        too_few,
        f"{analysis.crossings} crossings; fewer than {fewest} (5th percentile of Binomial({n - 1}, 0.5)) "
        "would be a signal.",
        observed=analysis.crossings,
        limit=fewest,
    )


# --- limits -----------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def run_limits(useful: int) -> tuple[int, int]:
    """(fewest, most) runs expected in `useful` points off the median: fewer than `fewest` or more
    than `most` is a signal.

    Computed, not transcribed: the exact distribution of the number of runs in a random arrangement
    of n1 points above and n2 below the median (Swed & Eisenhart, "Tables for testing randomness of
    grouping in a sequence of alternatives", Ann. Math. Statist. 1943;14:66-87, on which the IHI table
    of Perla, Provost & Murray 2011 is built), with n1 = floor(n/2), n2 = ceil(n/2) and 2.5% in each
    tail. For 20 points this gives 7 and 15, the classical two-sided 5% critical values for
    n1 = n2 = 10 (a signal at 6 runs or fewer, or 16 or more). Exact for every n, so no normal
    approximation is needed past the printed table's 60 points; a printed table may differ from it by
    one run at some n, where its authors rounded differently.
    """
    below = useful // 2
    above = useful - below
    probability = _runs_distribution(below, above)
    fewest, cumulative = 2, 0.0
    for runs in range(2, useful + 1):
        cumulative += probability.get(runs, 0.0)
        if cumulative > RUNS_TAIL:
            break
        fewest = runs + 1
    most, cumulative = useful, 0.0
    for runs in range(useful, 1, -1):
        cumulative += probability.get(runs, 0.0)
        if cumulative > RUNS_TAIL:
            break
        most = runs - 1
    return fewest, most


def _runs_distribution(n1: int, n2: int) -> dict[int, float]:
    """P(R = r) for the number of runs R in a random arrangement of n1 and n2 points."""
    total = math.comb(n1 + n2, n1)
    probability: dict[int, float] = {}
    for runs in range(2, n1 + n2 + 1):
        k = runs // 2
        if runs % 2 == 0:
            ways = 2 * math.comb(n1 - 1, k - 1) * math.comb(n2 - 1, k - 1)
        else:
            ways = math.comb(n1 - 1, k) * math.comb(n2 - 1, k - 1) + math.comb(n1 - 1, k - 1) * math.comb(
                n2 - 1, k
            )
        probability[runs] = ways / total
    return probability


def longest_run_limit(useful: int) -> int:
    """Anhøj: a run longer than this, in `useful` points off the median, is unusually long."""
    return round(math.log2(useful) + 3)


@lru_cache(maxsize=512)
def crossings_limit(useful: int) -> int:
    """Anhøj: fewer median crossings than this, in `useful` points off the median, is unusual.

    The 5th percentile of Binomial(n - 1, 0.5): the smallest k with P(X <= k) >= 0.05.
    """
    trials = useful - 1
    total = 2**trials
    cumulative = 0
    for k in range(trials + 1):
        cumulative += math.comb(trials, k)
        if cumulative / total >= CROSSINGS_QUANTILE:
            return k
    return trials
