"""Telegram's HTML parse mode: plain text plus entities (UTF-16 offsets), errors worded like tdlib.

Follows tdlib's ``parse_html``: supported tags b/strong, i/em, u/ins, s/strike/del,
tg-spoiler / span class="tg-spoiler", a href, code (class="language-x" inside pre), pre,
blockquote (expandable), tg-emoji emoji-id; entities &lt; &gt; &amp; &quot; &#N; &#xN;.
One deliberate difference: Telegram keeps a bare "&" that starts no entity as a literal,
while ``strict_ampersand`` (the default) rejects it, because a bot that forgot to escape
user text would otherwise only fail once that text contains "<".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# tdlib's is_space (NUL is how tdlib sees the end of the text; we check bounds instead).
_SPACES = frozenset(" \t\r\n\v\f")
_SUPPORTED = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
        "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8}));")
_URL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://\S+|[^\s/:]+\.[^\s/]+\S*)$")
TRIM_CHARS = " \t\r\n"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message follows "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def escape(text: str) -> str:
    """Escapes the three characters Telegram's HTML requires escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class _Open:
    """A start tag waiting for its end tag."""

    tag: str
    argument: str
    utf16_start: int
    char_start: int


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decodes the character reference at ``pos`` (which holds "&"), or None."""
    m = _ENTITY_RE.match(source, pos)
    if m is None:
        return None
    if m.group(1):
        return _NAMED[m.group(1)], m.end() - pos
    code = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end() - pos


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parses Telegram HTML into (plain text, entities) or raises EntityParseError."""
    out: list[str] = []
    utf16 = 0
    chars = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def offset(k: int) -> int:
        """Byte offset of character ``k`` in the UTF-8 source, as Telegram reports it."""
        return len(source[:k].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal utf16, chars
        out.append(text)
        utf16 += utf16_len(text)
        chars += len(text)

    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                emit(decoded[0])
                i += decoded[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Character "&" at byte offset {offset(i)} must be escaped as "&amp;"'
                )
        if ch != "<":
            emit(ch)
            i += 1
            continue
        begin = i
        if i + 1 < n and source[i + 1] == "/":
            i = _end_tag(source, i, stack, entities, out, utf16, offset)
            continue
        i += 1
        name_start = i
        while i < n and source[i] not in _SPACES and source[i] != ">":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
        tag = source[name_start:i].lower()
        if tag not in _SUPPORTED:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
        argument, i = _attributes(source, i, tag, begin, offset)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        if tag == "tg-emoji" and not argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        stack.append(_Open(tag, argument, utf16, chars))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for e in entities:
        if e["type"] == "code":
            e.pop("language", None)  # a language counts only on <pre><code class=...>
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _attributes(
    source: str, i: int, tag: str, begin: int, offset: Callable[[int], int]
) -> tuple[str, int]:
    """Parses the attributes of a start tag from ``i``; returns (argument, index after ">")."""
    n = len(source)
    argument = ""
    while True:
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
        if source[i] == ">":
            return argument, i + 1
        name_start = i
        while i < n and source[i] not in _SPACES and source[i] not in "=>":
            i += 1
        name = source[name_start:i].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {offset(begin)}'
            )
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n or source[i] != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "1"
                continue
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {offset(begin)}'
            )
        i += 1
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
        if source[i] in "'\"":
            quote = source[i]
            i += 1
            buf: list[str] = []
            while i < n and source[i] != quote:
                decoded = _decode_entity(source, i) if source[i] == "&" else None
                if decoded is not None:
                    buf.append(decoded[0])
                    i += decoded[1]
                else:
                    buf.append(source[i])
                    i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            i += 1
            value = "".join(buf)
        else:
            token_start = i
            while i < n and (source[i].isalnum() or source[i] in ".-"):
                i += 1
            value = source[token_start:i].lower()
            if i < n and source[i] not in _SPACES and source[i] != ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {offset(token_start)}"
                )
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            argument = "1"
        # Other attributes are ignored, as Telegram does.


def _end_tag(
    source: str,
    i: int,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    out: list[str],
    utf16: int,
    offset: Callable[[int], int],
) -> int:
    """Handles "</name>" at ``i``: closes the innermost tag and records its entity."""
    n = len(source)
    begin = i
    i += 2
    name_start = i
    while i < n and source[i] not in _SPACES and source[i] != ">":
        i += 1
    name = source[name_start:i].lower()
    while i < n and source[i] in _SPACES:
        i += 1
    if i >= n or source[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {offset(begin)}")
    i += 1
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {offset(begin)}")
    top = stack[-1]
    if name and name != top.tag:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {offset(begin)}, expected "</{top.tag}>", '
            f'found "</{name}>"'
        )
    stack.pop()
    length = utf16 - top.utf16_start
    if length <= 0:
        return i  # empty entities are dropped
    start = top.utf16_start
    if top.tag in _SIMPLE:
        entities.append({"type": _SIMPLE[top.tag], "offset": start, "length": length})
    elif top.tag == "a":
        url = top.argument or "".join(out)[top.char_start :]
        # Telegram drops links whose URL it cannot parse and keeps the text.
        if _URL_RE.match(url):
            entities.append({"type": "text_link", "offset": start, "length": length, "url": url})
    elif top.tag == "code":
        entity: dict[str, Any] = {"type": "code", "offset": start, "length": length}
        if top.argument:
            # Only meaningful when a <pre> closes right around it (see below).
            entity["language"] = top.argument
        entities.append(entity)
    elif top.tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == start
            and last["length"] == length
            and "language" in last
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": start, "length": length})
    elif top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append({"type": kind, "offset": start, "length": length})
    elif top.tag == "tg-emoji":
        entities.append(
            {
                "type": "custom_emoji",
                "offset": start,
                "length": length,
                "custom_emoji_id": top.argument,
            }
        )
    return i


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strips leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    left = len(text) - len(text.lstrip(TRIM_CHARS))
    shift = utf16_len(text[:left])
    stripped = text.strip(TRIM_CHARS)
    total = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for e in entities:
        start = max(e["offset"] - shift, 0)
        end = min(e["offset"] - shift + e["length"], total)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept
