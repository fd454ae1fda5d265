"""Hand-back questions: which one is open, and how reasons read (bot.domain.handoff)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.telegram.texts_handoff import reason_label
from bot.domain.handoff import Reason, is_open, pending
from bot.domain.kinds import EventKind
from bot.domain.models import Event
from bot.handlers.handoff import AWAY, ROUTE
from tests.i18n_support import zh

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def ev(kind: EventKind, **payload: str | int | None) -> Event:
    return Event(request_id=1, actor_id=1, kind=kind, payload=payload, at=AT)


def test_a_question_is_open_until_answered() -> None:
    asked = [ev(EventKind.ACCEPTED), ev(EventKind.HANDOFF_ASKED, ask=1, why="handback")]
    assert is_open(asked, 1) and pending(asked) is asked[1]
    answered = [*asked, ev(EventKind.HANDOFF_DECIDED, ask=1, to="holder")]
    assert not is_open(answered, 1) and pending(answered) is None


def test_a_question_goes_out_of_date_when_the_request_moves_in_the_same_instant() -> None:
    events = [ev(EventKind.HANDOFF_ASKED, ask=1, why="away"), ev(EventKind.ESCALATED)]
    assert not is_open(events, 1) and pending(events) is None
    assert not is_open(events, 2)  # never asked


def test_reason_buttons_read_in_the_readers_language_and_free_text_as_written() -> None:
    assert reason_label(Reason.NOT_MINE.value, "en") == "Not my enterprise"
    assert reason_label(Reason.NOT_MINE.value, "zh") == zh("Not my enterprise")
    assert reason_label("<b>出差</b>", "zh") == "<b>出差</b>"  # escaped where it is shown


def test_away_arguments_and_picker_data_parse() -> None:
    found = AWAY.match("until 2026-12-01 外出培训")
    assert found is not None and found.group(1, 2, 3, 4) == ("2026", "12", "01", "外出培训")
    bare = AWAY.match("病假")
    assert bare is not None and bare.group(1) is None and bare.group(4) == "病假"
    assert ROUTE.match("3.t-party_guidance") and ROUTE.match("3.p-12") and ROUTE.match("3.h")
    assert ROUTE.match("3.pp-2") and ROUTE.match("3.tm") and not ROUTE.match("3.x-1")
