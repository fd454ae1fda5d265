"""What the next text in a conversation answers (bot.channels.pending), over both stores.

The same behaviours over the in-memory store and the SQLite table; the SQLite one also keeps a
question across closing and opening the database, and migration 0014 carries the questions
yesterday's code kept among the drafts over to it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.pending import ExpectationStore, Expecting, Flow, MemoryExpectations
from bot.domain.clock import FakeClock, to_text
from bot.domain.identity import Address
from bot.storage.db import connect
from bot.storage.sqlite.expectations import SqliteExpectations
from bot.storage.uow import Database
from tests.schema_support import roll_back_to
from tests.services.core import START

LI = Address("telegram", "2001")
BOSS = Address("telegram", "9001")


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ExpectationStore]:
    if request.param == "memory":
        yield MemoryExpectations()
        return
    db = await Database.open(tmp_path / "oncall.db")
    try:
        yield SqliteExpectations(db)
    finally:
        await db.close()


async def test_a_new_question_replaces_the_old_one(store: ExpectationStore) -> None:
    expecting = Expecting(store, FakeClock(START))
    await expecting.ask(LI, Flow.NOTE, 7, "41")
    await expecting.ask(LI, Flow.RESOLVE, 8, "42", outcome="solved")
    found = await expecting.current(LI)
    assert found is not None
    assert (found.flow, found.subject, found.prompt) == (Flow.RESOLVE, 8, "42")
    assert dict(found.data) == {"outcome": "solved"}


async def test_each_conversation_has_its_own_question(store: ExpectationStore) -> None:
    expecting = Expecting(store, FakeClock(START))
    await expecting.ask(LI, Flow.HANDBACK, 12)
    await expecting.ask(BOSS, Flow.PHONE, 5, back="c.0")
    li, boss = await expecting.current(LI), await expecting.current(BOSS)
    assert li is not None and (li.flow, li.subject, li.prompt) == (Flow.HANDBACK, 12, None)
    assert boss is not None and (boss.flow, boss.subject) == (Flow.PHONE, 5)
    assert await expecting.forget(BOSS) == boss
    assert await expecting.current(BOSS) is None
    assert await expecting.current(LI) == li


async def test_forgetting_another_flow_or_request_leaves_the_question(
    store: ExpectationStore,
) -> None:
    expecting = Expecting(store, FakeClock(START))
    await expecting.ask(LI, Flow.DECLINE, 3)
    assert await expecting.forget(LI, Flow.HANDBACK) is None
    assert await expecting.forget(LI, Flow.DECLINE, 4) is None
    assert await expecting.current(LI) is not None
    forgotten = await expecting.forget(LI, Flow.DECLINE)
    assert forgotten is not None and forgotten.subject == 3
    assert await expecting.forget(LI) is None


async def test_an_answer_drops_only_the_question_it_answered(store: ExpectationStore) -> None:
    expecting = Expecting(store, FakeClock(START))
    await expecting.ask(LI, Flow.NOTE, 7)
    first = await expecting.current(LI)
    assert first is not None
    await expecting.ask(LI, Flow.NOTE, 9)  # asked again meanwhile, about another request
    await expecting.answered(LI, first)
    still = await expecting.current(LI)
    assert still is not None and still.subject == 9
    await expecting.answered(LI, still)
    assert await expecting.current(LI) is None


async def test_a_question_of_a_flow_no_longer_known_is_dropped(store: ExpectationStore) -> None:
    await store.expect(LI, "survey", 1, None, {}, START)
    assert await Expecting(store, FakeClock(START)).current(LI) is None
    assert await store.expectation(LI) is None


async def test_a_question_survives_closing_and_opening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    db = await Database.open(path)
    await Expecting(SqliteExpectations(db), FakeClock(START)).ask(LI, Flow.HANDBACK, 12, "77")
    await db.close()  # nothing is flushed at close: each question is committed when asked
    db = await Database.open(path)
    try:
        found = await Expecting(SqliteExpectations(db), FakeClock(START)).current(LI)
    finally:
        await db.close()
    assert found is not None and (found.flow, found.subject, found.prompt) == (
        Flow.HANDBACK,
        12,
        "77",
    )


async def test_migration_0014_carries_yesterdays_pending_drafts_over(tmp_path: Path) -> None:
    path = tmp_path / "oncall.db"
    await (await Database.open(path)).close()  # made by today's code, then made yesterday's
    conn = await connect(path)
    try:
        await roll_back_to(conn, 12)
        rows = [
            ("2001", "note", {"request_id": 7, "prompt": 41}, "2026-11-25T01:00:00+00:00"),
            ("2001", "decline", {"request_id": 8, "prompt": 42}, "2026-11-25T01:05:00+00:00"),
            ("9001", "phone", {"person_id": 5, "back": "c.0"}, to_text(START)),
            ("3001", "intake", {"category": "tax"}, to_text(START)),
        ]
        for who, flow, data, at in rows:
            await conn.execute(
                "INSERT INTO drafts (channel, address, flow, step, data, updated_at) "
                "VALUES ('telegram', ?, ?, 'text', ?, ?)",
                (who, flow, json.dumps(data), at),
            )
        await conn.commit()
    finally:
        await conn.close()
    db = await Database.open(path)
    try:
        expecting = Expecting(SqliteExpectations(db), FakeClock(START))
        li, boss = await expecting.current(LI), await expecting.current(BOSS)
        async with db.read() as tx:
            left = await tx._all("SELECT flow FROM drafts")
    finally:
        await db.close()
    # The newest question of each conversation is kept; the form's draft stays a draft.
    assert li is not None and (li.flow, li.subject, li.prompt) == (Flow.DECLINE, 8, "42")
    assert boss is not None and (boss.flow, boss.subject, dict(boss.data)) == (
        Flow.PHONE,
        5,
        {"back": "c.0"},
    )
    assert [r["flow"] for r in left] == ["intake"]


async def test_the_expectations_table_is_what_the_store_reads(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "oncall.db")
    try:
        await SqliteExpectations(db).expect(LI, "note", 7, None, {"a": "b"}, START)
        async with db.read() as tx:
            [row] = await tx._all("SELECT channel, address, flow, subject, data FROM expectations")
    finally:
        await db.close()
    assert tuple(row) == ("telegram", "2001", "note", 7, '{"a": "b"}')
