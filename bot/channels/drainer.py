"""The channel-neutral outbox drainer: everything about sending that is not about one messenger.

Draining the outbox, one message at a time per address and in order, pacing per address,
retrying transient failures with capped backoff and jitter (never giving up), deferring on
rate limits, giving up on permanent failures (marking the person unreachable when the channel
says so), waking and concurrency slots. Each row goes out through the Channel of its address
(bot.channels.base).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.channels.base import (
    Channel,
    EditImpossible,
    Permanent,
    QueuedMessage,
    Reach,
    Rendered,
    SentRef,
    Transient,
    Views,
)
from bot.channels.batch import Batch
from bot.domain.identity import Address
from bot.domain.kinds import MessageKind
from bot.domain.lifecycle import CLAIMABLE
from bot.domain.models import Message, Person
from bot.services.desk import RequestView
from bot.services.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)

# Transient failures (timeouts, network errors, 5xx) are retried for as long as they last, the
# wait doubling from BACKOFF_FIRST up to BACKOFF_CAP between tries (less a little jitter, so
# addresses that failed together do not all come back in the same second).
BACKOFF_FIRST = 1.0
BACKOFF_CAP = 300.0
BACKOFF_JITTER = 0.15
BATCH = 200
STOP_WAIT = 30.0  # seconds a clean stop waits for the sends in flight
# The message reference of a reminder whose Accept buttons come off once the offer has ended.
REMINDER_REF = "reminder"
# A request's card is remembered under this key wherever it went out, a fresh one too: the
# services edit it later by this key (edit_key="card"), whichever channel showed it.
CARD_REF = "card"


def _default_ref(message: Message, sent: SentRef) -> str:
    """The key a sent message is remembered under when the channel names none."""
    return CARD_REF if message.kind == MessageKind.CARD else f"m{sent.message_id}"


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try of a message that failed `attempts` times so far."""
    base = min(BACKOFF_FIRST * 2.0 ** min(attempts, 30), BACKOFF_CAP)
    return base * (1.0 - BACKOFF_JITTER * random.random())


class OutboxDrainer:
    """Drains the outbox after every commit; a crash between commit and send loses nothing."""

    def __init__(
        self,
        db: UnitOfWork,
        views: Views,
        clock: Clock,
        channels: Mapping[str, Channel[Any]],
        reach: Reach,
        is_quiet: Callable[[datetime], bool] = lambda _now: False,
        concurrency: int = 8,
        per_chat_interval: float | None = None,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self.db = db
        self.views = views
        self.clock = clock
        self.channels = dict(channels)
        self.reach = reach
        self.is_quiet = is_quiet
        # Overrides every channel's own per-address interval when set (tests set 0).
        self.per_chat_interval = per_chat_interval
        # Pacing runs on a monotonic timer (the event loop's), not on the business clock.
        self._timer = timer
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._busy: set[Address] = set()  # addresses with a send in flight (keep their order)
        self._polls: list[set[int]] = []  # per poll reading now: the rows whose send ended since
        self._next_ok: dict[Address, float] = {}  # address → timer value its next may go
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.sent = 0
        self.failed = 0

    @property
    def busy(self) -> bool:
        """Whether a send (and its bookkeeping) is in flight."""
        return bool(self._busy)

    def wake(self) -> None:
        self._wake.set()

    def _now_loop(self) -> float:
        return self._timer() if self._timer is not None else asyncio.get_running_loop().time()

    def channel_for(self, row: QueuedMessage) -> Channel[Any]:
        """The channel a row goes out through: the one its address is in."""
        channel = self.channels.get(row.address.channel)
        if channel is None:
            raise Permanent(f"Permanent: no channel {row.address.channel!r} to send through")
        return channel

    def _interval(self, channel: Channel[Any]) -> float:
        if self.per_chat_interval is not None:
            return self.per_chat_interval
        return channel.per_address_interval

    async def run(self) -> None:
        """Sends until stopped; sleeps only while nothing is due."""
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self.drain_once()
                if started:
                    failures = 0
                    continue
                delay = await self._idle_delay(self._now_loop())
                failures = 0
            except Exception:
                # A locked or failing database must not end the drainer: the rows wait there.
                failures += 1
                delay = min(2.0**failures, 60.0)
                log.exception("outbox sender failed; retrying in %.0fs", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def stop(self) -> None:
        """Stops starting sends and lets those in flight finish their bookkeeping: a message
        sent but not yet marked would go out again after the restart."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            # Bounded by the channel's own request timeouts; 30 s stays inside a service
            # manager's stop timeout (systemd: 90 s).
            _done, pending = await asyncio.wait(set(self._tasks), timeout=STOP_WAIT)
            if pending:
                log.warning("%d sends in flight at stop: sent again after restart", len(pending))

    async def _idle_delay(self, now_loop: float) -> float:
        """How long nothing can be sent: until the next deferred row or paced address opens."""
        async with self.db.read() as tx:
            due = await tx.next_head_due_at()
        candidates = [5.0]
        wait = (due - self.clock.now()).total_seconds() if due is not None else 0.0
        if wait > 0:
            # (A row already due is waiting only for its address's send in flight, which wakes
            # the loop when it ends, or for the address's pacing, counted below.)
            candidates.append(wait)
        candidates += [t - now_loop for t in self._next_ok.values() if t > now_loop]
        return max(0.01, min(candidates))

    async def drain_once(self) -> int:
        """Starts sending the oldest due message of every address that may receive one now."""
        now_loop = self._now_loop()
        for address in [a for a, t in self._next_ok.items() if t <= now_loop]:
            del self._next_ok[address]
        # Addresses with a send in flight or paced are left out by the query: every commit
        # wakes the sender, and it need not read (and parse) their rows again each time.
        skip = self._busy | self._next_ok.keys()
        # A send that ends while this poll reads (another poll started it) may be missing from
        # the poll's snapshot: its row is left alone rather than sent twice.
        ended: set[int] = set()
        self._polls.append(ended)
        try:
            # Read on the reader: the sender's polling need not queue behind every use case
            # for the one writer.
            async with self.db.read() as tx:
                rows = await tx.due_messages(self.clock.now(), BATCH, skip)
        except Exception:
            # A row it cannot read has to be marked failed, which a read cannot do.
            async with self.db.tx() as tx:
                rows = await tx.due_messages(self.clock.now(), BATCH, skip)
        finally:
            self._polls = [s for s in self._polls if s is not ended]  # by identity
        started = 0
        batch = Batch(self.db, self.views)
        for row in rows:
            if row.address in self._busy or self._next_ok.get(row.address, 0) > now_loop:
                continue
            if row.id in ended:
                continue
            self._busy.add(row.address)
            task = asyncio.create_task(self._send_row(row, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def settle(self) -> None:
        """Waits until the sends in flight (and their bookkeeping) have ended."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Sends everything due now, honouring the pacing; for tests and the demo."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self._wake.clear()
            await self.drain_once()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
                continue
            async with self.db.tx() as tx:
                if not await tx.due_messages(self.clock.now(), 1):
                    return
            # Only the per-address pacing holds the due messages back: wait for one to open.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=await self._idle_delay(self._now_loop())
                )
        raise TimeoutError("outbox did not drain")

    async def _send_row(self, row: QueuedMessage, batch: Batch | None = None) -> None:
        try:
            async with self._slots:
                await self._deliver(row, batch or Batch(self.db, self.views))
        except Transient as exc:
            if exc.retry_after is not None:
                # The row (and so its whole address, which keeps its order) waits in the
                # database; nothing here loops on it.
                await self._defer(row, exc.retry_after, f"429 retry after {exc.retry_after:.0f}s")
            else:
                # Not a final answer about this message: tried again later, never given up.
                await self._defer(row, backoff(row.attempts), f"transient: {exc}")
        except Permanent as exc:
            if exc.unreachable:
                await self._unreachable(row, str(exc))
            else:
                # Our own mistake (bad markup, a stale file): failed and logged; the person
                # is not to blame and stays reachable.
                await self._fail(row, str(exc))
        except Exception as exc:  # a rendering bug must not stop the other messages
            log.exception("outbox row %s could not be rendered or sent", row.id)
            await self._fail(row, f"{type(exc).__name__}: {exc}")
        finally:
            for ended in self._polls:
                ended.add(row.id)
            self._busy.discard(row.address)
            self._wake.set()

    async def _defer(self, row: QueuedMessage, seconds: float, why: str) -> None:
        log.info("outbox row %s to %s deferred %.1fs: %s", row.id, row.address, seconds, why)
        async with self.db.tx() as tx:
            await tx.defer(row.id, self.clock.now() + timedelta(seconds=seconds), why)

    async def _unreachable(self, row: QueuedMessage, why: str) -> None:
        """The channel's final answer that this person cannot be reached: the row is given up
        and, in the same transaction, the person marked and the people who rely on them told."""
        log.warning(
            "outbox row %s (%s) to person %s undeliverable: %s",
            row.id,
            row.message.kind,
            row.message.recipient_id,
            why,
        )
        self.failed += 1
        try:
            await self.reach.undeliverable(row.id, row.message, why)
        except Exception:
            # The row stays pending and is tried again: the next answer comes back the same.
            log.exception("could not record outbox row %s as undeliverable", row.id)
            await self._defer(row, backoff(row.attempts), f"bookkeeping failed: {why}")

    async def _fail(self, row: QueuedMessage, why: str) -> None:
        # Logged once, here; the row is never picked up again.
        log.warning(
            "outbox row %s (%s) to %s failed: %s", row.id, row.message.kind, row.address, why
        )
        self.failed += 1
        async with self.db.tx() as tx:
            await tx.mark_failed(row.id, why)

    async def _deliver(self, row: QueuedMessage, batch: Batch) -> None:
        message = row.message
        channel = self.channel_for(row)
        address = row.address.value
        # The view first: its people spare the recipient's own read when they are among them.
        view = await batch.view(message.request_id) if message.request_id else None
        reader = await batch.person(message.recipient_id)
        if reader is None:
            raise Permanent("Permanent: recipient no longer exists")
        out = channel.render(message, reader, view)
        silent = not message.urgent and self.is_quiet(self.clock.now())
        if out.silent is not None:
            silent = out.silent
        sent: SentRef | None
        if out.edit_key:
            assert view is not None
            sent = await self._send_or_edit(channel, address, reader, view, out, silent)
        else:
            sent = await channel.send(address, out, silent=silent)
        self._next_ok[row.address] = self._now_loop() + self._interval(channel)
        # Once the offer to this person has ended, their reminder's Accept buttons come off:
        # its reference is taken in the same transaction that marks this row sent.
        offered = view is not None and (
            view.request.status in CLAIMABLE and reader.id in {p.id for p in view.offered}
        )
        reminder: tuple[Address, str] | None = None
        async with self.db.tx() as tx:
            if sent is not None and view is not None:
                # Every message naming #N is remembered, so a reply to it relays to #N.
                await tx.save_ref(
                    reader.id,
                    view.request.id,
                    # An edit that went out as a new message moves its key to that message.
                    out.ref_key or message.edit_key or _default_ref(message, sent),
                    Address(row.address.channel, sent.address),
                    sent.message_id,
                )
            await tx.mark_sent(row.id, self.clock.now())
            if view is not None and not offered:
                reminder = await tx.ref(reader.id, view.request.id, REMINDER_REF)
                if reminder is not None:
                    await tx.delete_ref(reader.id, view.request.id, REMINDER_REF)
        self.sent += 1
        if reader.unreachable:
            # It got through: they have unblocked the bot, whether or not they wrote since.
            try:
                await self.reach.delivered(reader.id)
            except Exception:  # the message is sent; the mark is cleared when they next write
                log.exception("could not mark person %s reachable again", reader.id)
        if reminder is not None and reminder[0].channel == channel.name:
            await channel.clear_actions(SentRef(reminder[0].value, reminder[1]))

    async def _send_or_edit(
        self,
        channel: Channel[Any],
        address: str,
        reader: Person,
        view: RequestView,
        out: Rendered,
        silent: bool,
    ) -> SentRef | None:
        assert out.edit_key is not None
        async with self.db.read() as tx:  # committed by this address's previous send
            ref = await tx.ref(reader.id, view.request.id, out.edit_key)
        if ref is not None and ref[0].channel == channel.name:
            try:
                return await channel.edit(SentRef(ref[0].value, ref[1]), out)
            except EditImpossible as exc:
                # Deleted, too old or otherwise beyond editing: the person gets it as a new
                # message, and the key moves to that one.
                log.info(
                    "message %s of #%s cannot be edited (%s); sending it anew",
                    ref,
                    view.request.id,
                    exc,
                )
        return await channel.send(address, out, silent=silent)
