"""Expectations: what the next text in a conversation answers, one row per address."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from bot.domain.clock import to_text
from bot.domain.identity import Address
from bot.storage.sqlite.base import Statements, short
from bot.storage.uow import Database

Stored = tuple[str, int, str | None, dict[str, str]]


class ExpectationsSql(Statements):
    """The statements on the expectations table."""

    @short
    async def expectation(self, at: Address) -> Stored | None:
        row = await self._one(
            "SELECT flow, subject, prompt, data FROM expectations "
            "WHERE channel = ? AND address = ?",
            (at.channel, at.value),
        )
        if row is None:
            return None
        data = {str(k): str(v) for k, v in json.loads(row["data"]).items() if v is not None}
        prompt = row["prompt"]
        return row["flow"], int(row["subject"]), str(prompt) if prompt else None, data

    @short
    async def expect(
        self,
        at: Address,
        flow: str,
        subject: int,
        prompt: str | None,
        data: Mapping[str, str],
        now: datetime,
    ) -> None:
        await self._run(
            "INSERT OR REPLACE INTO expectations "
            "(channel, address, flow, subject, prompt, data, asked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                at.channel,
                at.value,
                flow,
                subject,
                prompt,
                json.dumps(dict(data), ensure_ascii=False),
                to_text(now),
            ),
        )

    @short
    async def forget(self, at: Address, flow: str | None, subject: int | None) -> bool:
        sql = "DELETE FROM expectations WHERE channel = ? AND address = ?"
        params: list[str | int] = [at.channel, at.value]
        if flow is not None:
            sql += " AND flow = ?"
            params.append(flow)
        if subject is not None:
            sql += " AND subject = ?"
            params.append(subject)
        return await self._run(sql, params) > 0


class SqliteExpectations:
    """bot.channels.pending.ExpectationStore over the database; each write commits on its own."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def expectation(self, at: Address) -> Stored | None:
        # The reader sees the last commit: a question stored a moment ago is there (its
        # snapshot opened now, not left open by an earlier read).
        async with self.db.read() as tx:
            await tx.begin_now()
            return await ExpectationsSql(tx.conn, lane=tx.lane, here=True).expectation(at)

    async def expect(
        self,
        at: Address,
        flow: str,
        subject: int,
        prompt: str | None,
        data: Mapping[str, str],
        now: datetime,
    ) -> None:
        async with self.db.tx() as tx:
            await tx.begin_now()
            await ExpectationsSql(tx.conn, lane=tx.lane, here=True).expect(
                at, flow, subject, prompt, data, now
            )

    async def forget(
        self, at: Address, flow: str | None = None, subject: int | None = None
    ) -> bool:
        async with self.db.tx() as tx:
            await tx.begin_now()
            return await ExpectationsSql(tx.conn, lane=tx.lane, here=True).forget(at, flow, subject)
