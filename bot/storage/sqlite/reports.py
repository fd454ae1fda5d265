"""Reports in SQL: per-request facts kept with the event log, and the indexed queries over them.

Which: **per-request facts maintained in the same transaction as the events.** Every event
appended for a request re-folds that request's events (a handful, read by the
``events_request`` index) through the very definitions of bot.domain.kpis (``timelines``) and
upserts one row of ``request_facts``: first submission, first offer, first acceptance, first
resolution, the deadline that decides on-time resolution, cancelled before acceptance, the
current status, holder and working deadline, and the instant the last of those three changed
(column ``last_event_us``; a chase or a note changes none of them). Instants
are integer microseconds since the epoch, so "accepted within 30 minutes" and the durations
are exact integer arithmetic.

The event log stays the source of truth: ``rebuild_report_facts`` recomputes every row from
it (``Database.open`` runs it when migrating to 0006; a test checks rebuilt == maintained),
and a figure for any past period can be recomputed at any time.

Figures (definitions in kpis and README.md):

* counts of a period — received from ``request_facts.submitted_us``; accepted, resolved and
  escalated as distinct requests with such an event in the period, straight from the event
  log's ``(kind, at, request_id)`` index;
* response, resolution and MTTA/MTTR (and their median and p90) — one covering-index range
  of ``request_facts`` each;
* satisfaction — the ratings of the period: table ``ratings``, one row per ``rated`` event
  with integer stars, kept with the event like the facts (covering index ``ratings_at``);
* overdue at an instant — requests whose facts say "being worked on, deadline passed" and
  that have no event after the instant (``facts_work_due``), plus the few requests with events
  after it, whose state at that instant is folded from their events (for "now" there are
  none).

Every figure can be grouped by a cut (kpis.Cut: category, industry, chain; and, attributed to
people from the facts' first resolver or current holder, commissioner, team, committee and
credit — README "Figures by cut"); the county total is the group "". ``report_tally`` adds
cancelled, reopened, resolved by outcome and open now. Reports run on the reader connection
(Database.read()), never the writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import kpis
from bot.domain.clock import to_text
from bot.domain.kinds import EventKind
from bot.domain.kpis import (
    Counts,
    Cut,
    Durations,
    LowRating,
    OverdueLine,
    Period,
    Rate,
    Rates,
    Tally,
)
from bot.domain.models import Event, RequestStatus
from bot.storage.sqlite.events import EventsSql

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_WORKING = frozenset({RequestStatus.ACCEPTED, RequestStatus.REOPENED})
# Rows upserted per statement when rebuilding.
_BATCH = 2000

FactRow = tuple[
    int,
    int | None,
    int | None,
    int | None,
    int | None,
    int | None,
    int,
    str | None,
    int | None,
    int | None,
    int,
    int | None,
    str | None,
    int,
    int | None,
]
FACT_COLUMNS = (
    "request_id, submitted_us, first_offer_us, first_accept_us, resolved_us, deadline_us, "
    "cancelled_before_accept, status, holder_id, work_due_us, last_event_us, "
    "resolver_id, outcome, reopened, cancelled_us"
)
_UPSERT = (
    f"INSERT OR REPLACE INTO request_facts ({FACT_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_RATING = "INSERT INTO ratings (request_id, at_us, stars) VALUES (?, ?, ?)"

# The group key of each cut, over `r` (requests) and `e` (enterprises).
_KEYS: dict[Cut, str] = {
    Cut.COUNTY: "''",
    Cut.CATEGORY: "r.category",
    Cut.INDUSTRY: "e.industry",
    Cut.CHAIN: "e.chain",
}
# The person a request is attributed to: who first resolved it, else who holds it now.
_WHO = "COALESCE(f.resolver_id, f.holder_id)"
_COMMITTEE_MEMBER = (
    "EXISTS (SELECT 1 FROM person_roles pr WHERE pr.person_id = {who} "
    "AND pr.role = 'committee' AND pr.active = 1)"
)
_TEAM_MEMBER = "EXISTS (SELECT 1 FROM team_members tm WHERE tm.person_id = {who})"
_KEYS |= {
    Cut.COMMISSIONER: _WHO,
    Cut.TEAM: f"(SELECT MIN(tm.team) FROM team_members tm WHERE tm.person_id = {_WHO})",
    Cut.COMMITTEE: f"CASE WHEN {_COMMITTEE_MEMBER.format(who=_WHO)} THEN e.chain END",
    Cut.CREDIT: (
        "CASE WHEN f.resolver_id IS NULL THEN NULL "
        f"WHEN f.resolver_id = e.commissioner_id THEN '{kpis.CREDIT_COMMISSIONER}' "
        f"WHEN {_COMMITTEE_MEMBER.format(who='f.resolver_id')} THEN '{kpis.CREDIT_COMMITTEE}' "
        f"WHEN {_TEAM_MEMBER.format(who='f.resolver_id')} THEN '{kpis.CREDIT_TEAM}' "
        f"ELSE '{kpis.CREDIT_OTHER}' END"
    ),
}
_OPEN = ", ".join(
    f"'{s.value}'"
    for s in (
        RequestStatus.SUBMITTED,
        RequestStatus.DISPATCHED,
        RequestStatus.ESCALATED,
        RequestStatus.ACCEPTED,
        RequestStatus.REOPENED,
    )
)
# Counted when the event kind exists (issue 12: reopening may come later), else 0.
_REOPENED_KIND: EventKind | None = EventKind.__members__.get("REOPENED")


def us(when: datetime | None) -> int | None:
    """An instant as integer microseconds since the epoch (UTC)."""
    return None if when is None else (when - EPOCH) // _US


def from_us(value: int) -> datetime:
    return EPOCH + value * _US


def fact_of(request_id: int, events: Sequence[Event]) -> FactRow:
    """One request's facts, folded from its events (in log order) by kpis.timelines."""
    t = kpis.timelines(events).get(request_id) or kpis.Timeline(request_id)
    status = t.statuses[-1][1] if t.statuses else None
    due_now = t.deadlines[-1][1] if t.deadlines else None
    return (
        request_id,
        us(t.submitted_at),
        us(t.first_offer_at),
        us(t.first_accept_at),
        us(t.resolved_at),
        us(t.deadline),
        int(t.cancelled_before_accept),
        status.value if status else None,
        t.holders[-1][1] if t.holders else None,
        us(due_now) if status in _WORKING else None,
        _last_change(t),
        *_credit_of(events),
    )


def _last_change(t: kpis.Timeline) -> int:
    """The last instant the state an overdue line reads (status, deadline, holder) changed.

    Stored as ``last_event_us``: "overdue at an instant after it" is then the facts' answer. An
    event that changes none of the three (the sweep's daily chase of every overdue request, a
    note) does not send its request back to be folded from its events for the digest.
    """
    changes = [steps[-1][0] for steps in (t.statuses, t.deadlines, t.holders) if steps]
    return max(us(at) or 0 for at in changes) if changes else 0


def _credit_of(events: Sequence[Event]) -> tuple[int | None, str | None, int, int | None]:
    """Who first resolved it and how, how often it was reopened, when it was cancelled."""
    resolved = next((e for e in events if e.kind == EventKind.RESOLVED), None)
    outcome = resolved.payload.get("outcome") if resolved else None
    reopened = sum(1 for e in events if e.to_status == RequestStatus.REOPENED)
    cancelled = next((e for e in events if e.to_status == RequestStatus.CANCELLED), None)
    return (
        resolved.actor_id if resolved else None,
        outcome if isinstance(outcome, str) else None,
        reopened,
        us(cancelled.at) if cancelled else None,
    )


def rating_of(event: Event) -> tuple[int, int, int] | None:
    """(request, instant, stars) of a rating, as kpis.timelines reads one; None otherwise."""
    stars = event.payload.get("stars")
    if event.kind != EventKind.RATED or event.request_id is None:
        return None
    if not isinstance(stars, int) or isinstance(stars, bool):
        return None
    return event.request_id, (event.at - EPOCH) // _US, stars


def _needs_request(key: str) -> bool:
    """Whether a cut's key reads the request (r) or its enterprise (e), not only the facts."""
    return re.search(r"\b[re]\.", key) is not None


def _events_from(key: str) -> str:
    """The events of requests, joined to what the cut's key reads."""
    facts = "JOIN request_facts f ON f.request_id = ev.request_id " if "f." in key else ""
    if not _needs_request(key):
        return f"events ev {facts}".rstrip()
    return (
        f"events ev {facts}JOIN requests r ON r.id = ev.request_id "
        "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
    )


# A `closed` event counts as "closed unrated" only when the sweep closed it (payload auto).
_AUTO = {EventKind.CLOSED: " AND json_extract(ev.payload, '$.auto') = 1"}


def _counts_sql(kind: EventKind, key: str) -> str:
    return (
        f"SELECT {key} AS k, COUNT(DISTINCT ev.request_id) AS n FROM {_events_from(key)} "
        f"WHERE ev.kind = '{kind.value}' AND ev.at >= ? AND ev.at < ?{_AUTO.get(kind, '')} "
        "GROUP BY k"
    )


class ReportsSql(EventsSql):
    """The event log plus its report projection (request_facts) and the report queries."""

    async def append(self, event: Event) -> None:
        await super().append(event)
        if event.request_id is not None:
            # Same transaction as the event: the facts never lag the log.
            await self._run(_UPSERT, fact_of(event.request_id, await self.events(event.request_id)))
            if (rating := rating_of(event)) is not None:
                await self._run(_RATING, rating)

    async def rebuild_report_facts(self) -> int:
        """Recomputes every request's facts from the event log; returns how many requests."""
        await self._run("DELETE FROM request_facts")
        await self._run("DELETE FROM ratings")
        done = 0
        batch: list[FactRow] = []
        ratings: list[tuple[int, int, int]] = []
        current: int | None = None
        events: list[Event] = []
        async with self.conn.execute(
            "SELECT * FROM events WHERE request_id IS NOT NULL ORDER BY request_id, id"
        ) as cur:
            while rows := list(await cur.fetchmany(5000)):
                for row in rows:
                    if row["request_id"] != current:
                        if current is not None:
                            batch.append(fact_of(current, events))
                        current, events = row["request_id"], []
                    events.append(event := self._event_of(row))
                    if (rating := rating_of(event)) is not None:
                        ratings.append(rating)
                if len(batch) >= _BATCH:
                    await self.conn.executemany(_UPSERT, batch)
                    await self.conn.executemany(_RATING, ratings)
                    done += len(batch)
                    batch, ratings = [], []
        if current is not None:
            batch.append(fact_of(current, events))
        await self.conn.executemany(_UPSERT, batch)
        await self.conn.executemany(_RATING, ratings)
        return done + len(batch)

    async def report_facts(self) -> list[tuple[Any, ...]]:
        """Every row of request_facts and of ratings (to compare a rebuild with what was kept)."""
        rows = await self._all(f"SELECT {FACT_COLUMNS} FROM request_facts ORDER BY request_id")
        rows += await self._all(
            "SELECT request_id, at_us, stars FROM ratings ORDER BY request_id, at_us, stars"
        )
        return [tuple(r) for r in rows]

    # ---- figures ------------------------------------------------------------------------

    @staticmethod
    def _facts_from(by: Cut, table: str = "request_facts") -> str:
        """`table` as f (any table keyed by request_id), joined to what the cut's key reads."""
        if by is Cut.COUNTY or not _needs_request(_KEYS[by]):
            return f"{table} f"
        return (
            f"{table} f JOIN requests r ON r.id = f.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
        )

    @staticmethod
    def _ratings_from(by: Cut) -> str:
        """The ratings as g, joined to what the cut's key reads (the facts as f)."""
        facts = "JOIN request_facts f ON f.request_id = g.request_id " if "f." in _KEYS[by] else ""
        if by is Cut.COUNTY or not _needs_request(_KEYS[by]):
            return f"ratings g {facts}".rstrip()
        return (
            f"ratings g {facts}JOIN requests r ON r.id = g.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
        )

    async def _grouped(
        self, sql: str, params: Sequence[Any], by: Cut
    ) -> dict[str, tuple[Any, ...]]:
        grouped = f"{sql} GROUP BY k" if by is not Cut.COUNTY else sql
        rows = await self._all(grouped, params)
        return {str(r[0] if r[0] is not None else ""): tuple(r)[1:] for r in rows}

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]:
        """Received, accepted, resolved, escalated in `period`; overdue at its last instant
        (0 without `overdue`: that one folds the events of whatever changed since then)."""
        key = _KEYS[by]
        lo, hi = us(period.start), us(period.end)
        received = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {self._facts_from(by)} "
            "WHERE f.submitted_us >= ? AND f.submitted_us < ?",
            (lo, hi),
            by,
        )
        span = (to_text(period.start), to_text(period.end))
        per_kind: dict[EventKind, dict[str, int]] = {}
        for kind in (
            EventKind.ACCEPTED,
            EventKind.RESOLVED,
            EventKind.ESCALATED,
            EventKind.REOPENED,
            EventKind.CLOSED,
        ):
            if by is Cut.COUNTY:
                auto = _AUTO.get(kind, "").replace("ev.", "")
                row = await self._one(
                    "SELECT COUNT(DISTINCT request_id) FROM events "
                    f"WHERE kind = ? AND at >= ? AND at < ?{auto}",
                    (kind.value, *span),
                )
                per_kind[kind] = {"": int(row[0]) if row else 0}
            else:
                rows = await self._all(_counts_sql(kind, key), span)
                per_kind[kind] = {str(r["k"] or ""): int(r["n"]) for r in rows}
        late = await self._overdue_counts(period.end - _US, by) if overdue else {}
        keys = {""} if by is Cut.COUNTY else set(received)
        keys |= {k for d in per_kind.values() for k in d} | set(late)
        return {
            k: Counts(
                received=int(received.get(k, (0,))[0]),
                accepted=per_kind[EventKind.ACCEPTED].get(k, 0),
                resolved=per_kind[EventKind.RESOLVED].get(k, 0),
                escalated=per_kind[EventKind.ESCALATED].get(k, 0),
                overdue=late.get(k, 0),
                reopened=per_kind[EventKind.REOPENED].get(k, 0),
                closed_unrated=per_kind[EventKind.CLOSED].get(k, 0),
            )
            for k in sorted(keys)
        }

    async def report_resolved(self, period: Period, by: Cut) -> dict[str, int]:
        """Distinct requests with a resolution in `period`, by group (the headline's figure)."""
        rows = await self._all(
            _counts_sql(EventKind.RESOLVED, _KEYS[by]), (to_text(period.start), to_text(period.end))
        )
        return {str(r["k"] or ""): int(r["n"]) for r in rows}

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        """Response, resolution and satisfaction rates and MTTA/MTTR over `period`."""
        key, src = _KEYS[by], self._facts_from(by)
        lo, hi = us(period.start), us(period.end)
        response = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(f.first_accept_us IS NOT NULL "
            f"AND f.first_accept_us - f.first_offer_us <= ?), 0) FROM {src} "
            "WHERE f.first_offer_us >= ? AND f.first_offer_us < ? "
            "AND f.cancelled_before_accept = 0",
            (accept_within // _US, lo, hi),
            by,
        )
        resolution = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(f.resolved_us IS NOT NULL "
            f"AND f.resolved_us <= f.deadline_us), 0) FROM {src} "
            "WHERE f.deadline_us >= ? AND f.deadline_us < ?",
            (lo, hi),
            by,
        )
        mtta = await self._grouped(
            f"SELECT {key} AS k, AVG(f.first_accept_us - f.first_offer_us) FROM {src} "
            "WHERE f.first_accept_us >= ? AND f.first_accept_us < ? "
            "AND f.first_offer_us IS NOT NULL",
            (lo, hi),
            by,
        )
        mttr = await self._grouped(
            f"SELECT {key} AS k, AVG(f.resolved_us - f.submitted_us) FROM {src} "
            "WHERE f.resolved_us >= ? AND f.resolved_us < ? AND f.submitted_us IS NOT NULL",
            (lo, hi),
            by,
        )
        satisfaction = await self._grouped(
            f"SELECT {key} AS k, COUNT(*), COALESCE(SUM(g.stars >= 4), 0) "
            f"FROM {self._ratings_from(by)} "
            "WHERE g.at_us >= ? AND g.at_us < ?",
            (lo, hi),
            by,
        )
        keys = {""} if by is Cut.COUNTY else set()
        for found in (response, resolution, satisfaction, mtta, mttr):
            keys |= set(found)

        def rate(found: dict[str, tuple[Any, ...]], k: str) -> Rate:
            total, hits = found.get(k, (0, 0))
            return Rate(hits=int(hits or 0), total=int(total or 0))

        def mean(found: dict[str, tuple[Any, ...]], k: str) -> float | None:
            (value,) = found.get(k, (None,))
            return None if value is None else float(value) / 1e6

        return {
            k: Rates(
                response=rate(response, k),
                resolution=rate(resolution, k),
                satisfaction=rate(satisfaction, k),
                mtta_seconds=mean(mtta, k),
                mttr_seconds=mean(mttr, k),
            )
            for k in sorted(keys)
        }

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        """Median and p90 of time to accept and to resolve (the requests MTTA/MTTR cover)."""
        key, src = _KEYS[by], self._facts_from(by)
        lo, hi = us(period.start), us(period.end)
        spans = {
            "accept": (
                "f.first_accept_us - f.first_offer_us",
                "f.first_accept_us >= ? AND f.first_accept_us < ? AND f.first_offer_us IS NOT NULL",
            ),
            "resolve": (
                "f.resolved_us - f.submitted_us",
                "f.resolved_us >= ? AND f.resolved_us < ? AND f.submitted_us IS NOT NULL",
            ),
        }
        found: dict[str, dict[str, float | None]] = {}
        for name, (value, where) in spans.items():
            # Only the rows at the two ranks around each quantile leave SQLite.
            rows = await self._all(
                # The key and the span are computed once per row, in the innermost query.
                "SELECT k, n, rn, d FROM (SELECT k, d, "
                "ROW_NUMBER() OVER (PARTITION BY k ORDER BY d) - 1 AS rn, "
                "COUNT(*) OVER (PARTITION BY k) AS n FROM "
                f"(SELECT {key} AS k, {value} AS d FROM {src} WHERE {where})) "
                "WHERE rn IN (CAST((n - 1) * 0.5 AS INTEGER), CAST((n - 1) * 0.5 AS INTEGER) + 1, "
                "CAST((n - 1) * 0.9 AS INTEGER), CAST((n - 1) * 0.9 AS INTEGER) + 1)",
                (lo, hi),
            )
            ranks: dict[str, tuple[int, dict[int, int]]] = {}
            for r in rows:
                k = str(r["k"] or "")
                ranks.setdefault(k, (int(r["n"]), {}))[1][int(r["rn"])] = int(r["d"])
            for k, (n, at_rank) in ranks.items():
                for q, label in ((0.5, "median"), (0.9, "p90")):
                    found.setdefault(k, {})[f"{name}_{label}_seconds"] = _quantile(n, at_rank, q)
        if by is Cut.COUNTY:
            found.setdefault("", {})
        return {k: Durations.model_validate(v) for k, v in sorted(found.items())}

    async def report_tally(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Tally]:
        """Cancelled, reopened and resolved by outcome in `period`; open now (any period)."""
        key, src = _KEYS[by], self._facts_from(by)
        lo, hi = us(period.start), us(period.end)
        span = (to_text(period.start), to_text(period.end))
        cancelled = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {src} "
            "WHERE f.cancelled_us >= ? AND f.cancelled_us < ?",
            (lo, hi),
            by,
        )
        open_now = await self._grouped(
            f"SELECT {key} AS k, COUNT(*) FROM {src} WHERE f.status IN ({_OPEN})", (), by
        )
        reopened: dict[str, tuple[Any, ...]] = {}
        if _REOPENED_KIND is not None:
            reopened = {
                str(r["k"] or ""): (int(r["n"]),)
                for r in await self._all(_counts_sql(_REOPENED_KIND, key), span)
            }
        outcomes: dict[str, dict[str, int]] = {}
        for r in await self._all(
            f"SELECT {key} AS k, json_extract(ev.payload, '$.outcome') AS o, "
            f"COUNT(DISTINCT ev.request_id) AS n FROM {_events_from(key)} "
            f"WHERE ev.kind = '{EventKind.RESOLVED.value}' AND ev.at >= ? AND ev.at < ? "
            "GROUP BY k, o",
            span,
        ):
            outcomes.setdefault(str(r["k"] or ""), {})[str(r["o"] or "")] = int(r["n"])
        keys = {""} if by is Cut.COUNTY else set()
        keys |= set(cancelled) | set(open_now) | set(reopened) | set(outcomes)

        def count(found: dict[str, tuple[Any, ...]], k: str) -> int:
            return int(found.get(k, (0,))[0] or 0)

        return {
            k: Tally(
                cancelled=count(cancelled, k),
                reopened=count(reopened, k),
                open_now=count(open_now, k),
                outcomes=outcomes.get(k, {}),
            )
            for k in sorted(keys)
        }

    async def report_low_ratings(self, period: Period, most: int = 2) -> list[LowRating]:
        """Ratings of at most `most` stars given in `period`, oldest first, named."""
        rows = await self._all(
            "SELECT g.request_id, g.stars, COALESCE(e.name, '—') AS enterprise, "
            "COALESCE(p.name, '—') AS holder FROM ratings g "
            "JOIN requests r ON r.id = g.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id "
            "LEFT JOIN request_facts f ON f.request_id = g.request_id "
            f"LEFT JOIN people p ON p.id = {_WHO} "
            "WHERE g.at_us >= ? AND g.at_us < ? AND g.stars <= ? ORDER BY g.at_us, g.request_id",
            (us(period.start), us(period.end), most),
        )
        return [
            LowRating(
                request_id=int(r["request_id"]),
                stars=int(r["stars"]),
                enterprise=str(r["enterprise"]),
                holder=str(r["holder"]),
            )
            for r in rows
        ]

    async def report_overdue(self, when: datetime) -> list[OverdueLine]:
        """Requests being worked on past their deadline at `when`, most late first, named."""
        return [line for line, _ in await self._overdue_keyed(when, Cut.COUNTY)]

    async def _overdue_keyed(self, when: datetime, by: Cut) -> list[tuple[OverdueLine, str]]:
        at = us(when)
        # Unchanged since `when`: their state then is their state now, as the facts keep it.
        rows = await self._all(
            f"SELECT f.request_id, f.work_due_us, COALESCE(e.name, '—') AS enterprise, "
            f"COALESCE(p.name, '—') AS holder, {_KEYS[by]} AS k "
            "FROM request_facts f JOIN requests r ON r.id = f.request_id "
            "LEFT JOIN enterprises e ON e.id = r.enterprise_id "
            "LEFT JOIN people p ON p.id = f.holder_id "
            "WHERE f.work_due_us < ? AND f.last_event_us <= ?",
            (at, at),
        )
        found: list[tuple[OverdueLine, str]] = []
        for r in rows:
            due = from_us(r["work_due_us"])
            # Typed by the query already: built without validation (thousands at a time).
            line = OverdueLine.model_construct(
                request_id=int(r["request_id"]),
                enterprise=str(r["enterprise"]),
                holder=str(r["holder"]),
                due_at=due,
                days_late=kpis.days_late(due, when),
            )
            found.append((line, str(r["k"] or "")))
        found += await self._changed_overdue(when, by)
        found.sort(key=lambda pair: (pair[0].due_at, pair[0].request_id))
        return found

    async def _overdue_counts(self, when: datetime, by: Cut) -> dict[str, int]:
        """How many requests were overdue at `when`, by group (no names, no list)."""
        at = us(when)
        steady = await self._grouped(
            f"SELECT {_KEYS[by]} AS k, COUNT(*) FROM {self._facts_from(by)} "
            "WHERE f.work_due_us < ? AND f.last_event_us <= ?",
            (at, at),
            by,
        )
        counted = {k: int(n) for k, (n,) in steady.items() if n}
        for _line, k in await self._changed_overdue(when, by):
            counted[k] = counted.get(k, 0) + 1
        return counted

    async def _changed_overdue(self, when: datetime, by: Cut) -> list[tuple[OverdueLine, str]]:
        """Overdue at `when` among the requests with events after it, folded from their events."""
        at = us(when)
        found: list[tuple[OverdueLine, str]] = []
        changed = [
            int(r[0])
            for r in await self._all(
                "SELECT request_id FROM request_facts WHERE last_event_us > ?", (at,)
            )
        ]
        for chunk in _chunks(changed, 500):
            marks = ",".join("?" for _ in chunk)
            events = [
                self._event_of(r)
                for r in await self._all(
                    f"SELECT * FROM events WHERE request_id IN ({marks}) ORDER BY id", chunk
                )
            ]
            late = kpis.overdue_at(kpis.timelines(events).values(), when)
            if not late:
                continue
            ids = [o.request_id for o in late]
            holders = sorted({o.holder_id for o in late if o.holder_id is not None})
            names = await self._names(ids, holders, by)
            for o in late:
                enterprise, k = names[0].get(o.request_id, ("—", ""))
                found.append(
                    (
                        OverdueLine(
                            request_id=o.request_id,
                            enterprise=enterprise,
                            holder=names[1].get(o.holder_id, "—") if o.holder_id else "—",
                            due_at=o.due_at,
                            days_late=o.days_late,
                        ),
                        k,
                    )
                )
        return found

    async def _names(
        self, request_ids: list[int], people: list[int], by: Cut
    ) -> tuple[dict[int, tuple[str, str]], dict[int | None, str]]:
        marks = ",".join("?" for _ in request_ids)
        rows = await self._all(
            f"SELECT r.id, COALESCE(e.name, '—') AS name, {_KEYS[by]} AS k FROM requests r "
            "LEFT JOIN request_facts f ON f.request_id = r.id "
            f"LEFT JOIN enterprises e ON e.id = r.enterprise_id WHERE r.id IN ({marks})",
            request_ids,
        )
        enterprises = {int(r["id"]): (str(r["name"]), str(r["k"] or "")) for r in rows}
        holders: dict[int | None, str] = {}
        if people:
            marks = ",".join("?" for _ in people)
            for r in await self._all(f"SELECT id, name FROM people WHERE id IN ({marks})", people):
                holders[int(r["id"])] = str(r["name"])
        return enterprises, holders


def _quantile(n: int, at_rank: dict[int, int], q: float) -> float:
    """kpis.quantile from the two ranks around position (n - 1) * q, in seconds."""
    pos = (n - 1) * q
    lo = int(pos)
    hi = min(lo + 1, n - 1)
    low, high = at_rank[lo] / 1e6, at_rank[hi] / 1e6
    return low + (high - low) * (pos - lo)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
