"""The one place that wires database, services, sender, handlers and scheduler together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.channels.telegram.callback_data import Op, pattern
from bot.channels.telegram.inbox import DurablePoller, OrderedUpdateProcessor
from bot.channels.telegram.outbox import OutboxSender
from bot.channels.telegram.persistence import DraftPersistence
from bot.channels.telegram.webhook import WebhookReceiver
from bot.domain.catalog import load_catalog
from bot.domain.clock import Clock, SystemClock
from bot.domain.deadlines import QuietHours, WorkCalendar, load_calendar, parse_hhmm
from bot.handlers.common import Common, Deps
from bot.handlers.dispatch import Dispatch
from bot.handlers.intake import Intake
from bot.handlers.onboarding import Onboarding
from bot.handlers.oversight import Oversight
from bot.handlers.supervisor import Supervision
from bot.i18n import translator
from bot.scheduler import start_sweeps, warn_unconfirmed_years
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.extensions import Extensions
from bot.services.sla import SlaPolicy
from bot.services.sweep import Sweep
from bot.settings import Settings
from bot.storage.uow import Database

log = logging.getLogger(__name__)

# Overall pace: AIORateLimiter's leaky bucket lets `max_rate` through at once and then
# max_rate/period a second, so any one-second window can hold max_rate + max_rate/period
# messages. 4 per 0.2 s allows 24 (4 + 20) in any second, which leaves room for network jitter
# to bunch requests up on their way and still stay under Telegram's 30/s; it sustains 20/s.
OVERALL_MAX_RATE = 4
OVERALL_PERIOD = 0.2
DEFAULT_CALENDAR = Path("config/calendar.toml")

TApp = Application[Any, Any, Any, Any, Any, Any]


def sla_policy(settings: Settings, calendar: WorkCalendar) -> SlaPolicy:
    """The chase, extension and digest rules from ONCALL_SLA__* and ONCALL_DIGEST__TIME."""
    sla = settings.sla
    return SlaPolicy(
        accept_remind_after=sla.accept_remind_after,
        accept_escalate_after=sla.accept_escalate_after,
        tz=settings.tz,
        calendar=calendar,
        working_days=sla.working_days,
        resolve_within_normal=sla.resolve_within_normal,
        resolve_within_urgent=sla.resolve_within_urgent,
        digest_time=parse_hhmm(settings.digest.time),
    )


@dataclass
class Runtime:
    """Everything a running bot holds; built by `build`, torn down by `close`."""

    settings: Settings
    db: Database
    clock: Clock
    desk: Desk
    app: TApp
    sender: OutboxSender
    poller: DurablePoller
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    sweep: Sweep | None = None
    webhook: WebhookReceiver | None = None

    async def start(self, poll: bool = True, webhook: WebhookReceiver | None = None) -> None:
        """Initialises the application, replays stored updates and starts sending and receiving.

        Updates come by long polling, or through `webhook` when one is given.
        """
        await self.app.initialize()
        await self.app.start()
        if self.sweep is not None:
            warn_unconfirmed_years(self.sweep.policy.calendar, self.clock.now())
            start_sweeps(self.app, self.sweep.run, self.clock, self.settings.sla.check_interval)
        await self.poller.replay()
        self.tasks.append(asyncio.create_task(self.sender.run(), name="outbox"))
        if webhook is not None:
            await set_commands(self.app)
            await webhook.start()
            self.webhook = webhook
        elif poll:
            await forget_webhook(self.app)
            await set_commands(self.app)
            self.tasks.append(asyncio.create_task(self.poller.run(), name="poller"))

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        self.poller.stop()
        await self.sender.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.db.close()


async def build(
    settings: Settings,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    token: str | None = None,
) -> Runtime:
    """Opens the database and assembles the application (nothing is started yet)."""
    clock = clock or SystemClock()
    db = await Database.open(settings.db)
    catalog = load_catalog()
    calendar = load_calendar(DEFAULT_CALENDAR if DEFAULT_CALENDAR.exists() else None, settings.tz)
    quiet = QuietHours.parse(settings.sla.quiet_hours)
    senders: list[OutboxSender] = []

    def wake() -> None:
        for sender in senders:
            sender.wake()

    policy = sla_policy(settings, calendar)
    desk = Desk(db, clock, catalog, policy, wake)
    secret = token or (settings.token.get_secret_value() if settings.token else None)
    if not secret:
        raise ValueError("ONCALL_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(secret)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=OVERALL_MAX_RATE, overall_time_period=OVERALL_PERIOD, max_retries=0
            )
        )
        .concurrent_updates(OrderedUpdateProcessor(db, clock))
        .persistence(DraftPersistence(desk.intake_steps))
        .updater(None)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app: TApp = builder.build()
    sender = OutboxSender(
        db,
        app.bot,
        desk,
        catalog,
        clock,
        settings.tz,
        settings.default_language,
        is_quiet=lambda now: quiet.is_quiet(now, settings.tz),
    )
    senders.append(sender)
    deps = Deps(desk, catalog, settings.tz, settings.default_language)
    digests = DigestService(db, clock, policy)
    register(app, deps, Supervision(deps, digests, Extensions(desk, policy)))
    return Runtime(
        settings,
        db,
        clock,
        desk,
        app,
        sender,
        DurablePoller(app, db, clock),
        sweep=Sweep(desk, policy, digests),
    )


KNOWN_COMMANDS = (
    "start",
    "help",
    "lang",
    "cancel",
    "new",
    "my",
    "mine",
    "away",
    "back",
    "digest",
    "overdue",
    "stats",
    "extend",
    "reassign",
    "export",
)


def register(app: TApp, deps: Deps, supervision: Supervision | None = None) -> None:
    """Adds every handler, in the groups that decide who sees an update first."""
    common, onboarding, intake, dispatch = (
        Common(deps),
        Onboarding(deps),
        Intake(deps),
        Dispatch(deps),
    )
    oversight = Oversight(deps)
    private = filters.ChatType.PRIVATE
    # Group 0: the form, commands and buttons.
    app.add_handler(intake.handler())
    app.add_handler(CommandHandler("start", onboarding.on_start, filters=private))
    app.add_handler(MessageHandler(filters.CONTACT & private, onboarding.on_contact))
    app.add_handler(CommandHandler("help", common.on_help))
    app.add_handler(CommandHandler("lang", common.on_lang))
    app.add_handler(CommandHandler("cancel", common.on_cancel))
    app.add_handler(CommandHandler("my", dispatch.on_my))
    app.add_handler(CommandHandler("mine", dispatch.on_mine))
    app.add_handler(CommandHandler("away", dispatch.on_away))
    app.add_handler(CommandHandler("back", dispatch.on_back))
    app.add_handler(CommandHandler("reassign", oversight.on_reassign))
    app.add_handler(CommandHandler("export", oversight.on_export))
    app.add_handler(CallbackQueryHandler(dispatch.on_accept, pattern(Op.ACCEPT)))
    app.add_handler(CallbackQueryHandler(dispatch.on_decline, pattern(Op.DECLINE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_resolve, pattern(Op.RESOLVE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_outcome, pattern(Op.OUTCOME)))
    app.add_handler(CallbackQueryHandler(dispatch.on_note, pattern(Op.NOTE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_rate, pattern(Op.RATE)))
    app.add_handler(CallbackQueryHandler(common.on_lang_choice, pattern(Op.LANG)))
    if supervision is not None:
        supervision.add_to(app)
    app.add_handler(CallbackQueryHandler(common.on_stale_tap))
    # Group 1: the text a Decline / Resolve / Note tap asked for.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, dispatch.on_pending_text), 1)
    # Group 2: replies to a message naming #N are relayed.
    app.add_handler(MessageHandler(filters.REPLY & ~filters.COMMAND, dispatch.on_relay), 2)
    # Group 3: whatever is left.
    known = filters.Regex(rf"^/({'|'.join(KNOWN_COMMANDS)})(@\w+)?(\s|$)")
    app.add_handler(
        MessageHandler(~filters.CONTACT & ~(filters.COMMAND & known) & private, common.on_fallback),
        3,
    )
    app.add_error_handler(common.on_error)


async def forget_webhook(app: TApp) -> None:
    """Long polling needs no webhook set (Telegram refuses getUpdates while one is)."""
    try:
        await app.bot.delete_webhook()
    except TelegramError as exc:
        log.warning("could not delete the webhook: %s", exc)


async def set_commands(app: TApp) -> None:
    """The command menu, in both languages."""
    for lang, code in (("zh", None), ("en", "en")):
        _ = translator(lang)
        commands = [
            BotCommand("new", _("Report a difficulty")),
            BotCommand("my", _("My requests")),
            BotCommand("mine", _("Requests for me (commissioners)")),
            BotCommand("help", _("Commands")),
            BotCommand("lang", _("Language")),
            BotCommand("cancel", _("Cancel")),
        ]
        try:
            await app.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:
            # The menu is a convenience: a Bot API server without it must not stop the bot.
            log.warning("could not set the command menu (%s): %s", lang, exc)
            return


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram should POST updates, and where this process listens for them."""

    url: str
    listen: str = "0.0.0.0"
    port: int = 8443


async def serve(
    settings: Settings, stop: asyncio.Event, webhook: WebhookOptions | None = None
) -> None:
    """Runs the bot until `stop` is set (long polling, or a webhook)."""
    runtime = await build(settings)
    try:
        receiver = (
            WebhookReceiver(
                runtime.app, runtime.db, runtime.clock, webhook.url, webhook.listen, webhook.port
            )
            if webhook
            else None
        )
        await runtime.start(webhook=receiver)
        log.info("oncall-bot is running (database %s)", settings.db)
        await stop.wait()
    finally:
        await runtime.close()
