"""One measurement on one generated database, in a process of its own (clean peak RSS).

    python -m bench.measure OP DB [--budget SECONDS]

OP is one of: idle (the bot built, nothing run: the RSS anchor), sweep, digest, stats,
overdue, export, freeze (taps answered while a digest, an export and a sweep run), anchors
(plain aiosqlite on the same file), plans (the SQL the hot paths run, with EXPLAIN QUERY PLAN).
Every figure goes through the services as bootstrap wires them (Runtime.sweep, its
DigestService, and /export's child process, bot.export.process), at history.NOW.
Prints one JSON object per line; the parent (bench.__main__) reads the last of each "op".
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import pstats
import re
import resource
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
from telegram import Update

from bench import history
from bench.harness import (
    Call,
    Completion,
    RecordingRequest,
    build_bot,
    peak_rss_mb,
    percentile,
    tap_update,
)
from bot.bootstrap import Runtime
from bot.channels.telegram.callback_data import Callback, Op
from bot.config_files import load_catalog
from bot.domain.clock import FakeClock, to_text
from bot.domain.kpis import month_to_date
from bot.export import spreadsheet

LEAD_IN = 0.25  # seconds of taps before the load starts (so the first taps meet it starting)
MEMORY_CAP = 6 * 1024**3  # address space; beyond it the measurement fails with MemoryError


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


def describe(op: str, result: Any, db: Path) -> str:
    """A short note on what the operation produced (so a wrong answer is noticed)."""
    due, overdue = history.expected(db)
    if op == "sweep":
        steps = (
            len(result.reminded_accept)
            + len(result.escalated)
            + len(result.unaccepted_reported)
            + len(result.reminded_due)
            + len(result.overdue)
        )
        return (
            f"{due} requests due by the index, {steps} chase steps taken, "
            f"digest sent: {result.digest_sent}"
        )
    if op == "digest":
        return f"{result.overdue_count} overdue; received yesterday {result.counts.received}"
    if op == "stats":
        return f"received this month {result[1].received}"
    if op == "overdue":
        return f"{result.total} overdue (the generator made {overdue})"
    if op == "export":
        return f"{result:,} bytes of .xlsx"
    return ""


def operations(runtime: Runtime) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The public entry points measured, as the bot calls them."""
    assert runtime.sweep is not None
    sweep = runtime.sweep
    digests = sweep.digests
    catalog = load_catalog()
    tz = runtime.settings.tz

    async def export() -> int:
        # As /export builds it: in a child process (bot.export.process), read back as bytes.
        assert runtime.exports is not None
        job = spreadsheet.Export(catalog, "zh", tz, history.NOW)
        data, _count = await runtime.exports.xlsx(job)
        return len(data)

    return {
        "sweep": lambda: sweep.run(history.NOW),
        "digest": digests.for_date,
        "stats": digests.month_so_far,
        "overdue": digests.overdue_now,
        "export": export,
    }


async def open_bot(db: Path) -> tuple[Runtime, RecordingRequest]:
    request = RecordingRequest()
    runtime = await build_bot(db, request, FakeClock(history.NOW))
    return runtime, request


async def run_one(op: str, db: Path, profile: int = 0) -> None:
    runtime, _request = await open_bot(db)
    try:
        if op == "idle":
            emit(op=op, seconds=0.0, rss_mb=peak_rss_mb(), note="bot built, nothing run")
            return
        if not profile:
            seconds, result = await timed(operations(runtime)[op])
            emit(op=op, seconds=seconds, rss_mb=peak_rss_mb(), note=describe(op, result, db))
            return
        profiler = cProfile.Profile()
        profiler.enable()
        seconds, result = await timed(operations(runtime)[op])
        profiler.disable()
        emit(op=op, seconds=seconds, rss_mb=peak_rss_mb(), note=describe(op, result, db))
        emit(
            op="profile",
            of=op,
            seconds=seconds,
            top=hot_functions(profiler, profile),
            round_trips=round_trips(profiler),
        )
    finally:
        await runtime.close()


def round_trips(profiler: cProfile.Profile) -> int:
    """How many statements went to aiosqlite's thread (one queue round trip each)."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return sum(
        calls
        for (file, _line, name), (_primitive, calls, *_rest) in stats.items()
        if name == "_execute" and file.replace("\\", "/").endswith("aiosqlite/core.py")
    )


def hot_functions(profiler: cProfile.Profile, count: int) -> list[dict[str, Any]]:
    """The functions the event loop's thread spent the most time in (not counting callees).

    SQLite runs in aiosqlite's own thread: its time shows here as the loop waiting (select).
    """
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "calls": calls,
            "own": own,
            "cumulative": cumulative,
        }
        for (file, line, name), (_primitive, calls, own, cumulative, _callers) in rows
    ]


def lang_tap(user_id: int) -> dict[str, Any]:
    """A tap on a language button: a write transaction, then the answer."""
    return tap_update(user_id, Callback(Op.LANG, None, "zh").encode(), 1)


def answers(call: Call, query_id: str) -> bool:
    return call.method == "answerCallbackQuery" and call.params.get("callback_query_id") == query_id


async def tap_once(runtime: Runtime, request: RecordingRequest, user_id: int) -> float:
    raw = lang_tap(user_id)
    query_id = raw["callback_query"]["id"]
    update = Update.de_json(raw, runtime.app.bot)
    started = time.perf_counter()
    await runtime.app.update_queue.put(update)
    call = await request.wait_for(lambda c: answers(c, query_id), timeout=3600)
    return call.at - started


async def freeze(db: Path, budget: float) -> None:
    """Taps answered while nothing runs (anchor), then while a digest, an export and a sweep run."""
    runtime, request = await open_bot(db)
    Completion(runtime.app)
    tappers = await tapper_ids(db)
    try:
        await runtime.app.initialize()
        await runtime.app.start()
        idle = [await tap_once(runtime, request, tappers[i % len(tappers)]) for i in range(30)]
        emit(
            op="tap_idle",
            p50=percentile(idle, 50),
            p99=percentile(idle, 99),
            taps=len(idle),
            rss_mb=peak_rss_mb(),
        )
        ops = operations(runtime)
        durations: dict[str, float] = {}

        async def run(name: str) -> None:
            seconds, _ = await timed(ops[name])
            durations[name] = seconds
            emit(op="freeze_part", part=name, seconds=seconds)

        load: list[asyncio.Task[None]] = []
        latencies: list[float] = []
        lags: list[float] = []
        waiting: dict[asyncio.Task[float], float] = {}  # taps not answered yet: when sent
        started = time.perf_counter()

        def snapshot(finished: bool) -> None:
            now = time.perf_counter()
            emit(
                op="freeze",
                p50=percentile(latencies, 50),
                p99=percentile(latencies, 99),
                worst=max(latencies, default=0.0),
                taps=len(latencies),
                sent=len(latencies) + len(waiting),
                unanswered=len(waiting),
                longest_wait=max((now - at for at in waiting.values()), default=0.0),
                max_loop_lag=max(lags, default=0.0),
                parts=durations,
                rss_mb=peak_rss_mb(),
                # The export's child process (bot.export.process), the only child here.
                child_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                finished=finished,
            )

        def answered(task: asyncio.Task[float]) -> None:
            waiting.pop(task, None)
            latencies.append(task.result())

        i = 0
        while not (load and all(t.done() for t in load)) and time.perf_counter() - started < budget:
            if not load and time.perf_counter() - started >= LEAD_IN:
                load = [asyncio.create_task(run(name)) for name in ("digest", "export", "sweep")]
            tick = time.perf_counter()
            await asyncio.sleep(0.05)
            lags.append(time.perf_counter() - tick - 0.05)
            task = asyncio.create_task(tap_once(runtime, request, tappers[i % len(tappers)]))
            waiting[task] = time.perf_counter()
            task.add_done_callback(answered)
            i += 1
            if i % 20 == 0:
                snapshot(False)
        finished = bool(load) and all(t.done() for t in load)
        if waiting:
            await asyncio.wait(set(waiting), timeout=30)
        snapshot(finished)
        for part in load:
            part.cancel()
    finally:
        await runtime.close()


async def tapper_ids(db: Path) -> list[int]:
    """Everyone bound, round robin: with the clock standing still, 20 taps from one person
    would trip the flood guard, and a muted tap is answered without touching the database."""
    return await asyncio.to_thread(history.bound_chats, db)


async def anchors(db: Path) -> None:
    """Plain aiosqlite on the same file: a write transaction, and the indexed report reads."""
    conn = await aiosqlite.connect(db, isolation_level=None)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_anchor (id INTEGER PRIMARY KEY, at TEXT NOT NULL)"
        )
        writes: list[float] = []
        for _ in range(200):
            started = time.perf_counter()
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("INSERT INTO bench_anchor (at) VALUES (?)", (to_text(history.NOW),))
            await conn.execute("COMMIT")
            writes.append(time.perf_counter() - started)
        empty: list[float] = []
        for _ in range(200):
            started = time.perf_counter()
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("COMMIT")
            empty.append(time.perf_counter() - started)
        await conn.execute("DROP TABLE bench_anchor")
        month = month_to_date(history.NOW.astimezone(history.TZ).date(), history.TZ)
        report, _ = await timed(
            lambda: conn.execute_fetchall(history.REPORT_ANCHOR, (to_text(month.start),))
        )
        overdue, _ = await timed(lambda: conn.execute_fetchall(history.OVERDUE_ANCHOR))
        emit(
            op="anchors",
            write_p50=percentile(writes, 50),
            write_p99=percentile(writes, 99),
            writes_per_s=len(writes) / sum(writes),
            empty_tx=percentile(empty, 50),
            report_read=report,
            overdue_read=overdue,
        )
    finally:
        await conn.close()


LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


async def plans(db: Path) -> None:
    """The distinct statements the hot paths run, each with its EXPLAIN QUERY PLAN."""
    runtime, request = await open_bot(db)
    seen: dict[str, tuple[str, str]] = {}
    current = ["?"]

    def trace(sql: str) -> None:
        shape = LITERALS.sub("?", " ".join(sql.split()))
        head = shape.split(" ", 1)[0].upper()
        if head in {"BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"}:
            return
        seen.setdefault(shape, (current[0], sql))

    await runtime.db.conn.set_trace_callback(trace)
    if runtime.db.reader is not None:
        await runtime.db.reader.set_trace_callback(trace)
    try:
        ops = operations(runtime)
        for name in ("sweep", "digest", "stats", "overdue"):
            current[0] = name
            await ops[name]()
        current[0] = "tap"
        await runtime.app.initialize()
        await runtime.app.start()
        await tap_once(runtime, request, (await tapper_ids(db))[0])
    finally:
        await runtime.close()
    conn = sqlite3.connect(db)
    try:
        for shape, (path, sql) in seen.items():
            try:
                rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            except sqlite3.Error as exc:
                rows = [(0, 0, 0, f"(not explained: {exc})")]
            plan = [str(r[3]) for r in rows]
            scans = [
                p
                for p in plan
                if p.startswith("SCAN ")
                and p.split()[1] in history.BIG_TABLES
                and "INTEGER PRIMARY KEY" not in p
            ]
            emit(op="plan", path=path, sql=shape, plan=plan, full_scans=scans)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("op")
    parser.add_argument("db", type=Path)
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--profile", type=int, default=0, help="also list the N hottest functions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    try:
        if args.op == "freeze":
            asyncio.run(freeze(args.db, args.budget))
        elif args.op == "anchors":
            asyncio.run(anchors(args.db))
        elif args.op == "plans":
            asyncio.run(plans(args.db))
        else:
            asyncio.run(run_one(args.op, args.db, args.profile))
    except MemoryError:
        emit(op=args.op, error=f"out of memory (capped at {MEMORY_CAP // 1024**3} GB)")
        sys.exit(3)


if __name__ == "__main__":
    main()
