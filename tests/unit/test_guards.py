"""Pure rules behind the gate and the input checks: visible length, and flood control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.flood import FloodGuard, Verdict
from bot.domain.models import LengthProblem, length_problem, text_length, visible_length
from bot.services.desk import check_text
from bot.services.errors import Refusal, Refused
from bot.settings import load_settings

INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space, (non-)joiner, direction marks
    "\u2060\ufeff\u00ad"  # word joiner, BOM, soft hyphen
    "\u202a\u202e\u2066\u2069"  # embeddings and isolates
    "\u3000\u00a0 \t\n\r\x00\x07"  # ideographic and no-break spaces, controls
    "\u3164\u115f\u2800"  # Hangul fillers and the blank Braille pattern
)


@pytest.mark.parametrize("ch", list(INVISIBLE))
def test_an_invisible_character_has_no_visible_length(ch: str) -> None:
    assert visible_length(ch * 10) == 0


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("贷款", 2),
        ("a\u200bb", 2),
        ("\u200b急\u200b", 1),
        ("❤️", 1),  # the variation selector does not count
        ("👍🏽", 2),  # a skin tone is a visible modifier
        ("Café", 4),
        ("e\u0301", 1),  # a combining accent adds no character
    ],
)
def test_visible_length_counts_what_a_reader_sees(text: str, visible: int) -> None:
    assert visible_length(text) == visible


def test_length_problem_minimum_counts_visible_maximum_counts_everything() -> None:
    assert length_problem("\u200b" * 50, 2, 2000) == LengthProblem.TOO_SHORT
    assert length_problem("好" + "\u200b" * 50, 2, 2000) == LengthProblem.TOO_SHORT
    assert length_problem("好的", 2, 2000) is None
    assert length_problem("好" * 2001, 2, 2000) == LengthProblem.TOO_LONG
    assert length_problem("😀" * 1001, 2, 2000) == LengthProblem.TOO_LONG  # UTF-16 units
    assert text_length("😀" * 1000) == 2000


def test_check_text_says_why_and_strips() -> None:
    assert check_text("  已联系银行  ", "note", 1, 2000) == "已联系银行"
    with pytest.raises(Refused) as short:
        check_text("\u200b\u200b\u200b", "reason", 2, 2000)
    assert short.value.reason == Refusal.BAD_INPUT
    assert short.value.details == {
        "field": "reason",
        "problem": "too_short",
        "length": 0,
        "min": 2,
        "max": 2000,
    }
    with pytest.raises(Refused) as long:
        check_text("长" * 2500, "summary", 2, 2000)
    assert long.value.details["problem"] == "too_long"
    assert long.value.details["length"] == 2500


T0 = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_flood_guard_warns_once_then_ignores_for_the_mute() -> None:
    guard = FloodGuard(limit=20, window=timedelta(seconds=10), mute=timedelta(seconds=60))
    verdicts = [guard.check(1, at(i * 0.1)) for i in range(25)]
    assert verdicts == [Verdict.ALLOW] * 20 + [Verdict.WARN] + [Verdict.IGNORE] * 4
    assert guard.check(2, at(2)) == Verdict.ALLOW  # someone else is not affected
    assert guard.check(1, at(2 + 59)) == Verdict.IGNORE
    assert guard.check(1, at(2 + 60)) == Verdict.ALLOW  # the mute is over, the slate clean
    assert [guard.check(1, at(63 + i)) for i in range(5)] == [Verdict.ALLOW] * 5


def test_flood_guard_window_slides() -> None:
    guard = FloodGuard(limit=3, window=timedelta(seconds=10), mute=timedelta(seconds=60))
    # Steady typing at one message every 4 s never floods.
    assert {guard.check(1, at(i * 4)) for i in range(50)} == {Verdict.ALLOW}
    burst = FloodGuard(limit=3, window=timedelta(seconds=10), mute=timedelta(seconds=60))
    assert [burst.check(1, at(s)) for s in (0, 1, 2, 9.9)] == [Verdict.ALLOW] * 3 + [Verdict.WARN]


def test_flood_guard_forgets_idle_people() -> None:
    guard = FloodGuard(limit=3, window=timedelta(seconds=10), mute=timedelta(seconds=60))
    guard.PRUNE_AT = 10
    for person in range(10):
        guard.check(person, at(0))
    guard.check(99, at(30))
    assert len(guard._tracks) == 1


def test_limits_are_settings_with_the_documented_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limits = load_settings(None).limits
    assert (limits.flood_updates, limits.max_open_requests) == (20, 20)
    assert (limits.flood_window, limits.flood_mute) == (timedelta(seconds=10), timedelta(minutes=1))
    monkeypatch.setenv("ONCALL_LIMITS__FLOOD_UPDATES", "5")
    monkeypatch.setenv("ONCALL_LIMITS__FLOOD_MUTE", "PT5M")
    monkeypatch.setenv("ONCALL_LIMITS__MAX_OPEN_REQUESTS", "3")
    changed = load_settings(None).limits
    assert (changed.flood_updates, changed.flood_mute, changed.max_open_requests) == (
        5,
        timedelta(minutes=5),
        3,
    )
