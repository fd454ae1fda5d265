"""Both languages: every message in the code has a Chinese translation with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot

ROOT = Path(bot.__file__).parent
FIELD = re.compile(r"\{(\w+)\}")


def _catalog(lang: str) -> dict[str, str]:
    path = ROOT / "i18n" / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def _code_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_chinese_translation() -> None:
    zh = _catalog("zh")
    missing = sorted(m for m in _code_messages() if not zh.get(m))
    assert missing == []


def test_the_english_catalog_lists_every_message() -> None:
    en = _catalog("en")
    assert sorted(m for m in _code_messages() if m not in en) == []


def test_translations_keep_the_placeholders_and_the_tags() -> None:
    for msgid, msgstr in _catalog("zh").items():
        assert set(FIELD.findall(msgid)) == set(FIELD.findall(msgstr)), msgid
        assert sorted(re.findall(r"</?\w+", msgid)) == sorted(re.findall(r"</?\w+", msgstr)), msgid
