"""The full request flow through the real Application, beside a bare python-telegram-bot ceiling.

Each of W workers (50 people at once) files F requests one after the other, each as a different
onboarded owner: /new → category tap → description → Skip → Normal → Submit, then the
enterprise's commissioner taps Accept on the card the outbox delivered. The bot is built by
bot.bootstrap against a zero-latency Bot API (harness.RecordingRequest) with Telegram's pace
limiter taken out (it would cap the figure at Telegram's 30 messages a second, measured on its
own by bench.drain); the bot's own per-chat pacing stays. Every update waits for the previous
one of its person to be handled, as a person waits for the answer.

The ceiling: a bare Application with one trivial handler (answer the tap / reply "ok") fed the
same updates in the same way. Latency is update put on the queue → handled and committed (the
update processor's process_update returned).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, SimpleUpdateProcessor, TypeHandler

from bench import history
from bench.harness import (
    TOKEN,
    Call,
    Completion,
    RecordingRequest,
    TApp,
    build_bot,
    percentile,
    tap_update,
    text_update,
)
from bot.config_files import load_catalog

WAIT = 120.0  # seconds one step may take before the run is declared stuck
LABELS = ("跳过", "一般", "提交")  # Skip, Normal, Submit (zh, the default language)
ACCEPT = "接单"


@dataclass(frozen=True)
class FlowResult:
    workers: int
    flows: int
    updates: int
    seconds: float
    p50: float
    p99: float
    worst: float
    sql: dict[str, float] = field(default_factory=dict)  # per flow (the bot only)

    @property
    def flows_per_s(self) -> float:
        return self.flows / self.seconds


class Feeder:
    """Puts updates on an Application's queue and waits until each is handled."""

    def __init__(self, app: TApp) -> None:
        self.app = app
        self.completion = Completion(app)
        self.latencies: list[float] = []

    async def feed(self, raw: dict[str, Any]) -> float:
        """Hands `raw` to the application; returns when it is handled (the put instant)."""
        done = self.completion.expect(raw["update_id"])
        update = Update.de_json(raw, self.app.bot)
        started = time.perf_counter()
        await self.app.update_queue.put(update)
        finished = await asyncio.wait_for(done, WAIT)
        self.latencies.append(finished - started)
        return started


def latest_button(
    request: RecordingRequest, chat: int, label: str, since: float
) -> tuple[int, str] | None:
    """(message id, callback data) of the newest button labelled `label` shown in `chat`."""
    for call in reversed(request.calls):
        if call.at < since:
            break
        if call.chat_id != chat or call.message_id is None:
            continue
        for text, data in call.buttons():
            if label in text:
                return call.message_id, data
    return None


async def one_flow(
    feeder: Feeder,
    request: RecordingRequest,
    owner: int,
    commissioner: int,
    category: str,
    script: list[dict[str, Any]],
) -> None:
    """One owner's request, then the commissioner's Accept; `script` gets every update fed."""

    async def send(raw: dict[str, Any]) -> float:
        script.append(raw)
        return await feeder.feed(raw)

    async def tap(label: str, since: float) -> float:
        found = latest_button(request, owner, label, since)
        if found is None:
            raise RuntimeError(f"no {label!r} button for {owner} ({request.calls[-3:]})")
        return await send(tap_update(owner, found[1], found[0]))

    at = await send(text_update(owner, "/new"))
    at = await tap(category, at)
    at = await send(text_update(owner, "基准测试：扩建需要一笔贷款，请帮忙对接银行。"))
    for label in LABELS:
        at = await tap(label, at)

    def card(call: Call) -> bool:
        return (
            call.at >= at
            and call.chat_id == commissioner
            and any(ACCEPT in text for text, _ in call.buttons())
        )

    shown = await request.wait_for(card, WAIT)
    data = next(d for text, d in shown.buttons() if ACCEPT in text)
    assert shown.message_id is not None
    await send(tap_update(commissioner, data, shown.message_id))


async def bot_flows(workdir: Path, workers: int, each: int) -> tuple[FlowResult, list[list[Any]]]:
    """The real bot: W workers × F flows. Returns the figures and each worker's updates."""
    roster = history.Roster(enterprises=workers * each, commissioners=workers)
    db = workdir / "flows.db"
    history.generate(db, 0, 0, roster=roster)
    request = RecordingRequest()
    runtime = await build_bot(db, request, rate_limit=False)
    feeder = Feeder(runtime.app)
    category = next(c.label("zh") for c in load_catalog().categories if c.key == "financing")
    scripts: list[list[Any]] = [[] for _ in range(workers)]

    async def worker(w: int) -> None:
        commissioner = roster.chat_of(roster.first_commissioner + w)
        for k in range(each):
            enterprise = w + 1 + k * workers
            owner = roster.chat_of(roster.owner_of(enterprise))
            await one_flow(feeder, request, owner, commissioner, category, scripts[w])

    statements = {"writer": 0, "reader": 0, "transactions": 0}

    def counter(connection: str) -> Any:
        def count(sql: str) -> None:
            statements[connection] += 1
            if sql.lstrip().upper().startswith("BEGIN IMMEDIATE"):
                statements["transactions"] += 1

        return count

    try:
        await runtime.start(poll=False)
        # What one flow costs in SQL (the statements the bot's own connections ran).
        await runtime.db.conn.set_trace_callback(counter("writer"))
        if runtime.db.reader is not None:
            await runtime.db.reader.set_trace_callback(counter("reader"))
        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(workers)))
        seconds = time.perf_counter() - started
    finally:
        await runtime.close()
    figures = result(workers, workers * each, feeder.latencies, seconds)
    return replace(figures, sql={k: v / figures.flows for k, v in statements.items()}), scripts


class _Processor(SimpleUpdateProcessor):
    """python-telegram-bot's own concurrent processor (a subclass only so it can be observed)."""


async def bare_flows(scripts: list[list[Any]], each: int) -> FlowResult:
    """A bare Application with a trivial handler, fed the same updates the same way."""
    request = RecordingRequest()

    async def trivial(update: Update, _context: Any) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        elif update.effective_message is not None:
            await update.effective_message.reply_text("ok")

    app: TApp = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .updater(None)
        .concurrent_updates(_Processor(1024))
        .build()
    )
    app.add_handler(TypeHandler(Update, trivial))
    feeder = Feeder(app)

    async def worker(script: list[dict[str, Any]]) -> None:
        for raw in script:
            await feeder.feed(json.loads(json.dumps(raw)))

    async with app:
        await app.start()
        started = time.perf_counter()
        await asyncio.gather(*(worker(s) for s in scripts))
        seconds = time.perf_counter() - started
        await app.stop()
    return result(len(scripts), len(scripts) * each, feeder.latencies, seconds)


def result(workers: int, flows: int, latencies: list[float], seconds: float) -> FlowResult:
    return FlowResult(
        workers=workers,
        flows=flows,
        updates=len(latencies),
        seconds=seconds,
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        worst=max(latencies),
    )


async def run(workdir: Path, workers: int, each: int) -> dict[str, Any]:
    bot, scripts = await bot_flows(workdir, workers, each)
    bare = await bare_flows(scripts, each)
    return {
        "bot": {**asdict(bot), "flows_per_s": bot.flows_per_s},
        "bare": {**asdict(bare), "flows_per_s": bare.flows_per_s},
        "ratio": bot.flows_per_s / bare.flows_per_s,
    }


def main() -> None:
    import logging
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--each", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(Path(tmp), args.workers, args.each)), indent=1))


if __name__ == "__main__":
    main()
