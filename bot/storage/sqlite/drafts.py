"""Drafts: a conversation's answers so far, saved at each step, by the address it is at."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.clock import to_text
from bot.domain.identity import Address
from bot.storage.sqlite.base import Statements


class DraftsSql(Statements):
    """The drafts table."""

    async def draft(self, at: Address, flow: str) -> tuple[str, dict[str, Any]] | None:
        row = await self._one(
            "SELECT step, data FROM drafts WHERE channel = ? AND address = ? AND flow = ?",
            (at.channel, at.value, flow),
        )
        return (row["step"], json.loads(row["data"])) if row else None

    async def save_draft(
        self, at: Address, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO drafts (channel, address, flow, step, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, address, flow) DO UPDATE SET "
            "step = excluded.step, data = excluded.data, updated_at = excluded.updated_at",
            (at.channel, at.value, flow, step, json.dumps(data, ensure_ascii=False), to_text(now)),
        )

    async def delete_draft(self, at: Address, flow: str | None = None) -> None:
        if flow is None:
            await self._run(
                "DELETE FROM drafts WHERE channel = ? AND address = ?", (at.channel, at.value)
            )
        else:
            await self._run(
                "DELETE FROM drafts WHERE channel = ? AND address = ? AND flow = ?",
                (at.channel, at.value, flow),
            )

    async def drafts(self, flow: str) -> list[tuple[Address, str]]:
        rows = await self._all("SELECT channel, address, step FROM drafts WHERE flow = ?", (flow,))
        return [(Address(r["channel"], r["address"]), r["step"]) for r in rows]
