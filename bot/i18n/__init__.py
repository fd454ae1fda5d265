"""Translations: gettext catalogs (Babel .po files) loaded once per language."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from importlib import resources
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh", "en")
DOMAIN = "messages"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for `lang`, compiled in memory from its .po file (no build step needed)."""
    if lang not in LANGUAGES:
        lang = LANGUAGES[0]
    po = resources.files("bot.i18n").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translator(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def pick_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """The person's /lang choice, else their Telegram language, else the configured default."""
    if stored in LANGUAGES:
        return stored
    if telegram_code:
        code = telegram_code.lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return default if default in LANGUAGES else LANGUAGES[0]
