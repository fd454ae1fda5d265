"""Keeps the bot token and phone numbers out of every line the process writes to its log.

The redaction works on the final text of each record (message, arguments, traceback and stack
alike), so it also covers what python-telegram-bot, httpx and httpcore log at DEBUG: Bot API
URLs carry the token (``…/bot123456:ABC…/getMe``) and updates carry shared phone numbers.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType

from bot.domain.phones import mask_phone

PLACEHOLDER = "[redacted]"
# Shorter "secrets" are not replaced on their own: replacing every "abc" would garble the log.
MIN_SECRET_PART = 6

# The secrets registered with `protect` (the token, a webhook's secret token).
_secrets: set[str] = set()

# A Bot API token anywhere: bot id, colon, 30+ characters (Telegram's are 35).
TOKEN = re.compile(r"(?<![A-Za-z0-9])(\d{3,15}):[A-Za-z0-9_-]{30,}")
# The token in a Bot API URL, whatever its shape: /bot<id>:<secret>/method, /file/bot<…>/path.
URL_TOKEN = re.compile(r"(/bot)(\d+):[^/\s'\"?#]+")
# A webhook's secret token as a parameter or header: secret_token='…', …-Secret-Token: ….
SECRET_FIELD = re.compile(r"(secret[_-]token['\"]?\s*[:=]\s*['\"]?)([A-Za-z0-9_-]+)", re.IGNORECASE)
# Mainland mobiles, with or without +86 / 86 and the usual separators: +86 138-0013-8000.
MAINLAND_MOBILE = re.compile(
    r"(?<!\d)((?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)"
)
# The value of any field named like a phone: phone_number='447700900123', "contact_phone": "…".
PHONE_FIELD = re.compile(
    r"(\w*phone\w*['\"]?\s*[:=]\s*['\"]?)(\+?\d[\d\s-]{4,18}\d)(?![\d*])", re.IGNORECASE
)
# International numbers written with a plus: +44 7700 900123.
INTERNATIONAL = re.compile(r"(?<![\w+])\+(?:\d[\s-]?){7,14}\d(?![\d*])")


def protect(secret: str | None) -> None:
    """Registers a secret (e.g. the bot token) to be replaced in every later log line."""
    if secret:
        _secrets.add(secret)


def forget_secrets() -> None:
    """Clears what `protect` registered (for tests)."""
    _secrets.clear()


def mask_phones(text: str) -> str:
    """Masks every phone number in the text: 13812345678 → 138****5678."""
    text = MAINLAND_MOBILE.sub(lambda m: (m.group(1) or "") + f"{m.group(2)}****{m.group(4)}", text)
    text = PHONE_FIELD.sub(lambda m: m.group(1) + _mask_number(m.group(2)), text)
    return INTERNATIONAL.sub(lambda m: _mask_number(m.group(0)), text)


def _mask_number(raw: str) -> str:
    return ("+" if raw.startswith("+") else "") + mask_phone(raw)


def redact_secrets(text: str, secrets: Iterable[str] | None = None) -> str:
    """Replaces the registered secrets, their part after the colon and any token-shaped text."""
    for secret in sorted(_secrets if secrets is None else secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _placeholder(secret))
        part = secret.partition(":")[2]
        if len(part) >= MIN_SECRET_PART and part in text:
            text = text.replace(part, PLACEHOLDER)
    text = SECRET_FIELD.sub(lambda m: m.group(1) + PLACEHOLDER, text)
    text = URL_TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}:{PLACEHOLDER}", text)
    return TOKEN.sub(lambda m: f"{m.group(1)}:{PLACEHOLDER}", text)


def _placeholder(secret: str) -> str:
    # The bot id before the colon is public (it is the bot's user id) and tells which bot it was.
    bot_id, colon, _rest = secret.partition(":")
    return f"{bot_id}:{PLACEHOLDER}" if colon and bot_id.isdigit() else PLACEHOLDER


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """The text as it may be logged: no secret, no phone number."""
    return mask_phones(redact_secrets(text, secrets))


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every output line has passed through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def install(level: int, fmt: str) -> None:
    """Logs to stderr through a RedactingFormatter; uncaught tracebacks and warnings too."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])
    logging.captureWarnings(True)
    sys.excepthook = _excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Prints an uncaught exception's traceback as Python would, redacted."""
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(redact(text))
    sys.stderr.flush()
