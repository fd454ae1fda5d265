"""The report projection: one row of facts per request, kept with the event log.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import kpis
from bot.domain.kinds import EventKind
from bot.domain.kpis import Cut
from bot.domain.models import Event, RequestStatus
from bot.storage.sqlite.events import EventsSql
from bot.storage.sqlite.report_cuts import DEFINITIONS, KEY_COLUMNS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
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
# The facts folded from the events as `f`, and every cut's key computed from them, the request
# and its enterprise by its definition (report_cuts.DEFINITIONS), in one statement. A key is ""
# where the definition gives none (one group with the key "", never two: NULL and "").
_KEYS = ", ".join(f"COALESCE({DEFINITIONS[cut]}, '')" for cut in KEY_COLUMNS)
_UPSERT = (
    f"INSERT OR REPLACE INTO request_facts ({FACT_COLUMNS}, {', '.join(KEY_COLUMNS.values())}) "
    f"SELECT f.*, {_KEYS} FROM (SELECT "
    + ", ".join(f"? AS {column.strip()}" for column in FACT_COLUMNS.split(","))
    + ") f LEFT JOIN requests r ON r.id = f.request_id "
    "LEFT JOIN enterprises e ON e.id = r.enterprise_id"
)

# Every row's cut keys recomputed in bulk from the rest of its facts (the benchmark's generator
# writes the facts by SQL; the same definitions as _UPSERT's).
FILL_KEYS = (
    f"UPDATE request_facts AS f SET ({', '.join(KEY_COLUMNS.values())}) = (SELECT {_KEYS} "
    "FROM requests r LEFT JOIN enterprises e ON e.id = r.enterprise_id WHERE r.id = f.request_id)"
)

_RATING = "INSERT INTO ratings (request_id, at_us, stars) VALUES (?, ?, ?)"
# The marks (0016): a request's accepted, resolved, escalated, reopened, auto-closed and rated
# events, each with a resolution's outcome or a rating's stars and the request's cut keys as
# its facts keep them.
MARK_KEYS = f"{', '.join(KEY_COLUMNS.values())}, resolver_id, holder_id"
_MARK_COLUMNS = f"request_id, kind, at_us, outcome, stars, {MARK_KEYS}"
_MARKED = (EventKind.ACCEPTED, EventKind.RESOLVED, EventKind.ESCALATED, EventKind.REOPENED)
_MARK = (
    f"INSERT INTO report_marks ({_MARK_COLUMNS}) SELECT ?, ?, ?, ?, ?, {MARK_KEYS} "
    "FROM request_facts WHERE request_id = ?"
)
# Only the marks whose keys differ from the facts' are rewritten (most events change none).
_MARK_REKEY = (
    f"UPDATE report_marks AS m SET ({MARK_KEYS}) = (SELECT {MARK_KEYS} FROM request_facts "
    "WHERE request_id = m.request_id) WHERE m.request_id = ? AND EXISTS (SELECT 1 FROM "
    "request_facts f WHERE f.request_id = m.request_id AND ("
    + " OR ".join(f"f.{c.strip()} IS NOT m.{c.strip()}" for c in MARK_KEYS.split(","))
    + "))"
)
# Each mark's previous mark of the same request and kind (and outcome), in time and then in
# insertion order: a period's marks without one before the period are its distinct requests.
# INDEXED BY: without ANALYZE's figures (a rebuild of a file just made) the planner took the
# covering report_marks_at for the outcome's (kind = ?: every mark of the kind, per mark —
# quadratic, a 1,000,000-request rebuild never ended); by request it is a few rows each.
_PREV = (
    "(SELECT MAX(p.at_us) FROM report_marks p INDEXED BY report_marks_request "
    "WHERE p.request_id = m.request_id "
    "AND p.kind = m.kind{} AND (p.at_us < m.at_us OR (p.at_us = m.at_us AND p.rowid < m.rowid)))"
)
MARK_PREVIOUS = (
    f"UPDATE report_marks AS m SET prev_us = {_PREV.format('')}, "
    f"prev_outcome_us = {_PREV.format(' AND p.outcome = m.outcome')}"
)
# After a mark is added: its own previous ones, and any other's that it changes (an event
# written out of time order); the marks whose previous ones stay are not rewritten.
_MARK_PREVIOUS_OF = (
    f"{MARK_PREVIOUS} WHERE m.request_id = ? AND m.kind = ? "
    f"AND (m.prev_us IS NOT {_PREV.format('')} "
    f"OR m.prev_outcome_us IS NOT {_PREV.format(' AND p.outcome = m.outcome')})"
)
# Every mark from the event log and the facts at once (the same rows `mark_of` and _MARK make).
FILL_MARKS = (
    f"INSERT INTO report_marks ({_MARK_COLUMNS}) SELECT ev.request_id, ev.kind, "
    "CAST(strftime('%s', substr(ev.at, 1, 19)) AS INTEGER) * 1000000 "
    "+ CAST(substr(ev.at, 21, 6) AS INTEGER), "
    f"CASE WHEN ev.kind = '{EventKind.RESOLVED.value}' "
    "AND json_type(ev.payload, '$.outcome') = 'text' "
    "THEN json_extract(ev.payload, '$.outcome') ELSE '' END, "
    f"CASE WHEN ev.kind = '{EventKind.RATED.value}' THEN json_extract(ev.payload, '$.stars') END, "
    + ", ".join(f"f.{c.strip()}" for c in MARK_KEYS.split(","))
    + " FROM events ev JOIN request_facts f ON f.request_id = ev.request_id "
    f"WHERE ev.kind IN ({', '.join(repr(k.value) for k in _MARKED)}) "
    f"OR (ev.kind = '{EventKind.CLOSED.value}' AND json_type(ev.payload, '$.auto') = 'true') "
    f"OR (ev.kind = '{EventKind.RATED.value}' AND json_type(ev.payload, '$.stars') = 'integer') "
    "ORDER BY ev.id"
)


def us(when: datetime | None) -> int | None:
    """An instant as integer microseconds since the epoch (UTC)."""
    return None if when is None else (when - EPOCH) // US


def from_us(value: int) -> datetime:
    return EPOCH + value * US


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
    return event.request_id, (event.at - EPOCH) // US, stars


def mark_of(event: Event) -> tuple[int, str, int, str, int | None, int] | None:
    """_MARK's parameters for an event the counts by cut read (else None): request, kind,
    instant, a resolution's text outcome ("" without), a rating's stars, the request again."""
    if event.request_id is None:
        return None
    rating = rating_of(event)
    if (
        event.kind not in _MARKED
        and rating is None
        and not (event.kind == EventKind.CLOSED and event.payload.get("auto") is True)
    ):
        return None
    outcome = event.payload.get("outcome") if event.kind == EventKind.RESOLVED else None
    at = (event.at - EPOCH) // US
    text = outcome if isinstance(outcome, str) else ""
    stars = rating[2] if rating is not None else None
    return event.request_id, event.kind.value, at, text, stars, event.request_id


class FactsSql(EventsSql):
    """The event log plus its report projection (request_facts, ratings)."""

    async def append(self, event: Event) -> None:
        await super().append(event)
        if event.request_id is not None:
            # Same transaction as the event: the facts never lag the log.
            await self._run(_UPSERT, fact_of(event.request_id, await self.events(event.request_id)))
            if (rating := rating_of(event)) is not None:
                await self._run(_RATING, rating)
            # The request's keys may have changed with this event: its marks carry them too.
            await self._run(_MARK_REKEY, (event.request_id,))
            if (mark := mark_of(event)) is not None:
                await self._run(_MARK, mark)
                await self._run(_MARK_PREVIOUS_OF, (event.request_id, mark[1]))

    async def rebuild_report_facts(self) -> int:
        """Recomputes every request's facts from the event log; returns how many requests."""
        await self._run("DELETE FROM request_facts")
        await self._run("DELETE FROM ratings")
        await self._run("DELETE FROM report_marks")
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
        await self._run(FILL_MARKS)
        await self._run(MARK_PREVIOUS)
        return done + len(batch)

    async def report_facts(self) -> list[tuple[Any, ...]]:
        """Every row of request_facts, ratings and report_marks (a rebuild against the kept)."""
        keys = ", ".join(KEY_COLUMNS.values())
        rows = await self._all(
            f"SELECT {FACT_COLUMNS}, {keys} FROM request_facts ORDER BY request_id"
        )
        rows += await self._all(
            "SELECT request_id, at_us, stars FROM ratings ORDER BY request_id, at_us, stars"
        )
        rows += await self._all(
            f"SELECT {_MARK_COLUMNS}, prev_us, prev_outcome_us FROM report_marks "
            "ORDER BY request_id, at_us, kind, outcome, prev_us"
        )
        return [tuple(r) for r in rows]

    async def _grouped(
        self, sql: str, params: Sequence[Any], by: Cut
    ) -> dict[str, tuple[Any, ...]]:
        grouped = f"{sql} GROUP BY k" if by is not Cut.COUNTY else sql
        rows = await self._all(grouped, params)
        return {str(r[0] if r[0] is not None else ""): tuple(r)[1:] for r in rows}
