"""Chat transcripts: every chat (or one) in order, as people and the bot saw it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.simulator.models import CallbackQueryRecord, Edit, JsonDict, SimMessage, UserRecord

if TYPE_CHECKING:
    from bot.simulator.server import BotApiSimulator


def _content(msg: SimMessage, version: Edit | None = None) -> str:
    """The visible content of a message (at ``version``) as one, maybe multi-line, string."""
    parts: list[str] = []
    if msg.document:
        size = msg.document.get("file_size", 0)
        parts.append(f"[document {msg.document.get('file_name', 'file')}, {size} bytes]")
    elif msg.photo:
        parts.append("[photo]")
    elif msg.sticker:
        parts.append(f"[sticker {msg.sticker.get('emoji', '')}]".replace(" ]", "]"))
    elif msg.contact:
        who = msg.contact.get("first_name", "")
        uid = msg.contact.get("user_id")
        parts.append(
            f"[contact {msg.contact.get('phone_number')} {who}" + (f", id {uid}]" if uid else "]")
        )
    elif msg.location:
        parts.append(f"[location {msg.location['latitude']}, {msg.location['longitude']}]")
    elif msg.voice:
        parts.append(f"[voice {msg.voice.get('duration', 0)} s]")
    elif msg.video_note:
        parts.append(f"[video note {msg.video_note.get('duration', 0)} s]")
    elif msg.audio:
        parts.append(f"[audio {msg.audio.get('file_name', 'audio')}]")
    elif msg.video:
        parts.append(f"[video {msg.video.get('duration', 0)} s]")
    elif msg.poll:
        parts.append(f"[poll {msg.poll.get('question', '')}]")
    elif msg.dice:
        parts.append(f"[dice {msg.dice.get('emoji', '')} {msg.dice.get('value', '')}]")
    text = version.text if version else msg.text
    caption = version.caption if version else msg.caption
    if text is not None:
        parts.append(text)
    if caption:
        parts.append(caption)
    return " ".join(parts)


def _keyboard_lines(inline: JsonDict | None, keyboard: JsonDict | None) -> list[str]:
    """Buttons rendered as ``[ Accept ] [ Decline ]``, one line per row."""
    lines: list[str] = []
    if inline:
        for row in inline.get("inline_keyboard", []):
            lines.append(" ".join(f"[ {b.get('text', '')} ]" for b in row))
    if keyboard:
        if "keyboard" in keyboard:
            for row in keyboard["keyboard"]:
                lines.append("keyboard: " + " ".join(f"[ {b.get('text', '')} ]" for b in row))
        elif keyboard.get("remove_keyboard"):
            lines.append("(keyboard removed)")
        elif keyboard.get("force_reply"):
            lines.append("(asks for a reply)")
    return lines


def render_transcript(
    sim: BotApiSimulator, chat_id: int | None = None, *, timestamps: bool = False
) -> str:
    """Renders every chat (or one) in chronological order: messages, buttons, taps, edits."""
    users = {u.id: u for c in sim.chats.values() for u in (c.user, *c.members.values())}
    names = [u.full_name for u in users.values()]

    def name_of(user: UserRecord) -> str:
        # Show the id only when two users share a name.
        return (
            f"{user.full_name} ({user.id})" if names.count(user.full_name) > 1 else user.full_name
        )

    out: list[str] = []
    start = sim.events[0].at if sim.events else 0.0
    for event in sim.events:
        if chat_id is not None and event.chat_id != chat_id:
            continue
        chat = sim.chat(event.chat_id)
        who = name_of(chat.user) if chat.is_private else chat.name
        msg = event.message
        if not chat.is_private and msg is not None and not msg.from_bot:
            if chat.type == "channel":
                who = f"a post in {chat.name}"
            else:
                who = f"{name_of(msg.sender)} in {chat.name}"
        elif not chat.is_private and event.query is not None:
            tapper = users.get(event.query.user_id)
            who = f"{name_of(tapper) if tapper else event.query.user_id} in {chat.name}"
        stamp = f"[{event.at - start:7.2f}s] " if timestamps else ""
        head, body, buttons = _event_text(event.kind, who, event.message, event.edit, event.query)
        line = f"{stamp}{head}"
        indent = " " * len(stamp) + "    "
        body_lines = body.split("\n") if body else []
        if body_lines:
            line += f": {body_lines[0]}"
        out.append(line)
        out.extend(indent + extra for extra in body_lines[1:])
        out.extend(indent + b for b in buttons)
    return "\n".join(out)


def _event_text(
    kind: str,
    who: str,
    msg: SimMessage | None,
    version: Edit | None,
    query: CallbackQueryRecord | None,
) -> tuple[str, str, list[str]]:
    """(headline, body, button lines) of one transcript event; content as it was then."""
    markup = version.reply_markup if version else None
    if kind == "message" and msg is not None:
        ref = f" [msg {msg.message_id}]"
        if msg.reply_to is not None:
            ref += f" (reply to msg {msg.reply_to.message_id})"
        if msg.from_bot:
            silent = " (silent)" if msg.disable_notification else ""
            return (
                f"bot → {who}{ref}{silent}",
                _content(msg, version),
                _keyboard_lines(markup, msg.keyboard),
            )
        return f"{who} → bot{ref}", _content(msg, version), []
    if kind == "edit" and msg is not None and not msg.from_bot:
        return f"{who} ✎ edits their msg {msg.message_id}", _content(msg, version), []
    if kind == "edit" and msg is not None:
        buttons = _keyboard_lines(markup, None) or ["(no buttons)"]
        if version is not None and version.method == "editMessageReplyMarkup":
            return f"bot ✎ changes the buttons of msg {msg.message_id} for {who}", "", buttons
        return f"bot ✎ edits msg {msg.message_id} for {who}", _content(msg, version), buttons
    if kind == "delete" and msg is not None:
        side = "bot's" if msg.from_bot else "their"
        return f"bot ✗ deletes {side} msg {msg.message_id} in chat with {who}", "", []
    if kind == "tap" and query is not None:
        what = f"[{query.label}]" if query.label else f"data={query.data!r}"
        return f"{who} → taps {what} on msg {query.message_id}", "", []
    if kind == "answer" and query is not None:
        answer = query.answer or {}
        text = answer.get("text")
        alert = " (alert)" if answer.get("show_alert") else ""
        said = f'"{text}"{alert}' if text else "(no text)"
        return f"bot → {who}: answers the tap {said}", "", []
    return f"? {kind}", "", []
