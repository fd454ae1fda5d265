"""The log redaction: no token (nor its secret part), no webhook secret, no phone number."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from bot import logsafe
from bot.domain.phones import mask_phone
from bot.logsafe import PLACEHOLDER, RedactingFormatter, mask_phones, redact

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
SECRET = TOKEN.partition(":")[2]


@pytest.fixture(autouse=True)
def registered_token() -> Iterator[None]:
    logsafe.protect(TOKEN)
    yield
    logsafe.forget_secrets()


def record_text(record: logging.LogRecord) -> str:
    return RedactingFormatter("%(levelname)s %(name)s: %(message)s").format(record)


def test_the_token_and_its_secret_part_are_replaced_wherever_they_appear() -> None:
    line = redact(f"POST https://api.telegram.org/bot{TOKEN}/getMe; also {SECRET} alone")
    assert TOKEN not in line and SECRET not in line
    assert f"/bot7012345678:{PLACEHOLDER}/getMe" in line  # the public bot id stays, to tell bots
    assert f"also {PLACEHOLDER} alone" in line


def test_an_unregistered_token_shaped_text_is_replaced_too() -> None:
    other = "5550001111:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
    assert other.partition(":")[2] not in redact(f"token {other} here")
    # The bot-URL form, whatever the secret's shape.
    assert "short-one" not in redact("GET http://127.0.0.1:8081/bot42:short-one/getUpdates")


def test_a_short_registered_token_is_replaced_whole_and_its_part_alone() -> None:
    logsafe.protect("123456:E2E-TOKEN")
    line = redact("The token `123456:E2E-TOKEN` was rejected; E2E-TOKEN again")
    assert "E2E-TOKEN" not in line
    assert "123456:[redacted]" in line


def test_a_webhook_secret_token_is_replaced() -> None:
    line = redact("parameters {'url': 'https://h/p', 'secret_token': 'Qx_-9aZ'}")
    assert "Qx_-9aZ" not in line and f"'secret_token': '{PLACEHOLDER}'" in line


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("8613812345678", "86138****5678"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("138 1234 5678", "138****5678"),
        ("请联系13812345678谢谢", "请联系138****5678谢谢"),
    ],
)
def test_mainland_mobiles_are_masked(raw: str, masked: str) -> None:
    assert mask_phones(raw) == masked


def test_phone_fields_and_international_numbers_are_masked() -> None:
    line = mask_phones(
        "Contact(phone_number='447700900123', user_id=5) "
        '{"contact_phone": "02388881234"} call +44 7700 900123'
    )
    assert "447700900123" not in line and "7700 900123" not in line
    assert "02388881234" not in line
    assert "phone_number='447****0123'" in line
    assert '"contact_phone": "023****1234"' in line


def test_other_numbers_are_left_alone() -> None:
    text = (
        "update 812345678 chat 5123456789 at 1712345678901 "
        "12:34:56+08:00 code 91500230MA5UXR1T2K row 17"
    )
    assert mask_phones(text) == text


def test_mask_phone_shows_three_and_four_digits() -> None:
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("12345") == "****"


def test_the_formatter_redacts_message_arguments_traceback_and_stack() -> None:
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "telegram.Bot",
        logging.ERROR,
        __file__,
        1,
        "calling %s for %s",
        (f"https://api.telegram.org/bot{TOKEN}/getMe", "+8613812345678"),
        exc_info,
        sinfo=f"Stack (most recent call last):\n  token={TOKEN} phone 13812345678",
    )
    text = record_text(record)
    assert "RuntimeError" in text and "Traceback" in text and "Stack" in text
    for leaked in (TOKEN, SECRET, "13812345678", "8613812345678"):
        assert leaked not in text
    assert "138****5678" in text


def test_installed_logging_and_uncaught_tracebacks_are_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers = []
    httpx = logging.getLogger("httpx")
    httpx_level = httpx.level  # another test's CLI run may have quietened it
    httpx.setLevel(logging.NOTSET)
    try:
        logsafe.install(logging.DEBUG, "%(name)s: %(message)s")
        logging.getLogger("httpx").debug("HTTP Request: GET .../bot%s/getMe", TOKEN)
        try:
            raise ValueError(f"phone 13812345678 token {TOKEN}")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, root.level = saved
        httpx.setLevel(httpx_level)
        logging.captureWarnings(False)
    out = stream.getvalue()
    assert "httpx: HTTP Request" in out and "ValueError" in out
    for leaked in (TOKEN, SECRET, "13812345678"):
        assert leaked not in out
