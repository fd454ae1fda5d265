"""Supervisors' /digest and /overdue, the holder's /extend, and the one-tap extension decision."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.channels.telegram import texts, texts_digest, texts_extension, texts_sla, texts_stats
from bot.channels.telegram.callback_data import Op, decode, pattern
from bot.channels.telegram.identity import update_ref
from bot.domain.access import allows, relations
from bot.domain.kpis import Cut
from bot.domain.models import Person
from bot.domain.periods import StatsAsk, StatsProblem, parse_stats
from bot.handlers.common import Context, Deps, HandlerBase, answer_refusal, person_id
from bot.services.digest import DigestService
from bot.services.errors import Refusal, Refused
from bot.services.extensions import Extensions
from bot.services.stats import StatsService

COMMANDS = ("digest", "overdue", "stats", "extend")
EXTEND = re.compile(r"^\s*#?(\d{1,12})\s+(\d{1,3})\s+(.+)$", re.DOTALL)
DECISION = re.compile(r"^([yn])(\d{1,6})$")
STATS_PAGE = re.compile(r"^(\d{8})\.(\d{8})\.([a-z]+)$")


class Supervision(HandlerBase):
    def __init__(self, deps: Deps, digests: DigestService, extensions: Extensions) -> None:
        super().__init__(deps)
        self.digests = digests
        self.extensions = extensions
        self.stats = StatsService(digests.db, digests.clock, digests.policy)

    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Registers the commands and the decision buttons (before any catch-all handler)."""
        app.add_handler(CommandHandler("digest", self.on_digest))
        app.add_handler(CommandHandler("overdue", self.on_overdue))
        app.add_handler(CommandHandler("stats", self.on_stats))
        app.add_handler(CommandHandler("extend", self.on_extend))
        app.add_handler(CallbackQueryHandler(self.on_decision, pattern(Op.EXTENSION)))
        app.add_handler(CallbackQueryHandler(self.on_stats_page, pattern(Op.STATS)))

    async def _supervisor(self, update: Update, command: str) -> tuple[Person | None, str]:
        person, lang = await self.who(update)
        if person is None:
            await answer_refusal(update, Refused(Refusal.NOT_REGISTERED), lang)
            return None, lang
        if not allows(f"/{command}", relations(person)):
            await self.reply(update, texts_sla.supervisors_only(lang, command))
            return None, lang
        return person, lang

    async def on_digest(self, update: Update, context: Context) -> None:
        """Sends today's digest now (supervisors only)."""
        person, lang = await self._supervisor(update, "digest")
        if person is None:
            return
        digest = await self.digests.for_date()
        await self.reply(update, texts_stats.digest_text(digest, self.catalog, lang))

    async def on_overdue(self, update: Update, context: Context) -> None:
        """Lists the requests past their deadline now (supervisors only)."""
        person, lang = await self._supervisor(update, "overdue")
        if person is None:
            return
        await self.reply(update, texts_digest.overdue_list(await self.digests.overdue_now(), lang))

    async def on_stats(self, update: Update, context: Context) -> None:
        """/stats [period] [by cut]: supervisors any cut, commissioners their own figures,
        committee members their chains'."""
        person, lang = await self.who(update)
        if person is None:
            await answer_refusal(update, Refused(Refusal.NOT_REGISTERED), lang)
            return
        if not allows("/stats", relations(person)):
            await self.reply(update, texts_stats.not_allowed(lang))
            return
        message = update.effective_message
        words = (message.text or "").split()[1:] if message else []
        ask = parse_stats(words, self.stats.today())
        if isinstance(ask, StatsProblem):
            await self.reply(update, texts_stats.problem(ask, lang))
            return
        pages = texts_stats.pages(await self.stats.report(ask, person), self.catalog, lang)
        keyboard = texts_stats.page_keyboard(_stats_arg(ask), 0, len(pages), lang)
        await self.reply(update, pages[0], reply_markup=keyboard)

    async def on_stats_page(self, update: Update, context: Context) -> None:
        """◀ / ▶ on a /stats answer: the page recomputed for whoever taps, as they may see it."""
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        cb = decode(query.data)
        ask = _stats_ask(cb.arg) if cb else None
        if cb is None or ask is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        if person is None or not allows("stats", relations(person)):
            await query.answer(texts_stats.not_allowed(lang), show_alert=True)
            return
        pages = texts_stats.pages(await self.stats.report(ask, person), self.catalog, lang)
        page = min(cb.request_id or 0, len(pages) - 1)
        await self.answer(update)
        keyboard = texts_stats.page_keyboard(_stats_arg(ask), page, len(pages), lang)
        await self.edit(update, pages[page], reply_markup=keyboard)

    async def on_extend(self, update: Update, context: Context) -> None:
        """The holder asks for a later deadline: /extend #N DAYS REASON."""
        person, lang = await self.who(update)
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        if person is None:
            await answer_refusal(update, Refused(Refusal.NOT_REGISTERED), lang)
            return
        parts = (message.text or "").split(maxsplit=1)
        found = EXTEND.match(parts[1]) if len(parts) == 2 else None
        if found is None:
            await self.reply(update, texts_extension.extend_usage(lang))
            return
        request_id, days, reason = int(found.group(1)), int(found.group(2)), found.group(3)
        try:
            asked = await self.extensions.ask(
                request_id, person.id, days, reason, update_ref(update)
            )
        except Refused as refused:
            if refused.reason == Refusal.BAD_INPUT:
                await self.reply(
                    update,
                    texts_extension.extension_refusal(
                        refused.details.get("field"), lang, request_id, refused.details
                    ),
                )
            else:
                await answer_refusal(update, refused, lang)
            return
        text = texts_extension.extension_sent(lang, request_id, days, asked.new_due, self.deps.tz)
        if not asked.supervisors:
            text += "\n" + texts_extension.no_supervisor(lang)
        await self.reply(update, text)

    async def on_decision(self, update: Update, context: Context) -> None:
        """A supervisor's Approve/Refuse tap on an extension request; the first tap decides."""
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        cb = decode(query.data)
        found = DECISION.match(cb.arg or "") if cb else None
        if cb is None or cb.request_id is None or found is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        approve, ask = found.group(1) == "y", int(found.group(2))
        try:
            decided = await self.extensions.decide(
                cb.request_id, person_id(person), ask, approve, update_ref(update)
            )
        except Refused as refused:
            if refused.reason == Refusal.DUPLICATE and "by" in refused.details:
                await query.answer(
                    texts_extension.already_decided(
                        lang, refused.details.get("by"), bool(refused.details.get("approved"))
                    ),
                    show_alert=True,
                )
            else:
                await answer_refusal(update, refused, lang)
            return
        await query.answer(
            texts_extension.decided_alert(
                lang, cb.request_id, decided.approved, decided.due, self.deps.tz
            )
        )


def _stats_arg(ask: StatsAsk) -> str:
    return f"{ask.first:%Y%m%d}.{ask.last:%Y%m%d}.{ask.by.value}"


def _stats_ask(arg: str | None) -> StatsAsk | None:
    found = STATS_PAGE.match(arg or "")
    if found is None or found.group(3) not in Cut.__members__.values():
        return None
    try:
        first = date(int(found.group(1)[:4]), int(found.group(1)[4:6]), int(found.group(1)[6:]))
        last = date(int(found.group(2)[:4]), int(found.group(2)[4:6]), int(found.group(2)[6:]))
    except ValueError:
        return None
    return StatsAsk(first=first, last=last, by=Cut(found.group(3)))
