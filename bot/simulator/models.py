"""What the Bot API simulator keeps: users, messages, files, taps, calls (chats: chats.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.simulator.chats import ChatState

JsonDict = dict[str, Any]


class ApiError(Exception):
    """An error answer of the Bot API (``ok: false``), with the HTTP status equal to the code."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        # Set for errors the test asked for (throttle, block, fail_next): see RecordedCall.expected.
        self.reason = reason

    def to_response(self) -> JsonDict:
        """Renders Telegram's error JSON."""
        body: JsonDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    """A 400 answer worded like Telegram's."""
    return ApiError(400, f"Bad Request: {text}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class UserRecord:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """First and last name, as clients show them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> JsonDict:
        """Renders a User object."""
        out: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code and not self.is_bot:
            out["language_code"] = self.language_code
        return out


@dataclass
class StoredFile:
    """A file the simulator knows: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    kind: str  # document | photo | sticker
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def to_api(self) -> JsonDict:
        """Renders a File object (getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class Edit:
    """One version of a message's content: as sent (method "send") or right after an edit."""

    seq: int
    at: float
    method: str
    text: str | None
    caption: str | None
    reply_markup: JsonDict | None


# What a message may carry besides text, as the Message fields Telegram names them.
CONTENT_FIELDS = (
    "document",
    "photo",
    "sticker",
    "contact",
    "location",
    "voice",
    "video_note",
    "audio",
    "video",
    "poll",
    "dice",
    "game",
)


@dataclass(eq=False)
class SimMessage:
    """A message in a chat, sent by the bot (``from_bot``), by a user, or posted in a channel."""

    chat: ChatState = field(repr=False)
    message_id: int
    from_bot: bool
    sender: UserRecord = field(repr=False)
    date: int
    at: float
    seq: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    document: JsonDict | None = None
    photo: list[JsonDict] | None = None
    sticker: JsonDict | None = None
    contact: JsonDict | None = None
    location: JsonDict | None = None
    voice: JsonDict | None = None
    video_note: JsonDict | None = None
    audio: JsonDict | None = None
    video: JsonDict | None = None
    poll: JsonDict | None = None
    dice: JsonDict | None = None
    game: JsonDict | None = None
    # Inline keyboard only: it belongs to the message and can be edited.
    reply_markup: JsonDict | None = None
    # ReplyKeyboardMarkup / ReplyKeyboardRemove / ForceReply: client-side state, not editable.
    keyboard: JsonDict | None = None
    reply_to: SimMessage | None = field(default=None, repr=False)
    disable_notification: bool = False
    protect_content: bool = False
    parse_mode: str | None = None
    source_text: str | None = field(default=None, repr=False)  # text as sent, before parsing
    link_preview_options: JsonDict | None = field(default=None, repr=False)
    edits: list[Edit] = field(default_factory=list)
    original: Edit | None = field(default=None, repr=False)  # the content as first sent
    edit_date: int | None = None
    deleted: bool = False
    copied_from: tuple[int, int] | None = None

    @property
    def chat_id(self) -> int:
        """The chat's id (in a private chat, the user's id)."""
        return self.chat.id

    @property
    def body(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def kind(self) -> str:
        """The content kind: text, or one of CONTENT_FIELDS (photo, voice, location, …)."""
        for name in CONTENT_FIELDS:
            if getattr(self, name):
                return name
        return "text"

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons (empty without an inline keyboard)."""
        if not self.reply_markup:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def keyboard_rows(self) -> list[list[JsonDict]]:
        """Rows of reply-keyboard buttons (empty without a reply keyboard)."""
        if not self.keyboard or "keyboard" not in self.keyboard:
            return []
        rows: list[list[JsonDict]] = self.keyboard["keyboard"]
        return rows

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline keyboard, or else of the reply keyboard, row by row."""
        rows = self.inline_keyboard or self.keyboard_rows
        return [str(b.get("text", "")) for row in rows for b in row]

    def button(self, label: str) -> JsonDict | None:
        """The first inline button whose text contains ``label`` (case-insensitive)."""
        needle = label.casefold()
        for row in self.inline_keyboard:
            for b in row:
                if needle in str(b.get("text", "")).casefold():
                    return b
        return None

    def to_api(self, *, with_reply: bool = True) -> JsonDict:
        """Renders the Message object as Telegram would send it now."""
        out: JsonDict = {"message_id": self.message_id}
        if self.chat.type == "channel":
            # Channel posts are signed by the channel, not by a user.
            out["sender_chat"] = self.chat.to_api()
        else:
            out["from"] = self.sender.to_api()
        out["chat"] = self.chat.to_api()
        out["date"] = self.date
        if self.edit_date is not None:
            out["edit_date"] = self.edit_date
        if self.protect_content:
            out["has_protected_content"] = True
        if with_reply and self.reply_to is not None:
            # Telegram embeds the replied-to message one level deep only.
            out["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            out["text"] = self.text
            if self.entities:
                out["entities"] = self.entities
        if self.caption is not None:
            out["caption"] = self.caption
            if self.caption_entities:
                out["caption_entities"] = self.caption_entities
        for name in CONTENT_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.reply_markup:
            out["reply_markup"] = self.reply_markup
        return out

    def summary(self) -> JsonDict:
        """A compact JSON view for the control API and debugging dumps."""
        return {
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text,
            "caption": self.caption,
            "entities": self.entities,
            "buttons": self.buttons,
            "reply_markup": self.reply_markup,
            "keyboard": self.keyboard,
            "document": self.document,
            "photo": self.photo,
            "contact": self.contact,
            "location": self.location,
            "voice": self.voice,
            "video_note": self.video_note,
            "audio": self.audio,
            "video": self.video,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "disable_notification": self.disable_notification,
            "edits": len(self.edits),
            "deleted": self.deleted,
            "date": self.date,
        }


@dataclass(eq=False)
class CallbackQueryRecord:
    """A button tap sent to the bot, and how (and how fast) the bot answered it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    label: str | None
    at: float
    seq: int
    answered: bool = False
    answered_at: float | None = None
    answer: JsonDict | None = None

    @property
    def latency(self) -> float | None:
        """Seconds from the tap to answerCallbackQuery (None while unanswered)."""
        return None if self.answered_at is None else self.answered_at - self.at


@dataclass
class RecordedCall:
    """One Bot API request and the simulator's answer."""

    method: str
    params: JsonDict
    response: JsonDict
    ok: bool
    at: float
    status: int = 200
    token: str = ""
    # True for errors the test arranged (throttle 429, blocked 403, fail_next) or that are
    # harmless by design; errors() and assert_no_errors() skip them by default.
    expected: bool = False
    reason: str | None = None

    @property
    def chat_id(self) -> int | None:
        """The target chat of the call, when it has an integer chat_id."""
        value = self.params.get("chat_id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def describe(self) -> str:
        """One line for assertion messages."""
        params = json.dumps(self.params, ensure_ascii=False, default=str)
        if len(params) > 300:
            params = params[:300] + "…"
        return f"{self.method} {params} -> {self.status} {self.response.get('description', '')}"
