"""The digest and /overdue show the first lines read from the database and the count of all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.telegram import texts_digest
from bot.domain.kpis import OVERDUE_SHOWN, Counts, Digest, OverdueLine, OverduePage, Rate, Rates

NOW = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
RATE = Rate(hits=1, total=2)
RATES = Rates(
    response=RATE, resolution=RATE, satisfaction=RATE, mtta_seconds=None, mttr_seconds=None
)


def _lines(n: int) -> tuple[OverdueLine, ...]:
    return tuple(
        OverdueLine(
            request_id=i + 1,
            enterprise=f"E{i}",
            holder="李",
            due_at=NOW - timedelta(days=3),
            days_late=3,
        )
        for i in range(n)
    )


def _digest(lines: tuple[OverdueLine, ...], total: int) -> Digest:
    return Digest(
        report_date=NOW.date(),
        day=NOW.date(),
        month_start=NOW.date().replace(day=1),
        as_of=NOW,
        accept_within_seconds=1800.0,
        counts=Counts(received=0, accepted=0, resolved=0, escalated=0, overdue=0),
        day_rates=RATES,
        month_rates=RATES,
        overdue=lines,
        overdue_total=total,
    )


def test_overdue_list_shows_the_page_and_the_count_of_all() -> None:
    page = OverduePage(lines=_lines(OVERDUE_SHOWN), total=76_995)
    text = texts_digest.overdue_list(page, "en")
    assert "<b>Overdue now</b> (76995)" in text
    assert f"… and {76_995 - OVERDUE_SHOWN} more" in text
    assert text.count(" late") == OVERDUE_SHOWN
    assert "Nothing is overdue" in texts_digest.overdue_list(OverduePage(), "en")
    short = texts_digest.overdue_list(OverduePage(lines=_lines(2), total=2), "en")
    assert "(2)" in short and "more" not in short


def test_digest_counts_every_overdue_request_though_it_carries_the_first_lines() -> None:
    text = texts_digest.digest(_digest(_lines(OVERDUE_SHOWN), 1000), "zh")
    assert "（1000 件）" in text
    assert f"… and {1000 - OVERDUE_SHOWN} more" in texts_digest.digest(
        _digest(_lines(OVERDUE_SHOWN), 1000), "en"
    )
    # A digest stored before the total was kept counts its lines.
    old = _digest(_lines(3), 0)
    assert old.overdue_count == 3
    assert "(3)" in texts_digest.digest(old, "en")
