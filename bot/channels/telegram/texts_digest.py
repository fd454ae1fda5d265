"""Texts (HTML) of the supervisors' daily digest, /overdue and the month so far, in the reader's
language. A chat shows the first kpis.OVERDUE_SHOWN overdue lines and "… and k more": the
reports read only those lines from the database and the count of all."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.channels.telegram import texts_reach
from bot.channels.telegram.texts import e
from bot.channels.telegram.texts_sla import cap, days_text, duration, schedule_warning
from bot.domain.kpis import (
    OVERDUE_SHOWN,
    Counts,
    Digest,
    OverdueLine,
    OverduePage,
    Period,
    Rate,
    Rates,
)
from bot.i18n import translator

MAX_OVERDUE_LINES = OVERDUE_SHOWN


# ---- the digest and the overdue list ---------------------------------------------------------


def _percent(rate: Rate, lang: str) -> str:
    value = rate.value
    if value is None:
        return "—"
    return f"{value:.0%} ({rate.hits}/{rate.total})"


def _mean(seconds: float | None, lang: str) -> str:
    return "—" if seconds is None else duration(seconds, lang)


def overdue_lines(items: Sequence[OverdueLine], lang: str, total: int | None = None) -> list[str]:
    """The first MAX_OVERDUE_LINES of `items`, then "… and k more" of `total` (default: all
    of `items`)."""
    _ = translator(lang)
    total = len(items) if total is None else max(total, len(items))
    lines = [
        _("#{n} · {enterprise} · {holder} · {days} late").format(
            n=o.request_id,
            enterprise=e(o.enterprise),
            holder=e(o.holder),
            days=days_text(o.days_late, lang),
        )
        for o in items[:MAX_OVERDUE_LINES]
    ]
    shown = min(len(items), MAX_OVERDUE_LINES)
    if total > shown:
        lines.append(_("… and {k} more").format(k=total - shown))
    return lines


def overdue_list(page: OverduePage, lang: str) -> str:
    """The answer to /overdue: the first lines and the count of all."""
    _ = translator(lang)
    total = max(page.total, len(page.lines))
    if not total:
        return _("Nothing is overdue. 👍")
    head = _("<b>Overdue now</b> ({k})").format(k=total)
    return cap("\n".join([head, *overdue_lines(page.lines, lang, total)]))


def counts_line(c: Counts, lang: str) -> str:
    _ = translator(lang)
    return _(
        "Received {received} · accepted {accepted} · resolved {resolved} · "
        "escalated {escalated} · overdue {overdue}"
    ).format(
        received=c.received,
        accepted=c.accepted,
        resolved=c.resolved,
        escalated=c.escalated,
        overdue=c.overdue,
    )


def digest(d: Digest, lang: str, extra: Sequence[str] = ()) -> str:
    """The supervisors' daily digest (`extra`: lines shown before the overdue list)."""
    _ = translator(lang)
    c = d.counts
    lines = [
        _("📊 <b>Daily digest, {date}</b>").format(date=d.report_date.isoformat()),
        "",
        _("<b>Yesterday</b> ({day})").format(day=d.day.isoformat()),
        counts_line(c, lang),
        "",
        _("<b>Rates</b>: yesterday / this month ({start} to {day})").format(
            start=d.month_start.isoformat(), day=d.day.isoformat()
        ),
    ]
    day, month = d.day_rates, d.month_rates
    lines += [
        _("Response (accepted within {limit}): {day} / {month}").format(
            limit=duration(d.accept_within_seconds, lang),
            day=_percent(day.response, lang),
            month=_percent(month.response, lang),
        ),
        _("Resolution (by the deadline): {day} / {month}").format(
            day=_percent(day.resolution, lang), month=_percent(month.resolution, lang)
        ),
        _("Satisfaction (4–5 stars): {day} / {month}").format(
            day=_percent(day.satisfaction, lang), month=_percent(month.satisfaction, lang)
        ),
        _("Mean time to accept: {day} / {month}").format(
            day=_mean(day.mtta_seconds, lang), month=_mean(month.mtta_seconds, lang)
        ),
        _("Mean time to resolve: {day} / {month}").format(
            day=_mean(day.mttr_seconds, lang), month=_mean(month.mttr_seconds, lang)
        ),
    ]
    lines.append("")
    if extra:
        lines += [*extra, ""]
    if d.overdue_count:
        lines.append(_("<b>Overdue now</b> ({k})").format(k=d.overdue_count))
        lines += overdue_lines(d.overdue, lang, d.overdue_count)
    else:
        lines.append(_("Nothing is overdue. 👍"))
    # Issue 7: who cannot be reached in the chat (texts_reach renders it).
    unreachable = texts_reach.digest_lines(d.unreachable, lang)
    if unreachable:
        lines += ["", *unreachable]
    for year in d.unconfirmed_years:
        lines += ["", "⚠️ " + e(schedule_warning(year, d.calendar_file, lang))]
    return cap("\n".join(lines))


def stats(
    period: Period, c: Counts, r: Rates, accept_within: float, lang: str, tz: ZoneInfo
) -> str:
    """The answer to /stats: this month so far."""
    _ = translator(lang)
    return "\n".join(
        [
            _("📈 <b>This month so far</b> ({start} to {now})").format(
                start=period.start.astimezone(tz).date().isoformat(),
                now=period.end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ),
            counts_line(c, lang),
            _("Reopened {reopened} · closed unrated {unrated}").format(
                reopened=c.reopened, unrated=c.closed_unrated
            ),
            _("Response rate (accepted within {limit}): {rate}").format(
                limit=duration(accept_within, lang), rate=_percent(r.response, lang)
            ),
            _("Resolution rate (by the deadline): {rate}").format(
                rate=_percent(r.resolution, lang)
            ),
            _("Satisfaction rate (4–5 stars): {rate}").format(rate=_percent(r.satisfaction, lang)),
            _("Mean time to accept: {mean}").format(mean=_mean(r.mtta_seconds, lang)),
            _("Mean time to resolve: {mean}").format(mean=_mean(r.mttr_seconds, lang)),
        ]
    )
