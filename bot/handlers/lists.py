"""/my, /mine, /open and /chain as paged button lists; a request's card and timeline; withdrawing.

Every tap is authorised by bot.services.browse / bot.services.cancel from the person behind
it (the button only names a page or a request); the list message is edited in place.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.channels.pending import Expectation, Flow
from bot.channels.telegram import keyboards_lists as kb
from bot.channels.telegram import texts, texts_lists, texts_sla
from bot.channels.telegram.callback_data import Callback, Op, decode, pattern
from bot.channels.telegram.identity import update_ref
from bot.domain.listing import ListKey, ListKind, Page
from bot.domain.models import Person, Role
from bot.handlers.common import (
    Context,
    Deps,
    HandlerBase,
    answer_query,
    answer_refusal,
    at,
    retrying,
)
from bot.services.browse import Browse, ChainView
from bot.services.cancel import Cancellation
from bot.services.errors import Refusal, Refused

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"


class Lists(HandlerBase):
    def __init__(self, deps: Deps, queries: Browse, cancellation: Cancellation) -> None:
        super().__init__(deps)
        self.queries = queries
        self.cancellation = cancellation

    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Registers the commands and the buttons (group 0, before any catch-all handler)."""
        app.add_handler(CommandHandler("my", self.on_my))
        app.add_handler(CommandHandler("mine", self.on_mine))
        app.add_handler(CommandHandler("open", self.on_open))
        app.add_handler(CommandHandler("chain", self.on_chain))
        taps = {
            Op.LIST: self.on_page,
            Op.TEAMS: self.on_teams,
            Op.CHAINS: self.on_chains,
            Op.CARD: self.on_card,
            Op.TIMELINE: self.on_timeline,
            Op.WITHDRAW: self.on_withdraw,
            Op.WITHDRAW_YES: self.on_withdraw_yes,
            Op.WITHDRAW_SKIP: self.on_withdraw_skip,
            Op.WITHDRAW_KEEP: self.on_withdraw_keep,
        }
        for op, callback in taps.items():
            app.add_handler(CallbackQueryHandler(callback, pattern(op)))

    # ---- shared -------------------------------------------------------------------------

    async def _show(self, update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
        """Shows `text` in the tapped message (a command gets a new message)."""
        if update.callback_query is None:
            await self.reply(update, text, reply_markup=markup)
            return
        try:
            await self.edit(update, text, reply_markup=markup)
        except BadRequest as exc:
            if NOT_MODIFIED not in exc.message.lower():
                raise

    async def _tap(self, update: Update) -> tuple[Person | None, str, Callback | None]:
        """The person and the decoded button; answers (alert) a stranger or a broken button."""
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        cb = decode(query.data)
        if person is None:
            await answer_query(query, texts.not_registered(lang), True)
            return None, lang, None
        if cb is None:
            await answer_query(query, texts.stale_button(lang), True)
            return person, lang, None
        return person, lang, cb

    async def _refused(self, update: Update, refused: Refused, lang: str) -> None:
        if refused.reason == Refusal.NOT_ALLOWED and refused.details.get("request_id"):
            n = int(refused.details["request_id"] or 0)
            await answer_query(_query(update), texts_lists.not_yours(lang, n), True)
        elif refused.reason == Refusal.BAD_INPUT:
            await answer_query(_query(update), texts.stale_button(lang), True)
        else:
            await answer_refusal(update, refused, lang)

    async def _list(self, update: Update, key: ListKey) -> None:
        person, lang = await self.who(update)
        if person is None:
            await answer_refusal(update, Refused(Refusal.NOT_REGISTERED), lang)
            return
        try:
            page = await self.queries.page(person.id, key)
        except Refused as refused:
            if update.callback_query is not None:
                await self._refused(update, refused, lang)
            elif key.kind == ListKind.OPEN and refused.reason == Refusal.NOT_ALLOWED:
                await self.reply(update, texts_sla.supervisors_only(lang, "open"))
            else:
                await answer_refusal(update, refused, lang)
            return
        chain = None
        if key.kind == ListKind.CHAIN and key.chain is not None:
            chain = await self.queries.chain(person.id, key.chain)  # allowed: the page was
        await self.answer(update)
        await self._show(update, *self._render(page, lang, chain))

    def _render(
        self, page: Page, lang: str, chain: ChainView | None = None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        now = self.desk.clock.now()
        text = texts_lists.list_text(page, self.catalog, lang, chain)
        return text, kb.list_markup(page, now, lang)

    # ---- lists --------------------------------------------------------------------------

    async def on_my(self, update: Update, context: Context) -> None:
        """The owner's requests, newest first, as buttons."""
        await self._list(update, ListKey(ListKind.MY))

    async def on_mine(self, update: Update, context: Context) -> None:
        """What the commissioner holds and what waits for their tap, as buttons."""
        await self._list(update, ListKey(ListKind.MINE))

    async def on_open(self, update: Update, context: Context) -> None:
        """Every open request, with the supervisors' filters."""
        await self._list(update, ListKey(ListKind.OPEN))

    async def on_chain(self, update: Update, context: Context) -> None:
        """A committee member's chains' requests; a supervisor picks a chain first."""
        person, lang = await self.who(update)
        if person is not None and person.has(Role.SUPERVISOR):
            await self._chains(update, person, lang)
            return
        if person is not None and not person.has(Role.COMMITTEE):
            await self.reply(update, texts_lists.committee_only(lang))
            return
        await self._list(update, ListKey(ListKind.CHAIN))

    async def on_chains(self, update: Update, context: Context) -> None:
        """The chain buttons of a supervisor's /chain."""
        person, lang, cb = await self._tap(update)
        if person is None or cb is None:
            return
        await self._chains(update, person, lang)

    async def _chains(self, update: Update, person: Person, lang: str) -> None:
        try:
            chains = await self.queries.chains(person.id)
        except Refused as refused:
            if update.callback_query is not None:
                await self._refused(update, refused, lang)
            else:
                await answer_refusal(update, refused, lang)
            return
        await self.answer(update)
        markup = kb.chain_picker(chains, lang) if chains else None
        await self._show(update, texts_lists.pick_chain(lang, bool(chains)), markup)

    async def on_page(self, update: Update, context: Context) -> None:
        """Another page or filter of a list, in the same message."""
        person, lang, cb = await self._tap(update)
        if person is None or cb is None:
            return
        key = kb.decode_key(cb.arg)
        if key is None:
            await answer_query(_query(update), texts.stale_button(lang), True)
            return
        await self._list(update, key)

    async def on_teams(self, update: Update, context: Context) -> None:
        """The team buttons of /open."""
        person, lang, cb = await self._tap(update)
        if person is None or cb is None:
            return
        try:
            await self.queries.page(person.id, ListKey(ListKind.OPEN))  # supervisors only
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.answer(update)
        await self._show(update, texts_lists.pick_team(lang), kb.team_picker(self.catalog, lang))

    # ---- one request --------------------------------------------------------------------

    async def _card(
        self,
        update: Update,
        person: Person,
        lang: str,
        request_id: int,
        back: ListKey | None,
        prefix: str = "",
    ) -> None:
        try:
            card = await self.queries.card(person.id, request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.answer(update)
        text = texts_lists.card_text(card, self.catalog, lang, self.deps.tz)
        await self._show(update, prefix + text, kb.card_markup(card, back, lang))

    async def on_card(self, update: Update, context: Context) -> None:
        """A request's card with the buttons this person may use on it now."""
        person, lang, cb = await self._tap(update)
        if person is None or cb is None or cb.request_id is None:
            if person is not None and cb is not None:
                await answer_query(_query(update), texts.stale_button(lang), True)
            return
        back = kb.decode_key(cb.arg)
        await self._card(update, person, lang, cb.request_id, back)

    async def on_timeline(self, update: Update, context: Context) -> None:
        """Every step of the request in order, a page at a time."""
        person, lang, cb = await self._tap(update)
        if person is None or cb is None:
            return
        where = kb.decode_timeline(cb.arg)
        if cb.request_id is None or where is None:
            await answer_query(_query(update), texts.stale_button(lang), True)
            return
        page, back = where
        try:
            history = await self.queries.timeline(person.id, cb.request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        pages = texts_lists.timeline_pages(history, self.catalog, lang, self.deps.tz)
        page = min(page, len(pages) - 1)
        text = texts_lists.timeline_text(history, pages[page], page, len(pages), lang)
        await self.answer(update)
        markup = kb.timeline_markup(cb.request_id, page, len(pages), back, lang)
        await self._show(update, text, markup)

    # ---- withdrawing ----------------------------------------------------------------------

    async def _withdraw_tap(
        self, update: Update
    ) -> tuple[Person | None, str, int | None, ListKey | None]:
        person, lang, cb = await self._tap(update)
        if person is None or cb is None:
            return None, lang, None, None
        if cb.request_id is None:
            await answer_query(_query(update), texts.stale_button(lang), True)
            return None, lang, None, None
        return person, lang, cb.request_id, kb.decode_key(cb.arg)

    async def on_withdraw(self, update: Update, context: Context) -> None:
        """The owner's Cancel request: asks them to confirm."""
        person, lang, request_id, back = await self._withdraw_tap(update)
        if person is None or request_id is None:
            return
        try:
            await self.cancellation.authorise(person.id, request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.answer(update)
        await self._show(
            update,
            texts_lists.confirm_withdraw(lang, request_id),
            kb.confirm_withdraw(request_id, back, lang),
        )

    async def on_withdraw_yes(self, update: Update, context: Context) -> None:
        """Confirmed: asks for the reason (or Skip) in the tapped message."""
        person, lang, request_id, back = await self._withdraw_tap(update)
        if person is None or request_id is None:
            return
        try:
            await self.cancellation.authorise(person.id, request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        query = _query(update)
        prompt = query.message if isinstance(query.message, Message) else None
        where = {"back": kb.encode_key(back)} if back else {}
        await self.expect(update, Flow.WITHDRAW, request_id, prompt, **where)
        await self.answer(update)
        await self._show(
            update,
            texts_lists.ask_withdraw_reason(lang, request_id),
            kb.withdraw_reason(request_id, back, lang),
        )

    async def on_withdraw_skip(self, update: Update, context: Context) -> None:
        """Withdraws the request without a reason."""
        person, lang, request_id, back = await self._withdraw_tap(update)
        if person is None or request_id is None:
            return
        try:
            done = await self.cancellation.cancel(person.id, request_id, None, update_ref(update))
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.expecting.forget(at(update), Flow.WITHDRAW)
        prefix = texts_lists.withdrawn(lang, done.request, len(done.told)) + "\n\n"
        await self._card(update, person, lang, request_id, back, prefix)

    async def on_withdraw_keep(self, update: Update, context: Context) -> None:
        """Keeps the request: forgets the pending withdrawal, shows the card again."""
        person, lang, request_id, back = await self._withdraw_tap(update)
        if person is None or request_id is None:
            return
        try:
            await self.cancellation.authorise_keep(person.id, request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.expecting.forget(at(update), Flow.WITHDRAW)
        await self._card(update, person, lang, request_id, back)

    async def answer_withdraw(
        self,
        update: Update,
        context: Context,
        expected: Expectation,
        who: int,
        text: str,
        lang: str,
    ) -> bool:
        """The reason a confirmed withdrawal asked for: withdraws the request with it."""
        done = await self.cancellation.cancel(who, expected.subject, text, update_ref(update))
        await self.reply(update, texts_lists.withdrawn(lang, done.request, len(done.told)))
        if expected.prompt is not None:
            # The question's Skip / Keep buttons are moot now: it becomes the card.
            await self._edit_prompt(update, context, who, lang, expected)
        return True

    async def _edit_prompt(
        self,
        update: Update,
        context: Context,
        who: int,
        lang: str,
        expected: Expectation,
    ) -> None:
        chat = update.effective_chat
        if chat is None or expected.prompt is None:
            return
        card = await self.queries.card(who, expected.subject)
        text = texts_lists.card_text(card, self.catalog, lang, self.deps.tz)
        markup = kb.card_markup(card, kb.decode_key(expected.data.get("back")), lang)
        prompt = int(expected.prompt)
        try:
            await retrying(
                lambda: context.bot.edit_message_text(
                    text, chat.id, prompt, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            )
        except BadRequest as exc:
            log.info("could not edit the withdrawal question: %s", exc.message)

    async def withdraw_dropped(self, update: Update, expected: Expectation, lang: str) -> None:
        """/cancel while a withdrawal waits for its reason keeps the request."""
        await self.reply(update, texts_lists.kept(lang, expected.subject))


def _query(update: Update) -> CallbackQuery:
    assert update.callback_query is not None
    return update.callback_query
