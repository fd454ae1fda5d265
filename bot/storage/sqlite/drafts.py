"""Drafts: a conversation's answers so far, saved at each step."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.clock import to_text
from bot.storage.sqlite.base import Statements


class DraftsSql(Statements):
    """The drafts table."""

    async def draft(self, user_id: int, flow: str) -> tuple[str, dict[str, Any]] | None:
        row = await self._one(
            "SELECT step, data FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
        )
        return (row["step"], json.loads(row["data"])) if row else None

    async def save_draft(
        self, user_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO drafts (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id, flow) DO UPDATE SET step = excluded.step, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (user_id, flow, step, json.dumps(data, ensure_ascii=False), to_text(now)),
        )

    async def delete_draft(self, user_id: int, flow: str | None = None) -> None:
        if flow is None:
            await self._run("DELETE FROM drafts WHERE user_id = ?", (user_id,))
        else:
            await self._run("DELETE FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow))

    async def drafts(self, flow: str) -> list[tuple[int, str]]:
        rows = await self._all("SELECT user_id, step FROM drafts WHERE flow = ?", (flow,))
        return [(int(r["user_id"]), r["step"]) for r in rows]
