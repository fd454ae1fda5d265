"""Reason buttons on Decline and Hand back, the supervisors' pickers, /reassign #N, /away, /back."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.channels.pending import Flow
from bot.channels.telegram import keyboards_handoff, texts, texts_handoff
from bot.channels.telegram.callback_data import Callback, Op, pattern
from bot.channels.telegram.identity import update_ref
from bot.domain.handoff import Reason
from bot.handlers.common import Context, HandlerBase, answer_query, answer_refusal, at
from bot.handlers.oversight import Oversight
from bot.services.errors import Refusal, Refused
from bot.services.handoff import Choice

ROUTE = re.compile(r"^(\d{1,6})\.(t-([a-z0-9_]{1,32})|p-(\d{1,12})|h|pp-(\d{1,4})|tm)$")
TICKET_ONLY = re.compile(r"^#?(\d{1,12})$")
AWAY = re.compile(
    r"^(?:(?:until|till|to|到|至|直到)\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*)?(.*)$",
    re.DOTALL | re.IGNORECASE,
)


class Handoff(HandlerBase):
    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Registers the commands and buttons (before any catch-all handler)."""
        app.add_handler(CommandHandler("away", self.on_away))
        app.add_handler(CommandHandler("back", self.on_back))
        app.add_handler(CommandHandler("reassign", self.on_reassign))
        app.add_handler(CallbackQueryHandler(self.on_decline, pattern(Op.DECLINE)))
        app.add_handler(CallbackQueryHandler(self.on_reason, pattern(Op.DECLINE_REASON)))
        app.add_handler(CallbackQueryHandler(self.on_handback, pattern(Op.HANDBACK)))
        app.add_handler(CallbackQueryHandler(self.on_reason, pattern(Op.HANDBACK_REASON)))
        app.add_handler(CallbackQueryHandler(self.on_route, pattern(Op.ROUTE)))

    async def _tap(self, update: Update) -> tuple[Callback | None, int, str]:
        tap = await self.tap(update)
        return (tap.cb, tap.person_id, tap.lang) if tap else (None, 0, "")

    async def on_decline(self, update: Update, context: Context) -> None:
        """Offers the reasons for declining as buttons."""
        tap = await self.tap(update, self.desk.authorise_offered)
        if tap is None:
            return
        await tap.query.answer()
        await self.reply(
            update,
            texts_handoff.ask_reason(tap.lang, tap.request_id, handback=False),
            reply_markup=keyboards_handoff.reasons(Op.DECLINE_REASON, tap.request_id, tap.lang),
        )

    async def on_handback(self, update: Update, context: Context) -> None:
        """The holder's Hand back (退单): asks why, with reason buttons."""
        tap = await self.tap(update)
        if tap is None:
            return
        try:
            await self.desk.authorise_handback(tap.request_id, tap.person_id)
        except Refused as refused:
            await self._handback_refused(update, refused, tap.lang)
            return
        await tap.query.answer()
        await self.reply(
            update,
            texts_handoff.ask_reason(tap.lang, tap.request_id, handback=True),
            reply_markup=keyboards_handoff.reasons(Op.HANDBACK_REASON, tap.request_id, tap.lang),
        )

    @staticmethod
    async def _handback_refused(update: Update, refused: Refused, lang: str) -> None:
        if refused.reason == Refusal.DUPLICATE and update.callback_query is not None:
            await answer_query(update.callback_query, texts_handoff.pending_handback(lang), True)
        else:
            await answer_refusal(update, refused, lang)

    async def on_reason(self, update: Update, context: Context) -> None:
        """A reason button: declines or hands back at once; Other asks for the words."""
        tap = await self.tap(update)
        if tap is None:
            return
        query, lang, n, who = tap.query, tap.lang, tap.request_id, tap.person_id
        handback = tap.cb.op == Op.HANDBACK_REASON
        flow = Flow.HANDBACK if handback else Flow.DECLINE
        if tap.cb.arg not in set(Reason):
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        try:
            if tap.cb.arg == Reason.OTHER:
                if handback:
                    await self.desk.authorise_handback(n, who)
                else:
                    await self.desk.authorise_offered(n, who)
                await query.answer()
                await self.ask_text(
                    update, flow, n, texts_handoff.ask_reason_text(lang, n, handback)
                )
                return
            if handback:
                told = await self.desk.hand_back(n, who, tap.cb.arg, update_ref(update))
                done = texts_handoff.handed_back(lang, n, told)
            else:
                await self.desk.decline(n, who, tap.cb.arg, update_ref(update))
                done = texts_handoff.declined(lang, n)
        except Refused as refused:
            if handback:
                await self._handback_refused(update, refused, lang)
            else:
                await answer_refusal(update, refused, lang)
            return
        # Answered by a button: a question for the words, if one was asked, is moot.
        await self.expecting.forget(at(update), flow)
        await query.answer()
        await query.edit_message_text(done, parse_mode=ParseMode.HTML)

    async def on_route(self, update: Update, context: Context) -> None:
        """A supervisor's picker: a team, a person (paged list), or back to the holder."""
        cb, who, lang = await self._tap(update)
        query = update.callback_query
        found = ROUTE.match(cb.arg or "") if cb else None
        if cb is None or cb.request_id is None or query is None:
            return
        if found is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        n, ask, pick = cb.request_id, int(found.group(1)), found.group(2)
        try:
            if pick.startswith("pp-") or pick == "tm":
                await self._show_picker(update, n, ask, who, lang, found.group(5))
                return
            if pick.startswith("t-"):
                choice = Choice("team", found.group(3))
            elif pick.startswith("p-"):
                choice = Choice("person", found.group(4))
            else:
                choice = Choice("holder")
            name = await self.desk.decide_route(n, who, ask, choice, update_ref(update))
        except Refused as refused:
            if refused.reason == Refusal.DUPLICATE:
                text = (
                    texts_handoff.already_routed(
                        lang, refused.details.get("by"), refused.details.get("to")
                    )
                    if "by" in refused.details
                    else texts.stale_button(lang)
                )
                await query.answer(text, show_alert=True)
                await _drop_buttons(query.message)
            elif refused.reason == Refusal.BAD_INPUT:
                field = refused.details.get("field")
                text = (
                    texts_handoff.team_empty(lang)
                    if field == "team"
                    else texts_handoff.person_unavailable(lang)
                )
                await query.answer(text, show_alert=True)
            else:
                await answer_refusal(update, refused, lang)
            return
        team = self.catalog.team(choice.value) if choice.kind == "team" else None
        await query.answer(texts_handoff.routed(lang, n, team.label(lang) if team else name))

    async def _show_picker(
        self, update: Update, n: int, ask: int, who: int, lang: str, page: str | None
    ) -> None:
        query = update.callback_query
        assert query is not None
        if page is None:
            holder = await self.desk.handed_back_by(n, ask)
            markup = keyboards_handoff.teams(n, ask, self.catalog, lang, holder)
        else:
            people, more = await self.desk.route_people(who, int(page))
            markup = keyboards_handoff.people(n, ask, int(page), people, more, lang)
        await query.answer()
        await query.edit_message_reply_markup(reply_markup=markup)

    async def on_reassign(self, update: Update, context: Context) -> None:
        """/reassign #N offers the pickers; /reassign #N PHONE gives it to that person."""
        args = " ".join(context.args or []).strip()
        found = TICKET_ONLY.match(args)
        if found is None:
            await Oversight(self.deps).on_reassign(update, context)
            return
        person, lang = await self.who(update)
        if person is None:
            await self.reply(update, texts.not_registered(lang))
            return
        n = int(found.group(1))
        try:
            ask, request = await self.desk.ask_route(n, person.id, update_ref(update))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await self.reply(
            update,
            texts_handoff.handoff(request, {"why": "reassign"}, self.catalog, lang),
            reply_markup=keyboards_handoff.teams(n, ask, self.catalog, lang, None),
        )

    async def on_away(self, update: Update, context: Context) -> None:
        """/away [until DATE] [reason]: new requests go to the team; supervisors are told."""
        person, lang = await self.who(update)
        if person is None:
            await self.reply(update, texts.not_registered(lang))
            return
        found = AWAY.match(" ".join(context.args or []).strip())
        until: datetime | None = None
        reason = ""
        if found is not None:
            reason = found.group(4).strip()
            if found.group(1):
                try:
                    day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
                except ValueError:
                    await self.reply(update, texts_handoff.away_usage(lang))
                    return
                # Back on that day: the period ends at its local midnight.
                until = datetime.combine(day, time(0), self.deps.tz)
        try:
            away = await self.desk.go_away(person.id, until, reason or None, update_ref(update))
        except Refused as refused:
            if refused.reason == Refusal.BAD_INPUT:
                await self.reply(update, texts_handoff.away_usage(lang))
            else:
                await answer_refusal(update, refused, lang)
            return
        await self.reply(
            update, texts_handoff.away_set(lang, until, len(away.requests), self.deps.tz)
        )

    async def on_back(self, update: Update, context: Context) -> None:
        """Ends the away period: new requests reach this commissioner again."""
        person, lang = await self.who(update)
        if person is None:
            await self.reply(update, texts.not_registered(lang))
            return
        try:
            await self.desk.come_back(person.id, update_ref(update))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await self.reply(update, texts_handoff.back(lang))


async def _drop_buttons(message: object) -> None:
    """A stale picker loses its buttons (the decision's edit may still be on its way)."""
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await message.edit_reply_markup(reply_markup=None)
        except Exception:  # already edited by the decision's message: nothing to do
            return
