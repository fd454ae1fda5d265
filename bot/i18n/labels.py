"""Words for the domain's values (category, urgency, status, outcome), shared by every channel
and by the exports, so each has one definition."""

from __future__ import annotations

from bot.domain.models import Catalog, Outcome, RequestStatus, Urgency
from bot.i18n import translator


def category_label(catalog: Catalog, key: str, lang: str) -> str:
    category = catalog.category(key)
    return category.label(lang) if category else key


def team_label(catalog: Catalog, key: str, lang: str) -> str:
    team = catalog.team(key)
    return team.label(lang) if team else key


def category_team(catalog: Catalog, key: str) -> str:
    """The key of the team a category belongs to ('' for a category the catalog no longer has)."""
    category = catalog.category(key)
    return category.team if category else ""


def urgency_label(urgency: Urgency, lang: str) -> str:
    _ = translator(lang)
    return _("🔴 Urgent") if urgency == Urgency.URGENT else _("Normal")


def status_label(status: RequestStatus, lang: str) -> str:
    _ = translator(lang)
    return {
        RequestStatus.SUBMITTED: _("submitted"),
        RequestStatus.DISPATCHED: _("waiting for a commissioner"),
        RequestStatus.ESCALATED: _("escalated"),
        RequestStatus.ACCEPTED: _("in progress"),
        RequestStatus.RESOLVED: _("resolved"),
        RequestStatus.REOPENED: _("reopened"),
        RequestStatus.CLOSED: _("closed"),
        RequestStatus.CANCELLED: _("cancelled"),
    }[status]


def outcome_label(outcome: Outcome, lang: str) -> str:
    _ = translator(lang)
    return {
        Outcome.SOLVED: _("Solved"),
        Outcome.PARTLY: _("Partly solved"),
        Outcome.REFERRED: _("Referred"),
        Outcome.UNSOLVABLE: _("Cannot be solved"),
    }[outcome]
