"""How fast a tap is answered while the outbox drains a backlog, against the local simulator.

Telegram refuses to answer a callback query that is more than a few seconds old, so a tap must
not wait behind queued messages. This script queues a backlog of progress notes to many chats,
taps Accept once the drain has begun, and prints the tap's answer latency next to the time the
whole backlog took (real process parts: SQLite file, Application, simulator over HTTP).

    python bench/tap_latency.py [--backlog 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import build
from bot.channels.telegram.identity import address
from bot.domain.clock import FakeClock
from bot.domain.kinds import MessageKind
from bot.domain.models import Message, Role
from bot.sample import LI, TROUT_OWNER, load_sample
from bot.settings import load_settings
from bot.simulator.server import BotApiSimulator


async def main(backlog: int) -> None:
    # The sample supervisor is bound but never wrote to the simulated bot, so the daily digest
    # to them fails as Telegram would ("chat not found"); that is not what is measured here.
    logging.getLogger("bot.channels.telegram.outbox").setLevel(logging.ERROR)
    clock = FakeClock(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiSimulator() as sim:
            settings = load_settings(
                None,
                db=Path(tmp) / "bench.db",
                api_base_url=sim.base_url,
                api_file_url=sim.base_file_url,
                token="1:BENCH",
            )
            runtime = await build(settings, clock=clock)
            runtime.poller.poll_timeout = 1
            await runtime.start()
            try:
                await load_sample(runtime.db, clock.now(), bind=True)
                owner = sim.user(TROUT_OWNER.telegram_id, "owner")
                li = sim.user(LI.telegram_id, "li")
                await li.command("help")
                await li.wait_for_message()
                readers = [sim.user(9000 + i, f"u{i}") for i in range(backlog)]
                for reader in readers:
                    await reader.command("help")
                for reader in readers:
                    await reader.wait_for_message(timeout=60)
                await owner.command("new")
                await owner.wait_for_message(lambda m: bool(m.buttons))
                await owner.tap("融资")
                await owner.wait_for_message()
                await owner.send("基准测试：需要贷款用于扩建")
                await owner.wait_for_message(lambda m: bool(m.buttons))
                await owner.tap("跳过")
                await owner.wait_for_message(lambda m: bool(m.buttons))
                await owner.tap("一般")
                await owner.wait_for_message(lambda m: bool(m.buttons))
                await owner.tap("提交")
                card = await li.wait_for_message("#1")
                async with runtime.db.tx() as tx:
                    for i, reader in enumerate(readers):
                        pid = await tx.upsert_person(
                            f"u{i}", f"1370000{i:04d}", Role.OWNER, address(reader.id), clock.now()
                        )
                        await tx.enqueue(
                            Message(
                                recipient_id=pid,
                                kind=MessageKind.NOTE,
                                request_id=1,
                                params={"holder": "李专员", "text": "bench"},
                            ),
                            address(reader.id),
                            clock.now(),
                        )
                started = time.monotonic()
                runtime.sender.wake()
                await li.wait_for(lambda: len(sim.calls_to("sendMessage")) > backlog // 10)
                tap = await li.tap("接单", card)
                await li.wait_answer(tap, timeout=60)
                latency = tap.query.latency or 0.0
                await runtime.sender.drain(timeout=600)
                drained = time.monotonic() - started
            finally:
                await runtime.close()
    print(f"backlog: {backlog} messages to {backlog} chats")
    print(f"backlog drained in {drained:.2f} s ({backlog / drained:.1f} messages/s)")
    print(f"tap answered in {latency * 1000:.0f} ms while draining")
    print(f"ratio tap latency / drain time: {latency / drained:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=300)
    asyncio.run(main(parser.parse_args().backlog))
