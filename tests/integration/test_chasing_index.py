"""Chasing by index: a sweep reads only what is due; every change re-plans in its transaction."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import to_text
from bot.domain.models import Outcome, RequestStatus
from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.services.sweep import SweepReport
from bot.storage.db import connect
from bot.storage.sqlite.requests import PLAN_AT_ONCE
from tests.integration.sla_support import Services, cq, minutes, open_services
from tests.schema_support import roll_back_to

# Wednesday 25 November 2026, 10:00 in the county (as in test_sweep.py).
T0 = cq(2026, 11, 25, 10, 0)


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    services = await open_services(tmp_path, T0)
    try:
        yield services
    finally:
        await services.close()


async def next_step(svc: Services, request_id: int) -> str | None:
    async with svc.db.conn.execute(
        "SELECT next_step_at FROM requests WHERE id = ?", (request_id,)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    value = row[0]
    assert value is None or isinstance(value, str)
    return value


async def sweep_at(svc: Services, when: datetime) -> SweepReport:
    await svc.at(when)
    return await svc.sweep.run()


class Statements:
    """Every statement run on the bot's connections (writer and reader) while recording."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, sql: str) -> None:
        self.sql.append(" ".join(sql.split()))

    async def attach(self, svc: Services) -> None:
        for conn in (svc.db.conn, svc.db.reader):
            assert conn is not None
            await conn.set_trace_callback(self)

    async def detach(self, svc: Services) -> None:
        for conn in (svc.db.conn, svc.db.reader):
            assert conn is not None
            await conn.set_trace_callback(None)  # type: ignore[arg-type]


async def test_a_request_whose_next_step_is_in_the_future_is_not_loaded(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    assert await next_step(svc, request.id) == PLAN_AT_ONCE  # planned by the next sweep
    await sweep_at(svc, T0)  # plans it (and sends the morning's digest)
    assert await next_step(svc, request.id) == to_text(T0 + minutes(30))

    seen = Statements()
    await seen.attach(svc)
    try:
        report = await sweep_at(svc, T0 + minutes(29))
    finally:
        await seen.detach(svc)
    assert not report
    # Nothing read of the request nor of its events, and no write transaction taken: the
    # due query (an index range) and the digest's one indexed check are all it ran.
    assert not [s for s in seen.sql if "FROM requests WHERE id" in s], seen.sql
    assert not [s for s in seen.sql if "FROM events WHERE request_id" in s], seen.sql
    assert "BEGIN IMMEDIATE" not in seen.sql, seen.sql
    assert "SELECT id FROM requests WHERE next_step_at <= ?" in "\n".join(seen.sql).replace(
        f"'{to_text(T0 + minutes(29))}'", "?"
    ), seen.sql

    # At the stored instant it is loaded, chased, and planned for the escalation.
    assert (await sweep_at(svc, T0 + minutes(30))).reminded_accept == [request.id]
    assert await next_step(svc, request.id) == to_text(T0 + timedelta(hours=2))


async def test_the_due_query_is_an_index_range(svc: Services) -> None:
    async with svc.db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM requests WHERE next_step_at <= ?", (to_text(T0),)
    ) as cur:
        plan = " ".join(str(row["detail"]) for row in await cur.fetchall())
    assert "USING COVERING INDEX requests_next_step (next_step_at<?)" in plan, plan


async def test_every_change_replans_in_its_own_transaction(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    n = request.id
    await sweep_at(svc, T0)
    assert await next_step(svc, n) == to_text(T0 + minutes(30))

    # Accept: re-planned in the accept's transaction, then planned for the due morning.
    await svc.at(T0 + minutes(5))
    accepted = await svc.desk.accept(n, await svc.pid(LI))
    assert await next_step(svc, n) == PLAN_AT_ONCE
    assert accepted.request.due_at == cq(2026, 12, 2, 10, 5)
    await sweep_at(svc, T0 + minutes(6))
    assert await next_step(svc, n) == to_text(cq(2026, 12, 2, 8, 0))

    # An approved extension moves the deadline and the next step with it.
    await svc.extensions.ask(n, await svc.pid(LI), 3, "等待银行审批结果")
    assert await next_step(svc, n) == to_text(cq(2026, 12, 2, 8, 0))  # an ask changes nothing
    await svc.extensions.decide(n, await svc.pid(SUPERVISOR), 1, True)
    assert await next_step(svc, n) == PLAN_AT_ONCE
    await sweep_at(svc, T0 + minutes(7))
    assert await next_step(svc, n) == to_text(cq(2026, 12, 7, 8, 0))

    # A reassignment starts a new offer round.
    await svc.at(T0 + timedelta(hours=1))
    await svc.desk.reassign(n, await svc.pid(SUPERVISOR), WANG.phone)
    assert await next_step(svc, n) == PLAN_AT_ONCE
    await sweep_at(svc, T0 + timedelta(hours=1, minutes=1))
    assert await next_step(svc, n) == to_text(T0 + timedelta(hours=1, minutes=30))

    # Accepted and resolved (Wednesday 11:01): the next step is the auto-close after three
    # working days (Monday 11:01, over the weekend); closed by the rating: nothing left.
    await svc.desk.accept(n, await svc.pid(WANG))
    await svc.desk.resolve(n, await svc.pid(WANG), Outcome.SOLVED, "已协调银行放款")
    assert await next_step(svc, n) == PLAN_AT_ONCE
    await sweep_at(svc, T0 + timedelta(hours=1, minutes=2))
    assert await next_step(svc, n) == to_text(cq(2026, 11, 30, 11, 1))
    await svc.desk.rate(n, await svc.pid(TROUT_OWNER), 5)
    assert (await svc.request(n)).status == RequestStatus.CLOSED
    await sweep_at(svc, T0 + timedelta(hours=1, minutes=3))
    assert await next_step(svc, n) is None

    # A decline (at 11:04) hands it on to the team: re-planned, a new round from the decline.
    other = await svc.submit(HERB_OWNER, category="labor")  # → 王专员
    await sweep_at(svc, T0 + timedelta(hours=1, minutes=4))
    planned = await next_step(svc, other.id)
    await svc.desk.decline(other.id, await svc.pid(WANG), "不属于我的联系企业")
    assert await next_step(svc, other.id) == PLAN_AT_ONCE != planned
    await sweep_at(svc, T0 + timedelta(hours=1, minutes=5))
    assert await next_step(svc, other.id) == to_text(T0 + timedelta(hours=1, minutes=34))


async def test_a_change_that_rolls_back_leaves_the_plan_as_it_was(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    await sweep_at(svc, T0)
    planned = await next_step(svc, request.id)
    with pytest.raises(RuntimeError):
        async with svc.db.tx() as tx:
            assert await tx.move(request.id, [RequestStatus.DISPATCHED], RequestStatus.CANCELLED)
            raise RuntimeError("the use case fails after its write")
    assert await next_step(svc, request.id) == planned
    assert (await svc.request(request.id)).status == RequestStatus.DISPATCHED


async def test_after_a_restart_nothing_is_repeated_or_missed(svc: Services) -> None:
    request = await svc.submit(TROUT_OWNER)
    assert (await sweep_at(svc, T0 + minutes(30))).reminded_accept == [request.id]
    svc = await svc.restart()
    # The stored plan survives: the same instant again does nothing, the escalation is due
    # at 2:00 exactly, whether the bot was up in between or not.
    assert not (await sweep_at(svc, T0 + minutes(30))).chased
    assert await next_step(svc, request.id) == to_text(T0 + timedelta(hours=2))
    assert not (await sweep_at(svc, T0 + timedelta(hours=2) - timedelta(seconds=1))).chased
    svc = await svc.restart()
    assert (await sweep_at(svc, T0 + timedelta(hours=2))).escalated == [request.id]
    svc = await svc.restart()
    assert not (await sweep_at(svc, T0 + timedelta(hours=2))).chased
    assert len(await svc.events("reminded_accept")) == 1
    assert len(await svc.events("escalated")) == 1
    await svc.close()


async def test_open_requests_from_before_the_migration_are_planned_by_the_first_sweep(
    svc: Services,
) -> None:
    waiting = await svc.submit(TROUT_OWNER)
    working = await svc.submit(HERB_OWNER)
    await svc.desk.accept(working.id, await svc.pid(WANG))
    path = svc.path
    await svc.close()
    # The database as schema version 4 left it: no next_step_at at all, nor what the
    # migrations after 0005 made (list indexes, report facts).
    conn = await connect(path)
    await roll_back_to(conn, 4)
    await conn.close()

    svc = await Services.open(path, svc.clock, svc.calendar)
    try:
        assert await next_step(svc, waiting.id) == PLAN_AT_ONCE
        assert await next_step(svc, working.id) == PLAN_AT_ONCE
        report = await sweep_at(svc, T0 + minutes(45))
        assert report.reminded_accept == [waiting.id]  # missed nothing
        assert await next_step(svc, waiting.id) == to_text(T0 + timedelta(hours=2))
        assert await next_step(svc, working.id) == to_text(cq(2026, 12, 2, 8, 0))
        assert not (await sweep_at(svc, T0 + minutes(46))).chased
    finally:
        await svc.close()


async def accept_any(svc: Services, request_id: int) -> None:
    """The first person it is offered to accepts it."""
    async with svc.db.read() as tx:
        person = await tx.person((await tx.offered(request_id))[0])
    assert person is not None
    await svc.desk.accept(request_id, person.id)


async def test_the_index_chases_exactly_as_planning_every_open_request(tmp_path: Path) -> None:
    """The same days of taps and sweeps at irregular ticks, against a database where every
    open request is marked due before each sweep (the old behaviour): the same steps, in the
    same sweeps."""
    indexed = await open_services(tmp_path / "indexed", T0)
    everything = await open_services(tmp_path / "everything", T0)
    rng = random.Random(9)
    ticks = [T0]
    while ticks[-1] < T0 + timedelta(days=9):
        ticks.append(ticks[-1] + timedelta(minutes=rng.choice([1, 7, 29, 31, 59, 61, 119, 240])))
    actions = {
        3: "submit trout",
        5: "submit herb",
        9: "accept herb",
        14: "submit trout urgent",
        20: "accept 3",
        40: "reassign 1",
    }
    try:
        for i, tick in enumerate(ticks):
            reports = []
            for svc in (indexed, everything):
                await svc.at(tick)
                action = actions.get(i)
                if action == "submit trout":
                    await svc.submit(TROUT_OWNER)
                elif action == "submit herb":
                    await svc.submit(HERB_OWNER)
                elif action == "accept herb":
                    await accept_any(svc, 2)
                elif action == "submit trout urgent":
                    await svc.submit(TROUT_OWNER, urgent=True)
                elif action == "accept 3":
                    await accept_any(svc, 3)
                elif action == "reassign 1":
                    await svc.desk.reassign(1, await svc.pid(SUPERVISOR), WANG.phone)
                if svc is everything:
                    await svc.db.conn.execute(
                        "UPDATE requests SET next_step_at = ? WHERE status IN "
                        "('dispatched', 'escalated', 'accepted', 'reopened')",
                        (PLAN_AT_ONCE,),
                    )
                reports.append(await svc.sweep.run())
            assert reports[0] == reports[1], f"tick {i} at {tick}"
        steps = await indexed.events()
        kinds = {e.kind for e in steps}
        # The scenario exercised every kind of step.
        assert {"reminded_accept", "escalated", "reminded_due", "overdue_chased"} <= kinds, kinds
    finally:
        await indexed.close()
        await everything.close()
