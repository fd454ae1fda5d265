"""The tests' message helper renders through the bot's catalogs and fails on a missing one."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from tests.i18n_support import en, zh, zh_part, zh_plain


def test_zh_and_en_render_a_msgid_as_the_bot_does() -> None:
    assert zh("✅ Accept") == translator("zh")("✅ Accept") != "✅ Accept"
    assert en("✅ Accept") == translator("en")("✅ Accept")


def test_fields_are_filled_like_the_bot_fills_them() -> None:
    assert zh("↩ Back to {holder}", holder="李专员") == (
        translator("zh")("↩ Back to {holder}").format(holder="李专员")
    )


def test_a_part_is_the_longest_fixed_piece_without_fields_or_tags() -> None:
    piece = zh_part("<b>#{n} timeline</b> — {status}")
    assert piece and "{" not in piece and "<" not in piece
    assert piece in zh("<b>#{n} timeline</b> — {status}")


def test_a_message_missing_from_the_catalog_fails() -> None:
    with pytest.raises(AssertionError, match="no zh translation"):
        zh("A message no catalog has")
    with pytest.raises(AssertionError, match="no en translation"):
        en("A message no catalog has")


def test_plain_is_the_message_as_a_chat_shows_it() -> None:
    shown = zh_plain("Attachment {count} received. Send more, or tap <b>Done</b>.", count=2)
    assert "<b>" not in shown and "2" in shown
