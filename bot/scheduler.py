"""The scheduler: PTB's JobQueue (APScheduler 3.x) triggers the chase sweep; the work is in the DB.

The job holds no state: each run calls the sweep with the clock's now, and the sweep reads
what is due from the database. `misfire_grace_time=None` runs a late tick anyway,
`coalesce=True` folds ticks missed while the loop was busy into one, and `max_instances=1`
keeps two sweeps from overlapping. The daily digest is a step of the sweep (from
ONCALL_DIGEST__TIME, once per local date), which keeps it restart-safe without a cron job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time
from typing import Any

from telegram.ext import Application, CallbackContext, Job

from bot.channels.telegram.texts_sla import schedule_warning
from bot.domain.clock import Clock
from bot.domain.deadlines import WorkCalendar
from bot.domain.kpis import calendar_years

log = logging.getLogger(__name__)

SWEEP_JOB = "oncall-sweep"
RETENTION_JOB = "oncall-retention"

SweepFn = Callable[[datetime], Awaitable[object]]


def start_sweeps(
    app: Application[Any, Any, Any, Any, Any, Any],
    sweep: SweepFn,
    clock: Clock,
    interval: float,
) -> Job[Any]:
    """Runs `sweep(clock.now())` now and every `interval` seconds while the application runs."""
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    for job in app.job_queue.get_jobs_by_name(SWEEP_JOB):
        job.schedule_removal()

    async def tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            await sweep(clock.now())
        except Exception:  # the next tick retries; nothing is lost, the work is in the DB
            log.exception("sweep failed")

    return app.job_queue.run_repeating(
        tick,
        interval=interval,
        first=0,
        name=SWEEP_JOB,
        job_kwargs={
            "misfire_grace_time": None,
            "max_instances": 1,
            "coalesce": True,
            # `first=0` alone waits a whole interval: PTB turns it into start_date=now, which
            # is already past when APScheduler's interval trigger computes the first run.
            "next_run_time": datetime.now(UTC),
        },
    )


def start_retention(
    app: Application[Any, Any, Any, Any, Any, Any],
    prune: SweepFn,
    clock: Clock,
    at: time,
) -> Job[Any]:
    """Runs `prune(clock.now())` once a day at `at` (an aware local time)."""
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    for job in app.job_queue.get_jobs_by_name(RETENTION_JOB):
        job.schedule_removal()

    async def tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            await prune(clock.now())
        except Exception:  # tomorrow's run picks up where this one stopped
            log.exception("retention failed")

    return app.job_queue.run_daily(
        tick,
        time=at,
        name=RETENTION_JOB,
        job_kwargs={"misfire_grace_time": None, "max_instances": 1, "coalesce": True},
    )


def warn_unconfirmed_years(calendar: WorkCalendar, now: datetime) -> list[int]:
    """Logs a warning for this year (and next year, from December) if its schedule is unknown."""
    today = now.astimezone(calendar.tz).date()
    years = calendar.unconfirmed_years(calendar_years(today))
    for year in years:
        log.warning("%s", schedule_warning(year, calendar.calendar_file, "en"))
    return years
