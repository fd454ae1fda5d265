"""The figures' data, language-neutral: counts, rates, durations, the cuts they are grouped by and
the digest as data (bot.domain.kpis computes them from the event log; re-exported there)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rate(Frozen):
    """hits out of total; `value` is None when there is nothing to count."""

    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


class Counts(Frozen):
    received: int
    accepted: int
    resolved: int
    escalated: int
    overdue: int
    reopened: int = 0
    closed_unrated: int = 0


class Rates(Frozen):
    response: Rate
    resolution: Rate
    satisfaction: Rate
    mtta_seconds: float | None
    mttr_seconds: float | None


class Overdue(Frozen):
    request_id: int
    holder_id: int | None
    due_at: datetime
    days_late: int


class Cut(StrEnum):
    """What report figures are grouped by (the county total: one group, keyed "")."""

    COUNTY = "county"
    CATEGORY = "category"
    INDUSTRY = "industry"
    CHAIN = "chain"
    # Attributed to people (README "Figures by cut"): the person who resolved a request, else
    # the one holding it now; their team; the chain of a request a committee member resolved.
    COMMISSIONER = "commissioner"
    TEAM = "team"
    COMMITTEE = "committee"
    # Who gets the credit for a resolution (the seed's headline): one of CREDIT_KEYS.
    CREDIT = "credit"


# The groups of Cut.CREDIT: resolved by the enterprise's own commissioner, by a committee
# member, by a team member, by anyone else; "" for a request nobody has resolved.
CREDIT_COMMISSIONER = "commissioner"
CREDIT_COMMITTEE = "committee"
CREDIT_TEAM = "team"
CREDIT_OTHER = "other"


class Tally(Frozen):
    """What Counts leaves out: cancelled, reopened, resolved by outcome (in a period), and
    the requests open now."""

    cancelled: int = 0
    reopened: int = 0
    open_now: int = 0
    # outcome → distinct requests resolved with it in the period
    outcomes: dict[str, int] = {}


class Durations(Frozen):
    """Median and 90th percentile of time to accept and to resolve, in seconds."""

    accept_median_seconds: float | None = None
    accept_p90_seconds: float | None = None
    resolve_median_seconds: float | None = None
    resolve_p90_seconds: float | None = None


class Figures(Frozen):
    """Every figure of one group of a cut (or of the county) over a period."""

    counts: Counts = Counts(received=0, accepted=0, resolved=0, escalated=0, overdue=0)
    rates: Rates = Rates(
        response=Rate(hits=0, total=0),
        resolution=Rate(hits=0, total=0),
        satisfaction=Rate(hits=0, total=0),
        mtta_seconds=None,
        mttr_seconds=None,
    )
    durations: Durations = Durations()
    tally: Tally = Tally()


class CutFigures(Frozen):
    """A period's figures by a cut's groups and for the county, read together (the county's
    additive figures are the sums of the groups')."""

    total: Figures = Figures()
    groups: dict[str, Figures] = {}
    # Requests resolved in the period by whom the credit goes to (Cut.CREDIT's groups).
    credit: dict[str, int] = {}


# ---- the digest as data -------------------------------------------------------------------


class OverdueLine(Frozen):
    request_id: int
    enterprise: str
    holder: str
    due_at: datetime
    days_late: int


# How many overdue lines a chat message shows (the rest: "… and k more"); the digest and
# /overdue read only these from the database, plus the count of all.
OVERDUE_SHOWN = 40


class OverduePage(Frozen):
    """The first overdue lines (most late first) and how many are overdue in all."""

    lines: tuple[OverdueLine, ...] = ()
    total: int = 0


class UnreachableLine(Frozen):
    """Someone who blocked the bot (or whose chat is gone), for the digest."""

    name: str
    phone: str
    roles: tuple[str, ...]
    since: date  # local date they were marked


# The least volume (requests whose deadline fell in the month) for a commissioner or a team
# to be ranked by resolution rate in the digest (README "Digest").
MIN_RANKED = 3


class RankLine(Frozen):
    """A commissioner (key: person id, name) or a team (key: team key) and its rate."""

    key: str
    name: str = ""
    rate: Rate


class LowRating(Frozen):
    """A rating of 1 or 2 stars."""

    request_id: int
    stars: int
    enterprise: str
    holder: str


class DayPoint(Frozen):
    """One local day of the county's figures, for the digest's chart."""

    day: date
    received: int
    resolved: int
    response: float | None
    resolution: float | None
    satisfaction: float | None


def ranked(rates: dict[str, Rate], minimum: int = MIN_RANKED) -> tuple[list[str], list[str]]:
    """The three best and (of the rest) three worst keys by rate, among those with volume."""
    able = [
        (k, r.value) for k, r in rates.items() if k and r.total >= minimum and r.value is not None
    ]
    best = sorted(able, key=lambda kv: (-(kv[1] or 0.0), kv[0]))
    top = [k for k, _ in best[:3]]
    rest = [kv for kv in best if kv[0] not in top]
    bottom = [k for k, _ in sorted(rest, key=lambda kv: (kv[1] or 0.0, kv[0]))[:3]]
    return top, bottom


class Digest(Frozen):
    """Everything the supervisors' daily digest shows, language-neutral (rendered at send time)."""

    report_date: date
    day: date  # yesterday, whose figures are shown
    month_start: date
    as_of: datetime  # the overdue list's instant
    accept_within_seconds: float
    counts: Counts
    day_rates: Rates
    month_rates: Rates
    overdue: tuple[OverdueLine, ...]  # the first OVERDUE_SHOWN of them
    # Years whose official holiday schedule is unknown, and the file to complete it in.
    unconfirmed_years: tuple[int, ...] = ()
    calendar_file: str = ""
    # People the bot cannot reach in the chat (issue 7), longest first.
    unreachable: tuple[UnreachableLine, ...] = ()
    # Issue 12: by resolution rate this month (at least MIN_RANKED requests), best and worst.
    top_commissioners: tuple[RankLine, ...] = ()
    bottom_commissioners: tuple[RankLine, ...] = ()
    top_teams: tuple[RankLine, ...] = ()
    bottom_teams: tuple[RankLine, ...] = ()
    # Ratings of 1–2 stars given yesterday.
    low_ratings: tuple[LowRating, ...] = ()
    # How many were overdue at as_of in all (0 in a digest stored before it was counted).
    overdue_total: int = 0

    @property
    def overdue_count(self) -> int:
        return max(self.overdue_total, len(self.overdue))
