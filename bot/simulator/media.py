"""What a simulated user sends besides text: photos, documents, stickers, voice, polls, ..."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.simulator.models import JsonDict, SimMessage, UserRecord

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator

_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00simulated photo\xff\xd9"
_FAKE_WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 simulated sticker"
_FAKE_OGG = b"OggS\x00\x02 simulated voice"
_FAKE_MP3 = b"ID3\x03\x00 simulated audio"
_FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42 simulated video"


class SimMedia:
    """SimUser's media and other non-text messages; each is posted as one user message."""

    sim: BotApiSimulator
    record: UserRecord

    def _post(self, **content: Any) -> SimMessage:
        raise NotImplementedError  # SimUser posts

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
            "id": f"poll{len(self.sim.chat(self.record.id).messages) + 1}",
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
