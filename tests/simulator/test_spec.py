"""Checking call parameters against the machine-readable Bot API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.simulator.models import UploadedFile
from bot.simulator.spec import BUNDLED_SPEC, ApiSpec, SpecError

SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared/telegram-bot-api-spec/api.json"


@pytest.fixture(scope="module")
def spec() -> ApiSpec:
    return ApiSpec.load()


def coerce(spec: ApiSpec, method: str, params: dict[str, object], **uploads: UploadedFile):  # type: ignore[no-untyped-def]
    found = spec.find_method(method)
    assert found is not None
    return spec.coerce_params(found, params, uploads)


def test_form_strings_become_typed_values(spec: ApiSpec) -> None:
    params = coerce(
        spec,
        "sendMessage",
        {
            "chat_id": "1001",
            "text": "42",
            "disable_notification": "true",
            "reply_markup": '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}',
        },
    )
    assert params == {
        "chat_id": 1001,
        "text": "42",
        "disable_notification": True,
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }


def test_method_names_are_case_insensitive(spec: ApiSpec) -> None:
    method = spec.find_method("SENDMESSAGE")
    assert method is not None and method.name == "sendMessage"
    assert spec.find_method("sendMessages") is None


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("sendMessage", {"chat_id": 1, "text": "x", "bogus": 1}, 'unknown parameter "bogus"'),
        ("sendMessage", {"chat_id": 1}, "message text is empty"),
        ("sendMessage", {"text": "x"}, "chat_id is empty"),
        ("answerCallbackQuery", {}, "query is too old"),
        ("getUpdates", {"offset": "abc"}, 'field "offset" must be of type Integer'),
        ("getUpdates", {"limit": 1.5}, 'field "limit" must be of type Integer'),
        ("sendMessage", {"chat_id": True, "text": "x"}, "must be of type Integer or String"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": "{"},
            "can't parse reply keyboard",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"txt": "A"}]]}},
            'field "reply_markup.inline_keyboard[0][0].txt" is not a field of InlineKeyboardButton',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{}]]}},
            'field "reply_markup.inline_keyboard[0][0].text" of InlineKeyboardButton is required',
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"keyboard": [[{"text": True}]]}},
            'field "reply_markup.keyboard[0][0].text" must be of type String',
        ),
        ("sendDocument", {"chat_id": 1}, "there is no document in the request"),
        ("sendDocument", {"chat_id": 1, "document": "attach://f"}, 'file "f"'),
    ],
)
def test_violations_are_described(
    spec: ApiSpec, method: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        coerce(spec, method, params)
    assert message in caught.value.description


def test_uploads_by_part_name_and_attach_uri(spec: ApiSpec) -> None:
    upload = UploadedFile("a.txt", "text/plain", b"hi")
    assert coerce(spec, "sendDocument", {"chat_id": 1}, document=upload)["document"] is upload
    params = coerce(spec, "sendDocument", {"chat_id": 1, "document": "attach://x"}, x=upload)
    assert params["document"] is upload
    assert (
        coerce(spec, "sendDocument", {"chat_id": 1, "document": "FILEID"})["document"] == "FILEID"
    )
    with pytest.raises(SpecError, match="must be of type String"):
        coerce(spec, "sendMessage", {"chat_id": 1}, text=upload)


def test_unions_of_subtypes(spec: ApiSpec) -> None:
    params = coerce(
        spec,
        "setMyCommands",
        {
            "commands": [{"command": "start", "description": "Start"}],
            "scope": {"type": "chat", "chat_id": 5},
        },
    )
    assert params["scope"] == {"type": "chat", "chat_id": 5}


def test_bundled_spec_matches_the_shared_api_json() -> None:
    bundled = json.loads(BUNDLED_SPEC.read_text(encoding="utf-8"))
    if not SHARED_SPEC.exists():
        # A clone without ../shared beside it: the bundled copy must still be the release
        # it was taken from, with the methods the bot calls.
        assert bundled["version"] == "Bot API 10.1"
        assert {"sendMessage", "editMessageText", "answerCallbackQuery"} <= set(bundled["methods"])
        return
    shared = json.loads(SHARED_SPEC.read_text(encoding="utf-8"))
    assert bundled["version"] == shared["version"]
    for kind in ("methods", "types"):
        assert bundled[kind].keys() == shared[kind].keys()
        for name, item in shared[kind].items():
            expected = [
                {"name": f["name"], "types": f["types"], "required": f["required"]}
                for f in item.get("fields", [])
            ]
            assert bundled[kind][name]["fields"] == expected, name
