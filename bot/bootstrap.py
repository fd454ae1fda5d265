"""The one place that wires database, services, sender, handlers and scheduler together."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.channels.pending import Expecting, Flow
from bot.channels.telegram.callback_data import Op, pattern
from bot.channels.telegram.inbox import DurablePoller, Inbox, OrderedUpdateProcessor
from bot.channels.telegram.outbox import OutboxSender
from bot.channels.telegram.persistence import DraftPersistence
from bot.channels.telegram.ratelimit import MessageRateLimiter
from bot.channels.telegram.webhook import WebhookReceiver
from bot.config_files import default_calendar, load_calendar, load_catalog
from bot.domain.clock import Clock, SystemClock
from bot.domain.deadlines import QuietHours, WorkCalendar, parse_hhmm
from bot.domain.flood import FloodGuard
from bot.export.process import ExportRunner
from bot.handlers.aftercare import Aftercare as AftercareHandlers
from bot.handlers.answers import Answers
from bot.handlers.common import Common, Deps
from bot.handlers.dispatch import Dispatch
from bot.handlers.gate import GROUP as GATE_GROUP
from bot.handlers.gate import Gate
from bot.handlers.handoff import Handoff
from bot.handlers.intake import Intake
from bot.handlers.lists import Lists
from bot.handlers.menus import GROUP as MENU_GROUP
from bot.handlers.menus import Menus, set_default_menus
from bot.handlers.onboarding import Onboarding
from bot.handlers.oversight import Oversight
from bot.handlers.presence import GROUP as PRESENCE_GROUP
from bot.handlers.presence import Presence
from bot.handlers.roster import Roster
from bot.handlers.supervisor import Supervision
from bot.scheduler import SWEEP_JOB, start_retention, start_sweeps, warn_unconfirmed_years
from bot.services.browse import Browse
from bot.services.cancel import Cancellation
from bot.services.chats import ChatNotices
from bot.services.dead_letters import DeadLetters
from bot.services.desk import Desk
from bot.services.digest import DigestService
from bot.services.directory import Directory
from bot.services.extensions import Extensions
from bot.services.reach import Reachability
from bot.services.retention import Retention
from bot.services.sla import SlaPolicy
from bot.services.sweep import Sweep
from bot.settings import LimitsSettings, Settings
from bot.storage.sqlite.expectations import SqliteExpectations
from bot.storage.uow import Database
from bot.watchdog import Watchdog

log = logging.getLogger(__name__)

# Updates handled at once (one per person at a time). A handler holds its slot while its reply
# waits for the pace above, so with 32 slots a burst of 200 owners left taps waiting ~13 s for
# a slot and some expired (bench/burst.py); waiting handlers cost next to nothing.
CONCURRENT_UPDATES = 1024

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
        reopen_within=timedelta(days=settings.lifecycle.reopen_days),
        auto_close_working_days=settings.lifecycle.auto_close_working_days,
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
    inbox: Inbox
    watchdog: Watchdog
    sweep: Sweep | None = None
    menus: Menus | None = None
    webhook: WebhookReceiver | None = None
    retention: Retention | None = None
    exports: ExportRunner | None = None

    async def start(self, poll: bool = True, webhook: WebhookReceiver | None = None) -> None:
        """Initialises the application, replays stored updates and starts sending and receiving.

        Updates come by long polling, or through `webhook` when one is given.
        """
        await self.app.initialize()
        await self.app.start()
        if self.sweep is not None:
            warn_unconfirmed_years(self.sweep.policy.calendar, self.clock.now())
            self._start_sweeps()
            self.watchdog.probe("scheduler", self._sweeping, self._revive_scheduler)
        if self.retention is not None:
            at = parse_hhmm(self.settings.retention.time).replace(tzinfo=self.settings.tz)
            start_retention(self.app, self.retention.run, self.clock, at)
        await self.inbox.replay()
        self.watchdog.supervise("sender", self.sender.run)
        if webhook is not None:
            await set_default_menus(self.app.bot)
            await webhook.start()
            self.webhook = webhook
        elif poll:
            await forget_webhook(self.app)
            await set_default_menus(self.app.bot)
            self.watchdog.supervise("poller", self.poller.run)
        self.watchdog.start()

    def _start_sweeps(self) -> None:
        assert self.sweep is not None
        start_sweeps(self.app, self.sweep.run, self.clock, self.settings.sla.check_interval)

    def _sweeping(self) -> bool:
        jobs = self.app.job_queue
        return jobs is None or bool(jobs.scheduler.running and jobs.get_jobs_by_name(SWEEP_JOB))

    async def _revive_scheduler(self) -> None:
        jobs = self.app.job_queue
        assert jobs is not None
        if not jobs.scheduler.running:
            await jobs.start()
        if not jobs.get_jobs_by_name(SWEEP_JOB):
            self._start_sweeps()

    async def close(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        self.poller.stop()
        if self.exports is not None:
            # An export still being built is given up: its child would outlive the bot.
            await self.exports.close()
        await self.sender.stop()
        await self.watchdog.stop()
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
    calendar = load_calendar(default_calendar(), settings.tz)
    quiet = QuietHours.parse(settings.sla.quiet_hours)
    senders: list[OutboxSender] = []

    def wake() -> None:
        for sender in senders:
            sender.wake()

    policy = sla_policy(settings, calendar)
    desk = Desk(db, clock, catalog, policy, wake, settings.limits.max_open_requests)
    dead = DeadLetters(desk)
    secret = token or (settings.token.get_secret_value() if settings.token else None)
    if not secret:
        raise ValueError("ONCALL_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(secret)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .rate_limiter(MessageRateLimiter())
        .concurrent_updates(
            OrderedUpdateProcessor(db, clock, dead, max_concurrent_updates=CONCURRENT_UPDATES)
        )
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
    expecting = Expecting(SqliteExpectations(db), clock)
    exports = ExportRunner(str(settings.db))
    deps = Deps(desk, catalog, settings.tz, settings.default_language, expecting, exports)
    digests = DigestService(db, clock, policy)
    menus = register(
        app, deps, Supervision(deps, digests, Extensions(desk, policy)), settings.limits
    )
    inbox = Inbox(app, db, clock, dead)
    # Runs next to common.on_error (which answers the person): the update becomes a dead letter.
    app.add_error_handler(inbox.on_handler_error)
    return Runtime(
        settings,
        db,
        clock,
        desk,
        app,
        sender,
        DurablePoller(app, db, inbox),
        inbox,
        Watchdog(db, clock),
        sweep=Sweep(desk, policy, digests),
        menus=menus,
        retention=Retention(
            db, clock, timedelta(days=settings.retention.days), settings.retention.batch
        ),
        exports=exports,
    )


KNOWN_COMMANDS = (
    "start",
    "help",
    "lang",
    "cancel",
    "new",
    "my",
    "mine",
    "open",
    "away",
    "back",
    "digest",
    "overdue",
    "stats",
    "extend",
    "reassign",
    "export",
    "chain",
    "roster",
)


def register(
    app: TApp,
    deps: Deps,
    supervision: Supervision | None = None,
    limits: LimitsSettings | None = None,
) -> Menus:
    """Adds every handler, in the groups that decide who sees an update first."""
    common, onboarding, intake, dispatch = (
        Common(deps),
        Onboarding(deps),
        Intake(deps),
        Dispatch(deps),
    )
    oversight = Oversight(deps)
    reopen_within = deps.desk.deadlines.reopen_within
    browse = Browse(deps.desk.db, deps.desk.clock, deps.catalog, reopen_within=reopen_within)
    lists = Lists(deps, browse, Cancellation(deps.desk))
    private = filters.ChatType.PRIVATE
    # Group -20: whoever writes can be reached again (never stops the update).
    app.add_handler(Presence(Reachability(deps.desk)).handler(), PRESENCE_GROUP)
    # Group -10: private chats only, flood control, edited messages; stops what it answers.
    limits = limits or LimitsSettings()
    flood = FloodGuard(limits.flood_updates, limits.flood_window, limits.flood_mute)
    gate = Gate(deps, ChatNotices(deps.desk.db, deps.desk.clock), flood)
    app.add_handler(gate.handler(), GATE_GROUP)
    # Group 0: the form, commands and buttons.
    app.add_handler(intake.handler())
    app.add_handler(CommandHandler("start", onboarding.on_start, filters=private))
    # A contact sent as a reply about #N is relayed (group 2), not taken as onboarding.
    app.add_handler(
        MessageHandler(filters.CONTACT & ~filters.REPLY & private, onboarding.on_contact)
    )
    app.add_handler(CommandHandler("help", common.on_help))
    app.add_handler(CommandHandler("lang", common.on_lang))
    app.add_handler(CommandHandler("cancel", common.on_cancel))
    # /away, /back, /reassign, reason buttons, hand-backs and the supervisors' pickers.
    Handoff(deps).add_to(app)
    app.add_handler(CommandHandler("export", oversight.on_export))
    app.add_handler(CallbackQueryHandler(dispatch.on_accept, pattern(Op.ACCEPT)))
    app.add_handler(CallbackQueryHandler(dispatch.on_resolve, pattern(Op.RESOLVE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_outcome, pattern(Op.OUTCOME)))
    app.add_handler(CallbackQueryHandler(dispatch.on_note, pattern(Op.NOTE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_rate, pattern(Op.RATE)))
    app.add_handler(CallbackQueryHandler(dispatch.on_internal_note, pattern(Op.INTERNAL_NOTE)))
    app.add_handler(
        CallbackQueryHandler(dispatch.on_share_with_owner, pattern(Op.SHARE_WITH_OWNER))
    )
    app.add_handler(CallbackQueryHandler(common.on_lang_choice, pattern(Op.LANG)))
    # Reopen, and the rating's comment (their texts: bot.handlers.answers).
    AftercareHandlers(deps).add_to(app)
    if supervision is not None:
        supervision.add_to(app)
    # /my, /mine, /open, cards, timelines, withdrawing.
    lists.add_to(app)
    # /roster for the supervisors.
    desk = deps.desk
    roster = Roster(deps, Directory(desk.db, desk.clock, desk.catalog, desk.deadlines))
    roster.add_to(app)
    app.add_handler(CallbackQueryHandler(common.on_stale_tap))
    # Group -2: the text a tap asked for (a reason, a summary, a note, a phone); commands drop it.
    answers = Answers(deps)
    answers.takes(Flow.WITHDRAW, lists.answer_withdraw, lists.withdraw_dropped)
    answers.takes(Flow.PHONE, roster.answer_phone, roster.phone_dropped)
    answers.add_to(app)
    # Group 2: replies to a message naming #N are relayed.
    app.add_handler(MessageHandler(filters.REPLY & ~filters.COMMAND, dispatch.on_relay), 2)
    # Group 3: whatever is left.
    known = filters.Regex(rf"^/({'|'.join(KNOWN_COMMANDS)})(@\w+)?(\s|$)")
    app.add_handler(
        MessageHandler(~filters.CONTACT & ~(filters.COMMAND & known) & private, common.on_fallback),
        3,
    )
    # Group 50: after everything, each person's menu follows their roles and language.
    menus = Menus(deps)
    app.add_handler(menus.handler(), MENU_GROUP)
    app.add_error_handler(common.on_error)
    return menus


async def forget_webhook(app: TApp) -> None:
    """Long polling needs no webhook set (Telegram refuses getUpdates while one is)."""
    try:
        await app.bot.delete_webhook()
    except TelegramError as exc:
        log.warning("could not delete the webhook: %s", exc)


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
            WebhookReceiver(runtime.app, runtime.inbox, webhook.url, webhook.listen, webhook.port)
            if webhook
            else None
        )
        await runtime.start(webhook=receiver)
        log.info("oncall-bot is running (database %s)", settings.db)
        await stop.wait()
    finally:
        await runtime.close()
