"""The command line: run | demo | import | digest | export | backup | check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot import logsafe
from bot.settings import Settings, SettingsError, load_settings

EXIT_BAD_TOKEN = 3


def _logging(verbose: bool) -> None:
    # Every line goes through logsafe's redaction (the token, phone numbers), tracebacks too.
    logsafe.install(
        logging.DEBUG if verbose else logging.INFO,
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request (its URL holds the token, redacted) at INFO: only with -v.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters (people's data), twice: never wanted.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # A 429 is handled (and logged once) by the outbox sender; the limiter's own traceback
    # for it would only alarm the operator.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken

    from bot.bootstrap import WebhookOptions, serve
    from bot.i18n import translator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    webhook = WebhookOptions(args.webhook_url, args.listen, args.port) if args.webhook_url else None
    try:
        await serve(settings, stop, webhook)
    except InvalidToken:
        # python-telegram-bot's message quotes the token: say what happened, and nothing else.
        _ = translator(settings.default_language)
        print(
            "oncall-bot: " + _("Telegram rejected the token (ONCALL_TOKEN); check it"),
            file=sys.stderr,
        )
        return EXIT_BAD_TOKEN
    return 0


async def _import(settings: Settings, kind: str, path: Path, sync: bool, dry_run: bool) -> int:
    from bot.cli_texts import import_summary
    from bot.config_files import load_catalog
    from bot.domain.clock import SystemClock
    from bot.roster_files import read_roster
    from bot.services.importer import RosterKind, import_roster
    from bot.storage.uow import Database

    # CSV (UTF-8 or GB18030/GBK) or .xlsx, read before the database is opened.
    table = await asyncio.to_thread(read_roster, path)
    db = await Database.open(settings.db)
    try:
        teams = frozenset(t.key for t in load_catalog().teams)
        report = await import_roster(
            db, SystemClock(), RosterKind(kind), table, teams, sync=sync, dry_run=dry_run
        )
    finally:
        await db.close()
    print(import_summary(report, settings.default_language))
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


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    """Writes the requests (submitted --from … --to, local days) to .xlsx or CSV, mode 0600.

    CSV: PATH is the Requests table; PATH-stem.events.csv and PATH-stem.figures.csv beside it.
    """
    import os
    from contextlib import ExitStack
    from datetime import UTC, date, datetime, time, timedelta

    from bot.config_files import load_catalog
    from bot.export.csv_export import write_csv
    from bot.export.spreadsheet import Export, write_xlsx
    from bot.storage.files import create_private
    from bot.storage.uow import Database

    target: Path = args.path
    try:
        first = date.fromisoformat(args.from_date) if args.from_date else None
        last = date.fromisoformat(args.to_date) if args.to_date else None
    except ValueError as exc:
        print(f"oncall-bot: bad --from/--to: {exc} (expected YYYY-MM-DD)", file=sys.stderr)
        return 2
    if first and last and last < first:
        print("oncall-bot: --to is before --from", file=sys.stderr)
        return 2
    fmt = args.format or ("csv" if target.suffix.lower() == ".csv" else "xlsx")
    targets = [target]
    if fmt == "csv":
        stem = target.with_suffix("") if target.suffix else target
        targets += [Path(f"{stem}.events.csv"), Path(f"{stem}.figures.csv")]
    for path in targets:
        if path.exists():
            print(f"{path} already exists; choose a new file", file=sys.stderr)
            return 2
    # Local days in ONCALL_TIMEZONE: --to D includes all of D.
    job = Export(
        catalog=load_catalog(),
        lang=settings.default_language,
        tz=settings.tz,
        now=datetime.now(UTC),
        since=datetime.combine(first, time(), settings.tz) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), settings.tz) if last else None,
    )
    db = await Database.open(settings.db)
    created: list[Path] = []
    try:
        with ExitStack() as files:
            outs = []
            for path in targets:
                outs.append(files.enter_context(os.fdopen(create_private(path), "wb")))
                created.append(path)
            async with db.read() as tx:
                if fmt == "csv":
                    count = await write_csv(outs[0], tx, job, events=outs[1], figures=outs[2])
                else:
                    count = await write_xlsx(outs[0], tx, job)
    except BaseException as exc:
        # No half-written export is left behind to be mistaken for a whole one.
        for path in created:
            path.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            print(f"{exc.filename} already exists; choose a new file", file=sys.stderr)
            return 2
        raise
    finally:
        await db.close()
    print(f"{count} requests written to {', '.join(str(p) for p in targets)}")
    return 0


async def _check(settings: Settings) -> int:
    """Prints the database's health; non-zero when something needs the operator."""
    from datetime import UTC, datetime

    from bot.check import run_check

    code, text = await run_check(
        settings.db, datetime.now(UTC), settings.tz, settings.default_language
    )
    print(text)
    return code


async def _digest(settings: Settings, day: str | None, png: Path | None = None) -> int:
    """Prints the supervisors' digest of `day` (default today) in the default language; with
    `png`, writes its chart (the last 30 days) there too."""
    from datetime import date

    from bot.bootstrap import sla_policy
    from bot.channels.telegram.texts_sla import plain
    from bot.channels.telegram.texts_stats import digest_text
    from bot.config_files import default_calendar, load_calendar, load_catalog
    from bot.domain.clock import SystemClock
    from bot.export.charts import DayFigures, daily_chart
    from bot.services.digest import DigestService
    from bot.storage.uow import Database

    try:
        report_date = date.fromisoformat(day) if day else None
    except ValueError:
        print(f"oncall-bot: bad --date {day!r}: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    policy = sla_policy(settings, load_calendar(default_calendar(), settings.tz))
    db = await Database.open(settings.db)
    try:
        service = DigestService(db, SystemClock(), policy)
        result = await service.for_date(report_date)
        points = await service.series(result.report_date) if png else []
    finally:
        await db.close()
    lang = settings.default_language
    print(plain(digest_text(result, load_catalog(), lang)))
    if png is not None:
        png.write_bytes(daily_chart([DayFigures(**p.model_dump()) for p in points], lang))
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
    imp = sub.add_parser("import", help="import a roster (CSV in UTF-8 or GBK, or .xlsx)")
    imp.add_argument("kind", choices=["commissioners", "enterprises", "supervisors", "committees"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--sync", action="store_true", help="deactivate whoever the file omits")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    digest = sub.add_parser("digest", help="print the supervisors' digest")
    digest.add_argument("--date", help="YYYY-MM-DD (default: today)")
    digest.add_argument("--png", type=Path, help="also write the digest's chart (PNG) here")
    export = sub.add_parser("export", help="the requests as an .xlsx spreadsheet or CSV")
    export.add_argument("path", type=Path)
    export.add_argument("--from", dest="from_date", help="first day submitted, YYYY-MM-DD")
    export.add_argument("--to", dest="to_date", help="last day submitted, YYYY-MM-DD")
    export.add_argument(
        "--format", choices=["xlsx", "csv"], help="default: from PATH's suffix, else xlsx"
    )
    backup = sub.add_parser("backup", help="consistent online copy of the database")
    backup.add_argument("path", type=Path)
    sub.add_parser(
        "check",
        help="integrity, schema, outbox backlog, undeliverable messages, unreachable people",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _logging(args.verbose)
    # Known before the settings are read, in case reading them fails loudly.
    logsafe.protect(os.environ.get("ONCALL_TOKEN"))
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"oncall-bot: {exc}", file=sys.stderr)
        return 2
    if settings.token is not None:
        logsafe.protect(settings.token.get_secret_value())
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
            return asyncio.run(_export(settings, args))
        if args.command == "check":
            return asyncio.run(_check(settings))
        if args.command == "digest":
            return asyncio.run(_digest(settings, args.date, args.png))
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
