"""/stats words → a period of local dates and a cut, or what is wrong with them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.kpis import Cut
from bot.domain.periods import StatsAsk, StatsProblem, parse_stats

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("words", "first", "last", "by"),
    [
        ([], date(2026, 11, 1), TODAY, Cut.COUNTY),
        (["today"], TODAY, TODAY, Cut.COUNTY),
        (["yesterday"], date(2026, 11, 24), date(2026, 11, 24), Cut.COUNTY),
        (["week", "by", "team"], date(2026, 11, 23), TODAY, Cut.TEAM),
        (["Month"], date(2026, 11, 1), TODAY, Cut.COUNTY),
        (["year", "by", "commissioner"], date(2026, 1, 1), TODAY, Cut.COMMISSIONER),
        (["by", "chain"], date(2026, 11, 1), TODAY, Cut.CHAIN),
        (
            ["2026-10-30", "2026-11-02", "by", "category"],
            date(2026, 10, 30),
            date(2026, 11, 2),
            Cut.CATEGORY,
        ),
        (["2026-11-02", "2026-11-02"], date(2026, 11, 2), date(2026, 11, 2), Cut.COUNTY),
        (["2026-11-02"], date(2026, 11, 2), date(2026, 11, 2), Cut.COUNTY),
    ],
)
def test_periods_and_cuts(words: list[str], first: date, last: date, by: Cut) -> None:
    assert parse_stats(words, TODAY) == StatsAsk(first=first, last=last, by=by)


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["2026-13-01", "2026-11-02"], StatsProblem.BAD_DATE),
        (["2026-11-1", "2026-11-02"], StatsProblem.BAD_DATE),
        (["2026-11-1"], StatsProblem.BAD_DATE),
        (["2026-11-05", "2026-11-02"], StatsProblem.REVERSED),
        (["2000-01-01", "2026-11-02"], StatsProblem.TOO_LONG),
        (["week", "by"], StatsProblem.BAD_CUT),
        (["week", "by", "colour"], StatsProblem.BAD_CUT),
        (["fortnight"], StatsProblem.UNKNOWN),
        (["week", "month"], StatsProblem.UNKNOWN),
    ],
)
def test_bad_input_says_what_is_wrong(words: list[str], problem: StatsProblem) -> None:
    assert parse_stats(words, TODAY) == problem
