"""A local Telegram Bot API server (aiohttp) that answers and validates like Telegram.

Point python-telegram-bot at it with ``ApplicationBuilder().base_url(sim.base_url)
.base_file_url(sim.base_file_url)``; any token is accepted. Every call is checked against
the Bot API spec (method exists, required fields present, no unknown fields, field types,
nested objects) and against Telegram's own rules (HTML entities, text and caption length,
inline keyboard limits, unknown / blocked chats, edits that change nothing, stale callback
queries). Calls, messages, edits, taps and answers are recorded for tests and transcripts.

Implemented methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
setMyCommands, getMyCommands, deleteMyCommands, set/getMyName, set/getMyDescription,
set/getMyShortDescription, sendMessage, sendChatAction, editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, sendDocument, sendPhoto,
copyMessage, getFile; files download at ``GET /file/bot<token>/<file_path>``.
Unknown methods answer 404 "Not Found" (as Telegram does); methods that exist in the spec but
are not simulated answer 501.

Simulator-specific choices: unknown parameters are rejected (Telegram ignores them);
a bare "&" in HTML is rejected (``strict_html``); parse modes other than HTML answer 501;
a newer getUpdates makes a still-waiting older one return ``[]`` instead of 409 Conflict,
because PTB leaves an abandoned long poll behind when it stops (so two bot instances polling
at once go unnoticed). Groups, supergroups and channels (negative ids, members, the bot added
or removed with ``my_chat_member``) are simulated with Telegram's privacy mode: in a group the
bot gets commands, replies to its own messages and mentions of it, or everything as an admin.

Control API for another process (JSON in; answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``; a user is created on first use; user_id == chat id):
  POST /_sim/users      {user_id, first_name, last_name?, username?, language_code?}
  POST /_sim/send       {user_id, text, first_name?}          -> message summary
  POST /_sim/command    {user_id, name, args?}                -> message summary
  POST /_sim/contact    {user_id, phone, contact_user_id?, contact_first_name?}
  POST /_sim/tap        {user_id, label, message_id?}         -> {callback_query_id, data, ...}
  POST /_sim/wait       {user_id, contains?, after_message_id?, timeout?} -> next bot message
  POST /_sim/block      {user_id}      POST /_sim/unblock {user_id}
  POST /_sim/throttle   {enabled, global_per_second?, per_chat_per_second?, retry_after?}
  POST /_sim/fail_next  {method, error_code, description?, retry_after?, count?}
  POST /_sim/groups     {chat_id, title, type?, member_ids, bot?}  (type group|supergroup|channel;
                        bot: "member" | "administrator" | null) -> the Chat
  POST /_sim/bot_status {chat_id, status, user_id?}   the bot added/removed (my_chat_member)
  POST /_sim/send, /_sim/command, /_sim/tap also take chat_id: the user acts in that group
  POST /_sim/channel_post {chat_id, text}             POST /_sim/edit {user_id, message_id, text,
                        chat_id?}: the user edits their message (an edited_message update)
  GET  /_sim/chats      GET /_sim/chats/{id}      GET /_sim/calls?errors=1&method=...
  GET  /_sim/callbacks  GET /_sim/transcript (text/plain)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
from aiohttp import web

from bot.simulator.html import EntityParseError, parse_html, trim, utf16_len
from bot.simulator.models import (
    ApiError,
    CallbackQueryRecord,
    ChatState,
    Edit,
    JsonDict,
    RecordedCall,
    SimMessage,
    StoredFile,
    UploadedFile,
    UserRecord,
    bad_request,
)
from bot.simulator.spec import ApiSpec, SpecError

if TYPE_CHECKING:
    from bot.simulator.driver import SimGroup, SimUser

log = logging.getLogger(__name__)

BOT_ID = 7000000001
# Methods that count against Telegram's flood limits in this simulator.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Telegram's default when allowed_updates is empty or never given.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
# A command at the start of a user's text: /name or /name@botname.
_USER_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

Handler = Callable[[JsonDict], Awaitable[Any]]


class _Superseded(Exception):
    """A waiting getUpdates was overtaken by a newer one."""


@dataclass
class ThrottleConfig:
    """Flood-limit emulation: a sliding global window and a token bucket per private chat."""

    enabled: bool = False
    global_per_second: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    retry_after: int | None = None


@dataclass
class _Injection:
    """An error the test asked the next call(s) of a method to get."""

    error_code: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Update:
    """A queued update: a snapshot taken when the user acted."""

    update_id: int
    kind: str
    payload: JsonDict

    def to_api(self) -> JsonDict:
        """Renders the Update object."""
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class TranscriptEvent:
    """Something that happened in a chat, in global order (see driver.render_transcript)."""

    seq: int
    at: float
    kind: str  # message | edit | delete | tap | answer
    chat_id: int
    message: SimMessage | None = None
    edit: Edit | None = None
    query: CallbackQueryRecord | None = None


class BotApiSimulator:
    """The simulated Bot API server; also the store that tests and the driver inspect."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        spec: ApiSpec | None = None,
        spec_path: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        strict_html: bool = True,
        callback_answer_timeout: float | None = None,
        bot_first_name: str = "OncallBot",
        bot_username: str = "oncall_demo_bot",
        group_privacy: bool = True,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self.spec = spec or ApiSpec.load(spec_path)
        self.clock = clock
        self.wall_clock = wall_clock
        self.strict_html = strict_html
        self.callback_answer_timeout = callback_answer_timeout
        # Privacy mode (getMe's can_read_all_group_messages is false): in a group the bot gets
        # only commands, replies to its messages and mentions, unless it is an administrator.
        self.group_privacy = group_privacy
        self.bot = UserRecord(BOT_ID, bot_first_name, username=bot_username, is_bot=True)
        self.throttle = ThrottleConfig()
        self.calls: list[RecordedCall] = []
        self.tokens: list[str] = []
        self.events: list[TranscriptEvent] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        # setMyName / setMyDescription / setMyShortDescription, per (field, language_code).
        self.profile: dict[tuple[str, str], str] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook: JsonDict | None = None
        self.webhook_last_error: tuple[int, str] | None = None
        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, SimUser] = {}
        self._updates: list[_Update] = []
        self._allowed_updates = self._default_allowed()
        self._next_update_id = 1
        self._seq = 0
        self._photo_sizes: dict[str, list[JsonDict]] = {}
        self._injections: dict[str, list[_Injection]] = {}
        self._outage: tuple[int, str] | None = None
        self._rejected_tokens: set[str] = set()
        self._global_times: deque[float] = deque()
        self._chat_buckets: dict[int, tuple[float, float]] = {}
        self._change = asyncio.Event()
        self._poll_generation = 0
        self.polls_waiting = 0  # getUpdates calls currently long-polling (tests wait on it)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "copyMessage": self._copy_message,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._set_my_name,
            "getMyName": self._get_my_name,
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Starts serving on host:port (port 0 picks a free one, see ``port``)."""
        from bot.simulator.control import add_control_routes

        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        # A short shutdown timeout: waiting long polls are woken by stop() anyway.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        log.info("Bot API simulator listening on %s", self.url)

    async def stop(self) -> None:
        """Wakes waiting long polls, stops webhook delivery and closes the server."""
        self._closing = True
        self._changed()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after start())."""
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(): PTB appends the token and /method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url()."""
        return f"{self.url}/file/bot"

    # ----------------------------------------------------------------- waiting

    def _changed(self) -> None:
        """Wakes everyone waiting for a state change (long polls, tests, webhook)."""
        event = self._change
        self._change = asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Waits until ``predicate()`` holds (re-checked on every change); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._change
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    # ----------------------------------------------------------------- users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """Creates (or returns the existing) simulated user; their chat id is their id."""
        from bot.simulator.driver import SimUser

        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        record = UserRecord(
            user_id,
            first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._chats[user_id] = ChatState(record)
        sim_user = SimUser(self, record)
        self._users[user_id] = sim_user
        return sim_user

    def group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[SimUser],
        *,
        kind: str = "group",
        bot: str | None = "member",
    ) -> SimGroup:
        """Creates a group, supergroup or channel (``kind``) with these members (the first
        created it).

        Groups have negative ids; supergroups and channels ids starting with -100, as on
        Telegram. With ``bot`` ("member" or "administrator") the bot is in it from the start,
        as if added before the test began (no update); None leaves it out: see
        SimGroup.add_bot, which makes the my_chat_member update.
        """
        from bot.simulator.driver import SimGroup

        people = list(members)
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {kind!r}")
        if chat_id >= 0 or (kind != "group" and not str(chat_id).startswith("-100")):
            raise ValueError("group ids are negative; supergroup and channel ids start with -100")
        if chat_id in self._chats:
            raise ValueError(f"chat {chat_id} exists already")
        if not people:
            raise ValueError("a group needs at least one member (its creator)")
        if bot not in (None, "member", "administrator"):
            raise ValueError(f"the bot's status must be member or administrator, not {bot!r}")
        chat = ChatState(
            people[0].record,
            type=kind,
            group_id=chat_id,
            title=title,
            members={p.id: p.record for p in people},
            bot_status=bot or "left",
            started=bot is not None,
        )
        self._chats[chat_id] = chat
        return SimGroup(self, chat)

    def set_bot_status(self, chat_id: int, status: str, by: SimUser | None = None) -> None:
        """The bot is added to (member, administrator) or removed from (left, kicked) a group
        or channel by ``by`` (its creator by default): queues the my_chat_member update."""
        chat = self._chats[chat_id]
        if chat.is_private:
            raise ValueError("use block()/unblock() for a private chat")
        if status not in ("member", "administrator", "left", "kicked"):
            raise ValueError(f"unknown status {status!r}")
        old = chat.bot_status
        chat.bot_status = status
        if status in ("member", "administrator"):
            chat.started = True
        actor = by.record if by is not None else chat.user
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": int(self.wall_clock()),
                "old_chat_member": self._bot_member(old),
                "new_chat_member": self._bot_member(status),
            },
        )

    def _bot_member(self, status: str) -> JsonDict:
        """The bot's ChatMember object with this status."""
        member: JsonDict = {"status": status, "user": self.bot.to_api()}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            admin = self.spec.types["ChatMemberAdministrator"]
            for name, spec in admin.fields.items():
                if spec.required and spec.types == ("Boolean",):
                    member[name] = name not in ("can_be_edited", "is_anonymous")
        return member

    def inject_channel_post(self, chat_id: int, text: str) -> SimMessage:
        """A post in a channel (signed by the channel); the bot gets it if it is an admin."""
        chat = self._chats[chat_id]
        if chat.type != "channel":
            raise ValueError(f"chat {chat_id} is not a channel")
        msg = self._new_message(chat, from_bot=False, text=text)
        if chat.bot_status == "administrator":
            self._enqueue("channel_post", msg.to_api())
        return msg

    def edit_user_message(self, message: SimMessage, text: str) -> SimMessage:
        """A user edits the text of their earlier message (queues an edited_message update)."""
        if message.from_bot or message.chat.type == "channel":
            raise ValueError("only a user's own message can be edited this way")
        if message.deleted:
            raise ValueError(f"message {message.message_id} was deleted")
        if message.text is None:
            raise ValueError("only text messages can be edited this way")
        if not text:
            raise ValueError("an edit cannot make the text empty")
        message.text = text
        message.entities = [e for e in message.entities if e.get("type") != "bot_command"]
        command = _USER_COMMAND_RE.match(text)
        if command:
            message.entities.insert(
                0, {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            )
        self._record_edit(message, "user_edit")
        if self._delivered(message):
            self._enqueue("edited_message", message.to_api())
        return message

    @property
    def users(self) -> dict[int, SimUser]:
        """Simulated users by id."""
        return dict(self._users)

    @property
    def chats(self) -> dict[int, ChatState]:
        """Chats by id (one private chat per simulated user, and the groups and channels)."""
        return dict(self._chats)

    def chat(self, chat_id: int) -> ChatState:
        """The chat with this id (KeyError if no such user or group)."""
        return self._chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them answer 403 until they write again."""
        self._chats[user_id].blocked = True
        self._changed()

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self._chats[user_id].blocked = False
        self._changed()

    @property
    def seq(self) -> int:
        """The sequence number of the latest recorded event (orders all chats' events)."""
        return self._seq

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot (getUpdates offset or webhook 2xx)."""
        return [u.to_api() for u in self._updates]

    def inject_user_message(
        self,
        user_id: int,
        *,
        reply_to: SimMessage | None = None,
        chat_id: int | None = None,
        **content: Any,
    ) -> SimMessage:
        """Stores a message from the user and queues its update (used by SimUser, SimGroup).

        Without ``chat_id`` the message is in the user's private chat with the bot; with it,
        in that group, where the bot gets it as privacy mode allows (see ``group_privacy``).
        """
        if chat_id is None or chat_id == user_id:
            chat = self._chats[user_id]
            # Writing to the bot starts the chat and, as /start does in clients, unblocks it.
            chat.started = True
            chat.blocked = False
            sender = chat.user
        else:
            chat = self._chats[chat_id]
            if chat.type == "channel":
                raise ValueError("users do not write in a channel; see inject_channel_post")
            if user_id not in chat.members:
                raise ValueError(f"user {user_id} is not a member of {chat.name}")
            sender = chat.members[user_id]
        if reply_to is not None and reply_to.chat is not chat:
            raise ValueError("a reply must be to a message in the same chat")
        msg = self._new_message(chat, from_bot=False, reply_to=reply_to, sender=sender, **content)
        if self._delivered(msg):
            self._enqueue("message", msg.to_api())
        return msg

    def _delivered(self, msg: SimMessage) -> bool:
        """Whether the bot gets an update for this user message (Telegram's privacy mode)."""
        chat = msg.chat
        if chat.is_private:
            return True
        if not chat.bot_present:
            return False
        if chat.bot_status == "administrator" or not self.group_privacy:
            return True
        text = msg.text or msg.caption or ""
        replied = msg.reply_to is not None and msg.reply_to.from_bot
        mention = f"@{self.bot.username}".casefold() in text.casefold()
        return text.startswith("/") or replied or mention

    def inject_callback_query(
        self, user_id: int, message: SimMessage, data: str, label: str | None = None
    ) -> CallbackQueryRecord:
        """Queues a callback_query for a tap on ``message`` (used by SimUser, SimGroup)."""
        chat = message.chat
        if chat.is_private:
            if chat.id != user_id:
                raise ValueError(f"user {user_id} cannot see messages in chat {chat.id}")
            chat.started = True
            chat.blocked = False
            tapper = chat.user
        elif user_id in chat.members:
            tapper = chat.members[user_id]
        else:
            raise ValueError(f"user {user_id} is not a member of {chat.name}")
        self._seq += 1
        query = CallbackQueryRecord(
            id=f"{user_id}{self._seq:08d}",
            user_id=user_id,
            chat_id=chat.id,
            message_id=message.message_id,
            data=data,
            label=label,
            at=self.clock(),
            seq=self._seq,
        )
        self.callback_queries[query.id] = query
        self.events.append(
            TranscriptEvent(query.seq, query.at, "tap", chat.id, message, None, query)
        )
        self._enqueue(
            "callback_query",
            {
                "id": query.id,
                "from": tapper.to_api(),
                "message": message.to_api(),
                "chat_instance": f"{chat.id}{BOT_ID}",
                "data": data,
            },
        )
        return query

    def reserve_update_id(self) -> int:
        """An update_id no update of this simulator will have (for one a test stores itself)."""
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def inject_raw_update(self, kind: str, payload: object) -> int:
        """Queues an update whose ``kind`` part is exactly ``payload``, valid or not.

        Telegram adds fields and types over time: an update a client library cannot read is
        something a bot must survive. Returns the update_id.
        """
        update_id = self._next_update_id
        # Not checked against the spec (that is the point), unlike every other update.
        self._updates.append(_Update(update_id, kind, payload))  # type: ignore[arg-type]
        self._next_update_id += 1
        self._changed()
        return update_id

    def _enqueue(self, kind: str, payload: JsonDict) -> None:
        """Checks an update against the spec, adds it to the queue and wakes pollers."""
        update = {"update_id": self._next_update_id, kind: payload}
        try:
            self.spec.coerce_value(update, ("Update",), "update", {})
        except SpecError as exc:
            raise AssertionError(f"the simulator made an invalid update: {exc.detail}") from None
        self._updates.append(_Update(self._next_update_id, kind, payload))
        self._next_update_id += 1
        self._changed()

    # ----------------------------------------------------------------- test controls

    def set_throttle(
        self,
        enabled: bool = True,
        global_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        retry_after: int | None = None,
        per_chat_burst: int = 3,
    ) -> None:
        """Turns flood-limit emulation on or off (429 with retry_after when exceeded)."""
        self.throttle = ThrottleConfig(
            enabled, global_per_second, per_chat_per_second, per_chat_burst, retry_after
        )
        self._global_times.clear()
        self._chat_buckets.clear()

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Makes the next ``count`` valid calls of ``method`` fail with this error."""
        spec = self.spec.find_method(method)
        if spec is None:
            raise ValueError(f"no such Bot API method: {method}")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected error",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after}",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}: injected error")
        self._injections.setdefault(spec.name, []).append(
            _Injection(error_code, description, retry_after, count)
        )

    def reject_token(self, token: str, rejected: bool = True) -> None:
        """Answers every call made with ``token`` 401 Unauthorized, as Telegram does for a
        revoked or mistyped token (``rejected=False`` accepts it again)."""
        if rejected:
            self._rejected_tokens.add(token)
        else:
            self._rejected_tokens.discard(token)

    def set_outage(self, error_code: int | None = 502, description: str | None = None) -> None:
        """Fails every Bot API call with ``error_code`` until called with None (an outage)."""
        if error_code is None:
            self._outage = None
            return
        self._outage = (
            error_code,
            description
            or {
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(error_code, f"Error {error_code}: outage"),
        )

    # ----------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    def errors(self, include_expected: bool = False) -> list[RecordedCall]:
        """Calls answered with an error; deliberate ones (429/403/injected) only on request."""
        return [c for c in self.calls if not c.ok and (include_expected or not c.expected)]

    def expected_errors(self) -> list[RecordedCall]:
        """Errors the test arranged: throttling, blocked users, fail_next."""
        return [c for c in self.calls if not c.ok and c.expected]

    @property
    def throttled(self) -> list[RecordedCall]:
        """Every 429 the simulator answered."""
        return [c for c in self.calls if c.status == 429]

    def assert_no_errors(self) -> None:
        """Raises AssertionError listing every unexpected error answer."""
        bad = self.errors()
        if bad:
            lines = "\n".join(f"  {c.describe()}" for c in bad)
            raise AssertionError(f"{len(bad)} Bot API call(s) failed:\n{lines}")

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Taps the bot never answered with answerCallbackQuery."""
        return [q for q in self.callback_queries.values() if not q.answered]

    def assert_callbacks_answered(self, max_latency: float | None = None) -> None:
        """Raises AssertionError if a tap is unanswered (or answered slower than allowed)."""
        problems = [f"  {q.label or q.data!r}: never answered" for q in self.unanswered_callbacks()]
        if max_latency is not None:
            problems += [
                f"  {q.label or q.data!r}: answered after {q.latency:.3f}s"
                for q in self.callback_queries.values()
                if q.latency is not None and q.latency > max_latency
            ]
        if problems:
            raise AssertionError("callback queries:\n" + "\n".join(problems))

    def call_times(
        self, *, chat_id: int | None = None, methods: Iterable[str] = SEND_METHODS
    ) -> list[float]:
        """Arrival times (simulator clock) of the given calls, optionally for one chat."""
        wanted = set(methods)
        return [
            c.at
            for c in self.calls
            if c.method in wanted and (chat_id is None or c.chat_id == chat_id)
        ]

    def max_calls_in_window(
        self,
        window: float = 1.0,
        *,
        chat_id: int | None = None,
        methods: Iterable[str] = SEND_METHODS,
    ) -> int:
        """The most calls (including refused ones) that arrived within any ``window`` seconds."""
        times = sorted(self.call_times(chat_id=chat_id, methods=methods))
        best = 0
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def transcript(self, chat_id: int | None = None, *, timestamps: bool = False) -> str:
        """All chats (or one) as readable text in chronological order."""
        from bot.simulator.driver import render_transcript

        return render_transcript(self, chat_id=chat_id, timestamps=timestamps)

    # ----------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        """Answers one Bot API call and records it."""
        token = request.match_info["token"]
        name = request.match_info["method"]
        at = self.clock()
        if token not in self.tokens:
            self.tokens.append(token)
        raw: JsonDict = {}
        params: JsonDict | None = None
        reason: str | None = None
        method = self.spec.find_method(name)
        canonical = method.name if method else name
        try:
            raw, uploads = await _read_params(request)
            if token in self._rejected_tokens:
                raise ApiError(401, "Unauthorized", reason="rejected token")
            if method is None:
                raise ApiError(404, "Not Found")
            try:
                params = self.spec.coerce_params(method, raw, uploads)
            except SpecError as exc:
                raise bad_request(exc.description) from None
            self._take_injection(canonical)
            handler = self._methods.get(canonical)
            if handler is None:
                raise ApiError(501, f"Not Implemented: method {canonical} is not simulated")
            chat_id = params.get("chat_id")
            self._check_throttle(canonical, chat_id if isinstance(chat_id, int) else None)
            result = await handler(params)
            body: JsonDict = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            body = exc.to_response()
            status = exc.error_code
            reason = exc.reason
        except _Superseded:
            # PTB abandons its long poll when it stops; answering the orphan [] (instead of
            # Telegram's 409 Conflict) keeps a restart from looking like a second bot instance.
            body, status, reason = {"ok": True, "result": []}, 200, "superseded"
        except Exception as exc:  # a simulator bug must not look like a network failure
            log.exception("simulator failed on %s", canonical)
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc!r}",
            }
            status = 500
        self.calls.append(
            RecordedCall(
                method=canonical,
                params=_printable(params if params is not None else raw),
                response=body,
                ok=bool(body.get("ok")),
                at=at,
                status=status,
                token=token,
                expected=reason is not None,
                reason=reason,
            )
        )
        if status >= 400:
            log.debug("%s -> %s %s", canonical, status, body.get("description"))
        self._changed()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serves a file by its file_path, as api.telegram.org/file/bot<token>/ does."""
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def _take_injection(self, method: str) -> None:
        """Raises the outage's error, or the one fail_next() queued for this method, if any."""
        if self._outage is not None:
            raise ApiError(self._outage[0], self._outage[1], reason="outage")
        queue = self._injections.get(method)
        if not queue:
            return
        injection = queue[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            queue.pop(0)
        raise ApiError(
            injection.error_code,
            injection.description,
            retry_after=injection.retry_after,
            reason="injected",
        )

    def _check_throttle(self, method: str, chat_id: int | None) -> None:
        """Answers 429 when a send/edit exceeds the global window or the chat's bucket."""
        cfg = self.throttle
        if not cfg.enabled or method not in SEND_METHODS:
            return
        now = self.clock()
        while self._global_times and now - self._global_times[0] >= 1.0:
            self._global_times.popleft()
        if len(self._global_times) >= cfg.global_per_second:
            wait = 1.0 - (now - self._global_times[0])
            self._too_many(cfg.retry_after or max(1, math.ceil(wait)))
        if chat_id is not None and chat_id > 0:
            tokens, last = self._chat_buckets.get(chat_id, (float(cfg.per_chat_burst), now))
            tokens = min(float(cfg.per_chat_burst), tokens + (now - last) * cfg.per_chat_per_second)
            if tokens < 1.0:
                self._chat_buckets[chat_id] = (tokens, now)
                wait = (1.0 - tokens) / cfg.per_chat_per_second
                self._too_many(cfg.retry_after or max(1, math.ceil(wait)))
            self._chat_buckets[chat_id] = (tokens - 1.0, now)
        self._global_times.append(now)

    @staticmethod
    def _too_many(retry_after: int) -> NoReturn:
        """Raises Telegram's flood-wait error."""
        raise ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            reason="throttle",
        )

    # ----------------------------------------------------------------- helpers

    def _default_allowed(self) -> set[str]:
        """Update kinds delivered by default (all but the opt-in ones)."""
        update = self.spec.types.get("Update")
        names = set(update.fields) if update else {"message", "callback_query"}
        return names - {"update_id"} - _OPT_IN_UPDATES

    def _new_message(
        self,
        chat: ChatState,
        *,
        from_bot: bool,
        sender: UserRecord | None = None,
        **content: Any,
    ) -> SimMessage:
        """Stores a message with the chat's next message id."""
        chat.last_message_id += 1
        self._seq += 1
        msg = SimMessage(
            chat=chat,
            message_id=chat.last_message_id,
            from_bot=from_bot,
            sender=self.bot if from_bot else (sender or chat.user),
            date=int(self.wall_clock()),
            at=self.clock(),
            seq=self._seq,
            **content,
        )
        msg.original = Edit(msg.seq, msg.at, "send", msg.text, msg.caption, msg.reply_markup)
        chat.messages.append(msg)
        self.events.append(TranscriptEvent(msg.seq, msg.at, "message", chat.id, msg, msg.original))
        return msg

    def _chat_for(self, chat_id: Any) -> ChatState:
        """The chat a call addresses: 400 if the bot cannot see it, 403 if blocked or out."""
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user", reason="blocked")
        if chat.type == "channel" and chat.bot_status != "administrator":
            if chat.bot_status == "kicked":
                raise ApiError(403, "Forbidden: bot was kicked from the channel chat")
            raise bad_request("need administrator rights in the channel chat")
        if not chat.bot_present:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def _format(
        self, text: str, parse_mode: str | None, entities: list[JsonDict] | None, *, caption: bool
    ) -> tuple[str, list[JsonDict]]:
        """Parses text or caption like Telegram and applies its length rules."""
        if parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    plain, ents = parse_html(text, strict_ampersand=self.strict_html)
                except EntityParseError as exc:
                    raise bad_request(f"can't parse entities: {exc}") from None
            elif mode in ("markdown", "markdownv2"):
                raise ApiError(501, f"Not Implemented: parse_mode {parse_mode} is not simulated")
            else:
                raise bad_request("unsupported parse_mode")
        else:
            plain, ents = text, list(entities or [])
        plain, ents = trim(plain, ents)
        if caption:
            if utf16_len(plain) > 1024:
                raise bad_request("message caption is too long")
        else:
            if not plain:
                raise bad_request("message text is empty")
            if utf16_len(plain) > 4096:
                raise bad_request("message is too long")
        return plain, ents

    def _caption(self, p: JsonDict) -> tuple[str | None, list[JsonDict]]:
        """The caption of a media call, parsed; None when absent or blank."""
        if "caption" not in p:
            return None, []
        text, ents = self._format(
            p["caption"], p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        return (text or None), ents

    def _split_markup(self, markup: JsonDict | None) -> tuple[JsonDict | None, JsonDict | None]:
        """Checks reply_markup like Telegram; returns (inline keyboard, other markup)."""
        if markup is None:
            return None, None
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup)
            return markup, None
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    if not str(button.get("text", "")).strip():
                        raise bad_request("keyboard button text must be non-empty")
        return None, markup

    def _reply_target(self, chat: ChatState, rp: JsonDict | None) -> SimMessage | None:
        """Resolves reply_parameters to the message being replied to."""
        if not rp:
            return None
        target_chat = chat
        if isinstance(rp.get("chat_id"), int) and rp["chat_id"] != chat.id:
            target_chat = self._chats.get(rp["chat_id"], chat)
        msg = target_chat.find(rp["message_id"])
        if msg is None and not rp.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return msg

    def _edit_target(self, p: JsonDict) -> SimMessage:
        """The bot message an edit call addresses."""
        if "inline_message_id" in p:
            raise ApiError(501, "Not Implemented: inline messages are not simulated")
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        if "message_id" not in p:
            raise bad_request("message identifier is not specified")
        chat = self._chat_for(p["chat_id"])
        msg = chat.find(p["message_id"])
        if msg is None:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _record_edit(self, msg: SimMessage, method: str) -> None:
        """Appends an edit to the message's history and to the transcript."""
        self._seq += 1
        edit = Edit(self._seq, self.clock(), method, msg.text, msg.caption, msg.reply_markup)
        msg.edits.append(edit)
        msg.edit_date = int(self.wall_clock())
        self.events.append(TranscriptEvent(edit.seq, edit.at, "edit", msg.chat_id, msg, edit))

    def store_file(
        self, kind: str, data: bytes, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Registers file bytes under a new file_id (downloadable via getFile)."""
        n = len(self.files) + 1
        suffix = PurePosixPath(file_name or "").suffix
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
            suffix = ".jpg" if kind == "photo" else (".webp" if kind == "sticker" else "")
        stored = StoredFile(
            file_id=f"SIM{kind[:3].upper()}{n:06d}",
            file_unique_id=f"U{n:06d}",
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{n}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def store_photo(self, data: bytes) -> list[JsonDict]:
        """Registers a photo as Telegram does: several PhotoSize entries, each with a file_id."""
        sizes: list[JsonDict] = []
        for width, height in ((90, 68), (800, 600)):
            stored = self.store_file("photo", data, mime_type="image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        for size in sizes:
            self._photo_sizes[size["file_id"]] = sizes
        return sizes

    def _input_file(self, value: Any, kind: str) -> StoredFile:
        """Resolves an upload, a known file_id or an HTTP URL to a stored file."""
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type or "application/octet-stream"
            return self.store_file(kind, value.data, value.filename or None, mime)
        text = str(value)
        known = self.files.get(text)
        if known is not None:
            if known.kind != kind:
                raise bad_request(
                    f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        if re.match(r"^https?://\S+$", text):
            name = PurePosixPath(text.split("?")[0]).name or "file"
            return self.store_file(kind, f"(content of {text})".encode(), name, None)
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ----------------------------------------------------------------- methods

    async def _get_me(self, p: JsonDict) -> Any:
        """getMe."""
        return self.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: JsonDict) -> Any:
        """getUpdates: confirm by offset, filter, long-poll up to ``timeout`` seconds."""
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        if "allowed_updates" in p:
            self._allowed_updates = set(p["allowed_updates"]) or self._default_allowed()
        offset = p.get("offset")
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u.update_id >= offset]
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(int(p.get("timeout", 0)), 0)
        self._drop_disallowed()
        if not self._updates and timeout > 0:
            self.polls_waiting += 1
            self._changed()
            try:
                await self.wait_until(
                    lambda: (
                        self._closing
                        or self._poll_generation != generation
                        or any(u.kind in self._allowed_updates for u in self._updates)
                    ),
                    timeout,
                )
            finally:
                self.polls_waiting -= 1
            self._drop_disallowed()
            if self._poll_generation != generation:
                raise _Superseded
        return [u.to_api() for u in self._updates[:limit]]

    def _drop_disallowed(self) -> None:
        """Forgets queued updates of kinds the bot did not ask for, as Telegram does."""
        self._updates = [u for u in self._updates if u.kind in self._allowed_updates]

    async def _set_webhook(self, p: JsonDict) -> Any:
        """setWebhook: later updates are POSTed to the URL (an empty URL removes it)."""
        url = p["url"]
        if not url:
            return await self._delete_webhook(p)
        if not re.match(r"^https?://", url):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in p:
            self._allowed_updates = set(p["allowed_updates"]) or self._default_allowed()
        self.webhook = {
            "url": url,
            "secret_token": p.get("secret_token"),
            "max_connections": p.get("max_connections", 40),
        }
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook())
        self._changed()
        return True

    async def _delete_webhook(self, p: JsonDict) -> Any:
        """deleteWebhook (drop_pending_updates clears the queue)."""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        self._changed()
        return True

    async def _get_webhook_info(self, p: JsonDict) -> Any:
        """getWebhookInfo."""
        info: JsonDict = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    async def _deliver_webhook(self) -> None:
        """POSTs queued updates one by one to the webhook; retries after failures."""
        async with aiohttp.ClientSession() as session:
            while not self._closing and self.webhook:
                await self.wait_until(
                    lambda: self._closing or not self.webhook or bool(self._updates), 3600
                )
                self._drop_disallowed()
                if self._closing or not self.webhook or not self._updates:
                    continue
                update = self._updates[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(
                        self.webhook["url"],
                        json=update.to_api(),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as resp:
                        error = None if resp.status < 300 else f"Wrong response: {resp.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc}"
                if error is None:
                    self._updates = [u for u in self._updates if u is not update]
                    self._changed()
                else:
                    self.webhook_last_error = (int(self.wall_clock()), error)
                    # Telegram backs off too; a short pause keeps a broken receiver from spinning.
                    await self.wait_until(lambda: self._closing or not self.webhook, 0.5)

    async def _set_my_commands(self, p: JsonDict) -> Any:
        """setMyCommands."""
        commands = p["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        for cmd in commands:
            if not _COMMAND_RE.match(cmd["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(cmd["description"].strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: JsonDict) -> Any:
        """getMyCommands."""
        return list(self.commands.get(self._scope_key(p), []))

    async def _delete_my_commands(self, p: JsonDict) -> Any:
        """deleteMyCommands."""
        self.commands.pop(self._scope_key(p), None)
        return True

    @staticmethod
    def _language(p: JsonDict) -> str:
        """The language_code parameter: empty or a two-letter ISO 639-1 code."""
        lang = str(p.get("language_code") or "")
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("invalid language code specified")
        return lang

    def _scope_key(self, p: JsonDict) -> tuple[str, str]:
        """Commands are stored per (scope, language_code)."""
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), self._language(p)

    async def _send_message(self, p: JsonDict) -> Any:
        """sendMessage."""
        chat = self._chat_for(p["chat_id"])
        text, entities = self._format(
            p["text"], p.get("parse_mode"), p.get("entities"), caption=False
        )
        inline, keyboard = self._split_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        msg = self._new_message(
            chat,
            from_bot=True,
            text=text,
            entities=entities,
            reply_markup=inline,
            keyboard=keyboard,
            reply_to=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            protect_content=bool(p.get("protect_content")),
            parse_mode=p.get("parse_mode"),
            source_text=p["text"],
            link_preview_options=p.get("link_preview_options"),
        )
        return msg.to_api()

    async def _send_document(self, p: JsonDict) -> Any:
        """sendDocument."""
        chat = self._chat_for(p["chat_id"])
        caption, caption_entities = self._caption(p)
        inline, keyboard = self._split_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        stored = self._input_file(p["document"], "document")
        document: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        msg = self._new_message(
            chat,
            from_bot=True,
            document=document,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=inline,
            keyboard=keyboard,
            reply_to=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            protect_content=bool(p.get("protect_content")),
            parse_mode=p.get("parse_mode"),
            source_text=p.get("caption"),
        )
        return msg.to_api()

    async def _send_photo(self, p: JsonDict) -> Any:
        """sendPhoto."""
        chat = self._chat_for(p["chat_id"])
        caption, caption_entities = self._caption(p)
        inline, keyboard = self._split_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        value = p["photo"]
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            sizes = self.store_photo(value.data)
        elif isinstance(value, str) and value in self._photo_sizes:
            sizes = self._photo_sizes[value]
        else:
            sizes = self.store_photo(self._input_file(value, "photo").data)
        msg = self._new_message(
            chat,
            from_bot=True,
            photo=sizes,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=inline,
            keyboard=keyboard,
            reply_to=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            protect_content=bool(p.get("protect_content")),
            parse_mode=p.get("parse_mode"),
            source_text=p.get("caption"),
        )
        return msg.to_api()

    async def _copy_message(self, p: JsonDict) -> Any:
        """copyMessage: the content without a link to the original; returns MessageId."""
        target = self._chat_for(p["chat_id"])
        source_chat = (
            self._chats.get(p["from_chat_id"]) if isinstance(p["from_chat_id"], int) else None
        )
        if source_chat is None or not source_chat.started:
            raise bad_request("chat not found")
        source = source_chat.find(p["message_id"])
        if source is None:
            raise bad_request("message to copy not found")
        inline, keyboard = self._split_markup(p.get("reply_markup"))
        reply_to = self._reply_target(target, p.get("reply_parameters"))
        caption, caption_entities = source.caption, list(source.caption_entities)
        if "caption" in p and source.kind in ("document", "photo"):
            caption, caption_entities = self._caption(p)
        msg = self._new_message(
            target,
            from_bot=True,
            text=source.text,
            entities=list(source.entities),
            caption=caption,
            caption_entities=caption_entities,
            document=source.document,
            photo=source.photo,
            sticker=source.sticker,
            contact=source.contact,
            location=source.location,
            reply_markup=inline,
            keyboard=keyboard,
            reply_to=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            protect_content=bool(p.get("protect_content")),
            copied_from=(source_chat.id, source.message_id),
        )
        return {"message_id": msg.message_id}

    async def _edit_message_text(self, p: JsonDict) -> Any:
        """editMessageText: omitting reply_markup removes the inline keyboard, as on Telegram."""
        if "rich_message" in p:
            raise ApiError(501, "Not Implemented: rich_message is not simulated")
        if "text" not in p:
            raise bad_request("message text is empty")
        msg = self._edit_target(p)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._format(
            p["text"], p.get("parse_mode"), p.get("entities"), caption=False
        )
        inline, _ = self._split_markup(p.get("reply_markup"))
        if text == msg.text and entities == msg.entities and _same(inline, msg.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, inline
        msg.source_text, msg.parse_mode = p["text"], p.get("parse_mode")
        self._record_edit(msg, "editMessageText")
        return msg.to_api()

    async def _edit_message_caption(self, p: JsonDict) -> Any:
        """editMessageCaption."""
        msg = self._edit_target(p)
        if msg.kind not in ("document", "photo"):
            raise bad_request("there is no caption in the message to edit")
        caption, caption_entities = self._caption(p)
        inline, _ = self._split_markup(p.get("reply_markup"))
        if (
            caption == msg.caption
            and caption_entities == msg.caption_entities
            and _same(inline, msg.reply_markup)
        ):
            raise bad_request(_NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.reply_markup = caption, caption_entities, inline
        self._record_edit(msg, "editMessageCaption")
        return msg.to_api()

    async def _edit_message_reply_markup(self, p: JsonDict) -> Any:
        """editMessageReplyMarkup: omitting reply_markup removes the inline keyboard."""
        msg = self._edit_target(p)
        inline, _ = self._split_markup(p.get("reply_markup"))
        if _same(inline, msg.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        msg.reply_markup = inline
        self._record_edit(msg, "editMessageReplyMarkup")
        return msg.to_api()

    async def _delete_message(self, p: JsonDict) -> Any:
        """deleteMessage (bots may delete both sides' messages in private chats)."""
        chat = self._chat_for(p["chat_id"])
        msg = chat.find(p["message_id"])
        if msg is None:
            raise bad_request("message to delete not found")
        msg.deleted = True
        self._seq += 1
        self.events.append(TranscriptEvent(self._seq, self.clock(), "delete", chat.id, msg))
        return True

    async def _answer_callback_query(self, p: JsonDict) -> Any:
        """answerCallbackQuery: once per query, within callback_answer_timeout if set."""
        query = self.callback_queries.get(p["callback_query_id"])
        now = self.clock()
        if query is None or query.answered:
            raise bad_request(_QUERY_INVALID)
        if (
            self.callback_answer_timeout is not None
            and now - query.at > self.callback_answer_timeout
        ):
            raise bad_request(_QUERY_INVALID)
        if len(p.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answered_at = now
        query.answer = {k: v for k, v in p.items() if k != "callback_query_id"}
        self._seq += 1
        self.events.append(
            TranscriptEvent(self._seq, now, "answer", query.chat_id, None, None, query)
        )
        return True

    async def _get_file(self, p: JsonDict) -> Any:
        """getFile."""
        stored = self.files.get(p["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api()

    async def _send_chat_action(self, p: JsonDict) -> Any:
        """sendChatAction ("typing" etc.): recorded, not shown in transcripts."""
        chat = self._chat_for(p["chat_id"])
        if p["action"] not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, p["action"]))
        return True

    def _set_profile(self, p: JsonDict, field: str, limit: int) -> bool:
        """Stores the bot's name or a description for one language."""
        value = p.get(field, "")
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        lang = self._language(p)
        if value:
            self.profile[(field, lang)] = value
        else:
            self.profile.pop((field, lang), None)
        return True

    def _get_profile(self, p: JsonDict, field: str) -> JsonDict:
        """Reads the bot's name or a description, falling back to the default language."""
        lang = self._language(p)
        value = self.profile.get((field, lang), self.profile.get((field, ""), ""))
        if field == "name" and not value:
            value = self.bot.first_name
        return {field: value}

    async def _set_my_description(self, p: JsonDict) -> Any:
        """setMyDescription."""
        return self._set_profile(p, "description", 512)

    async def _get_my_description(self, p: JsonDict) -> Any:
        """getMyDescription."""
        return self._get_profile(p, "description")

    async def _set_my_short_description(self, p: JsonDict) -> Any:
        """setMyShortDescription."""
        return self._set_profile(p, "short_description", 120)

    async def _get_my_short_description(self, p: JsonDict) -> Any:
        """getMyShortDescription."""
        return self._get_profile(p, "short_description")

    async def _set_my_name(self, p: JsonDict) -> Any:
        """setMyName."""
        return self._set_profile(p, "name", 64)

    async def _get_my_name(self, p: JsonDict) -> Any:
        """getMyName."""
        return self._get_profile(p, "name")


def _same(a: JsonDict | None, b: JsonDict | None) -> bool:
    """Compares two reply markups as Telegram does (by content)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check_inline_keyboard(markup: JsonDict) -> None:
    """Applies Telegram's inline keyboard rules that the spec cannot express."""
    total = 0
    for row in markup["inline_keyboard"]:
        if len(row) > 8:
            raise bad_request("too many buttons in a row of the inline keyboard (max 8)")
        for button in row:
            total += 1
            if not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, found {', '.join(actions)}"
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^\S+$", str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
    if total > 100:
        raise bad_request("reply markup is too long")


async def _read_params(request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
    """Reads query string plus form, multipart or JSON body into (params, uploads)."""
    params: JsonDict = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return params, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if isinstance(body, dict):
            params.update(body)
        return params, uploads
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = UploadedFile(
                    value.filename or "", value.content_type or "", value.file.read()
                )
            elif isinstance(value, bytes | bytearray):
                params[key] = bytes(value).decode("utf-8", "replace")
            else:
                params[key] = value
    return params, uploads


def _printable(params: JsonDict) -> JsonDict:
    """The params of a recorded call, with uploads summarised instead of their bytes."""
    out: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, UploadedFile):
            out[key] = {
                "upload": value.filename,
                "mime_type": value.content_type,
                "size": len(value.data),
            }
        else:
            out[key] = value
    return out
