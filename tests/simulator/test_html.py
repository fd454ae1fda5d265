"""Telegram HTML parse mode: plain text, UTF-16 entity offsets and tdlib's error texts."""

from __future__ import annotations

import html
import re

import pytest

from bot.simulator.html import EntityParseError, escape, parse_html, trim, utf16_len


def test_plain_text_and_entities() -> None:
    text, entities = parse_html("<b>Hi</b> <i>there</i> &amp; &lt;you&gt; &quot;x&quot;")
    assert text == 'Hi there & <you> "x"'
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 5},
    ]


def test_offsets_are_utf16_code_units() -> None:
    text, entities = parse_html("😀 <b>工单 #1</b>")
    assert text == "😀 工单 #1"
    assert entities == [{"type": "bold", "offset": 3, "length": 5}]
    assert utf16_len(text) == 8


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<strong>a</strong>", "bold"),
        ("<em>a</em>", "italic"),
        ("<u>a</u>", "underline"),
        ("<ins>a</ins>", "underline"),
        ("<s>a</s>", "strikethrough"),
        ("<strike>a</strike>", "strikethrough"),
        ("<del>a</del>", "strikethrough"),
        ("<tg-spoiler>a</tg-spoiler>", "spoiler"),
        ('<span class="tg-spoiler">a</span>', "spoiler"),
        ("<code>a</code>", "code"),
        ("<pre>a</pre>", "pre"),
        ("<blockquote>a</blockquote>", "blockquote"),
        ("<blockquote expandable>a</blockquote>", "expandable_blockquote"),
    ],
)
def test_supported_tags(html: str, expected: str) -> None:
    assert parse_html(html)[1] == [{"type": expected, "offset": 0, "length": 1}]


def test_links_code_languages_and_custom_emoji() -> None:
    text, entities = parse_html(
        '<a href="https://example.com/?a=1&amp;b=2">site</a> '
        '<pre><code class="language-python">x = 1</code></pre> '
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "site x = 1 👍"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.com/?a=1&b=2"},
        {"type": "pre", "offset": 5, "length": 5, "language": "python"},
        {
            "type": "custom_emoji",
            "offset": 11,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_numeric_character_references_and_bare_gt() -> None:
    assert parse_html("&#20013;&#x6587; a > b")[0] == "中文 a > b"


def test_nested_and_empty_tags() -> None:
    text, entities = parse_html("<b>bold <i>both</i></b><i></i>")
    assert text == "bold both"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
    ]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("工 <br>", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("x <", "Unclosed start tag at byte offset 2"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=x/y>x</a>", "Unexpected end of name token at byte offset 8"),
        ("<a href>x</a>", "Expected equal sign in declaration of an attribute of the tag"),
        ("Q&A", 'Character "&" at byte offset 1 must be escaped as "&amp;"'),
        ("&nbsp;", 'Character "&" at byte offset 0'),
    ],
)
def test_errors_name_the_problem_and_byte_offset(html: str, message: str) -> None:
    with pytest.raises(EntityParseError, match="^" + re.escape(message)):
        parse_html(html)


def test_bare_ampersand_allowed_when_not_strict() -> None:
    assert parse_html("Q&A &nbsp;", strict_ampersand=False)[0] == "Q&A &nbsp;"


def test_escape_round_trips() -> None:
    raw = 'A&B <c> "d"'
    assert parse_html(escape(raw)) == (raw, [])


def test_trim_shifts_and_clips_entities() -> None:
    text, entities = trim(
        "\n  <x>  \n",
        [{"type": "bold", "offset": 1, "length": 4}, {"type": "italic", "offset": 7, "length": 2}],
    )
    assert text == "<x>"
    assert entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_python_html_escape_is_accepted() -> None:
    raw = 'It\'s "quoted" & <tagged>'
    assert parse_html(html.escape(raw)) == (raw, [])
