"""1,000 notifications to 200 chats, drained by the bot's sender against Telegram's limits.

The outbox holds the notes (queued by history.enqueue_notes, as one use case's commit would);
the bot is built by bot.bootstrap against the local simulator (bot/simulator) with its
flood-limit emulation on: 30 messages in any one second overall, about one a second per chat
(burst 3), a 429 beyond that. The physical minimum is messages / 30 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import history
from bench.harness import TOKEN
from bot.bootstrap import build
from bot.settings import load_settings
from bot.simulator.server import SEND_METHODS, BotApiSimulator

TELEGRAM_PER_SECOND = 30


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(workdir: Path, messages: int, chats: int, budget: float) -> dict[str, Any]:
    roster = history.Roster(enterprises=chats, commissioners=max(3, chats // 40))
    db = workdir / "drain.db"
    history.generate(db, 1, 0, roster=roster)  # one request for the notes to name
    history.enqueue_notes(db, chats, messages, request_id=1)
    async with BotApiSimulator() as sim:
        sim.set_throttle(True)
        for chat in history.owner_chats(roster, chats):
            sim.user(chat, f"U{chat}").chat.started = True  # they have written to the bot once
        settings = load_settings(
            None, db=db, api_base_url=sim.base_url, api_file_url=sim.base_file_url, token=TOKEN
        )
        runtime = await build(settings)
        runtime.sweep = None  # only the sender runs: the chase and the digest are not measured
        first = len(sim.calls)

        def sent() -> int:
            return sum(1 for c in sim.calls[first:] if c.method in SEND_METHODS and c.ok)

        started = time.monotonic()
        try:
            await runtime.start(poll=False)
            finished = await sim.wait_until(lambda: sent() >= messages, budget)
            seconds = time.monotonic() - started
        finally:
            await runtime.close()
        calls = [c for c in sim.calls[first:] if c.method in SEND_METHODS]
        tried = sorted(c.at for c in calls)
        minimum = messages / TELEGRAM_PER_SECOND
        return {
            "messages": messages,
            "chats": chats,
            "sent": sent(),
            "finished": finished,
            "seconds": seconds,
            "minimum": minimum,
            "ratio": seconds / minimum,
            "throttled": sum(1 for c in calls if c.status == 429),
            "errors": sum(1 for c in calls if not c.ok and c.status != 429),
            "max_per_second": max_in_window(tried),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(Path(tmp), args.messages, args.chats, args.timeout))
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
