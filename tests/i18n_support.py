"""Tests refer to messages by msgid, rendered through the catalogs the bot itself uses.

`zh("Accept")` is what a Chinese reader sees for the msgid "Accept" (`en(...)` in English), so
a wording change in a catalog does not break a test, and a message missing from a catalog (no
entry; for Chinese also an empty msgstr) fails it. Fields are filled like the bot fills them:
`zh("Still handled by {name}", name="李专员")`. For a message whose fields a test does not know,
`zh_part(msgid)` is its longest fixed piece (between fields and HTML tags), to look for in a text;
`zh_plain(msgid, **fields)` is the whole message as a chat shows it (tags dropped);
`zh_pattern(msgid, **fields)` matches it in a chat's text with the fields a test does not know
as wildcards (within one line), the known ones as given.
"""

from __future__ import annotations

import html
import re
from functools import cache

from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, translator

_PIECES = re.compile(r"\{\w*\}|<[^>]*>")


@cache
def _catalog(lang: str) -> dict[str, str]:
    from importlib import resources

    po = resources.files("bot.i18n").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=lang) if isinstance(m.id, str) and m.id}


def text(lang: str, msgid: str, /, **fields: object) -> str:
    """The message in `lang` as the bot renders it; fails if the catalog lacks it."""
    catalog = _catalog(lang)
    # English msgids are English: an empty English msgstr means "as written", as in the bot.
    if msgid not in catalog or (lang != "en" and not catalog[msgid]):
        raise AssertionError(f"no {lang} translation for msgid {msgid!r}")
    rendered = translator(lang)(msgid)
    return rendered.format(**fields) if fields else rendered


def zh(msgid: str, /, **fields: object) -> str:
    return text("zh", msgid, **fields)


def en(msgid: str, /, **fields: object) -> str:
    return text("en", msgid, **fields)


def plain(lang: str, msgid: str, /, **fields: object) -> str:
    """The message as a reader sees it in a chat: rendered, HTML tags dropped, entities read."""
    return html.unescape(re.sub(r"<[^>]*>", "", text(lang, msgid, **fields)))


def zh_plain(msgid: str, /, **fields: object) -> str:
    return plain("zh", msgid, **fields)


def part(lang: str, msgid: str) -> str:
    """The longest fixed piece of the message (no fields, no tags), stripped."""
    pieces = [p.strip() for p in _PIECES.split(text(lang, msgid))]
    return max(pieces, key=len)


def zh_part(msgid: str) -> str:
    return part("zh", msgid)


def en_part(msgid: str) -> str:
    return part("en", msgid)


class _Unknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "\0"


def pattern(lang: str, msgid: str, /, **fields: object) -> re.Pattern[str]:
    """The message as a chat shows it; fields not given match any text within a line."""
    text(lang, msgid)  # fails on a missing translation
    given = _Unknown({k: str(v) for k, v in fields.items()})
    shown = html.unescape(re.sub(r"<[^>]*>", "", translator(lang)(msgid).format_map(given)))
    return re.compile("[^\n]*?".join(re.escape(piece) for piece in shown.split("\0")))


def zh_pattern(msgid: str, /, **fields: object) -> re.Pattern[str]:
    return pattern("zh", msgid, **fields)
