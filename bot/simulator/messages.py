"""Bot API methods about messages: send, edit, delete, answer taps, files."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.simulator.methods import SimMethods
from bot.simulator.models import (
    ApiError,
    JsonDict,
    UploadedFile,
    bad_request,
)
from bot.simulator.rules import (
    _CHAT_ACTIONS,
    _NOT_MODIFIED,
    _QUERY_INVALID,
    TranscriptEvent,
)

log = logging.getLogger(__name__)


class SimMessages(SimMethods):
    """Messages in chats, as Telegram checks and stores them."""

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

    def _media(self, p: JsonDict, field: str, kind: str, **extra: Any) -> JsonDict:
        """The Voice / VideoNote / Audio / Video object of a media call's file."""
        stored = self._input_file(p[field], kind)
        media: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            **extra,
        }
        if stored.mime_type and kind != "video_note":
            media["mime_type"] = stored.mime_type
        if stored.file_name and kind in ("audio", "video"):
            media["file_name"] = stored.file_name
        return media

    def _send_content(self, p: JsonDict, *, captioned: bool = True, **content: Any) -> Any:
        """Stores one message from the bot carrying `content` (and a caption if it takes one)."""
        chat = self._chat_for(p["chat_id"])
        caption, caption_entities = self._caption(p) if captioned else (None, [])
        inline, keyboard = self._split_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        msg = self._new_message(
            chat,
            from_bot=True,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=inline,
            keyboard=keyboard,
            reply_to=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            protect_content=bool(p.get("protect_content")),
            parse_mode=p.get("parse_mode") if captioned else None,
            source_text=p.get("caption") if captioned else None,
            **content,
        )
        return msg.to_api()

    async def _send_voice(self, p: JsonDict) -> Any:
        """sendVoice."""
        voice = self._media(p, "voice", "voice", duration=int(p.get("duration") or 1))
        return self._send_content(p, voice=voice)

    async def _send_video_note(self, p: JsonDict) -> Any:
        """sendVideoNote (no caption: Telegram takes none)."""
        note = self._media(
            p,
            "video_note",
            "video_note",
            length=int(p.get("length") or 240),
            duration=int(p.get("duration") or 1),
        )
        return self._send_content(p, captioned=False, video_note=note)

    async def _send_audio(self, p: JsonDict) -> Any:
        """sendAudio."""
        audio = self._media(p, "audio", "audio", duration=int(p.get("duration") or 1))
        return self._send_content(p, audio=audio)

    async def _send_video(self, p: JsonDict) -> Any:
        """sendVideo."""
        video = self._media(
            p,
            "video",
            "video",
            width=int(p.get("width") or 640),
            height=int(p.get("height") or 480),
            duration=int(p.get("duration") or 1),
        )
        return self._send_content(p, video=video)

    async def _send_location(self, p: JsonDict) -> Any:
        """sendLocation."""
        latitude, longitude = float(p["latitude"]), float(p["longitude"])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude")
        location = {"latitude": latitude, "longitude": longitude}
        return self._send_content(p, captioned=False, location=location)

    async def _send_contact(self, p: JsonDict) -> Any:
        """sendContact."""
        if not str(p["phone_number"]).strip() or not str(p["first_name"]).strip():
            raise bad_request("phone number or first name is empty")
        contact: JsonDict = {"phone_number": p["phone_number"], "first_name": p["first_name"]}
        if p.get("last_name"):
            contact["last_name"] = p["last_name"]
        return self._send_content(p, captioned=False, contact=contact)

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


def _same(a: JsonDict | None, b: JsonDict | None) -> bool:
    """Compares two reply markups as Telegram does (by content)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
