"""Helpers shared by the simulator tests."""

from __future__ import annotations

import re
import warnings
from contextlib import AbstractContextManager
from typing import Any

import pytest
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

TOKEN = "123456:TEST-token"


def tg_error(
    kind: type[TelegramError], text: str
) -> AbstractContextManager[pytest.ExceptionInfo[Any]]:
    """Expects a python-telegram-bot error whose message contains ``text``.

    Case-insensitive because PTB capitalises Telegram's description after "Bad Request: ".
    """
    return pytest.raises(kind, match=re.compile(re.escape(text), re.IGNORECASE))


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB settings."""
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is deprecated; either form is fine here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value) if isinstance(value, int | float) else value.total_seconds()
