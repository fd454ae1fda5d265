"""The kinds of content people may attach to a request or relay about it (channel-neutral).

A file kind names something its channel stores and finds again by a reference (Telegram's
file_id); a place kind carries its content in the reference itself: a location as
"latitude,longitude", a contact as its phone number (the name beside it as `file_name`).
"""

from __future__ import annotations

from typing import Final

FILE_KINDS: Final = ("photo", "document", "voice", "video_note", "audio", "video")
PLACE_KINDS: Final = ("location", "contact")
ATTACHMENT_KINDS: Final = FILE_KINDS + PLACE_KINDS
# Sent without a caption (the channel says who sent it and about what in a message beside it).
CAPTIONLESS: Final = frozenset({"video_note", "location", "contact"})


def location_ref(latitude: float, longitude: float) -> str:
    """A location as the reference stored for it."""
    return f"{latitude:.6f},{longitude:.6f}"


def parse_location(ref: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a stored location reference, or None if it is not one."""
    parts = ref.split(",")
    if len(parts) != 2:
        return None
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude
