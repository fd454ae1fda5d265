"""The command line: run | demo | import | digest | export | backup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # A 429 is handled (and logged once) by the outbox sender; the limiter's own traceback
    # for it would only alarm the operator.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import WebhookOptions, serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    webhook = WebhookOptions(args.webhook_url, args.listen, args.port) if args.webhook_url else None
    await serve(settings, stop, webhook)
    return 0


async def _import(settings: Settings, kind: str, path: Path, sync: bool, dry_run: bool) -> int:
    from bot.domain.catalog import load_catalog
    from bot.domain.clock import SystemClock
    from bot.services.importer import RosterKind, import_roster
    from bot.storage.uow import Database

    db = await Database.open(settings.db)
    try:
        teams = frozenset(t.key for t in load_catalog().teams)
        report = await import_roster(
            db, SystemClock(), RosterKind(kind), path, teams, sync=sync, dry_run=dry_run
        )
    finally:
        await db.close()
    print(report.summary(settings.default_language))
    return 1 if report.errors else 0


async def _backup(settings: Settings, target: Path) -> int:
    from bot.storage.uow import Database

    if target.exists():
        print(f"{target} already exists; choose a new file", file=sys.stderr)
        return 2
    db = await Database.open(settings.db)
    try:
        await db.backup(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


async def _export(settings: Settings, target: Path) -> int:
    """Writes every request to an .xlsx file, in the default language."""
    from bot.channels import spreadsheet
    from bot.domain.catalog import load_catalog
    from bot.storage.uow import Database

    if target.exists():
        print(f"{target} already exists; choose a new file", file=sys.stderr)
        return 2
    db = await Database.open(settings.db)
    try:
        async with db.tx() as tx:
            rows = await tx.export_rows()
    finally:
        await db.close()
    data = spreadsheet.workbook(rows, load_catalog(), settings.default_language, settings.tz)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"{len(rows)} requests written to {target}")
    return 0


async def _digest(settings: Settings, day: str | None) -> int:
    """Prints the supervisors' digest of `day` (default today) in the default language."""
    from datetime import date

    from bot.bootstrap import DEFAULT_CALENDAR, sla_policy
    from bot.channels.telegram.texts_sla import digest, plain
    from bot.domain.clock import SystemClock
    from bot.domain.deadlines import load_calendar
    from bot.services.digest import DigestService
    from bot.storage.uow import Database

    try:
        report_date = date.fromisoformat(day) if day else None
    except ValueError:
        print(f"oncall-bot: bad --date {day!r}: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    calendar_file = DEFAULT_CALENDAR if DEFAULT_CALENDAR.exists() else None
    policy = sla_policy(settings, load_calendar(calendar_file, settings.tz))
    db = await Database.open(settings.db)
    try:
        result = await DigestService(db, SystemClock(), policy).for_date(report_date)
    finally:
        await db.close()
    print(plain(digest(result, settings.default_language)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oncall-bot", description="有什么需要，随叫随到 — oncall-bot")
    p.add_argument("--config", type=Path, help="TOML settings file (default config/settings.toml)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument(
        "--webhook-url",
        help="public HTTPS URL Telegram should POST updates to (default: long polling)",
    )
    run.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on")
    run.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    demo = sub.add_parser("demo", help="play the whole story on a local simulator (no token)")
    demo.add_argument("--lang", choices=["zh", "en"], default=None)
    demo.add_argument("--keep", type=Path, help="keep the demo database in this folder")
    imp = sub.add_parser("import", help="import a roster CSV")
    imp.add_argument("kind", choices=["commissioners", "enterprises", "supervisors"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--sync", action="store_true", help="deactivate whoever the file omits")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    digest = sub.add_parser("digest", help="print the supervisors' digest")
    digest.add_argument("--date", help="YYYY-MM-DD (default: today)")
    export = sub.add_parser("export", help="every request as an .xlsx spreadsheet")
    export.add_argument("path", type=Path)
    backup = sub.add_parser("backup", help="consistent online copy of the database")
    backup.add_argument("path", type=Path)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _logging(args.verbose)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"oncall-bot: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            if settings.token is None:
                print("oncall-bot: bad setting ONCALL_TOKEN: required for run", file=sys.stderr)
                return 2
            return asyncio.run(_run(settings, args))
        if args.command == "import":
            return asyncio.run(_import(settings, args.kind, args.file, args.sync, args.dry_run))
        if args.command == "backup":
            return asyncio.run(_backup(settings, args.path))
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, args.lang, args.keep))
        if args.command == "export":
            return asyncio.run(_export(settings, args.path))
        if args.command == "digest":
            return asyncio.run(_digest(settings, args.date))
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
