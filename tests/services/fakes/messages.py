"""Events, outbox, message refs, inbox, drafts and health in memory (bot.storage.sqlite.*)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import EventKind
from bot.domain.models import (
    Event,
    Message,
)
from bot.services.ports import OutboxRow
from tests.services.fakes.state import (
    HealthRow,
    InboxEntry,
    OutboxEntry,
    Tables,
)


class FakeMessages(Tables):
    """The event log, the outbox and delivery, references, the inbox, drafts, health."""

    # ---- events ------------------------------------------------------------------------------

    async def append(self, event: Event) -> None:
        # Stored as the SQL stores it: the payload through JSON.
        payload = json.loads(json.dumps(event.payload, ensure_ascii=False, sort_keys=True))
        self.s.events.append(event.model_copy(update={"payload": payload}))

    async def events(self, request_id: int | None = None) -> list[Event]:
        return [e for e in self.s.events if request_id is None or e.request_id == request_id]

    async def events_of_kind(self, kind: EventKind, since: datetime) -> list[Event]:
        return [e for e in self.s.events if e.kind == kind and e.at >= since]

    # ---- outbox, delivery and message references ---------------------------------------------

    async def enqueue(self, message: Message, to: Address, now: datetime) -> int:
        outbox_id = self.s.next_id("outbox")
        params = json.loads(json.dumps(message.params, ensure_ascii=False, sort_keys=True))
        stored = message.model_copy(update={"params": params})
        self.s.outbox[outbox_id] = OutboxEntry(outbox_id, stored, to, now, now)
        return outbox_id

    def _heads(self) -> list[OutboxEntry]:
        """The oldest pending row of each address."""
        heads: dict[Address, OutboxEntry] = {}
        for _, row in sorted(self.s.outbox.items()):
            if row.status == "pending" and row.address not in heads:
                heads[row.address] = row
        return sorted(heads.values(), key=lambda r: r.id)

    async def due_messages(
        self, now: datetime, limit: int, skip: Collection[Address] = ()
    ) -> list[OutboxRow]:
        return [
            OutboxRow(
                id=row.id,
                address=row.address,
                attempts=row.attempts,
                edit_key=row.message.edit_key,
                urgent=row.message.urgent,
                message=row.message,
            )
            for row in self._heads()
            if row.not_before <= now and row.address not in skip
        ][:limit]

    async def next_head_due_at(self) -> datetime | None:
        return min((row.not_before for row in self._heads()), default=None)

    def _update_outbox(self, outbox_id: int, **changes: Any) -> None:
        row = self.s.outbox[outbox_id]
        self.s.outbox[outbox_id] = replace(row, attempts=row.attempts + 1, **changes)

    async def mark_sent(self, outbox_id: int, now: datetime) -> None:
        self._update_outbox(outbox_id, status="sent", sent_at=now)

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        self._update_outbox(outbox_id, status="failed", last_error=error[:500])

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None:
        self._update_outbox(outbox_id, not_before=not_before, last_error=error[:500])

    async def save_ref(
        self, person_id: int, request_id: int, key: str, at: Address, message_ref: str
    ) -> None:
        self.s.refs[(person_id, request_id, key)] = (at, message_ref)

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[Address, str] | None:
        return self.s.refs.get((person_id, request_id, key))

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None:
        self.s.refs.pop((person_id, request_id, key), None)

    async def request_of_message(self, at: Address, message_ref: str) -> int | None:
        return next(
            (rid for (_, rid, _), found in self.s.refs.items() if found == (at, message_ref)),
            None,
        )

    # ---- inbox and dead letters --------------------------------------------------------------

    async def store_updates(
        self, updates: Iterable[tuple[UpdateRef, str]], now: datetime
    ) -> list[UpdateRef]:
        stored: list[UpdateRef] = []
        for update, payload in updates:
            key = (update.channel, update.value)
            if key not in self.s.inbox:
                self.s.inbox[key] = InboxEntry(update.seq, payload, now)
                stored.append(update)
        return stored

    async def unprocessed_updates(self, channel: str) -> list[tuple[UpdateRef, str]]:
        return sorted(
            (
                (UpdateRef(key_channel, ref, row.seq), row.payload)
                for (key_channel, ref), row in self.s.inbox.items()
                if key_channel == channel and row.processed_at is None
            ),
            key=lambda found: found[0].seq,
        )

    async def last_seq(self, channel: str) -> int | None:
        return max(
            (row.seq for (key_channel, _), row in self.s.inbox.items() if key_channel == channel),
            default=None,
        )

    async def is_processed(self, update: UpdateRef) -> bool:
        row = self.s.inbox.get((update.channel, update.value))
        return row is not None and row.processed_at is not None

    async def mark_processed(self, update: UpdateRef, now: datetime) -> bool:
        key = (update.channel, update.value)
        row = self.s.inbox.setdefault(key, InboxEntry(update.seq, "{}", now))
        if row.processed_at is not None:
            return False
        self.s.inbox[key] = replace(row, processed_at=now)
        return True

    async def start_handling(self, update: UpdateRef) -> int | None:
        key = (update.channel, update.value)
        row = self.s.inbox.get(key)
        if row is None:
            return 1
        if row.processed_at is not None:
            return None
        self.s.inbox[key] = replace(row, attempts=row.attempts + 1)
        return row.attempts + 1

    async def add_dead_letter(
        self, update: UpdateRef, payload: str, reason: str, now: datetime
    ) -> bool:
        key = (update.channel, update.value)
        added = key not in self.s.dead_letters
        if added:
            self.s.dead_letters[key] = (payload, reason[:1000], now)
        await self.mark_processed(update, now)
        return added

    # ---- drafts ------------------------------------------------------------------------------

    async def draft(self, at: Address, flow: str) -> tuple[str, dict[str, Any]] | None:
        found = self.s.drafts.get((at, flow))
        return (found[0], json.loads(found[1])) if found else None

    async def save_draft(
        self, at: Address, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        self.s.drafts[(at, flow)] = (step, json.dumps(data, ensure_ascii=False), now)

    async def delete_draft(self, at: Address, flow: str | None = None) -> None:
        for key in [k for k in self.s.drafts if k[0] == at and flow in (None, k[1])]:
            del self.s.drafts[key]

    async def drafts(self, flow: str) -> list[tuple[Address, str]]:
        return [(at, found[0]) for (at, f), found in self.s.drafts.items() if f == flow]

    # ---- health and chat notices -------------------------------------------------------------

    async def record_restart(self, component: str, error: str, now: datetime) -> None:
        row = self.s.health.get(component, HealthRow())
        self.s.health[component] = replace(
            row, restarts=row.restarts + 1, last_error=error[:1000], last_restart_at=now
        )

    async def heartbeat(self, component: str, now: datetime) -> None:
        self.s.health[component] = replace(
            self.s.health.get(component, HealthRow()), heartbeat_at=now
        )

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        last = self.s.chat_notices.get(chat_id)
        if last is not None and last > since:
            return False
        self.s.chat_notices[chat_id] = now
        return True
