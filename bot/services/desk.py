"""The service desk: the request loop's use cases, one family per module, over one context.

The families share a small context (bot.services.context: the unit of work, `record`,
`notify`) and are put together here, so the handlers, the sweep and the extensions use one
object. Each use case takes person ids, never a channel's id.
"""

from __future__ import annotations

from bot.services.aftercare import Aftercare, Finished
from bot.services.availability import Availability
from bot.services.context import (
    MAX_OPEN_REQUESTS,
    NOTE_MAX,
    REASON_MIN,
    ServiceContext,
    check_text,
)
from bot.services.intake import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    INTAKE,
    MAX_ATTACHMENTS,
    Intake,
    Submitted,
)
from bot.services.notes import InternalNote
from bot.services.people import Onboarded, People
from bot.services.queries import Queries, RequestView
from bot.services.relay import Relay, Relayed
from bot.services.supervision import Supervision
from bot.services.work import Accepted, Work

__all__ = [
    "DESCRIPTION_MAX",
    "DESCRIPTION_MIN",
    "INTAKE",
    "MAX_ATTACHMENTS",
    "MAX_OPEN_REQUESTS",
    "NOTE_MAX",
    "REASON_MIN",
    "Accepted",
    "Desk",
    "Finished",
    "InternalNote",
    "Onboarded",
    "Relayed",
    "RequestView",
    "ServiceContext",
    "Submitted",
    "check_text",
]


class Desk(People, Intake, Work, Relay, Supervision, Queries, Aftercare, Availability):
    """The service desk: every use case is one transaction (state + events + outbox)."""
