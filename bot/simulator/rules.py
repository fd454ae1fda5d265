"""What the simulator's layers share: Telegram's limits and markup rules, queued updates, events."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.simulator.models import CallbackQueryRecord, Edit, JsonDict, SimMessage, bad_request

BOT_ID = 7000000001
# Methods that count against Telegram's flood limits in this simulator.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendVoice",
        "sendVideoNote",
        "sendAudio",
        "sendVideo",
        "sendLocation",
        "sendContact",
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
    """Something that happened in a chat, in global order (see transcript.render_transcript)."""

    seq: int
    at: float
    kind: str  # message | edit | delete | tap | answer
    chat_id: int
    message: SimMessage | None = None
    edit: Edit | None = None
    query: CallbackQueryRecord | None = None


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
