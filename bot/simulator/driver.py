"""Simulated Telegram users that talk to the bot through the simulator, and chat transcripts."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.simulator.html import utf16_len
from bot.simulator.models import (
    CallbackQueryRecord,
    ChatState,
    Edit,
    JsonDict,
    SimMessage,
    UserRecord,
)

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator

MessagePredicate = Callable[[SimMessage], bool]
# A predicate, a case-insensitive substring of the text/caption, or None for "any message".
MessageMatch = MessagePredicate | str | None

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00simulated photo\xff\xd9"
_FAKE_WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 simulated sticker"
_FAKE_OGG = b"OggS\x00\x02 simulated voice"
_FAKE_MP3 = b"ID3\x03\x00 simulated audio"
_FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42 simulated video"


@dataclass(frozen=True)
class TapHandle:
    """A button tap the user made: the callback query and the message it was made on."""

    query: CallbackQueryRecord
    message: SimMessage

    @property
    def id(self) -> str:
        """The callback query id."""
        return self.query.id

    @property
    def data(self) -> str:
        """The callback data sent to the bot."""
        return self.query.data

    @property
    def label(self) -> str | None:
        """The tapped button's text (None for tap_data)."""
        return self.query.label

    @property
    def answered(self) -> bool:
        """Whether the bot has answered the query yet."""
        return self.query.answered

    @property
    def answer(self) -> JsonDict | None:
        """answerCallbackQuery's parameters (text, show_alert, ...) once answered."""
        return self.query.answer


def _matcher(match: MessageMatch) -> MessagePredicate:
    """Turns None / a substring / a predicate into a predicate."""
    if match is None:
        return lambda _m: True
    if isinstance(match, str):
        needle = match.casefold()
        return lambda m: needle in m.body.casefold()
    return match


def _describe(match: MessageMatch) -> str:
    """Names what a wait was looking for, for timeout messages."""
    if match is None:
        return "any new bot message"
    if isinstance(match, str):
        return f"a new bot message containing {match!r}"
    return f"a new bot message matching {getattr(match, '__name__', 'the predicate')}"


class SimUser:
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
        m = _COMMAND_RE.match(text)
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

    async def send_photo(
        self,
        caption: str | None = None,
        data: bytes = _FAKE_JPEG,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """Sends a photo (fake JPEG bytes, downloadable through getFile)."""
        sizes = self.sim.store_photo(data)
        return self._post(photo=sizes, caption=caption, reply_to=reply_to)

    async def send_document(
        self,
        file_name: str = "document.pdf",
        data: bytes = b"%PDF-1.4\n% simulated document\n",
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """Sends a file as a document."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.sim.store_file("document", data, file_name, mime)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(data),
        }
        return self._post(document=document, caption=caption, reply_to=reply_to)

    async def send_sticker(
        self, emoji: str = "👍", *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a sticker."""
        stored = self.sim.store_file("sticker", _FAKE_WEBP, "sticker.webp", "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(_FAKE_WEBP),
        }
        return self._post(sticker=sticker, reply_to=reply_to)

    async def send_location(
        self, latitude: float, longitude: float, *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a location."""
        return self._post(
            location={"latitude": latitude, "longitude": longitude}, reply_to=reply_to
        )

    def _media(self, kind: str, data: bytes, file_name: str, mime: str, **extra: Any) -> JsonDict:
        stored = self.sim.store_file(kind, data, file_name, mime)
        media: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
            **extra,
        }
        if kind != "video_note":
            media["mime_type"] = mime
        return media

    async def send_voice(
        self,
        caption: str | None = None,
        duration: int = 3,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """Sends a voice message (fake OGG bytes, downloadable through getFile)."""
        voice = self._media("voice", _FAKE_OGG, "voice.ogg", "audio/ogg", duration=duration)
        return self._post(voice=voice, caption=caption, reply_to=reply_to)

    async def send_video_note(
        self, duration: int = 3, *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a video note (a round video; it takes no caption)."""
        note = self._media(
            "video_note", _FAKE_MP4, "note.mp4", "video/mp4", length=240, duration=duration
        )
        return self._post(video_note=note, reply_to=reply_to)

    async def send_audio(
        self,
        caption: str | None = None,
        file_name: str = "audio.mp3",
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """Sends an audio file."""
        audio = self._media("audio", _FAKE_MP3, file_name, "audio/mpeg", duration=60)
        audio["file_name"] = file_name
        return self._post(audio=audio, caption=caption, reply_to=reply_to)

    async def send_video(
        self, caption: str | None = None, *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a video."""
        video = self._media(
            "video", _FAKE_MP4, "video.mp4", "video/mp4", width=640, height=480, duration=5
        )
        return self._post(video=video, caption=caption, reply_to=reply_to)

    async def send_contact(
        self,
        phone: str,
        first_name: str,
        last_name: str | None = None,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """Sends someone's contact card (not the share-my-number button: see share_contact)."""
        contact: JsonDict = {"phone_number": phone, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        return self._post(contact=contact, reply_to=reply_to)

    async def send_poll(
        self, question: str, options: Sequence[str], *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a poll."""
        poll = {
            "id": f"poll{len(self.chat.messages) + 1}",
            "question": question,
            "options": [
                {"persistent_id": str(i), "text": o, "voter_count": 0}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return self._post(poll=poll, reply_to=reply_to)

    async def send_dice(
        self, emoji: str = "🎲", value: int = 3, *, reply_to: SimMessage | None = None
    ) -> SimMessage:
        """Sends a dice."""
        return self._post(dice={"emoji": emoji, "value": value}, reply_to=reply_to)

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
        match = _matcher(predicate)
        found: list[SimMessage] = []

        def check() -> bool:
            for msg in self.chat.messages:
                if msg.from_bot and not msg.deleted and msg.message_id > self._mark and match(msg):
                    found.append(msg)
                    return True
            return False

        if not await self.sim.wait_until(check, timeout):
            raise AssertionError(self._timeout_text(_describe(predicate), timeout))
        self._mark = found[0].message_id
        return found[0]

    async def wait_for_edit(
        self,
        message: SimMessage,
        predicate: MessageMatch = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SimMessage:
        """Waits until ``message`` was edited after the user's last action and matches."""
        match = _matcher(predicate)

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
        m = _COMMAND_RE.match(text)
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
        match = _matcher(predicate)
        found: list[SimMessage] = []

        def check() -> bool:
            for msg in self.chat.messages:
                if msg.from_bot and not msg.deleted and msg.message_id > self._mark and match(msg):
                    found.append(msg)
                    return True
            return False

        if not await self.sim.wait_until(check, timeout):
            raise AssertionError(
                f"{self.chat.name} did not get {_describe(predicate)} within {timeout}s.\n"
                + (self.sim.transcript(self.id) or "(empty)")
            )
        self._mark = found[0].message_id
        return found[0]


# ----------------------------------------------------------------------- transcript


def _content(msg: SimMessage, version: Edit | None = None) -> str:
    """The visible content of a message (at ``version``) as one, maybe multi-line, string."""
    parts: list[str] = []
    if msg.document:
        size = msg.document.get("file_size", 0)
        parts.append(f"[document {msg.document.get('file_name', 'file')}, {size} bytes]")
    elif msg.photo:
        parts.append("[photo]")
    elif msg.sticker:
        parts.append(f"[sticker {msg.sticker.get('emoji', '')}]".replace(" ]", "]"))
    elif msg.contact:
        who = msg.contact.get("first_name", "")
        uid = msg.contact.get("user_id")
        parts.append(
            f"[contact {msg.contact.get('phone_number')} {who}" + (f", id {uid}]" if uid else "]")
        )
    elif msg.location:
        parts.append(f"[location {msg.location['latitude']}, {msg.location['longitude']}]")
    elif msg.voice:
        parts.append(f"[voice {msg.voice.get('duration', 0)} s]")
    elif msg.video_note:
        parts.append(f"[video note {msg.video_note.get('duration', 0)} s]")
    elif msg.audio:
        parts.append(f"[audio {msg.audio.get('file_name', 'audio')}]")
    elif msg.video:
        parts.append(f"[video {msg.video.get('duration', 0)} s]")
    elif msg.poll:
        parts.append(f"[poll {msg.poll.get('question', '')}]")
    elif msg.dice:
        parts.append(f"[dice {msg.dice.get('emoji', '')} {msg.dice.get('value', '')}]")
    text = version.text if version else msg.text
    caption = version.caption if version else msg.caption
    if text is not None:
        parts.append(text)
    if caption:
        parts.append(caption)
    return " ".join(parts)


def _keyboard_lines(inline: JsonDict | None, keyboard: JsonDict | None) -> list[str]:
    """Buttons rendered as ``[ Accept ] [ Decline ]``, one line per row."""
    lines: list[str] = []
    if inline:
        for row in inline.get("inline_keyboard", []):
            lines.append(" ".join(f"[ {b.get('text', '')} ]" for b in row))
    if keyboard:
        if "keyboard" in keyboard:
            for row in keyboard["keyboard"]:
                lines.append("keyboard: " + " ".join(f"[ {b.get('text', '')} ]" for b in row))
        elif keyboard.get("remove_keyboard"):
            lines.append("(keyboard removed)")
        elif keyboard.get("force_reply"):
            lines.append("(asks for a reply)")
    return lines


def render_transcript(
    sim: BotApiSimulator, chat_id: int | None = None, *, timestamps: bool = False
) -> str:
    """Renders every chat (or one) in chronological order: messages, buttons, taps, edits."""
    users = {u.id: u for c in sim.chats.values() for u in (c.user, *c.members.values())}
    names = [u.full_name for u in users.values()]

    def name_of(user: UserRecord) -> str:
        # Show the id only when two users share a name.
        return (
            f"{user.full_name} ({user.id})" if names.count(user.full_name) > 1 else user.full_name
        )

    out: list[str] = []
    start = sim.events[0].at if sim.events else 0.0
    for event in sim.events:
        if chat_id is not None and event.chat_id != chat_id:
            continue
        chat = sim.chat(event.chat_id)
        who = name_of(chat.user) if chat.is_private else chat.name
        msg = event.message
        if not chat.is_private and msg is not None and not msg.from_bot:
            if chat.type == "channel":
                who = f"a post in {chat.name}"
            else:
                who = f"{name_of(msg.sender)} in {chat.name}"
        elif not chat.is_private and event.query is not None:
            tapper = users.get(event.query.user_id)
            who = f"{name_of(tapper) if tapper else event.query.user_id} in {chat.name}"
        stamp = f"[{event.at - start:7.2f}s] " if timestamps else ""
        head, body, buttons = _event_text(event.kind, who, event.message, event.edit, event.query)
        line = f"{stamp}{head}"
        indent = " " * len(stamp) + "    "
        body_lines = body.split("\n") if body else []
        if body_lines:
            line += f": {body_lines[0]}"
        out.append(line)
        out.extend(indent + extra for extra in body_lines[1:])
        out.extend(indent + b for b in buttons)
    return "\n".join(out)


def _event_text(
    kind: str,
    who: str,
    msg: SimMessage | None,
    version: Edit | None,
    query: CallbackQueryRecord | None,
) -> tuple[str, str, list[str]]:
    """(headline, body, button lines) of one transcript event; content as it was then."""
    markup = version.reply_markup if version else None
    if kind == "message" and msg is not None:
        ref = f" [msg {msg.message_id}]"
        if msg.reply_to is not None:
            ref += f" (reply to msg {msg.reply_to.message_id})"
        if msg.from_bot:
            silent = " (silent)" if msg.disable_notification else ""
            return (
                f"bot → {who}{ref}{silent}",
                _content(msg, version),
                _keyboard_lines(markup, msg.keyboard),
            )
        return f"{who} → bot{ref}", _content(msg, version), []
    if kind == "edit" and msg is not None and not msg.from_bot:
        return f"{who} ✎ edits their msg {msg.message_id}", _content(msg, version), []
    if kind == "edit" and msg is not None:
        buttons = _keyboard_lines(markup, None) or ["(no buttons)"]
        if version is not None and version.method == "editMessageReplyMarkup":
            return f"bot ✎ changes the buttons of msg {msg.message_id} for {who}", "", buttons
        return f"bot ✎ edits msg {msg.message_id} for {who}", _content(msg, version), buttons
    if kind == "delete" and msg is not None:
        side = "bot's" if msg.from_bot else "their"
        return f"bot ✗ deletes {side} msg {msg.message_id} in chat with {who}", "", []
    if kind == "tap" and query is not None:
        what = f"[{query.label}]" if query.label else f"data={query.data!r}"
        return f"{who} → taps {what} on msg {query.message_id}", "", []
    if kind == "answer" and query is not None:
        answer = query.answer or {}
        text = answer.get("text")
        alert = " (alert)" if answer.get("show_alert") else ""
        said = f'"{text}"{alert}' if text else "(no text)"
        return f"bot → {who}: answers the tap {said}", "", []
    return f"? {kind}", "", []
