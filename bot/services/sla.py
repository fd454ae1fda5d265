"""Service-level rules shared by the chase, extensions and the digest, and their event kinds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.deadlines import WorkCalendar
from bot.domain.kinds import EventKind
from bot.domain.models import Urgency

# Event kinds written by the chase (one per step, so a step is never repeated).
# (bot.domain.kinds.EventKind documents their payloads.)
REMINDED_ACCEPT = EventKind.REMINDED_ACCEPT
UNACCEPTED_REPORTED = EventKind.UNACCEPTED_REPORTED
REMINDED_DUE = EventKind.REMINDED_DUE
OVERDUE_CHASED = EventKind.OVERDUE_CHASED
DIGEST_SENT = EventKind.DIGEST_SENT
EXTENSION_ASKED = EventKind.EXTENSION_ASKED
EXTENSION_APPROVED = EventKind.EXTENSION_APPROVED
EXTENSION_REFUSED = EventKind.EXTENSION_REFUSED

# The `reason` of an escalation the chase makes because nobody accepted in time.
ACCEPT_TIMEOUT = "sla:accept_timeout"

# The holder is reminded on the morning a deadline falls due at this local time (after the
# default quiet hours end, before the offices open).
DUE_REMINDER_TIME = time(8, 0)


@dataclass(frozen=True)
class SlaPolicy:
    """ONCALL_SLA__* and ONCALL_DIGEST__TIME as the services need them."""

    accept_remind_after: timedelta
    accept_escalate_after: timedelta
    tz: ZoneInfo
    calendar: WorkCalendar
    working_days: bool
    resolve_within_normal: timedelta = timedelta(days=5)
    resolve_within_urgent: timedelta = timedelta(days=1)
    digest_time: time = time(8, 30)
    due_reminder_time: time = DUE_REMINDER_TIME
    # ONCALL_LIFECYCLE__*: how long after resolution an owner may reopen; when an unrated
    # resolved request closes by itself (working days of the calendar, even when deadlines
    # run on plain clock time).
    reopen_within: timedelta = timedelta(days=7)
    auto_close_working_days: int = 3

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def at_local(self, day: date, wall: time) -> datetime:
        """The UTC instant of a local wall-clock time on a local day."""
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    def resolve_due(self, accepted_at: datetime, urgency: Urgency) -> datetime:
        """The resolution deadline of a request accepted at `accepted_at`."""
        within = (
            self.resolve_within_urgent if urgency == Urgency.URGENT else self.resolve_within_normal
        )
        return self.calendar.add_duration(accepted_at, within, self.working_days)

    def auto_close_at(self, resolved_at: datetime) -> datetime:
        """When a resolved request nobody rated closes by itself."""
        return self.calendar.add_working_days(resolved_at, self.auto_close_working_days)

    def extend(self, due: datetime, days: int) -> datetime:
        """A deadline moved by `days` (working days unless ONCALL_SLA__WORKING_DAYS=false)."""
        return self.calendar.add_duration(due, timedelta(days=days), self.working_days)
