"""Every kind of outbox message and of audit-log event, as enum members.

The values are the strings stored in ``outbox.kind`` and ``events.kind``; a ``StrEnum``
member equals its string, so rows written before these enums existed read back unchanged.
A channel renders each ``MessageKind`` (bot.channels.telegram.renderers registers one
renderer per member; tests/unit/test_kinds.py fails when one is missing).
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique  # two kinds sharing a value would silently become one
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
    # Staff only (bot.services.notes): never queued for the owner.
    INTERNAL_NOTE = "internal_note"  # params: sender, sender_id, text, file_id, file_kind, ...
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
    # Hand-backs and where requests go next (bot.services.handoff, bot.services.availability).
    HANDOFF = "handoff"  # to supervisors, with pickers; params: ask, why, by, reason
    HANDOFF_DECIDED = "handoff_decided"  # edits every supervisor's HANDOFF; params: ask, by, to
    HANDOFF_RESULT = "handoff_result"  # to whoever handed it back; params: by, to
    AWAY_NOTICE = "away_notice"  # to supervisors; params: name, away, until, reason, requests
    # About no request in particular.
    DIGEST = "digest"
    DEAD_LETTER = "dead_letter"
    # After resolution (bot.services.aftercare).
    LOW_RATING = "low_rating"  # to supervisors; params: stars, comment, holder
    RATING_COMMENT = "rating_comment"  # a later comment on a low rating; params: stars, comment
    REOPENED = "reopened"  # to the holder offered it again / to the owner; params: owner, reason
    AUTO_CLOSED = "auto_closed"  # to the owner; params: days
    # Someone's account moved (bot.services.people): to the supervisors.
    PERSON_REBOUND = "person_rebound"  # params: name, phone, roles (Role values, ",")
    # Issue 12 (bot.services.weekly): the digest's chart, right after its text (params: points,
    # a JSON list of kpis.DayPoint); Monday's chart by team (params: teams, a JSON object
    # team → [received, resolved]; start, end: local ISO dates); a commissioner's own week
    # (params: open, overdue, requests "1,3").
    DIGEST_CHART = "digest_chart"
    TEAM_CHART = "team_chart"
    WEEK_SUMMARY = "week_summary"


@unique
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
    # Staff only, never shown to the owner (bot.services.notes); payload: text, to, and the
    # content (file_id, file_kind, file_name) of a supervisor's reply kept internal.
    INTERNAL_NOTE = "internal_note"
    # Hand-backs (bot.services.handoff): where a request should go, and where it went.
    HANDOFF_ASKED = "handoff_asked"  # payload: ask, why (handback|away|deactivated), reason
    HANDOFF_DECIDED = "handoff_decided"  # payload: ask, to (team:KEY|person:ID|holder), to_name
    # People.
    PERSON_BOUND = "person_bound"
    AWAY_SET = "away_set"
    BACK_SET = "back_set"
    ROSTER_IMPORTED = "roster_imported"
    PERSON_UNREACHABLE = "person_unreachable"  # payload: person, why
    PERSON_REACHABLE = "person_reachable"  # payload: person, how
    # A person shared their phone from a new account: the binding moved (payload: channel,
    # address, previous: the old account's address).
    PERSON_REBOUND = "person_rebound"
    # A supervisor changed someone's phone (/roster); payload: person, previous, phone.
    PHONE_CHANGED = "phone_changed"
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
    # After resolution (bot.services.aftercare).
    REOPENED = "reopened"  # payload: reason, to (the person offered it again), tier
    CLOSED = "closed"  # payload: auto (true: nobody rated it in time)
    COMMENTED = "commented"  # the owner's comment on their rating; payload: stars, comment
