"""Simulated Telegram users that talk to the bot through the simulator in a private chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.simulator.chats import ChatState
from bot.simulator.handles import COMMAND_RE, MessageMatch, TapHandle, describe, matcher
from bot.simulator.html import utf16_len
from bot.simulator.media import SimMedia
from bot.simulator.models import JsonDict, SimMessage, UserRecord

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator

__all__ = ["MessageMatch", "SimUser", "TapHandle"]


class SimUser(SimMedia):
    """A Telegram user in a private chat with the bot; actions become real updates."""

    def __init__(self, sim: BotApiSimulator, record: UserRecord) -> None:
        self.sim = sim
        self.record = record
        # wait_for_message() looks at bot messages after this id; every action moves it.
        self._mark = 0
        # wait_for_edit() looks at edits after this event sequence number.
        self._action_seq = 0

    def __repr__(self) -> str:
        return f"SimUser({self.id}, {self.name!r})"

    @property
    def id(self) -> int:
        """The user's id, which is also the private chat's id."""
        return self.record.id

    @property
    def chat_id(self) -> int:
        """The private chat's id."""
        return self.record.id

    @property
    def name(self) -> str:
        """Full name as clients show it."""
        return self.record.full_name

    @property
    def chat(self) -> ChatState:
        """This user's chat state in the simulator."""
        return self.sim.chat(self.id)

    # ----------------------------------------------------------------- actions

    def _post(self, **content: Any) -> SimMessage:
        """Sends one message from the user and moves the marks past it."""
        msg = self.sim.inject_user_message(self.id, **content)
        self._mark = msg.message_id
        self._action_seq = msg.seq
        return msg

    async def send(self, text: str, *, reply_to: SimMessage | None = None) -> SimMessage:
        """Sends a text message (a leading /command gets its bot_command entity)."""
        entities: list[JsonDict] = []
        m = COMMAND_RE.match(text)
        if m:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group())})
        return self._post(text=text, entities=entities, reply_to=reply_to)

    async def command(self, name: str, args: str = "") -> SimMessage:
        """Sends a command such as ``command("start")`` or ``command("/reassign", "#3 138…")``."""
        name = name.lstrip("/")
        text = f"/{name} {args}" if args else f"/{name}"
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name) + 1}
        return self._post(text=text, entities=[entity])

    async def reply(self, to_message: SimMessage, text: str) -> SimMessage:
        """Replies (Telegram reply) to a message with text."""
        return await self.send(text, reply_to=to_message)

    async def share_contact(
        self,
        phone: str,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        include_user_id: bool = True,
    ) -> SimMessage:
        """Shares a contact: by default their own (user_id = own id), as the contact button does."""
        contact: JsonDict = {
            "phone_number": phone,
            "first_name": first_name or self.record.first_name,
        }
        if last_name or (first_name is None and self.record.last_name):
            contact["last_name"] = last_name or self.record.last_name
        if include_user_id:
            contact["user_id"] = user_id if user_id is not None else self.id
        return self._post(contact=contact)

    async def tap(self, label: str, message: SimMessage | None = None) -> TapHandle:
        """Taps the inline button whose text contains ``label`` (case-insensitive).

        Without ``message``, the newest bot message in the chat that has such a button.
        """
        if message is None:
            for candidate in reversed(self.messages()):
                if candidate.button(label) is not None:
                    message = candidate
                    break
            if message is None:
                raise AssertionError(
                    f"{self.name} sees no inline button {label!r}.\n{self._dump()}"
                )
        if message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted; nothing to tap")
        button = message.button(label)
        if button is None:
            raise AssertionError(
                f"message {message.message_id} has no button {label!r}; buttons: {message.buttons}"
            )
        if "callback_data" not in button:
            raise AssertionError(f"button {button.get('text')!r} has no callback_data: {button}")
        return self._tap(message, str(button["callback_data"]), str(button.get("text")))

    async def tap_data(self, message: SimMessage, data: str) -> TapHandle:
        """Sends a callback query with arbitrary (forged or stale) data on ``message``."""
        return self._tap(message, data, None)

    def _tap(self, message: SimMessage, data: str, label: str | None) -> TapHandle:
        """Queues the callback query and moves the marks."""
        query = self.sim.inject_callback_query(self.id, message, data, label)
        self._mark = self.chat.last_message_id
        self._action_seq = query.seq
        return TapHandle(query, message)

    async def edit(self, message: SimMessage, text: str) -> SimMessage:
        """Edits the text of one of the user's earlier messages (an edited_message update)."""
        if message.sender.id != self.id or message.from_bot:
            raise AssertionError(f"message {message.message_id} is not {self.name}'s to edit")
        edited = self.sim.edit_user_message(message, text)
        if edited.chat is self.chat:
            self._mark = self.chat.last_message_id
        self._action_seq = edited.edits[-1].seq
        return edited

    def block(self) -> None:
        """The user blocks the bot (sends answer 403 until the user writes again)."""
        self.sim.block(self.id)

    def unblock(self) -> None:
        """The user unblocks the bot."""
        self.sim.unblock(self.id)

    # ----------------------------------------------------------------- reading
    # The waits take a timeout (ASYNC109) on purpose: on expiry they raise AssertionError with
    # a dump of the chat, which a bare asyncio.timeout() around them could not produce.

    def messages(self, *, include_deleted: bool = False) -> list[SimMessage]:
        """The bot's messages to this user, oldest first, as they look now (after edits)."""
        return self.chat.bot_messages(include_deleted=include_deleted)

    def last_message(self) -> SimMessage:
        """The bot's newest message to this user (AssertionError if there is none)."""
        msgs = self.messages()
        if not msgs:
            raise AssertionError(f"the bot has sent nothing to {self.name}.\n{self._dump()}")
        return msgs[-1]

    def mark(self, after_message_id: int | None = None) -> None:
        """Makes the waits consider only what happens from now on (or after a message id)."""
        self._mark = self.chat.last_message_id if after_message_id is None else after_message_id
        self._action_seq = self.sim.seq

    async def wait_for_message(
        self,
        predicate: MessageMatch = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SimMessage:
        """Waits for the first bot message after the mark that matches, and moves the mark to it.

        The mark is the user's last action (or mark()); ``predicate`` may be a substring
        of the text/caption.
        """
        match = matcher(predicate)
        found: list[SimMessage] = []

        def check() -> bool:
            for msg in self.chat.messages:
                if msg.from_bot and not msg.deleted and msg.message_id > self._mark and match(msg):
                    found.append(msg)
                    return True
            return False

        if not await self.sim.wait_until(check, timeout):
            raise AssertionError(self._timeout_text(describe(predicate), timeout))
        self._mark = found[0].message_id
        return found[0]

    async def wait_for_edit(
        self,
        message: SimMessage,
        predicate: MessageMatch = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SimMessage:
        """Waits until ``message`` was edited after the user's last action and matches."""
        match = matcher(predicate)

        def check() -> bool:
            return any(e.seq > self._action_seq for e in message.edits) and match(message)

        if not await self.sim.wait_until(check, timeout):
            raise AssertionError(
                self._timeout_text(f"an edit of message {message.message_id}", timeout)
            )
        return message

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until ``predicate()`` (over any simulator state) holds."""
        if not await self.sim.wait_until(predicate, timeout):
            name = getattr(predicate, "__name__", "the condition")
            raise AssertionError(self._timeout_text(name, timeout))

    async def wait_answer(self, tap: TapHandle, timeout: float = 10.0) -> JsonDict:  # noqa: ASYNC109
        """Waits until the bot answers the tap; returns answerCallbackQuery's parameters."""
        if not await self.sim.wait_until(lambda: tap.query.answered, timeout):
            raise AssertionError(
                self._timeout_text(
                    f"an answer to the tap on {tap.query.label or tap.data!r}", timeout
                )
            )
        return dict(tap.query.answer or {})

    def _dump(self) -> str:
        """This chat's transcript, for assertion messages."""
        return "--- chat with {} ({}) ---\n{}".format(
            self.name, self.id, self.sim.transcript(self.id) or "(empty)"
        )

    def _timeout_text(self, what: str, timeout: float) -> str:
        """A timeout message with the chat, the update queue and unexpected API errors."""
        errors = "\n".join(f"  {c.describe()}" for c in self.sim.errors()) or "  none"
        return (
            f"{self.name} ({self.id}) did not get {what} within {timeout}s.\n"
            f"{self._dump()}\n"
            f"--- updates not yet fetched by the bot: {len(self.sim.pending_updates)}\n"
            f"--- unexpected Bot API errors:\n{errors}"
        )
