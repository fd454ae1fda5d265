"""Health: the watchdog's record, and the notices to groups and channels."""

from __future__ import annotations

from datetime import datetime

from bot.domain.clock import to_text
from bot.storage.sqlite.base import Statements


class HealthSql(Statements):
    """The health and chat_notices tables."""

    async def record_restart(self, component: str, error: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO health (component, restarts, last_error, last_restart_at) "
            "VALUES (?, 1, ?, ?) ON CONFLICT (component) DO UPDATE SET "
            "restarts = restarts + 1, last_error = excluded.last_error, "
            "last_restart_at = excluded.last_restart_at",
            (component, error[:1000], to_text(now)),
        )

    async def heartbeat(self, component: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO health (component, heartbeat_at) VALUES (?, ?) "
            "ON CONFLICT (component) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            (component, to_text(now)),
        )

    async def restarts(self) -> dict[str, int]:
        rows = await self._all("SELECT component, restarts FROM health WHERE restarts > 0")
        return {r["component"]: int(r["restarts"]) for r in rows}

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        """Records a notice to a group or channel now, unless one was recorded after `since`."""
        changed = await self._run(
            "INSERT INTO chat_notices (chat_id, last_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET last_at = excluded.last_at "
            "WHERE chat_notices.last_at <= ?",
            (chat_id, to_text(now), to_text(since)),
        )
        return changed == 1
