"""What a Telegram message carries, as the channel-neutral content kinds (bot.domain.content)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message
from telegram.ext import filters

from bot.domain.content import location_ref

# Accepted as attachments in the form and relayed both ways.
CONTENT = (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VOICE
    | filters.VIDEO_NOTE
    | filters.AUDIO
    | filters.VIDEO
    | filters.LOCATION
    | filters.CONTACT
)


@dataclass(frozen=True)
class Content:
    kind: str
    ref: str  # the file_id; a location's "lat,lon"; a contact's phone
    file_name: str | None = None


def content_of(message: Message) -> Content | None:
    """The file, location or contact a message carries (None: only words, or nothing we take)."""
    if message.photo:
        return Content("photo", message.photo[-1].file_id)
    if message.document:
        return Content("document", message.document.file_id, message.document.file_name)
    if message.voice:
        return Content("voice", message.voice.file_id)
    if message.video_note:
        return Content("video_note", message.video_note.file_id)
    if message.audio:
        return Content("audio", message.audio.file_id, message.audio.file_name)
    if message.video:
        return Content("video", message.video.file_id, message.video.file_name)
    if message.location:
        place = message.location
        return Content("location", location_ref(place.latitude, place.longitude))
    if message.contact:
        contact = message.contact
        name = " ".join(x for x in (contact.first_name, contact.last_name) if x)
        return Content("contact", contact.phone_number, name or None)
    return None


def unsupported(message: Message) -> bool:
    """A sticker, poll, game or dice."""
    return bool(message.sticker or message.poll or message.dice or message.game)
