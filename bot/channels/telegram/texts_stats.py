"""Texts (HTML) of /stats: a period's figures, the county total and one block per group."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import keyboards
from bot.channels.telegram.callback_data import Callback, Op
from bot.channels.telegram.texts import category_label, e
from bot.channels.telegram.texts_digest import digest
from bot.channels.telegram.texts_sla import duration
from bot.domain import kpis
from bot.domain.kpis import Cut, Digest, RankLine, Rate
from bot.domain.models import Catalog, Outcome
from bot.domain.periods import StatsProblem
from bot.i18n import translator
from bot.services.stats import StatsReport, StatsRow

# A page stays well under Telegram's 4,096 characters.
PAGE_CHARS = 3500


def _pct(rate: Rate) -> str:
    value = rate.value
    return "—" if value is None else f"{value:.0%} ({rate.hits}/{rate.total})"


def _span(seconds: float | None, lang: str) -> str:
    return "—" if seconds is None else duration(seconds, lang)


def cut_label(by: Cut, lang: str) -> str:
    _ = translator(lang)
    labels = {
        Cut.COUNTY: _("county total"),
        Cut.COMMISSIONER: _("by commissioner"),
        Cut.TEAM: _("by team"),
        Cut.COMMITTEE: _("by chain committee"),
        Cut.CATEGORY: _("by category"),
        Cut.CHAIN: _("by industry chain"),
        Cut.INDUSTRY: _("by industry"),
        Cut.CREDIT: _("by who resolved"),
    }
    return labels[by]


def group_name(report: StatsReport, row: StatsRow, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    if not row.key:
        return _("(none)")
    if report.by is Cut.COMMISSIONER:
        return row.name or f"#{row.key}"
    if report.by is Cut.CATEGORY:
        return category_label(catalog, row.key, lang)
    if report.by is Cut.TEAM:
        team = catalog.team(row.key)
        return team.label(lang) if team else row.key
    if report.by is Cut.CREDIT:
        return credit_label(row.key, lang)
    return row.key


def credit_label(key: str, lang: str) -> str:
    _ = translator(lang)
    labels = {
        kpis.CREDIT_TEAM: _("teams"),
        kpis.CREDIT_COMMISSIONER: _("commissioners"),
        kpis.CREDIT_COMMITTEE: _("committees"),
        kpis.CREDIT_OTHER: _("others"),
    }
    return labels.get(key, key)


def headline(report: StatsReport, lang: str) -> str:
    """The seed's sentence: who solved how many in the period."""
    _ = translator(lang)
    c = report.credit
    return _("Resolved: teams {team}, commissioners {commissioner}, committees {committee}").format(
        team=c.get(kpis.CREDIT_TEAM, 0),
        commissioner=c.get(kpis.CREDIT_COMMISSIONER, 0),
        committee=c.get(kpis.CREDIT_COMMITTEE, 0),
    ) + (_(", others {n}").format(n=c[kpis.CREDIT_OTHER]) if c.get(kpis.CREDIT_OTHER) else "")


def _outcomes(row: StatsRow, lang: str) -> str:
    parts = []
    for outcome in Outcome:
        if n := row.tally.outcomes.get(outcome.value, 0):
            parts.append(f"{e(keyboards.outcome_label(outcome, lang))} {n}")
    return f" ({', '.join(parts)})" if parts else ""


def block(row: StatsRow, title: str, within: float, lang: str) -> str:
    """Every figure of one group."""
    _ = translator(lang)
    c, r, d, t = row.counts, row.rates, row.durations, row.tally
    return "\n".join(
        [
            f"<b>{e(title)}</b>",
            _(
                "Received {received} · accepted {accepted} · resolved {resolved}{outcomes} · "
                "escalated {escalated} · reopened {reopened} · cancelled {cancelled} · "
                "closed unrated {unrated}"
            ).format(
                received=c.received,
                accepted=c.accepted,
                resolved=c.resolved,
                outcomes=_outcomes(row, lang),
                escalated=c.escalated,
                reopened=t.reopened,
                cancelled=t.cancelled,
                unrated=c.closed_unrated,
            ),
            _("Open now {open} · overdue at the period's end {overdue}").format(
                open=t.open_now, overdue=c.overdue
            ),
            _(
                "Response (within {limit}) {response} · resolution {resolution} · "
                "satisfaction {satisfaction}"
            ).format(
                limit=duration(within, lang),
                response=_pct(r.response),
                resolution=_pct(r.resolution),
                satisfaction=_pct(r.satisfaction),
            ),
            _("To accept: median {median} · p90 {p90} · mean {mean}").format(
                median=_span(d.accept_median_seconds, lang),
                p90=_span(d.accept_p90_seconds, lang),
                mean=_span(r.mtta_seconds, lang),
            ),
            _("To resolve: median {median} · p90 {p90} · mean {mean}").format(
                median=_span(d.resolve_median_seconds, lang),
                p90=_span(d.resolve_p90_seconds, lang),
                mean=_span(r.mttr_seconds, lang),
            ),
        ]
    )


def pages(report: StatsReport, catalog: Catalog, lang: str) -> list[str]:
    """The answer to /stats, split into pages under Telegram's limit (a group never split)."""
    _ = translator(lang)
    within = report.accept_within_seconds
    head = [
        _("📈 <b>Figures {first} to {last}</b>, {cut}").format(
            first=report.first.isoformat(),
            last=report.last.isoformat(),
            cut=_("your own") if report.own else cut_label(report.by, lang),
        )
    ]
    if report.chain_only:
        # A committee member: their chains' rows below, never the county's total.
        head.append(_("Your industry chains only."))
    else:
        if not report.own:
            head.append(headline(report, lang))
        title = _("Your figures") if report.own else _("County total")
        head.append(block(report.total, title, within, lang))
    found: list[str] = ["\n".join(head)]
    for row in report.rows:
        text = block(row, group_name(report, row, catalog, lang), within, lang)
        if len(found[-1]) + 2 + len(text) > PAGE_CHARS:
            found.append(text)
        else:
            found[-1] += "\n\n" + text
    return found


def page_keyboard(arg: str, page: int, count: int, lang: str) -> InlineKeyboardMarkup | None:
    """◀ / ▶ between the pages of one /stats answer (arg: the ask, re-checked on each tap)."""
    if count <= 1:
        return None
    _ = translator(lang)
    row = []
    if page > 0:
        row.append(
            InlineKeyboardButton(
                _("◀ Previous"), callback_data=Callback(Op.STATS, page - 1, arg).encode()
            )
        )
    row.append(
        InlineKeyboardButton(
            f"{page + 1}/{count}", callback_data=Callback(Op.STATS, page, arg).encode()
        )
    )
    if page + 1 < count:
        row.append(
            InlineKeyboardButton(
                _("Next ▶"), callback_data=Callback(Op.STATS, page + 1, arg).encode()
            )
        )
    return InlineKeyboardMarkup([row])


def problem(why: StatsProblem, lang: str) -> str:
    """A /stats the bot cannot read, with examples."""
    _ = translator(lang)
    reasons = {
        StatsProblem.BAD_DATE: _("Dates are written YYYY-MM-DD, for example 2026-11-01."),
        StatsProblem.REVERSED: _("The first date must not be after the second."),
        StatsProblem.TOO_LONG: _("A period can cover at most ten years."),
        StatsProblem.BAD_CUT: _(
            "After “by” write one of: team, commissioner, committee, chain, category, industry, "
            "credit."
        ),
        StatsProblem.UNKNOWN: _("I could not read that period."),
    }
    return "\n".join(
        [
            reasons[why],
            _(
                "Use: /stats [today|yesterday|week|month|year|FROM TO] [by team|commissioner|"
                "chain|category]\nFor example: /stats week by team, or "
                "/stats 2026-11-01 2026-11-15 by commissioner"
            ),
        ]
    )


def not_allowed(lang: str) -> str:
    _ = translator(lang)
    return _("Figures are for supervisors and commissioners.")


def _ranks(lines: tuple[RankLine, ...], catalog: Catalog | None, lang: str) -> str:
    names = []
    for line in lines:
        team = catalog.team(line.key) if catalog else None
        names.append(f"{e(team.label(lang) if team else line.name)} {_pct(line.rate)}")
    return "，".join(names) if lang == "zh" else ", ".join(names)


def digest_lines(d: Digest, catalog: Catalog | None, lang: str) -> list[str]:
    """What issue 12 adds to the digest: best and worst by resolution rate, low ratings."""
    _ = translator(lang)
    lines: list[str] = []
    ranks = (
        (_("Commissioners"), d.top_commissioners, d.bottom_commissioners, None),
        (_("Teams"), d.top_teams, d.bottom_teams, catalog),
    )
    if any(top or bottom for _name, top, bottom, _c in ranks):
        lines.append(
            _(
                "<b>Resolution rate this month</b>, best ▲ and worst ▼ (at least {n} requests)"
            ).format(n=kpis.MIN_RANKED)
        )
        for name, top, bottom, cat in ranks:
            if top:
                lines.append(f"{name} ▲ {_ranks(top, cat, lang)}")
            if bottom:
                lines.append(f"{name} ▼ {_ranks(bottom, cat, lang)}")
    if d.low_ratings:
        if lines:
            lines.append("")
        lines.append(_("<b>Low ratings yesterday</b> ({k})").format(k=len(d.low_ratings)))
        lines += [
            _("#{n} · {enterprise} · {holder} · {stars}/5").format(
                n=r.request_id, enterprise=e(r.enterprise), holder=e(r.holder), stars=r.stars
            )
            for r in d.low_ratings[:20]
        ]
    return lines


def digest_text(d: Digest, catalog: Catalog | None, lang: str) -> str:
    """The supervisors' daily digest with the ranks and the low ratings."""
    return digest(d, lang, digest_lines(d, catalog, lang))


def digest_chart_caption(days: int, lang: str) -> str:
    _ = translator(lang)
    return _(
        "📊 The last {days} days: requests received and resolved, and the three rates."
    ).format(days=days)


def team_chart_caption(start: date, end: date, lang: str) -> str:
    _ = translator(lang)
    return _("📊 <b>Weekly report</b>: requests by team, {start} to {end}.").format(
        start=start.isoformat(), end=end.isoformat()
    )


def no_team(lang: str) -> str:
    _ = translator(lang)
    return _("no team")


def week_summary(params: Mapping[str, str | int | float | bool | None], lang: str) -> str:
    """A commissioner's Monday summary of their own work."""
    _ = translator(lang)
    lines = [
        _("🗓 <b>Your week</b>: {open} open, {overdue} overdue.").format(
            open=int(params.get("open") or 0), overdue=int(params.get("overdue") or 0)
        )
    ]
    late = [n for n in str(params.get("requests") or "").split(",") if n]
    if late:
        lines.append(_("Overdue: {requests}").format(requests=", ".join(f"#{n}" for n in late)))
    lines.append(_("/mine lists them; /stats shows your figures."))
    return "\n".join(lines)
