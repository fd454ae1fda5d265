"""The full request flow through the real Application, beside a bare python-telegram-bot ceiling.

Each of W workers (50 people at once) files F requests one after the other, each as a different
onboarded owner: /new → category tap → description → Skip → Normal → Submit, then the
enterprise's commissioner taps Accept on the card the outbox delivered. The bot is built by
bot.bootstrap against a zero-latency Bot API (harness.RecordingRequest) with Telegram's pace
limiter taken out (it would cap the figure at Telegram's 30 messages a second, measured on its
own by bench.drain); the bot's own per-chat pacing stays. Every update waits for the previous
one of its person to be handled, as a person waits for the answer.

Each flow's enterprise has its own commissioner, so that the figure is the bot's work and not
Telegram's one-message-a-second-per-chat rule, which the bot keeps: with one commissioner per
worker (`shared`), each worker waits about a second per flow for its commissioner's next card
and the figure is that pacing's (measured beside it, so the difference shows).

The ceiling: a bare Application with one trivial handler (answer the tap / reply "ok") fed the
same updates in the same way. A second anchor makes the trivial handler send as many Bot API
calls as the bot did for those updates (the bot answers, edits, prompts and notifies: about 2.6
calls an update to the bare handler's one), which is the ceiling of any bot that says as much.
Latency is update put on the queue → handled and committed (the
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
from bot.bootstrap import Runtime
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

    shown = await request.wait_for(card, WAIT, since=at)
    data = next(d for text, d in shown.buttons() if ACCEPT in text)
    assert shown.message_id is not None
    await send(tap_update(commissioner, data, shown.message_id))


async def bot_flows(
    workdir: Path, workers: int, each: int, shared: bool = False
) -> tuple[FlowResult, list[list[Any]], int]:
    """The real bot: W workers × F flows, each flow's enterprise with its own commissioner (or,
    `shared`, one commissioner per worker). Returns the figures, each worker's updates and the
    Bot API calls the bot made for them."""
    roster = history.Roster(
        enterprises=workers * each, commissioners=workers if shared else workers * each
    )
    db = workdir / ("flows_shared.db" if shared else "flows.db")
    history.generate(db, 0, 0, roster=roster)
    request = RecordingRequest()
    runtime = await build_bot(db, request, rate_limit=False)
    feeder = Feeder(runtime.app)
    category = next(c.label("zh") for c in load_catalog().categories if c.key == "financing")
    scripts: list[list[Any]] = [[] for _ in range(workers)]

    async def worker(w: int) -> None:
        for k in range(each):
            enterprise = w + 1 + k * workers
            owner = roster.chat_of(roster.owner_of(enterprise))
            commissioner = roster.chat_of(roster.commissioner_of(enterprise))
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
        await settled(runtime)
        # What one flow costs in SQL (the statements the bot's own connections ran).
        await runtime.db.conn.set_trace_callback(counter("writer"))
        if runtime.db.reader is not None:
            await runtime.db.reader.set_trace_callback(counter("reader"))
        started = time.perf_counter()
        before = len(request.calls)
        await asyncio.gather(*(worker(w) for w in range(workers)))
        seconds = time.perf_counter() - started
        made = sum(1 for c in request.calls[before:] if c.at <= started + seconds)
    finally:
        await runtime.close()
    figures = result(workers, workers * each, feeder.latencies, seconds)
    sql = {k: v / figures.flows for k, v in statements.items()}
    return replace(figures, sql=sql), scripts, made


async def settled(runtime: Runtime, budget: float = 60.0) -> None:
    """Start-up's own work done before the clock starts: the first sweep run and everything
    it queued sent. Run after 08:30 in the county, it sends the day's digest and its charts to
    the supervisors (drawing each holds the GIL ~100 ms); the figure is the flows', whatever
    the hour the bench runs at."""
    if runtime.sweep is not None:
        await runtime.sweep.run()  # the digest is marked sent with it: the job's run sends none
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    while True:
        async with runtime.db.tx() as tx:
            if not await tx.due_messages(runtime.clock.now(), 1):
                return
        if loop.time() > deadline:
            raise TimeoutError("start-up's messages were not sent")
        await asyncio.sleep(0.05)  # a benchmark's set-up, polled: the sender paces by chat


class _Processor(SimpleUpdateProcessor):
    """python-telegram-bot's own concurrent processor (a subclass only so it can be observed)."""


async def bare_flows(
    scripts: list[list[Any]], each: int, calls_per_update: float = 1.0
) -> FlowResult:
    """A bare Application with a trivial handler, fed the same updates the same way; it makes
    `calls_per_update` Bot API calls an update on average (a tap's answer counts as one)."""
    request = RecordingRequest()
    owed = [0.0]

    async def trivial(update: Update, _context: Any) -> None:
        owed[0] += calls_per_update
        calls = max(1, int(owed[0]))
        owed[0] -= calls
        if update.callback_query is not None:
            await update.callback_query.answer()
            calls -= 1
        message = update.effective_message
        chat = update.effective_chat
        for _ in range(calls):
            if message is not None and update.callback_query is None:
                await message.reply_text("ok")
            elif chat is not None:
                await update.get_bot().send_message(chat.id, "ok")

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
    bot, scripts, made = await bot_flows(workdir, workers, each)
    shared, _, _ = await bot_flows(workdir, workers, each, shared=True)
    bare = await bare_flows(scripts, each)
    per_update = made / bot.updates
    talking = await bare_flows(scripts, each, per_update)
    return {
        "bot": {**asdict(bot), "flows_per_s": bot.flows_per_s},
        "shared": {**asdict(shared), "flows_per_s": shared.flows_per_s},
        "bare": {**asdict(bare), "flows_per_s": bare.flows_per_s},
        "bare_talking": {**asdict(talking), "flows_per_s": talking.flows_per_s},
        "calls_per_update": per_update,
        "ratio": bot.flows_per_s / bare.flows_per_s,
        "ratio_talking": bot.flows_per_s / talking.flows_per_s,
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
