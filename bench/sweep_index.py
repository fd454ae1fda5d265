"""One sweep over a large history: chasing by index costs what is due, not what is open.

Builds a temporary SQLite file with the project's migrations, then bulk-inserts a seeded
history with SQL: N open requests (accepted within the last 20 days, each with the chase
events the sweep would have written by now and its exact `next_step_at`) and 10·N closed ones
(over 400 days), 3–5 events each, plus K requests whose accept reminder is due now. Then, with
the real Sweep (Desk, Database, reader connection) at that instant:

* one sweep with K reminders due (each planned and chased in its own transaction),
* sweeps with nothing due (the median of --runs),
* one sweep after K open requests were changed by taps (K re-planned, nothing sent),

beside the anchor — the bare indexed `SELECT id FROM requests WHERE next_step_at <= ?` on a
plain aiosqlite connection — and the query plan of the due query (no full scan).

    python bench/sweep_index.py [--open 100000] [--closed 1000000] [--due 100] [--runs 20]
                                [--after-migration]

The day's digest is recorded as sent, so the sweep's digest step is its one indexed check (the
digest itself is measured elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite

from bot.bootstrap import sla_policy
from bot.config_files import load_calendar, load_catalog
from bot.domain.clock import FakeClock, to_text
from bot.domain.kinds import EventKind
from bot.domain.models import Event, Request, RequestStatus, Urgency
from bot.sample import LI, TROUT_OWNER, load_sample
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.sla import OVERDUE_CHASED, REMINDED_DUE, SlaPolicy
from bot.services.sweep import OVERDUE, REMIND_DUE, Sweep, next_step_at, plan
from bot.settings import load_settings
from bot.storage.sqlite.requests import PLAN_AT_ONCE
from bot.storage.uow import Database

CQ = ZoneInfo("Asia/Shanghai")
# Wednesday 25 November 2026, 14:00 in the county: a working afternoon.
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=CQ)
DUE_QUERY = "SELECT id FROM requests WHERE next_step_at <= ?"
TARGET_MS = 20.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def seed_closed(conn: sqlite3.Connection, closed: int, seed: int, owner: int, holder: int) -> None:
    """`closed` closed requests over 400 days and 3–5 events each, in a few SQL statements."""
    h = f"((x * 2654435761 + {seed * 97 + 13}) % 1000003)"  # a seeded spread per row
    conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
        "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
        "status, holder_id, created_at, dispatched_at, accepted_at, resolved_at, closed_at, "
        "due_at, outcome, resolution, rating, next_step_at) "
        "SELECT x, 1, ?, 'financing', '历史工单 ' || x, "
        f"CASE WHEN {h} % 5 = 0 THEN 'urgent' ELSE 'normal' END, 'closed', ?, "
        f"strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '-' || ({h} % 34560000 + 864000) "
        "|| ' seconds'), NULL, NULL, NULL, NULL, NULL, 'solved', '已办结', 1 + x % 5, NULL "
        "FROM c",
        (closed, owner, holder, to_text(NOW)[:19]),
    )
    # The other instants follow the submission: dispatched at once, accepted within hours,
    # resolved within days, closed (rated) a day later.
    conn.execute(
        "UPDATE requests SET dispatched_at = created_at, "
        "accepted_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at, '+' || (id % 7200) "
        "|| ' seconds'), "
        "resolved_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at, '+' || (id % 600000 "
        "+ 7200) || ' seconds'), "
        "closed_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at, '+' || (id % 600000 "
        "+ 93600) || ' seconds'), "
        "due_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at, '+7 days') "
        "WHERE status = 'closed'"
    )
    steps = [
        (1, "submitted", None, "submitted", "created_at", '{"category": "financing"}'),
        (2, "dispatched", "submitted", "dispatched", "dispatched_at", '{"tier": "commissioner"}'),
        (3, "accepted", "dispatched", "accepted", "accepted_at", "{}"),
        (4, "resolved", "accepted", "resolved", "resolved_at", '{"outcome": "solved"}'),
        (5, "rated", "resolved", "closed", "closed_at", '{"stars": 5}'),
    ]
    for n, kind, before, after, column, payload in steps:
        # Steps 4 and 5 for some only: 3, 4 or 5 events a request.
        keep = "1" if n <= 3 else f"id % 3 >= {n - 3}"
        conn.execute(
            "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at) "
            f"SELECT id, ?, ?, ?, ?, ?, {column} FROM requests WHERE status = 'closed' AND {keep}",
            (holder if n in (3, 4) else owner, kind, before, after, payload),
        )


def seed_open(
    conn: sqlite3.Connection,
    policy: SlaPolicy,
    first_id: int,
    count: int,
    seed: int,
    owner: int,
    holder: int,
) -> None:
    """Open requests accepted within 20 days, as the chase would have left them by NOW."""
    rng = random.Random(seed)
    now = NOW.astimezone(policy.tz)
    requests, events = [], []
    for request_id in range(first_id, first_id + count):
        accepted = now - timedelta(seconds=rng.uniform(60, 20 * 86400))
        submitted = accepted - timedelta(seconds=rng.uniform(60, 7200))
        urgency = Urgency.URGENT if rng.random() < 0.2 else Urgency.NORMAL
        due = policy.resolve_due(accepted, urgency)
        request = Request(
            id=request_id,
            enterprise_id=1,
            owner_id=owner,
            category="financing",
            description=f"在办工单 {request_id}",
            urgency=urgency,
            status=RequestStatus.ACCEPTED,
            holder_id=holder,
            created_at=submitted,
            accepted_at=accepted,
            due_at=due,
        )
        log = [
            Event(request_id=request_id, actor_id=owner, kind=EventKind.SUBMITTED, at=submitted),
            Event(
                request_id=request_id,
                actor_id=None,
                kind=EventKind.DISPATCHED,
                payload={"tier": "commissioner", "to": str(holder)},
                at=submitted,
            ),
            Event(
                request_id=request_id,
                actor_id=holder,
                kind=EventKind.ACCEPTED,
                payload={"due_at": to_text(due)},
                at=accepted,
            ),
        ]
        for _ in range(rng.randint(0, 2)):
            at = accepted + (now - accepted) * rng.random()
            log.append(
                Event(
                    request_id=request_id,
                    actor_id=holder,
                    kind=EventKind.NOTED,
                    payload={"text": "进展"},
                    at=at,
                )
            )
        # The steps the sweep took by now (the due morning, the overdue chase of today).
        while steps := plan(request, log, now, policy):
            for step in steps:
                payload: dict[str, str | int | float | bool | None]
                if step.kind == REMIND_DUE:
                    payload = {"due_at": to_text(due)}
                    log.append(Event(request_id=request_id, actor_id=None, kind=REMINDED_DUE,
                                     payload=payload, at=now))  # fmt: skip
                elif step.kind == OVERDUE:
                    payload = {"day": now.date().isoformat(), "due_at": to_text(due)}
                    log.append(Event(request_id=request_id, actor_id=None, kind=OVERDUE_CHASED,
                                     payload=payload, at=now))  # fmt: skip
        upcoming = next_step_at(request, log, now, policy)
        assert upcoming is not None and upcoming > now
        requests.append(
            (
                request_id,
                owner,
                request.description,
                urgency.value,
                holder,
                to_text(submitted),
                to_text(submitted),
                to_text(accepted),
                to_text(due),
                to_text(upcoming),
            )
        )
        events += [
            (e.request_id, e.actor_id, e.kind.value, json.dumps(e.payload), to_text(e.at))
            for e in log
        ]
    conn.executemany(
        "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
        "status, holder_id, created_at, dispatched_at, accepted_at, due_at, next_step_at) "
        "VALUES (?, 1, ?, 'financing', ?, ?, 'accepted', ?, ?, ?, ?, ?, ?)",
        requests,
    )
    conn.executemany(
        "INSERT INTO events (request_id, actor_id, kind, payload, at) VALUES (?, ?, ?, ?, ?)",
        events,
    )


def seed_waiting(
    conn: sqlite3.Connection, first_id: int, count: int, owner: int, commissioner: int
) -> None:
    """Requests offered to a commissioner 45 minutes ago: the accept reminder is due."""
    offered = NOW - timedelta(minutes=45)
    remind = offered + timedelta(minutes=30)
    for request_id in range(first_id, first_id + count):
        conn.execute(
            "INSERT INTO requests (id, enterprise_id, owner_id, category, description, urgency, "
            "status, created_at, dispatched_at, next_step_at) "
            "VALUES (?, 1, ?, 'financing', '待接单', 'normal', 'dispatched', ?, ?, ?)",
            (request_id, owner, to_text(offered), to_text(offered), to_text(remind)),
        )
        conn.executemany(
            "INSERT INTO events (request_id, actor_id, kind, payload, at) VALUES (?, ?, ?, ?, ?)",
            [
                (request_id, owner, "submitted", "{}", to_text(offered)),
                (request_id, None, "dispatched", '{"tier": "commissioner"}', to_text(offered)),
            ],
        )
        conn.execute(
            "INSERT INTO offers (request_id, person_id, tier, offered_at, active) "
            "VALUES (?, ?, 'commissioner', ?, 1)",
            (request_id, commissioner, to_text(offered)),
        )


def person_id(conn: sqlite3.Connection, phone: str) -> int:
    row = conn.execute("SELECT id FROM people WHERE phone = ?", (phone,)).fetchone()
    return int(row[0])


def seed(path: Path, policy: SlaPolicy, n_open: int, closed: int, due: int, seed: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    owner, holder = person_id(conn, TROUT_OWNER.phone), person_id(conn, LI.phone)
    # Indexes are dropped for the bulk insert and built again after it (faster, same result).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('requests', 'events')"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    seed_closed(conn, closed, seed, owner, holder)
    seed_open(conn, policy, closed + 1, n_open, seed, owner, holder)
    seed_waiting(conn, closed + n_open + 1, due, owner, holder)
    # Today's digest is out already: the sweep's digest step is its one indexed check.
    today = NOW.astimezone(policy.tz).date().isoformat()
    conn.execute(
        "INSERT INTO events (kind, payload, at) VALUES ('digest_sent', ?, ?)",
        (json.dumps({"date": today, "recipients": 1}), to_text(NOW - timedelta(hours=5))),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()


async def timed_sweep(sweep: Sweep) -> tuple[float, int, int]:
    start = time.perf_counter()
    report = await sweep.run(NOW)
    took = time.perf_counter() - start
    return took, len(report.reminded_accept), len(report.escalated) + len(report.overdue)


async def main(
    n_open: int, closed: int, due: int, runs: int, seed_value: int, after_migration: bool
) -> None:
    logging.getLogger("bot.services.sweep").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.db"
        settings = load_settings(None, db=path)
        policy = sla_policy(settings, load_calendar(None, settings.tz))
        clock = FakeClock(NOW)
        db = await Database.open(path)  # the project's migrations
        await load_sample(db, NOW - timedelta(days=500), bind=True)
        await db.close()

        started = time.perf_counter()
        seed(path, policy, n_open, closed, due, seed_value)
        seeded = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        print(
            f"history: {n_open:,} open, {closed:,} closed, {due:,} waiting for a reminder; "
            f"seeded in {seeded:.1f} s, {size:.0f} MB"
        )

        db = await Database.open(path)
        desk = Desk(db, clock, load_catalog(), policy)
        sweep = Sweep(desk, policy, DigestService(db, clock, policy))
        try:
            async with db.conn.execute(f"EXPLAIN QUERY PLAN {DUE_QUERY}", (to_text(NOW),)) as cur:
                query_plan = "; ".join(str(r["detail"]) for r in await cur.fetchall())
            async with db.conn.execute("SELECT COUNT(*) FROM events") as cur:
                row = await cur.fetchone()
                assert row is not None
            print(f"events: {row[0]:,}")

            took, reminded, other = await timed_sweep(sweep)
            assert reminded == due and other == 0, (reminded, other)
            print(f"sweep, {due} reminders due (each its own transaction): {ms(took)}")

            idle = []
            for _ in range(runs):
                took, reminded, other = await timed_sweep(sweep)
                assert reminded == other == 0
                idle.append(took)
            idle_s = statistics.median(idle)

            # Taps changed `due` open requests: each is re-planned, nothing is due to be sent.
            async with db.conn.execute(
                "SELECT id FROM requests WHERE status = 'accepted' ORDER BY id DESC LIMIT ?",
                (due,),
            ) as cur:
                changed = [int(r[0]) for r in await cur.fetchall()]
            await db.conn.executemany(
                "UPDATE requests SET next_step_at = ? WHERE id = ?",
                [(PLAN_AT_ONCE, i) for i in changed],
            )
            took_replan, reminded, other = await timed_sweep(sweep)
            assert reminded == other == 0
            async with db.conn.execute(
                "SELECT COUNT(*) FROM requests WHERE next_step_at <= ?", (to_text(NOW),)
            ) as cur:
                row = await cur.fetchone()
                assert row is not None and row[0] == 0, "a re-planned request is still due"

            if after_migration:
                # What migration 0005's backfill leaves: every open request to be planned.
                await db.conn.execute(
                    "UPDATE requests SET next_step_at = ? WHERE status IN ('dispatched', "
                    "'escalated', 'accepted', 'reopened')",
                    (PLAN_AT_ONCE,),
                )
                took_all, reminded, other = await timed_sweep(sweep)
                assert reminded == other == 0
                print(
                    f"first sweep after the migration ({n_open + due:,} open planned, one "
                    f"transaction each): {took_all:.1f} s"
                )
        finally:
            await db.close()

        # The anchor: the bare indexed query on a plain aiosqlite connection.
        async with aiosqlite.connect(str(path)) as plain:
            anchor = []
            for _ in range(runs):
                start = time.perf_counter()
                async with plain.execute(DUE_QUERY, (to_text(NOW),)) as cur:
                    await cur.fetchall()
                anchor.append(time.perf_counter() - start)
        anchor_s = statistics.median(anchor)

        print(f"sweep, {due} open requests changed by taps (re-planned): {ms(took_replan)}")
        print(
            f"sweep, nothing due: median {ms(idle_s)}, max {ms(max(idle))} over {runs} runs "
            f"(target {TARGET_MS:.0f} ms)"
        )
        print(f"anchor, bare indexed due query on plain aiosqlite: median {ms(anchor_s)}")
        print(f"ratio sweep/anchor (nothing due): {idle_s / anchor_s:.1f}")
        print(f"ratio sweep/target (nothing due): {idle_s * 1000 / TARGET_MS:.3f}")
        print(f"query plan: {DUE_QUERY} -> {query_plan}")
        if "SCAN" in query_plan:
            raise SystemExit("the due query scans the table")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000, dest="n_open")
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100, help="requests with a reminder due")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--after-migration",
        action="store_true",
        help="also time the first sweep after migration 0005 (every open request planned)",
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.n_open, args.closed, args.due, args.runs, args.seed, args.after_migration)
    )
