"""One `python -m bench` run as Markdown, written between markers in BENCHMARKS.md."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = "<!-- python -m bench: start (generated; everything between the markers is replaced) -->"
END = "<!-- python -m bench: end -->"

# Issue 9's targets (at 1,000,000 closed and 100,000 open requests).
TARGETS = {
    "sweep": 0.020,
    "digest": 1.0,
    "stats": 0.300,
    "overdue": 0.100,
    "rss": 200.0,
    "tap_p99": 0.200,
    "flow_ratio": 0.30,
    "flow_p99": 0.050,
    "drain_ratio": 1.15,
}
REPORT_OPS = ("sweep", "digest", "stats", "overdue")


# ---- reading a measurement -------------------------------------------------------------


def last(figures: dict[str, Any], name: str) -> dict[str, Any] | None:
    for line in reversed(figures.get("lines", [])):
        if line.get("op") == name:
            return dict(line)
    return None


def seconds_of(figures: dict[str, Any] | None) -> float | None:
    if figures is None:
        return None
    line = last(figures, figures["op"])
    if line is None or "seconds" not in line:
        return None
    return float(line["seconds"])


def duration(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def cell(figures: dict[str, Any] | None) -> str:
    """A measured time, or what stopped it."""
    if figures is None:
        return "—"
    if "timed_out" in figures:
        return f"> {figures['timed_out']:.0f} s"
    line = last(figures, figures["op"])
    if line is not None and "error" in line:
        return f"failed: {line['error']}"
    if "error" in figures and seconds_of(figures) is None:
        return f"failed: {figures['error']}"
    return duration(seconds_of(figures))


def ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base <= 0 or math.isnan(value):
        return "—"
    r = value / base
    if math.isinf(r):
        return "∞"
    return f"×{r:,.0f}" if r >= 100 else f"×{r:,.1f}" if r >= 10 else f"×{r:.2f}"


def met(value: float | None, target: float, higher_is_better: bool = False) -> str:
    if value is None or math.isnan(value):
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "**missed**"


def megabytes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} MB"


def rss_of(figures: dict[str, Any] | None) -> float | None:
    if figures is None:
        return None
    values = [float(line["rss_mb"]) for line in figures.get("lines", []) if "rss_mb" in line]
    return max(values) if values else None


# ---- console lines -----------------------------------------------------------------------


def summary(op: str, figures: dict[str, Any]) -> str:
    if op == "anchors":
        line = last(figures, "anchors")
        if line is None:
            return f"anchors: {cell(figures)}"
        return (
            f"anchors: write tx p50 {duration(line['write_p50'])}, empty write tx "
            f"{duration(line['empty_tx'])}, month count {duration(line['report_read'])}, "
            f"open count {duration(line['overdue_read'])}"
        )
    if op == "freeze":
        idle, busy = last(figures, "tap_idle"), last(figures, "freeze")
        timed = " (cut off)" if "timed_out" in figures else ""
        if busy is None:
            return f"taps under load: {cell(figures)}"
        return (
            f"taps: idle p99 {duration(idle['p99'] if idle else None)}; during digest+export+"
            f"sweep p50 {duration(busy['p50'])} p99 {duration(busy['p99'])} "
            f"max {duration(busy['worst'])} ({busy['taps']} of {busy['sent']} answered){timed}"
        )
    if op == "plans":
        plans = [line for line in figures.get("lines", []) if line.get("op") == "plan"]
        scans = sum(1 for p in plans if p["full_scans"])
        return f"plans: {len(plans)} statements, {scans} with a full scan of a big table"
    line = last(figures, op)
    note = f" — {line['note']}" if line and line.get("note") else ""
    rss = rss_of(figures)
    return f"{op}: {cell(figures)}" + (f", peak RSS {rss:.0f} MB" if rss else "") + note


def flow_summary(figures: dict[str, Any]) -> str:
    bot, bare = figures["bot"], figures["bare"]
    return (
        f"bot {bot['flows_per_s']:.1f} flows/s (p50 {duration(bot['p50'])}, p99 "
        f"{duration(bot['p99'])}); bare {bare['flows_per_s']:.1f} flows/s; "
        f"ratio {figures['ratio']:.3f}"
        + (
            f"; bare with the bot's {figures['calls_per_update']:.2f} calls an update "
            f"{figures['bare_talking']['flows_per_s']:.1f} flows/s (ratio "
            f"{figures['ratio_talking']:.3f}); one commissioner per worker "
            f"{figures['shared']['flows_per_s']:.1f} flows/s"
            if "bare_talking" in figures
            else ""
        )
    )


def drain_summary(figures: dict[str, Any]) -> str:
    return (
        f"drained {figures['sent']:,} in {figures['seconds']:.1f} s; physical minimum "
        f"{figures['minimum']:.1f} s; ratio {figures['ratio']:.2f}; 429s {figures['throttled']}; "
        f"most in one second {figures['max_per_second']}"
    )


# ---- the Markdown section ----------------------------------------------------------------


def machine() -> str:
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout
    except OSError:
        nproc = ""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory = f", {int(first[1]) / 1024**2:.0f} GB RAM"
    cores = nproc.strip() or str(os.cpu_count())
    return (
        f"{cores} CPU(s) (`nproc`){', ' + model if model else ''}{memory}; "
        f"{platform.platform()}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}"
    )


def size_label(size: dict[str, Any]) -> str:
    return f"{size['closed']:,} / {size['open']:,}"


def growth_table(sizes: list[dict[str, Any]]) -> list[str]:
    out = [
        "| closed / open requests | events | generated in | one sweep (nothing due) | digest "
        "| /stats month | /overdue | peak RSS (reports) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        ops = size["ops"]
        rss = [r for r in (rss_of(ops.get(op)) for op in (*REPORT_OPS, "idle")) if r]
        peak = f"{max(rss):.0f} MB" if rss else "—"
        out.append(
            f"| {size_label(size)} | {size['events']:,} | {size['generated']:.1f} s | "
            + " | ".join(cell(ops.get(op)) for op in REPORT_OPS)
            + f" | {peak} |"
        )
    out.append(
        "| **target** (1,000,000 / 100,000) | | | ≤ 20 ms | ≤ 1 s | ≤ 300 ms | ≤ 100 ms | "
        "≤ 200 MB |"
    )
    return out


def detail_table(size: dict[str, Any]) -> list[str]:
    ops = size["ops"]
    anchors = last(ops.get("anchors", {}), "anchors") or {}
    idle = ops.get("idle")
    freeze = ops.get("freeze", {})
    tap_idle = last(freeze, "tap_idle") or {}
    busy = last(freeze, "freeze") or {}
    rss = [r for r in (rss_of(ops.get(op)) for op in REPORT_OPS) if r]
    rows: list[tuple[str, float | None, str, float | None, float, str, str]] = [
        (
            "one sweep, nothing due",
            seconds_of(ops.get("sweep")),
            "a plain aiosqlite write transaction (BEGIN IMMEDIATE; COMMIT)",
            anchors.get("empty_tx"),
            TARGETS["sweep"],
            "≤ 20 ms",
            "sweep",
        ),
        (
            "digest",
            seconds_of(ops.get("digest")),
            "plain aiosqlite: count of the month's submitted events (index events_kind_at_request)",
            anchors.get("report_read"),
            TARGETS["digest"],
            "≤ 1 s",
            "digest",
        ),
        (
            "/stats month",
            seconds_of(ops.get("stats")),
            "the same indexed count",
            anchors.get("report_read"),
            TARGETS["stats"],
            "≤ 300 ms",
            "stats",
        ),
        (
            "/overdue",
            seconds_of(ops.get("overdue")),
            "plain aiosqlite: count of the requests being worked on (index requests_status)",
            anchors.get("overdue_read"),
            TARGETS["overdue"],
            "≤ 100 ms",
            "overdue",
        ),
    ]
    out = [
        "| figure | measured | anchor | anchor value | × anchor | target | × target | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, value, anchor, base, target, shown, op in rows:
        out.append(
            f"| {name} | {cell(ops.get(op))} | {anchor} | {duration(base)} | "
            f"{ratio(value, base)} | {shown} | {ratio(value, target)} | "
            f"{met(value, target) if 'timed_out' not in ops.get(op, {}) else '**missed**'} |"
        )
    peak = max(rss) if rss else None
    base_rss = rss_of(idle)
    out.append(
        f"| peak RSS of the reports and the sweep | {megabytes(peak)} | the bot built, idle, "
        f"same file | {megabytes(base_rss)} | {ratio(peak, base_rss)} | ≤ 200 MB | "
        f"{ratio(peak, TARGETS['rss'])} | {met(peak, TARGETS['rss'])} |"
    )
    shown, p99 = tap_p99(busy, freeze)
    out.append(
        f"| a tap answered (p99) while a digest, an export and a sweep run | "
        f"{shown}{' (cut off)' if 'timed_out' in freeze else ''} | "
        f"the same tap with nothing running (p99) | {duration(tap_idle.get('p99'))} | "
        f"{ratio(p99, tap_idle.get('p99'))} | ≤ 200 ms | {ratio(p99, TARGETS['tap_p99'])} | "
        f"{met(p99, TARGETS['tap_p99'])} |"
    )
    return out


def tap_p99(busy: dict[str, Any], freeze: dict[str, Any]) -> tuple[str, float | None]:
    """The p99 under load as shown, and as a number (inf when over 1 % were never answered)."""
    sent, answered = int(busy.get("sent", 0)), int(busy.get("taps", 0))
    unanswered = int(busy.get("unanswered", sent - answered))
    if sent and unanswered > 0.01 * sent:
        wait = busy.get("longest_wait") or freeze.get("timed_out") or 0.0
        return f"> {wait:.0f} s ({unanswered:,} of {sent:,} taps never answered)", math.inf
    p99 = busy.get("p99")
    return duration(p99), p99


def freeze_lines(sizes: list[dict[str, Any]]) -> list[str]:
    out = [
        "| closed / open | tap p50 / p99 / max (idle) | tap p50 / p99 / max (under load) | taps "
        "| longest event-loop stall | digest / export / sweep took (together) | peak RSS "
        "(with the export) |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        freeze = size["ops"].get("freeze", {})
        idle = last(freeze, "tap_idle") or {}
        busy = last(freeze, "freeze") or {}
        parts = busy.get("parts", {})
        took = " / ".join(duration(parts.get(p)) for p in ("digest", "export", "sweep"))
        cut = f" (cut off at {freeze['timed_out']:.0f} s)" if "timed_out" in freeze else ""
        if busy.get("finished") is False and not cut:
            cut = " (load unfinished at the budget)"
        rss = rss_of(freeze)
        never, never_value = tap_p99(busy, freeze)
        out.append(
            f"| {size_label(size)} | "
            + " / ".join(duration(idle.get(k)) for k in ("p50", "p99"))
            + " / — | "
            + (
                never
                if math.isinf(never_value or 0)
                else " / ".join(duration(busy.get(k)) for k in ("p50", "p99", "worst"))
            )
            + f"{cut} | {busy.get('taps', 0):,} of {busy.get('sent', 0):,} answered | "
            f"{duration(busy.get('max_loop_lag'))} | {took} | "
            f"{f'{rss:.0f} MB' if rss else '—'}"
            + (f" + child {busy['child_rss_mb']:.0f} MB" if busy.get("child_rss_mb") else "")
            + " |"
        )
    return out


def flow_lines(figures: dict[str, Any]) -> list[str]:
    bot, bare = figures["bot"], figures["bare"]
    return [
        f"{bot['workers']} people at once, {bot['flows']} flows of {bot['updates'] // bot['flows']}"
        " updates each (/new → category → description → Skip → Normal → Submit, then the "
        "commissioner's Accept on the card the outbox delivered):",
        "",
        "| | flows/s | updates | took | update → committed p50 / p99 / max |",
        "|---|---|---|---|---|",
        f"| the bot (bot.bootstrap, real handlers, SQLite file) | {bot['flows_per_s']:.1f} | "
        f"{bot['updates']} | {bot['seconds']:.2f} s | {duration(bot['p50'])} / "
        f"{duration(bot['p99'])} / {duration(bot['worst'])} |",
        f"| anchor: bare Application, trivial handler, same updates | {bare['flows_per_s']:.1f} "
        f"| {bare['updates']} | {bare['seconds']:.2f} s | {duration(bare['p50'])} / "
        f"{duration(bare['p99'])} / {duration(bare['worst'])} |",
        *sql_lines(bot.get("sql", {})),
        f"| **ratio** bot / bare (target ≥ 0.30) | {figures['ratio']:.3f} "
        f"({met(figures['ratio'], TARGETS['flow_ratio'], True)}) | | | p99 target ≤ 50 ms: "
        f"{met(bot['p99'], TARGETS['flow_p99'])} |",
        *talking_lines(figures),
    ]


def talking_lines(figures: dict[str, Any]) -> list[str]:
    """The two figures beside the ratio: the bare ceiling making the bot's Bot API calls, and
    the bot with one commissioner per worker (bound by the one-a-second pacing per chat)."""
    if "bare_talking" not in figures:
        return []
    talking, shared = figures["bare_talking"], figures["shared"]
    return [
        f"| anchor: bare Application making the bot's {figures['calls_per_update']:.2f} Bot API "
        f"calls an update | {talking['flows_per_s']:.1f} | {talking['updates']} | "
        f"{talking['seconds']:.2f} s | {duration(talking['p50'])} / {duration(talking['p99'])} "
        f"/ {duration(talking['worst'])} |",
        f"| ratio bot / that anchor | {figures['ratio_talking']:.3f} | | | |",
        f"| the bot, one commissioner per worker (each waits ~1 s per flow for its next card: "
        f"Telegram's per-chat pace, which the bot keeps) | {shared['flows_per_s']:.1f} | "
        f"{shared['updates']} | {shared['seconds']:.2f} s | {duration(shared['p50'])} / "
        f"{duration(shared['p99'])} / {duration(shared['worst'])} |",
    ]


def sql_lines(sql: dict[str, float]) -> list[str]:
    if not sql:
        return []
    return [
        f"| (the bot's SQL per flow: {sql['transactions']:.0f} write transactions, "
        f"{sql['writer']:.0f} statements on the writer, {sql['reader']:.0f} on the reader; "
        "every write waits for the one writer) | | | | |"
    ]


def drain_lines(figures: dict[str, Any]) -> list[str]:
    return [
        "| notifications / chats | drained in | physical minimum (n / 30 s) | ratio (target ≤ "
        "1.15) | 429s (target 0) | other errors | most in any second |",
        "|---|---|---|---|---|---|---|",
        f"| {figures['messages']:,} / {figures['chats']} | {figures['seconds']:.1f} s"
        f"{'' if figures['finished'] else ' (unfinished)'} | {figures['minimum']:.1f} s | "
        f"{figures['ratio']:.3f} ({met(figures['ratio'], TARGETS['drain_ratio'])}) | "
        f"{figures['throttled']} | {figures['errors']} | {figures['max_per_second']} |",
    ]


def plan_lines(size: dict[str, Any]) -> list[str]:
    figures = size["ops"].get("plans")
    if figures is None:
        return []
    plans = [line for line in figures.get("lines", []) if line.get("op") == "plan"]
    if not plans:
        return [f"(no plans: {cell(figures)})"]
    out = [
        f"At {size_label(size)} (after ANALYZE). Every distinct statement the sweep, the "
        "digest, /stats, /overdue and a tap ran (listed under the first that ran it), traced "
        "on the bot's own connections; **SCAN** of a big table flagged.",
        "",
        "| path | statement | plan | |",
        "|---|---|---|---|",
    ]
    for plan in plans:
        sql = plan["sql"].replace("|", "\\|")
        if len(sql) > 220:
            sql = sql[:217] + "…"
        flag = "**full scan: " + ", ".join(plan["full_scans"]) + "**" if plan["full_scans"] else ""
        out.append(f"| {plan['path']} | `{sql}` | {'; '.join(plan['plan'])} | {flag} |")
    return out


def profile_lines(size: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for op in ("sweep", "digest", "overdue"):
        figures = size["ops"].get(f"profile_{op}")
        line = last(figures, "profile") if figures else None
        if line is None:
            continue
        top = line["top"]
        trips = int(line.get("round_trips", 0))
        out += [
            f"**{op}** ({duration(line['seconds'])} under the profiler"
            + (f"; {trips:,} aiosqlite round trips" if trips else "")
            + "):",
            "",
            "| function (event-loop thread) | calls | own time | with callees |",
            "|---|---|---|---|",
            *(
                f"| `{row['function']}` | {int(row['calls']):,} | {duration(row['own'])} | "
                f"{duration(row['cumulative'])} |"
                for row in top
            ),
            "",
        ]
    if out:
        out = [
            f"At {size_label(size)}, `cProfile` around the one call (SQLite itself runs in "
            "aiosqlite's thread: its time shows as the loop waiting in `epoll`; each statement "
            "is one `_execute` round trip).",
            "",
            *out,
        ]
    return out


def section(results: dict[str, Any]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        START,
        "## `python -m bench`: scale, freezes, the request flow and delivery (issue 9)",
        "",
        f"Command: `{results['command']}` — {results['seconds']:.0f} s in all, each "
        f"measurement cut off after {results['timeout']:.0f} s (shown as “> N s”).  ",
        *([f"{results['note']}  "] if results.get("note") else []),
        f"Machine: {machine()}.  ",
        f"Date: {now}.  ",
        "The machine is shared (other work runs beside it on its 2 cores): figures are from one "
        "run and noisy — compare ratios within the run rather than absolute times across runs. "
        "History: `bench/history.py` (seeded; closed requests over 400 days, open ones accepted "
        "within 20 days, 3–5 events each); every figure is taken through the services as "
        "`bot.bootstrap` wires them, each in a process of its own (clean peak RSS), at "
        "2026-11-25 10:00 local with nothing due.",
        "",
    ]
    sizes = results.get("sizes", [])
    if sizes:
        out += ["### Growth", "", *growth_table(sizes), ""]
        for size in sizes:
            out += [
                f"### {size_label(size)} requests: each figure beside its anchor and target",
                "",
                *detail_table(size),
                "",
            ]
        out += [
            "### No freezes: taps answered while a digest, an export and a sweep run",
            "",
            "A tap on a language button (a write transaction, then the answer) every 50 ms "
            "through the real Application while the three run at once; latency = update "
            "queued → answerCallbackQuery sent. The export is what /export does "
            "(the workbook built in a child process on its own read-only snapshot: "
            "bot.export.process).",
            "",
            *freeze_lines(sizes),
            "",
        ]
    if "flows" in results:
        out += ["### The request flow", "", *flow_lines(results["flows"]), ""]
        out += [
            "Telegram's 30-a-second pace limiter is taken out for this figure (it would make "
            "it Telegram's, not the bot's; see the drain below); the bot's own per-chat pacing "
            "of the outbox stays.",
            "",
        ]
    if "drain" in results:
        out += [
            "### Delivery at Telegram's limits",
            "",
            "The outbox drained by the bot's sender against the simulator with its flood "
            "limits on (30 a second overall, about 1 a second per chat, 429 beyond).",
            "",
            *drain_lines(results["drain"]),
            "",
        ]
    for size in sizes:
        profiles = profile_lines(size)
        if profiles:
            out += ["### Where the time goes", "", *profiles]
    for size in sizes:
        if "plans" in size["ops"]:
            out += ["### Query plans of the hot paths", "", *plan_lines(size), ""]
    out.append(END)
    return "\n".join(out) + "\n"


def write(path: Path, results: dict[str, Any]) -> None:
    """Replaces the generated section of `path` (appends it the first time); keeps the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new = section(results)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        text = head + new.rstrip("\n") + tail
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + new
    path.write_text(text, encoding="utf-8")
