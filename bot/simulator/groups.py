"""A group, supergroup or channel with the bot, in which simulated members act and wait."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.simulator.chats import ChatState
from bot.simulator.handles import COMMAND_RE, MessageMatch, TapHandle, describe, matcher
from bot.simulator.html import utf16_len
from bot.simulator.models import JsonDict, SimMessage

if TYPE_CHECKING:
    from bot.simulator.driver import SimUser
    from bot.simulator.server import BotApiSimulator


class SimGroup:
    """A group, supergroup or channel with the bot (see BotApiSimulator.group).

    Members act through it: ``group.send(user, "hi")``, ``group.command(user, "help")``,
    ``group.tap(user, "Accept")``. The waits look at the bot's messages in this chat.
    """

    def __init__(self, sim: BotApiSimulator, chat: ChatState) -> None:
        self.sim = sim
        self.chat = chat
        self._mark = chat.last_message_id

    def __repr__(self) -> str:
        return f"SimGroup({self.id}, {self.chat.name!r})"

    @property
    def id(self) -> int:
        """The chat id (negative)."""
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    @property
    def kind(self) -> str:
        """group, supergroup or channel."""
        return self.chat.type

    # ----------------------------------------------------------------- membership

    def add_member(self, user: SimUser) -> None:
        """Someone joins (no update: the bot is not told of other members in privacy mode)."""
        self.chat.members[user.id] = user.record

    def add_bot(self, by: SimUser | None = None, *, admin: bool = False) -> None:
        """The bot is added (or promoted): a my_chat_member update."""
        self.sim.set_bot_status(self.id, "administrator" if admin else "member", by)

    def remove_bot(self, by: SimUser | None = None, *, kick: bool = False) -> None:
        """The bot is removed (left) or banned (kicked): a my_chat_member update."""
        self.sim.set_bot_status(self.id, "kicked" if kick else "left", by)

    # ----------------------------------------------------------------- actions

    def _post(self, user: SimUser, **content: Any) -> SimMessage:
        msg = self.sim.inject_user_message(user.id, chat_id=self.id, **content)
        self._mark = msg.message_id
        return msg

    async def send(
        self, user: SimUser, text: str, *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """A member sends a text (a leading /command gets its bot_command entity)."""
        entities: list[JsonDict] = []
        m = COMMAND_RE.match(text)
        if m:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group())})
        return self._post(user, text=text, entities=entities, reply_to=reply_to)

    async def command(
        self, user: SimUser, name: str, args: str = "", *, mention: bool = False
    ) -> SimMessage:
        """A member sends /name (or /name@botname with ``mention``) and args."""
        name = name.lstrip("/")
        if mention:
            name = f"{name}@{self.sim.bot.username}"
        text = f"/{name} {args}" if args else f"/{name}"
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name) + 1}
        return self._post(user, text=text, entities=[entity])

    async def reply(self, user: SimUser, to_message: SimMessage, text: str) -> SimMessage:
        """A member replies (Telegram reply) to a message in the group."""
        return await self.send(user, text, reply_to=to_message)

    async def post(self, text: str) -> SimMessage:
        """A post in the channel (the bot gets it as an administrator)."""
        msg = self.sim.inject_channel_post(self.id, text)
        self._mark = msg.message_id
        return msg

    async def edit(self, user: SimUser, message: SimMessage, text: str) -> SimMessage:
        """A member edits their earlier message in the group."""
        return await user.edit(message, text)

    async def tap(self, user: SimUser, label: str, message: SimMessage | None = None) -> TapHandle:
        """A member taps the inline button ``label`` on a bot message in the group."""
        if message is None:
            message = next(
                (m for m in reversed(self.messages()) if m.button(label) is not None), None
            )
            if message is None:
                raise AssertionError(f"no bot message in {self.chat.name} has a button {label!r}")
        button = message.button(label)
        if button is None or "callback_data" not in button:
            raise AssertionError(
                f"message {message.message_id} has no callback button {label!r}: {message.buttons}"
            )
        return await self.tap_data(user, message, str(button["callback_data"]), button["text"])

    async def tap_data(
        self, user: SimUser, message: SimMessage, data: str, label: str | None = None
    ) -> TapHandle:
        """A member's tap with these callback data on a message in the group."""
        if message.chat is not self.chat:
            raise AssertionError(f"message {message.message_id} is not in {self.chat.name}")
        query = self.sim.inject_callback_query(user.id, message, data, label)
        self._mark = self.chat.last_message_id
        return TapHandle(query, message)

    # ----------------------------------------------------------------- reading

    def messages(self) -> list[SimMessage]:
        """The bot's messages in this chat, oldest first."""
        return self.chat.bot_messages()

    def mark(self) -> None:
        """Makes wait_for_message consider only bot messages from now on."""
        self._mark = self.chat.last_message_id

    async def wait_for_message(
        self,
        predicate: MessageMatch = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SimMessage:
        """Waits for the first bot message in the chat after the mark that matches."""
        match = matcher(predicate)
        found: list[SimMessage] = []

        def check() -> bool:
            for msg in self.chat.messages:
                if msg.from_bot and not msg.deleted and msg.message_id > self._mark and match(msg):
                    found.append(msg)
                    return True
            return False

        if not await self.sim.wait_until(check, timeout):
            raise AssertionError(
                f"{self.chat.name} did not get {describe(predicate)} within {timeout}s.\n"
                + (self.sim.transcript(self.id) or "(empty)")
            )
        self._mark = found[0].message_id
        return found[0]
