"""Report speed at scale: the digest, /stats for the month and /overdue over a seeded history.

Builds a temporary SQLite file with the project's migrations, bulk-inserts a seeded synthetic
history by SQL (requests with 3–9 events each over `--days` days: offers, declines and
escalations, acceptances, extensions, hand-backs, resolutions, ratings, reopenings,
cancellations, some never resolved), folds the report facts from the event log (the rebuild
the migration runs), then times each report as the bot computes it (DigestService on the
reader connection) and prints the EXPLAIN QUERY PLAN of every statement it ran.

    python bench/reports.py [--requests 1000000] [--days 400] [--seed 7]
                            [--keep PATH | --reuse PATH]

`--keep PATH` writes the history (facts folded) to PATH and keeps it; `--reuse PATH` times the
reports against such a file again (migrating it first) without generating or folding anything.

`history()` is also what tests/integration/test_reports.py replays through the real
event-append path to compare the SQL figures with bot.domain.kpis.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config_files import load_calendar
from bot.domain.clock import FakeClock, to_text
from bot.domain.kpis import Cut
from bot.domain.models import Person, Role
from bot.domain.periods import StatsAsk
from bot.services.digest import DigestService
from bot.services.sla import SlaPolicy
from bot.services.stats import StatsService
from bot.services.weekly import DigestExtras
from bot.storage.uow import Database, rebuild_report_facts

NOW = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 08:30 in the county
COMMISSIONERS = 30
ENTERPRISES = 500
CATEGORIES = ("financing", "labor", "sales", "permits", "policy", "legal", "tax", "other")
INDUSTRIES = ("aquaculture", "herbal medicine", "distilling", "tourism")
CHAINS = ("trout", "herbs", "liquor", "")

EventRow = tuple[int, int | None, str, str | None, str | None, str, str]


@dataclass
class Request:
    id: int
    enterprise_id: int
    owner_id: int
    category: str
    status: str
    created_at: str
    holder_id: int | None = None
    due_at: str | None = None
    events: list[EventRow] = field(default_factory=list)


def _minutes(rng: random.Random, low: float, high: float, grain: int = 1) -> timedelta:
    # Whole multiples of `grain` seconds, so that events share instants with others'.
    return timedelta(seconds=max(grain, int(rng.uniform(low, high) * 60) // grain * grain))


def lifecycle(
    n: int, rng: random.Random, start: datetime, now: datetime, grain: int = 1
) -> Request:
    """One request's events from `start` (stops at `now`, leaving it open).

    Instants are whole multiples of `grain` seconds: a coarse grain makes many events (and
    deadlines, and period boundaries) share one.
    """
    start -= timedelta(seconds=int(start.timestamp()) % grain, microseconds=start.microsecond)
    enterprise = rng.randrange(ENTERPRISES) + 1
    req = Request(
        n, enterprise, 1000 + enterprise, rng.choice(CATEGORIES), "submitted", to_text(start)
    )
    t = start
    status = "submitted"

    def add(kind: str, to: str | None, actor: int | None = None, **payload: object) -> bool:
        nonlocal status
        if t > now:
            return False
        req.events.append(
            (
                n,
                actor,
                kind,
                status if to else None,
                to,
                json.dumps(payload, sort_keys=True),
                to_text(t),
            )
        )
        if to:
            status = to
        return True

    add("submitted", "submitted", req.owner_id)
    commissioner = rng.randrange(COMMISSIONERS) + 1
    if rng.random() < 0.85:
        add("dispatched", "dispatched", None, tier="commissioner")
    else:
        add("escalated", "escalated", None, tier="team")
    rounds = 0
    while True:
        rounds += 1
        if rng.random() < 0.04:  # withdrawn before anyone accepts
            t += _minutes(rng, 1, 300, grain)
            add("cancelled", "cancelled", req.owner_id)
            break
        if rng.random() < 0.15:  # declined, or not accepted in time: to the team
            t += _minutes(rng, 5, 150, grain)
            add("declined", None, commissioner)
            if not add("escalated", "escalated", None, tier="team"):
                break
        t += _minutes(rng, 1, 200, grain)
        holder = rng.randrange(COMMISSIONERS) + 1
        due = t + timedelta(days=5 if rng.random() < 0.9 else 1)
        if not add("accepted", "accepted", holder, due_at=to_text(due)):
            break
        req.holder_id, req.due_at = holder, to_text(due)
        if rng.random() < 0.1:
            t += _minutes(rng, 60, 3000, grain)
            due += timedelta(days=2)
            if not add("extension_approved", None, 1, due_at=to_text(due)):
                break
            req.due_at = to_text(due)
        if rng.random() < 0.05 and rounds < 3:  # handed back: offered again
            t += _minutes(rng, 60, 2000, grain)
            if not add("reassigned", "dispatched", 1):
                break
            req.holder_id = req.due_at = None
            continue
        if rng.random() < 0.003:  # never resolved: stays overdue
            break
        if rng.random() < 0.02:  # withdrawn by its owner while in work
            t += _minutes(rng, 60, 9000, grain)
            add("cancelled", "cancelled", req.owner_id)
            break
        t += _minutes(rng, 30, 11000, grain)
        if not add("resolved", "resolved", holder, outcome="solved"):
            break
        if rng.random() < 0.75:
            t += _minutes(rng, 10, 3000, grain)
            if rng.random() < 0.05 and rounds < 3:
                # A poor rating that sends it back to work (as a reopening would).
                if not add("rated", "reopened", req.owner_id, stars=rng.choice((1, 2))):
                    break
                t += _minutes(rng, 30, 4000, grain)
                if not add("resolved", "resolved", holder, outcome="solved"):
                    break
                t += _minutes(rng, 10, 600, grain)
            add("rated", "closed", req.owner_id, stars=rng.choice((1, 3, 4, 5, 5, 5)))
        break
    req.status = status
    return req


def history(
    requests: int, days: int, seed: int, now: datetime = NOW, grain: int = 1
) -> Iterator[Request]:
    """`requests` requests submitted evenly at random over the `days` days before `now`."""
    rng = random.Random(seed)
    span = days * 86400
    for n in range(1, requests + 1):
        start = now - timedelta(seconds=span * (1 - n / (requests + 1)) + rng.uniform(0, 600))
        yield lifecycle(n, rng, start.replace(microsecond=0), now, grain)


PEOPLE_SQL = "INSERT INTO people (id, name, phone, created_at) VALUES (?, ?, ?, ?)"
ENTERPRISES_SQL = (
    "INSERT INTO enterprises (id, name, credit_code, industry, chain, commissioner_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
REQUESTS_SQL = (
    "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
    "status, holder_id, created_at, due_at) VALUES (?, ?, ?, ?, '…', 'normal', ?, ?, ?, ?)"
)
EVENTS_SQL = (
    "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def people_rows(now: datetime) -> list[tuple[object, ...]]:
    """A supervisor, the commissioners, one owner per enterprise."""
    at = to_text(now)
    rows: list[tuple[object, ...]] = [(1, "督导", "13900000001", at)]
    rows += [(i, f"专员{i}", f"1390000{i:04d}", at) for i in range(2, COMMISSIONERS + 1)]
    rows += [(1000 + e, f"负责人{e}", f"1380000{e:04d}", at) for e in range(1, ENTERPRISES + 1)]
    return rows


def enterprise_rows() -> list[tuple[object, ...]]:
    return [
        (e, f"企业{e}", f"915{e:015d}", INDUSTRIES[e % 4], CHAINS[e % 4], e % COMMISSIONERS + 1)
        for e in range(1, ENTERPRISES + 1)
    ]


def request_row(req: Request) -> tuple[object, ...]:
    return (
        req.id,
        req.enterprise_id,
        req.owner_id,
        req.category,
        req.status,
        req.holder_id,
        req.created_at,
        req.due_at,
    )


def bulk_insert(path: Path, requests: int, days: int, seed: int) -> tuple[int, int]:
    """Writes the history by plain SQL (no per-event work); returns (requests, events)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(PEOPLE_SQL, people_rows(NOW))
    conn.executemany(ENTERPRISES_SQL, enterprise_rows())
    # Ten service teams of three commissioners each (the cuts by team).
    conn.executemany(
        "INSERT INTO team_members (person_id, team) VALUES (?, ?)",
        [(i, f"team{i % 10}") for i in range(2, COMMISSIONERS + 1)],
    )
    n_events = 0
    req_rows: list[tuple[object, ...]] = []
    ev_rows: list[EventRow] = []

    def flush() -> None:
        conn.executemany(REQUESTS_SQL, req_rows)
        conn.executemany(EVENTS_SQL, ev_rows)
        req_rows.clear()
        ev_rows.clear()

    for req in history(requests, days, seed):
        req_rows.append(request_row(req))
        ev_rows.extend(req.events)
        n_events += len(req.events)
        if len(req_rows) >= 20000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.close()
    return requests, n_events


def full_scans(plans: dict[str, list[str]]) -> list[str]:
    """Plan lines that read a whole big table (SCAN without an index)."""
    bad = []
    for sql, lines in plans.items():
        for line in lines:
            if line.startswith("SCAN") and "USING" not in line:
                table = line.split()[1]
                if table in ("events", "request_facts", "requests", "ev", "f", "r"):
                    bad.append(f"{line}  <-  {sql[:90]}")
    return bad


async def run(
    requests: int, days: int, seed: int, keep: Path | None = None, reuse: Path | None = None
) -> None:
    if reuse is not None:
        db = await Database.open(reuse)  # migrates a file kept before a schema change
        try:
            await db.conn.execute("ANALYZE")
            await measure(db, None)
        finally:
            await db.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "reports.db"
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            for stale in (keep, keep.with_name(keep.name + "-wal")):
                stale.unlink(missing_ok=True)
        await (await Database.open(path)).close()  # creates and migrates the file
        started = time.perf_counter()
        n, n_events = bulk_insert(path, requests, days, seed)
        inserted = time.perf_counter() - started
        db = await Database.open(path)
        try:
            await measure(db, (n, n_events, days, seed, inserted))
        finally:
            await db.close()


async def measure(db: Database, made: tuple[int, int, int, int, float] | None) -> None:
    """Folds the facts of a history just made (`made`: its size and insert time), then times."""
    tz = ZoneInfo("Asia/Shanghai")
    if made is not None:
        n, n_events, days, seed, inserted = made
        started = time.perf_counter()
        await rebuild_report_facts(db.conn)
        await db.conn.execute("PRAGMA optimize")
        await db.conn.execute("ANALYZE")
        folded = time.perf_counter() - started
        print(f"history: {n:,} requests, {n_events:,} events over {days} days (seed {seed})")
        print(f"bulk insert {inserted:.1f} s; facts folded from the event log {folded:.1f} s")
    open_rows = await (
        await db.conn.execute(
            "SELECT COUNT(*) FROM request_facts WHERE status NOT IN "
            "('resolved', 'closed', 'cancelled')"
        )
    ).fetchone()
    print(f"open requests: {open_rows[0] if open_rows else 0:,}")
    policy = SlaPolicy(
        accept_remind_after=timedelta(minutes=30),
        accept_escalate_after=timedelta(hours=2),
        tz=tz,
        calendar=load_calendar(None, tz),
        working_days=False,
        resolve_within_normal=timedelta(days=5),
        resolve_within_urgent=timedelta(days=1),
    )
    digests = DigestService(db, FakeClock(NOW), policy)
    statements: list[str] = []
    assert db.reader is not None
    await db.reader.set_trace_callback(statements.append)

    async def timed(name: str, call: object) -> float:
        best = float("inf")
        for _ in range(3):
            statements.clear()
            started = time.perf_counter()
            result = await call()  # type: ignore[operator]
            best = min(best, time.perf_counter() - started)
        summary = {
            "digest": lambda r: f"received {r.counts.received}, overdue {r.overdue_count}",
            "stats": lambda r: f"received {r[1].received}, response {r[2].response.value}",
            "overdue": lambda r: f"{r.total} overdue, {len(r.lines)} lines read",
            "stats_by": lambda r: f"{len(r.rows)} groups, received {r.total.counts.received}",
            "chart": lambda r: f"{len(r.points)} days, {len(r.teams)} teams",
        }[name.split(" ")[0]](result)
        print(f"{name}: {best * 1000:.0f} ms (best of 3; {summary})")
        return best

    # Issue 12: /stats for a period by cut, as a supervisor asks it, and the digest's chart
    # series with the weekly figures (read before the digest's unit of work).
    stats = StatsService(db, FakeClock(NOW), policy)
    boss = Person(id=1, name="督导", phone="13900000001", roles=frozenset({Role.SUPERVISOR}))
    today = policy.local(NOW).date()
    month = StatsAsk(first=today.replace(day=1), last=today)

    def by(cut: Cut) -> object:
        return lambda: stats.report(month.model_copy(update={"by": cut}), boss)

    extras = DigestExtras(digests)
    figures = {
        "digest": await timed("digest", digests.for_date),
        "stats": await timed("stats", digests.month_so_far),
        "overdue": await timed("overdue", digests.overdue_now),
        "stats_by county": await timed("stats_by county", by(Cut.COUNTY)),
        "stats_by team": await timed("stats_by team", by(Cut.TEAM)),
        "stats_by commissioner": await timed("stats_by commissioner", by(Cut.COMMISSIONER)),
        "stats_by category": await timed("stats_by category", by(Cut.CATEGORY)),
        "stats_by chain": await timed("stats_by chain", by(Cut.CHAIN)),
        "chart": await timed("chart", lambda: extras.prepare(today, NOW)),
    }
    # The plans of every statement the three reports ran.
    statements.clear()
    await digests.for_date()
    await digests.month_so_far()
    await digests.overdue_now()
    await db.reader.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
    plans: dict[str, list[str]] = {}
    for sql in dict.fromkeys(statements):
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        async with db.reader.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
            plans[sql] = [str(r[3]) for r in await cur.fetchall()]
    print("\nquery plans:")
    for sql, lines in plans.items():
        print(f"- {' '.join(sql.split())[:220]}")
        for line in lines:
            print(f"    {line}")
    bad = full_scans(plans)
    print("\nfull scans on the hot paths: " + ("none" if not bad else ""))
    for line in bad:
        print(f"  {line}")
    # The chart's series and weekly figures are read before the digest's text: digest budget.
    targets = {"digest": 1.0, "stats": 0.3, "overdue": 0.1, "stats_by": 0.3, "chart": 1.0}
    print()
    for name, took in figures.items():
        target = targets[name.split(" ")[0]]
        print(f"{name}: {took * 1000:.0f} ms; ratio to target {took / target:.2f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (generation included): {rss:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    keeping = parser.add_mutually_exclusive_group()
    keeping.add_argument("--keep", type=Path, help="write the history to this file and keep it")
    keeping.add_argument("--reuse", type=Path, help="time the reports on a file kept before")
    args = parser.parse_args(argv)
    asyncio.run(run(args.requests, args.days, args.seed, args.keep, args.reuse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
