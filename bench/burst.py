"""A burst: N owners go through /new at once; how fast their taps are answered, how fast it drains.

After a policy briefing many owners file at the same moment. Every tap must be answered within
about a second (Telegram expires a callback query after some seconds and the person sees a
spinner, then nothing), while the replies, the confirmations and the commissioners' Accept cards
drain within Telegram's flood limits. This script builds the real Application (bot.bootstrap.build)
against the local simulator with its flood-limit emulation on (30 messages in any second overall,
about one a second per chat, answered with 429 beyond that) and answerCallbackQuery refused after
Telegram's expiry; writes a roster of N owners, their enterprises and their commissioners to a
temporary SQLite file; onboards everyone (/start, share the phone number); then has all N owners
file at once: /new, category tap, description, Skip tap, Normal tap, Submit tap, each after a
short human pause. It runs in real time (the sender's pacing and the limits are wall-clock).

    python bench/burst.py [--owners 200] [--per-commissioner 10] [--think 2.0] [--slots N]

(--slots overrides how many updates the bot handles at once, to compare with another setting.)

Printed: taps answered p50/p99/max (tap → answerCallbackQuery arriving at the simulator) and
how many arrived after the expiry or never; the time from the first /new to the last Accept card
reaching a commissioner; the most messages (sends and edits) in any one second overall and in one
chat; the 429s; and the physical minimum for the same number of messages at 30 a second, with
the ratio time-to-last-dispatch / physical minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import bootstrap
from bot.bootstrap import build
from bot.config_files import load_catalog
from bot.domain.models import Enterprise, Role
from bot.settings import load_settings
from bot.simulator.driver import SimUser
from bot.simulator.models import SimMessage
from bot.simulator.server import SEND_METHODS, BotApiSimulator
from bot.storage.uow import Database

TELEGRAM_PER_SECOND = 30  # Telegram's overall limit for a bot's messages
EXPIRY = 15.0  # seconds after which Telegram refuses to answer a callback query
CATEGORIES = ("financing", "labor", "sales", "legal", "tax", "policy")
OWNER_ID, COMMISSIONER_ID = 100_000, 900_000
WAIT = 600.0  # seconds any one step may take before the run is declared stuck


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    telegram_id: int


def roster(owners: int, per_commissioner: int) -> tuple[list[Person], list[Person]]:
    """N owners and one commissioner for every `per_commissioner` of their enterprises."""
    count = max(1, math.ceil(owners / per_commissioner))
    commissioners = [
        Person(f"专员{j:03d}", f"139{j:08d}", COMMISSIONER_ID + j) for j in range(count)
    ]
    owner_list = [Person(f"老板{i:04d}", f"138{i:08d}", OWNER_ID + i) for i in range(owners)]
    return owner_list, commissioners


async def write_roster(
    db: Database, owners: list[Person], commissioners: list[Person], per_commissioner: int
) -> None:
    """Writes the people and enterprises through the storage layer (nobody bound yet)."""
    now = datetime.now(UTC)
    async with db.tx() as tx:
        ids = [
            await tx.upsert_person(c.name, c.phone, Role.COMMISSIONER, None, now)
            for c in commissioners
        ]
        for i, owner in enumerate(owners):
            await tx.upsert_person(owner.name, owner.phone, Role.OWNER, None, now)
            await tx.upsert_enterprise(
                Enterprise(
                    id=0,
                    name=f"基准企业{i:04d}有限公司",
                    credit_code=f"91500230BENCH{i:05d}",
                    industry="测试",
                    chain="测试",
                    contact_name=owner.name,
                    contact_phone=owner.phone,
                    commissioner_id=ids[i // per_commissioner],
                )
            )


async def onboard(user: SimUser, phone: str) -> None:
    """/start, then share one's own phone number; waits for the welcome."""
    await user.command("start")
    await user.wait_for_message(timeout=WAIT)
    await user.share_contact(phone)
    await user.wait_for_message(timeout=WAIT)


def has_buttons(message: SimMessage) -> bool:
    return bool(message.buttons)


async def file_request(user: SimUser, category: str, think: float, rng: random.Random) -> float:
    """One owner's /new, tapping and typing like a person; returns the seconds spent pausing."""
    paused = 0.0

    async def pause() -> None:
        nonlocal paused
        seconds = think * rng.uniform(0.75, 1.25)
        paused += seconds
        await asyncio.sleep(seconds)

    await user.command("new")
    await user.wait_for_message(has_buttons, timeout=WAIT)
    await pause()
    await user.tap(category)
    await user.wait_for_message(timeout=WAIT)
    await pause()
    await user.send(f"基准测试：{user.name}需要一笔扩建贷款，请联系。")
    await user.wait_for_message(has_buttons, timeout=WAIT)
    await pause()
    await user.tap("跳过")
    await user.wait_for_message(has_buttons, timeout=WAIT)
    await pause()
    await user.tap("一般")
    await user.wait_for_message(has_buttons, timeout=WAIT)
    await pause()
    submit = await user.tap("提交")
    # A tap answered too late is refused by Telegram and never shows as answered: stop waiting
    # for it once it has expired (it is counted as late).
    await user.sim.wait_until(lambda: submit.answered, EXPIRY + 5)
    return paused


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value at or below which `pct` % of them lie)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass(frozen=True)
class Result:
    owners: int
    paused: float  # the longest an owner spent pausing: a floor no bot can beat
    commissioners: int
    taps: int
    answered: int
    p50: float
    p99: float
    worst: float
    late: int
    to_last_dispatch: float
    to_last_message: float
    messages: int
    max_per_second: int
    max_per_chat_second: int
    throttled: int
    errors: int

    @property
    def physical_minimum(self) -> float:
        return self.messages / TELEGRAM_PER_SECOND

    @property
    def ratio(self) -> float:
        return self.to_last_dispatch / self.physical_minimum

    def report(self) -> str:
        return "\n".join(
            [
                f"burst: {self.owners} owners filing at once "
                f"({self.commissioners} commissioners), real time, {os.cpu_count()} CPU(s)",
                f"taps: {self.taps}, answered {self.answered}; "
                f"p50 {self.p50 * 1000:.0f} ms, p99 {self.p99 * 1000:.0f} ms, "
                f"max {self.worst * 1000:.0f} ms",
                f"taps answered after Telegram's {EXPIRY:.0f} s expiry or never: {self.late}",
                f"first /new → last Accept card: {self.to_last_dispatch:.1f} s "
                f"(last message of the burst: {self.to_last_message:.1f} s; "
                f"the owners' own pauses take up to {self.paused:.1f} s of it)",
                f"messages in the burst (sends and edits): {self.messages}",
                f"most messages in any one second: {self.max_per_second} "
                f"(Telegram allows {TELEGRAM_PER_SECOND}); in one chat: {self.max_per_chat_second}",
                f"429 answers: {self.throttled}; other errors: {self.errors}",
                f"physical minimum for {self.messages} messages at {TELEGRAM_PER_SECOND}/s: "
                f"{self.physical_minimum:.1f} s",
                f"ratio time to last dispatch / physical minimum: {self.ratio:.2f}",
            ]
        )


async def run(
    owners: int, per_commissioner: int, think: float, seed: int, slots: int | None = None
) -> Result:
    # A reply or send that meets a 429 is logged at WARNING; the count is printed instead.
    for name in ("bot", "telegram"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    rng = random.Random(seed)
    catalog = load_catalog()
    labels = [c.label("zh") for c in catalog.categories if c.key in CATEGORIES]
    owner_list, commissioner_list = roster(owners, per_commissioner)
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiSimulator(callback_answer_timeout=EXPIRY) as sim:
            sim.set_throttle(True)  # 30/s overall, 1/s per chat (burst 3): a breach is a 429
            settings = load_settings(
                None,
                db=Path(tmp) / "burst.db",
                api_base_url=sim.base_url,
                api_file_url=sim.base_file_url,
                token="1:BENCH",
            )
            if slots is not None:
                # What the update processor is given (see bootstrap.CONCURRENT_UPDATES).
                bootstrap.CONCURRENT_UPDATES = slots
            runtime = await build(settings)
            runtime.poller.poll_timeout = 1
            try:
                await runtime.start()
                await write_roster(runtime.db, owner_list, commissioner_list, per_commissioner)
                owner_users = [sim.user(p.telegram_id, p.name) for p in owner_list]
                commissioner_users = [sim.user(p.telegram_id, p.name) for p in commissioner_list]
                people = [
                    *zip(owner_users, owner_list, strict=True),
                    *zip(commissioner_users, commissioner_list, strict=True),
                ]
                await asyncio.gather(*(onboard(user, p.phone) for user, p in people))
                await runtime.sender.drain(timeout=WAIT)

                first_call = len(sim.calls)
                first_seq = sim.seq
                started = time.monotonic()
                paused = await asyncio.gather(
                    *(
                        file_request(
                            user, labels[i % len(labels)], think, random.Random(rng.random())
                        )
                        for i, user in enumerate(owner_users)
                    )
                )

                def cards() -> list[SimMessage]:
                    return [
                        m
                        for user in commissioner_users
                        for m in user.messages()
                        if m.seq > first_seq and m.button("接单") is not None
                    ]

                if not await sim.wait_until(lambda: len(cards()) >= owners, WAIT):
                    raise SystemExit(f"only {len(cards())} of {owners} Accept cards arrived")
                await runtime.sender.drain(timeout=WAIT)
                last_card = max(m.at for m in cards())
            finally:
                await runtime.close()
        calls = sim.calls[first_call:]
        sends = sorted(c.at for c in calls if c.method in SEND_METHODS and c.ok)
        tried = sorted(c.at for c in calls if c.method in SEND_METHODS)
        chats = {c.chat_id for c in calls if c.method in SEND_METHODS}
        per_chat = max(
            (
                max_in_window(
                    sorted(c.at for c in calls if c.method in SEND_METHODS and c.chat_id == chat)
                )
                for chat in chats
            ),
            default=0,
        )
        taps = [q for q in sim.callback_queries.values() if q.seq > first_seq]
        latencies = [q.latency for q in taps if q.latency is not None]
        if not latencies:
            raise SystemExit("no tap was answered")
        late = sum(1 for q in taps if q.latency is None or q.latency > EXPIRY)
        return Result(
            owners=owners,
            paused=max(paused),
            commissioners=len(commissioner_list),
            taps=len(taps),
            answered=len(latencies),
            p50=percentile(latencies, 50),
            p99=percentile(latencies, 99),
            worst=max(latencies),
            late=late,
            to_last_dispatch=last_card - started,
            to_last_message=(sends[-1] if sends else started) - started,
            messages=len(sends),
            max_per_second=max_in_window(tried),
            max_per_chat_second=per_chat,
            throttled=sum(1 for c in calls if c.status == 429),
            errors=sum(1 for c in calls if not c.ok and c.status != 429),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=200, help="owners filing at once")
    parser.add_argument(
        "--per-commissioner", type=int, default=10, help="enterprises per commissioner"
    )
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean seconds a person takes before each step"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--slots",
        type=int,
        default=None,
        help=f"updates handled at once (the bot's: {bootstrap.CONCURRENT_UPDATES})",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.owners, args.per_commissioner, args.think, args.seed, args.slots))
    print(result.report())


if __name__ == "__main__":
    main()
