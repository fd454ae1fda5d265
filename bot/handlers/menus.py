"""Command menus by role: each private chat's menu lists what that person may do, in their language.

Telegram keeps a menu per scope. The default scope (every private chat) gets what a stranger can
do — register, help, language — in Chinese, and in English for English-speaking Telegram clients.
Each registered person's own chat gets the commands of all their roles, in the language they
chose (a chat-scope menu set without a language code, so it wins over the defaults).

Kept up to date after the fact: a handler group that runs after all the others reads the person
behind each private update and, if their roles or language no longer match the menu this process
last set for their chat, sets it again in the background. So onboarding, /lang, a role given or
taken by a roster import, or a deactivation shows in the menu by the person's next update, and
each chat's menu is set at most once per process unless it changes. The menu is a convenience:
a failed call is logged and tried again on the next update, never in the way of the update.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import TypeHandler

from bot.channels.telegram.identity import address
from bot.domain.models import Person, Role
from bot.handlers.common import Context, Deps
from bot.i18n import pick_language, translator

log = logging.getLogger(__name__)

GROUP = 50  # after every handler, so it sees what this update changed


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Every command a menu can list, in menu order, with its one-line description.
DESCRIPTIONS: dict[str, str] = {
    "new": N_("Report a difficulty"),
    "my": N_("My requests"),
    "mine": N_("Requests for me"),
    "open": N_("Open requests, by filter"),
    "extend": N_("Ask for a later deadline"),
    "away": N_("Away: no new requests for me"),
    "back": N_("Back: send me requests again"),
    "digest": N_("Today's figures"),
    "overdue": N_("Overdue requests"),
    "stats": N_("Figures by period and by team"),
    "reassign": N_("Give a request to someone else"),
    "export": N_("All requests as a spreadsheet"),
    "chain": N_("Industry chains: enterprises and requests"),
    "roster": N_("People by role and team"),
    "start": N_("Register with your phone number"),
    "help": N_("Commands"),
    "lang": N_("Language"),
    "cancel": N_("Cancel"),
}
STRANGER = ("start", "help", "lang")
BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.OWNER: ("new", "my", "help", "lang", "cancel"),
    Role.COMMISSIONER: ("mine", "extend", "away", "back", "stats", "help", "lang", "cancel"),
    Role.COMMITTEE: ("chain", "mine", "stats", "help", "lang", "cancel"),
    Role.SUPERVISOR: (
        "open",
        "mine",
        "digest",
        "overdue",
        "stats",
        "reassign",
        "export",
        "chain",
        "roster",
        "help",
        "lang",
        "cancel",
    ),
}


def command_names(person: Person | None) -> tuple[str, ...]:
    """The commands this person may use, in menu order (a stranger's for None or no role)."""
    allowed = {
        name for role, names in BY_ROLE.items() if person and person.has(role) for name in names
    }
    return tuple(name for name in DESCRIPTIONS if name in allowed) or STRANGER


def menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    _ = translator(lang)
    return [BotCommand(name, _(DESCRIPTIONS[name])) for name in names]


async def set_default_menus(bot: Bot) -> None:
    """The menu of every private chat without its own: a stranger's, in Chinese and English."""
    for lang, code in (("zh", None), ("en", "en")):
        try:
            await bot.set_my_commands(menu(STRANGER, lang), language_code=code)
        except TelegramError as exc:
            # A Bot API server without menus must not stop the bot.
            log.warning("could not set the default command menu (%s): %s", lang, exc)
            return


class Menus:
    """Keeps each registered person's chat menu in step with their roles and language."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # chat id → (commands, language) as last set by this process
        self._shown: dict[int, tuple[tuple[str, ...], str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def handler(self) -> TypeHandler[Update, Context, None]:
        return TypeHandler(Update, self.on_update)

    async def on_update(self, update: Update, context: Context) -> None:
        """Sets this chat's menu again if the person's roles or language changed."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or user.is_bot or chat is None or chat.type != ChatType.PRIVATE:
            return
        try:
            person = await self.deps.desk.whoami(address(user.id))
        except Exception:
            log.exception("could not read the person behind update %s", update.update_id)
            return
        lang = pick_language(
            person.language if person else None, user.language_code, self.deps.default_language
        )
        names = command_names(person)
        wanted = (names, lang)
        if self._shown.get(chat.id) == wanted:
            return
        if person is None and chat.id not in self._shown:
            return  # never registered: the default menu already says this
        self._shown[chat.id] = wanted
        task = asyncio.create_task(self._apply(context.bot, chat.id, names, lang))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, bot: Bot, chat_id: int, names: tuple[str, ...], lang: str) -> None:
        scope = BotCommandScopeChat(chat_id)
        try:
            if names == STRANGER:
                # Registered no more (deactivated): back to the default menu.
                await bot.delete_my_commands(scope=scope)
            else:
                await bot.set_my_commands(menu(names, lang), scope=scope)
        except TelegramError as exc:
            log.warning("could not set the command menu of chat %s: %s", chat_id, exc)
            if self._shown.get(chat_id) == (names, lang):
                del self._shown[chat_id]  # try again on their next update

    async def settled(self) -> None:
        """Waits for the menus being set (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
