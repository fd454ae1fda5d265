"""/stats' figures (report_figures, every cut) on a hand-built history with a reopening across
the month boundary, an escalation resolved by an industry committee member and an auto-close,
against the hand computation (README "Figures by cut").

People: 督导 (1, supervisor); 专员A (2, team finance, commissioner of E1 and E2); 委员M (6, the
冷水鱼 committee, no team). E1 (水产, chain 冷水鱼), E2 (中药, chain 中药材). All instants UTC.

  R1 E1 finance  sub 10-31 20:00, offer, A accepts 20:10 (due 11-03 20:00), A resolves 11-01
                 09:00 partly; the owner reopens 11-02 10:00, A accepts again 11:00 (due 11-05
                 11:00), resolves 11-04 10:00 solved, rated 4 at 12:00   → credit commissioner
  R2 E1 policy   sub 11-05 09:00, offer, escalated 11:00, M accepts 11:30 (due 11-08 11:30),
                 M resolves 11-06 09:00 solved, closed unrated 11-13 09:00  → credit committee
  R3 E2 talent   sub 11-28 10:00, offer, A accepts 10:05 (due 11-29 10:05): open, overdue
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.kinds import EventKind as K
from bot.domain.kpis import Counts, Cut, Durations, Figures, Rate, Tally
from bot.domain.models import RequestStatus as S
from bot.storage.uow import Database
from tests.integration.test_stats_cuts import (
    NOV,
    OCT,
    WITHIN,
    accepted,
    ev,
    opened,
    resolved,
    seeded,
    t,
)

MIN, HOUR = 60.0, 3600.0

EVENTS = [
    *opened(1, 101, t(10, 31, 20)),
    accepted(1, 2, t(10, 31, 20, 10), t(11, 3, 20)),
    resolved(1, 2, t(11, 1, 9), "partly"),
    ev(1, 101, K.REOPENED, S.REOPENED, t(11, 2, 10)),
    accepted(1, 2, t(11, 2, 11), t(11, 5, 11)),
    resolved(1, 2, t(11, 4, 10), "solved"),
    ev(1, 101, K.RATED, S.CLOSED, t(11, 4, 12), stars=4),
    *opened(2, 101, t(11, 5, 9)),
    ev(2, None, K.ESCALATED, S.ESCALATED, t(11, 5, 11)),
    accepted(2, 6, t(11, 5, 11, 30), t(11, 8, 11, 30)),
    resolved(2, 6, t(11, 6, 9), "solved"),
    ev(2, None, K.CLOSED, S.CLOSED, t(11, 13, 9), auto=True),
    *opened(3, 102, t(11, 28, 10)),
    accepted(3, 2, t(11, 28, 10, 5), t(11, 29, 10, 5)),
]
REQUESTS = {1: (1, "finance"), 2: (1, "policy"), 3: (2, "talent")}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await seeded(
        tmp_path / "oncall.db",
        people=[(1, "督导"), (2, "专员A"), (6, "委员M")],
        roles=[(1, "supervisor"), (2, "commissioner"), (6, "committee")],
        teams=[(2, "finance")],
        commissioners=(2, 2),
        requests=REQUESTS,
        events=EVENTS,
        chains=[(6, "冷水鱼")],
    )
    try:
        yield database
    finally:
        await database.close()


def figures(
    counts: Counts,
    tally: Tally,
    rates: tuple[Rate, Rate, Rate],
    mtta: list[float],
    mttr: list[float],
) -> Figures:
    """A group's figures from its counts, tally, three rates and its durations in seconds."""

    def q(values: list[float], at: float) -> float | None:
        if not values:
            return None
        values = sorted(values)
        pos = (len(values) - 1) * at
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    return Figures().model_copy(
        update={
            "counts": counts,
            "tally": tally,
            "rates": Figures().rates.model_copy(
                update={
                    "response": rates[0],
                    "resolution": rates[1],
                    "satisfaction": rates[2],
                    "mtta_seconds": sum(mtta) / len(mtta) if mtta else None,
                    "mttr_seconds": sum(mttr) / len(mttr) if mttr else None,
                }
            ),
            "durations": Durations(
                accept_median_seconds=q(mtta, 0.5),
                accept_p90_seconds=q(mtta, 0.9),
                resolve_median_seconds=q(mttr, 0.5),
                resolve_p90_seconds=q(mttr, 0.9),
            ),
        }
    )


# By hand, November. R1 counts as accepted, resolved (first resolution 11-01, within its
# deadline 11-03 20:00: on time; 13 h after submission) and reopened in November, once each
# though it has two of each; it was received, offered and first accepted in October. R2: not
# accepted within 30 minutes of its offer (150 min), resolved on time in 24 h, escalated and
# closed unrated. R3: accepted in 5 minutes, its deadline 11-29 passed unresolved: overdue at
# the end of November, and open now.
R1 = figures(
    Counts(received=0, accepted=1, resolved=1, escalated=0, overdue=0, reopened=1),
    Tally(reopened=1, outcomes={"partly": 1, "solved": 1}),
    (Rate(hits=0, total=0), Rate(hits=1, total=1), Rate(hits=1, total=1)),
    [],
    [13 * HOUR],
)
R2 = figures(
    Counts(received=1, accepted=1, resolved=1, escalated=1, overdue=0, closed_unrated=1),
    Tally(outcomes={"solved": 1}),
    (Rate(hits=0, total=1), Rate(hits=1, total=1), Rate(hits=0, total=0)),
    [150 * MIN],
    [24 * HOUR],
)
R3 = figures(
    Counts(received=1, accepted=1, resolved=0, escalated=0, overdue=1),
    Tally(open_now=1),
    (Rate(hits=1, total=1), Rate(hits=0, total=1), Rate(hits=0, total=0)),
    [5 * MIN],
    [],
)
# R1 and R3 together (A's work: resolved by A, or held by A).
R1_R3 = figures(
    Counts(received=1, accepted=2, resolved=1, escalated=0, overdue=1, reopened=1),
    Tally(reopened=1, open_now=1, outcomes={"partly": 1, "solved": 1}),
    (Rate(hits=1, total=1), Rate(hits=1, total=2), Rate(hits=1, total=1)),
    [5 * MIN],
    [13 * HOUR],
)
R1_R2 = figures(
    Counts(
        received=1, accepted=2, resolved=2, escalated=1, overdue=0, reopened=1, closed_unrated=1
    ),
    Tally(reopened=1, outcomes={"partly": 1, "solved": 2}),
    (Rate(hits=0, total=1), Rate(hits=2, total=2), Rate(hits=1, total=1)),
    [150 * MIN],
    [13 * HOUR, 24 * HOUR],
)
COUNTY = figures(
    Counts(
        received=2, accepted=3, resolved=2, escalated=1, overdue=1, reopened=1, closed_unrated=1
    ),
    Tally(reopened=1, open_now=1, outcomes={"partly": 1, "solved": 2}),
    (Rate(hits=1, total=2), Rate(hits=2, total=3), Rate(hits=1, total=1)),
    [150 * MIN, 5 * MIN],
    [13 * HOUR, 24 * HOUR],
)
WANT: dict[Cut, dict[str, Figures]] = {
    Cut.COUNTY: {},
    # By who resolved it, else who holds it: A resolved R1 and holds R3; M resolved R2.
    Cut.COMMISSIONER: {"2": R1_R3, "6": R2},
    # A's team; M has none.
    Cut.TEAM: {"finance": R1_R3, "": R2},
    # Resolved by a member of the chain's committee: R2 is the 冷水鱼 committee's.
    Cut.COMMITTEE: {"冷水鱼": R2, "": R1_R3},
    Cut.CHAIN: {"冷水鱼": R1_R2, "中药材": R3},
    Cut.INDUSTRY: {"水产": R1_R2, "中药": R3},
    Cut.CATEGORY: {"finance": R1, "policy": R2, "talent": R3},
    # R1 resolved by its enterprise's commissioner, R2 by a committee member, R3 unresolved.
    Cut.CREDIT: {"commissioner": R1, "committee": R2, "": R3},
}


def same(got: Figures, want: Figures) -> None:
    """Equal, the means and quantiles to the microsecond (they are sums of microseconds)."""
    assert got.counts == want.counts
    assert got.tally == want.tally
    for name in ("response", "resolution", "satisfaction"):
        assert getattr(got.rates, name) == getattr(want.rates, name), name
    for name in ("mtta_seconds", "mttr_seconds"):
        assert getattr(got.rates, name) == pytest.approx(getattr(want.rates, name)), name
    for name, value in want.durations.model_dump().items():
        assert getattr(got.durations, name) == pytest.approx(value), name


@pytest.mark.parametrize("cut", list(Cut))
async def test_every_figure_of_every_cut_with_a_reopening_and_a_committee_by_hand(
    db: Database, cut: Cut
) -> None:
    async with db.read() as tx:
        found = await tx.report_figures(NOV, WITHIN, cut)
    same(found.total, COUNTY)
    assert set(found.groups) == set(WANT[cut])
    for key, want in WANT[cut].items():
        same(found.groups[key], want)
    # The seed-style headline: one by the enterprise's commissioner, one by a committee.
    assert found.credit == {"commissioner": 1, "committee": 1}


async def test_the_reopened_request_counts_in_october_for_what_happened_in_october(
    db: Database,
) -> None:
    async with db.read() as tx:
        found = await tx.report_figures(OCT, WITHIN, Cut.COMMISSIONER)
    # Received, offered and accepted (in 10 minutes) on 31 October; nothing due in October.
    # Open now is now, whatever the period: R3, which A holds.
    october = figures(
        Counts(received=1, accepted=1, resolved=0, escalated=0, overdue=0),
        Tally(open_now=1),
        (Rate(hits=1, total=1), Rate(hits=0, total=0), Rate(hits=0, total=0)),
        [10 * MIN],
        [],
    )
    same(found.total, october)
    assert set(found.groups) == {"2"}
    same(found.groups["2"], october)
    assert found.credit == {}
