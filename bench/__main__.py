"""`python -m bench`: every figure of issue 9 beside its anchor and target, into BENCHMARKS.md.

    python -m bench [--sizes 10000,100000,1000000] [--timeout 300] [--out bench/BENCHMARKS.md]
    python -m bench --tiny --out /tmp/bench.md     # seconds; what CI runs

For each size (closed requests; open ones are a tenth of that, --open-ratio) it generates a
fresh history (bench.history) and measures, each in a process of its own and cut off after
--timeout seconds (then shown as "> N s"): the bot built and idle (RSS anchor), one sweep when
nothing is due, the digest, /stats for the month, /overdue, plain aiosqlite on the same file
(anchors), and taps answered while a digest, an export and a sweep run. Then, once: the full
request flow with 50 people at once beside a bare python-telegram-bot ceiling (bench.flows),
1,000 notifications to 200 chats against the simulator's limits (bench.drain) and the query
plans of the hot paths. The section between the markers in --out is replaced (the rest of the
file is kept); figures are printed as they come.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import drain, flows, history, report

STARTUP = 30.0  # seconds a measurement process may take to start and build the bot
OPS = ("idle", "sweep", "digest", "stats", "overdue", "anchors", "freeze")
PROFILED = ("sweep", "digest", "overdue")  # at the smallest size, with --profile N (default 8)


def measure(op: str, db: Path, timeout: float, *extra: str) -> dict[str, Any]:
    """Runs one measurement in its own process; its figures, or how far it got in `timeout`."""
    command = [
        sys.executable,
        "-m",
        "bench.measure",
        op,
        str(db),
        "--budget",
        str(timeout),
        *extra,
    ]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout + STARTUP, check=False
        )
        out, failed = done.stdout, done.returncode != 0 and not done.stdout
        error = done.stderr.strip().splitlines()[-1:] if done.returncode else []
    except subprocess.TimeoutExpired as expired:
        raw = expired.stdout or b""
        out = raw.decode() if isinstance(raw, bytes) else raw
        return {"op": op, "timed_out": timeout, "lines": lines_of(out)}
    lines = lines_of(out)
    figures: dict[str, Any] = {"op": op, "lines": lines, "wall": time.monotonic() - started}
    if failed or error:
        figures["error"] = (error or ["failed"])[0]
    return figures


def lines_of(out: str) -> list[dict[str, Any]]:
    found = []
    for line in out.splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def say(text: str) -> None:
    print(text, flush=True)


def run_size(
    closed: int, open_: int, workdir: Path, timeout: float, seed: int, plans: bool, profile: int
) -> dict[str, Any]:
    db = workdir / f"history-{closed}.db"
    say(f"— {closed:,} closed / {open_:,} open requests: generating…")
    made = history.generate(db, closed, open_, seed)
    say(
        f"  generated {made.events:,} events in {made.seconds:.1f} s "
        f"({db.stat().st_size / 1e6:.0f} MB)"
    )
    results: dict[str, Any] = {
        "closed": closed,
        "open": open_,
        "events": made.events,
        "generated": made.seconds,
        "megabytes": db.stat().st_size / 1e6,
        "ops": {},
    }
    for op in (*OPS, "plans") if plans else OPS:
        figures = measure(op, db, timeout)
        results["ops"][op] = figures
        say(f"  {report.summary(op, figures)}")
    for op in PROFILED if profile else ():
        figures = measure(op, db, timeout, "--profile", str(profile))
        results["ops"][f"profile_{op}"] = figures
        say(f"  profiled {op}: {report.cell(figures)}")
    for leftover in workdir.glob(f"history-{closed}.db*"):
        leftover.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="closed requests")
    parser.add_argument("--open-ratio", type=float, default=0.1, help="open per closed")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per measurement")
    parser.add_argument("--tiny", action="store_true", help="a tiny run for CI (seconds)")
    parser.add_argument("--workers", type=int, default=50, help="people filing at once")
    parser.add_argument("--each", type=int, default=4, help="requests each of them files")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to leave out: sizes,flows,drain"
    )
    parser.add_argument(
        "--profile", type=int, default=8, help="hottest functions to list (0: no profiles)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "BENCHMARKS.md")
    parser.add_argument("--workdir", type=Path, default=None, help="where the databases go")
    parser.add_argument("--results", type=Path, default=None, help="also save the figures (JSON)")
    parser.add_argument(
        "--render", type=Path, default=None, help="only write --out from saved --results JSON"
    )
    args = parser.parse_args()
    if args.render is not None:
        report.write(args.out, json.loads(args.render.read_text(encoding="utf-8")))
        return
    if args.tiny:
        args.sizes, args.timeout = "1000", min(args.timeout, 60.0)
        args.workers, args.each, args.messages, args.chats = 5, 1, 60, 20
    skip = {s for s in args.skip.split(",") if s}
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    logging.basicConfig(level=logging.CRITICAL)
    argv = " ".join(["python -m bench", *sys.argv[1:]])
    started = time.monotonic()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="oncall-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # The query plans are read where the planner sees a realistic table: at most 100,000.
    plan_size = max((s for s in sizes if s <= 100_000), default=min(sizes, default=0))
    results: dict[str, Any] = {"command": argv, "sizes": [], "timeout": args.timeout}
    try:
        if "sizes" not in skip:
            for closed in sizes:
                open_ = max(1, round(closed * args.open_ratio))
                results["sizes"].append(
                    run_size(
                        closed,
                        open_,
                        workdir,
                        args.timeout,
                        args.seed,
                        closed == plan_size,
                        args.profile if closed == min(sizes) else 0,
                    )
                )
                if args.results is not None:  # kept as it goes: a long run may be cut short
                    results["seconds"] = time.monotonic() - started
                    args.results.write_text(json.dumps(results, ensure_ascii=False), "utf-8")
        if "flows" not in skip:
            say(f"— the request flow: {args.workers} people at once, {args.each} each…")
            results["flows"] = asyncio.run(flows.run(workdir, args.workers, args.each))
            say(f"  {report.flow_summary(results['flows'])}")
        if "drain" not in skip:
            say(f"— {args.messages:,} notifications to {args.chats} chats…")
            results["drain"] = asyncio.run(
                drain.run(workdir, args.messages, args.chats, max(args.timeout, 120.0))
            )
            say(f"  {report.drain_summary(results['drain'])}")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results["seconds"] = time.monotonic() - started
    if args.results is not None:
        args.results.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    report.write(args.out, results)
    say(f"written to {args.out} ({results['seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()
