"""Every kind of outbox message and of audit-log event, as enum members.

The values are the strings stored in ``outbox.kind`` and ``events.kind``; a ``StrEnum``
member equals its string, so rows written before these enums existed read back unchanged.
A channel renders each ``MessageKind`` (bot.channels.telegram.renderers registers one
renderer per member; tests/unit/test_kinds.py fails when one is missing).
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """What an outbox row tells its recipient."""

    # A request's card and its files.
    CARD = "card"
    ATTACHMENT = "attachment"
    # The owner and the holder along the lifecycle.
    RECEIVED = "received"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    RATED = "rated"
    RATED_HOLDER = "rated_holder"
    NOTE = "note"
    RELAY = "relay"
    ESCALATED = "escalated"
    # The owner withdrew it (bot.services.cancel); to its holder or whoever had it on offer.
    CANCELLED = "cancelled"  # params: owner, reason
    # Chasing (bot.services.sweep).
    REMIND_ACCEPT = "remind_accept"
    TAKEN_AWAY = "taken_away"
    UNACCEPTED = "unaccepted"
    REMIND_DUE = "remind_due"
    OVERDUE = "overdue"
    OVERDUE_REPORT = "overdue_report"
    # Extensions (bot.services.extensions).
    EXTENSION_ASKED = "extension_asked"
    EXTENSION_DECIDED = "extension_decided"
    EXTENSION_RESULT = "extension_result"
    DEADLINE_EXTENDED = "deadline_extended"
    # People who cannot be reached (bot.services.reach).
    PARTY_UNREACHABLE = "party_unreachable"  # params: role (owner|holder), name, phone, undelivered
    RELAY_UNDELIVERED = "relay_undelivered"  # params: name, phone
    UNREACHABLE_REPORT = "unreachable_report"  # params: name, phone, roles, requests ("1,3")
    # About no request in particular.
    DIGEST = "digest"
    DEAD_LETTER = "dead_letter"
    # Issue 12 (bot.services.weekly): the digest's chart, right after its text (params: points,
    # a JSON list of kpis.DayPoint); Monday's chart by team (params: teams, a JSON object
    # team → [received, resolved]; start, end: local ISO dates); a commissioner's own week
    # (params: open, overdue, requests "1,3").
    DIGEST_CHART = "digest_chart"
    TEAM_CHART = "team_chart"
    WEEK_SUMMARY = "week_summary"


class EventKind(StrEnum):
    """What an audit-log event records."""

    # A request's lifecycle (bot.services.desk).
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ESCALATED = "escalated"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RESOLVED = "resolved"
    NOTED = "noted"
    RATED = "rated"
    REASSIGNED = "reassigned"
    RELAYED = "relayed"
    # The owner withdrew it (lifecycle Action.CANCEL; the figures leave it out of the response
    # rate when nobody had accepted it yet).
    CANCELLED = "cancelled"
    # People.
    PERSON_BOUND = "person_bound"
    AWAY_SET = "away_set"
    BACK_SET = "back_set"
    ROSTER_IMPORTED = "roster_imported"
    PERSON_UNREACHABLE = "person_unreachable"  # payload: person, why
    PERSON_REACHABLE = "person_reachable"  # payload: person, how
    # The chase (one per step, so a step is never repeated).
    REMINDED_ACCEPT = "reminded_accept"  # payload: round
    UNACCEPTED_REPORTED = "unaccepted_reported"  # payload: round
    REMINDED_DUE = "reminded_due"  # payload: due_at
    OVERDUE_CHASED = "overdue_chased"  # payload: day (local ISO date), days_late, due_at
    DIGEST_SENT = "digest_sent"  # payload: date (local ISO date), recipients
    WEEKLY_SENT = "weekly_sent"  # payload: week (its Monday, local ISO date), recipients
    # Extensions.
    EXTENSION_ASKED = "extension_asked"  # payload: ask, days, reason, due_at (old), new_due_at
    EXTENSION_APPROVED = "extension_approved"  # payload: ask, due_at (new), previous_due_at
    EXTENSION_REFUSED = "extension_refused"  # payload: ask
