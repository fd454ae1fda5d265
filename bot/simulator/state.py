"""The simulator's state: what it holds, the waiting, and the helpers every method uses."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulator.chats import ChatState
from bot.simulator.html import EntityParseError, parse_html, trim, utf16_len
from bot.simulator.models import (
    ApiError,
    CallbackQueryRecord,
    Edit,
    JsonDict,
    RecordedCall,
    SimMessage,
    StoredFile,
    UploadedFile,
    UserRecord,
    bad_request,
)
from bot.simulator.rules import (
    _OPT_IN_UPDATES,
    BOT_ID,
    Handler,
    ThrottleConfig,
    TranscriptEvent,
    _check_inline_keyboard,
    _Injection,
    _Update,
)
from bot.simulator.spec import ApiSpec

if TYPE_CHECKING:
    from bot.simulator.driver import SimUser

log = logging.getLogger(__name__)


class SimState:
    """Everything the simulated Bot API holds; the layers above add behaviour."""

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
        self._methods: dict[str, Handler] = self._method_table()

    def _method_table(self) -> dict[str, Handler]:
        """The Bot API methods this server answers (filled in by the server)."""
        raise NotImplementedError

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
