"""`oncall-bot check`: the database's health for an operator, and whether anything needs them.

A *problem* (non-zero exit) is any of:
- SQLite's integrity check does not answer ``ok`` (or the file is not a database);
- the database's schema version differs from this program's migrations;
- the database or its WAL/SHM file may be read or written by others than the bot's user;
- a message has been due in the outbox for more than BACKLOG_LIMIT (15 minutes);
- a message was given up as undeliverable, or an update set aside as a dead letter, within
  RECENT (the last 24 hours);
- an unreachable person holds any role besides owner (a commissioner, a supervisor): work
  routed to them would stall (an unreachable owner alone is listed, not a problem);
- a long-running component was restarted by the watchdog within RESTART_RECENT (the last hour).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.models import Role
from bot.domain.phones import mask_phone
from bot.i18n import translator
from bot.logsafe import redact
from bot.storage.checks import DeadLetter, Facts, MissingDatabase, examine

BACKLOG_LIMIT = timedelta(minutes=15)
RECENT = timedelta(hours=24)
RESTART_RECENT = timedelta(hours=1)
SHOWN = 5  # recent failures and dead letters listed
CLIP = 160  # characters of an error shown on one line

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_NO_DATABASE = 2


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


ROLE_NAMES = {
    Role.OWNER.value: N_("owner"),
    Role.COMMISSIONER.value: N_("commissioner"),
    Role.SUPERVISOR.value: N_("supervisor"),
}


@dataclass(frozen=True)
class Section:
    """One checked thing: a headline, detail lines and whether it is a problem."""

    problem: bool
    headline: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    text: str
    problems: int

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEM if self.problems else EXIT_OK


async def run_check(db: Path, now: datetime, tz: ZoneInfo, lang: str) -> tuple[int, str]:
    """Examines the database at `db`; returns the exit code and the report to print."""
    _ = translator(lang)
    try:
        facts = await examine(db, now, now - RECENT, SHOWN)
    except MissingDatabase:
        return EXIT_NO_DATABASE, _(
            "There is no database at {path}: check ONCALL_DB (nothing was created)."
        ).format(path=db)
    report = render(facts, now, tz, lang)
    return report.exit_code, report.text


def render(facts: Facts, now: datetime, tz: ZoneInfo, lang: str) -> Report:
    """The facts as an operator reads them, each section marked OK or PROBLEM."""
    _ = translator(lang)
    sections = _sections(facts, now, tz, _)
    lines = [_("Database {path}, checked {when}").format(path=facts.path, when=_at(now, tz))]
    for section in sections:
        mark = _("PROBLEM") if section.problem else _("OK")
        lines.append(f"[{mark}] {section.headline}")
        lines.extend(f"    {detail}" for detail in section.details)
    problems = sum(s.problem for s in sections)
    if problems:
        lines.append(_("{count} problem(s) need attention.").format(count=problems))
    else:
        lines.append(_("All checks passed."))
    return Report("\n".join(lines), problems)


def _sections(facts: Facts, now: datetime, tz: ZoneInfo, _: Callable[[str], str]) -> list[Section]:
    if facts.integrity != ["ok"]:
        return [
            Section(
                True,
                _("Integrity check failed: the database is damaged; restore the latest backup."),
                tuple(_clip(line) for line in facts.integrity[:SHOWN]),
            ),
            *_exposed(facts, _),
        ]
    sections = [Section(False, _("Integrity check: ok")), _schema(facts, _), *_exposed(facts, _)]
    sections.append(_backlog(facts, now, _))
    if facts.failed is not None:
        sections.append(_undeliverable(facts, tz, _))
    if facts.unreachable is not None:
        sections.append(_unreachable(facts, tz, _))
    if facts.dead is not None:
        sections.append(_dead_letters(facts, tz, _))
    if facts.components is not None:
        sections.append(_components(facts, now, tz, _))
    return sections


def _schema(facts: Facts, _: Callable[[str], str]) -> Section:
    numbers = {"db": facts.schema, "program": facts.expected_schema}
    if facts.schema == facts.expected_schema:
        return Section(False, _("Schema version {db} (this program: {program})").format(**numbers))
    if facts.schema < facts.expected_schema:
        advice = _("older than this program: start the bot (it migrates) or use the older program")
    else:
        advice = _("newer than this program: install the newer program")
    return Section(
        True,
        _("Schema version {db} (this program: {program}): {advice}").format(
            advice=advice, **numbers
        ),
    )


def _exposed(facts: Facts, _: Callable[[str], str]) -> list[Section]:
    if not facts.exposed:
        return []
    files = ", ".join(f"{name} ({mode:04o})" for name, mode in facts.exposed)
    return [
        Section(
            True,
            _("Others may read the database: {files}; run chmod 600 on them").format(files=files),
        )
    ]


def _backlog(facts: Facts, now: datetime, _: Callable[[str], str]) -> Section:
    if not facts.pending:
        return Section(False, _("Outbox: nothing waiting"))
    headline = _("Outbox: {pending} waiting, {due} due now").format(
        pending=facts.pending, due=facts.due
    )
    if facts.oldest_due is None:
        return Section(False, headline)
    age = now - facts.oldest_due
    headline += _("; the oldest due for {age}").format(age=_duration(age, _))
    if age > BACKLOG_LIMIT:
        headline += _(" (Telegram unreachable, or the bot not running?)")
    return Section(age > BACKLOG_LIMIT, headline)


def _undeliverable(facts: Facts, tz: ZoneInfo, _: Callable[[str], str]) -> Section:
    if not facts.failed_total:
        return Section(False, _("Undeliverable messages: none"))
    details = []
    for failed in facts.failed or []:
        about = f" #{failed.request_id}" if failed.request_id is not None else ""
        details.append(
            _("{when} to {name}{about} ({kind}): {reason}").format(
                when=_at(failed.at, tz),
                name=failed.recipient,
                about=about,
                kind=failed.kind,
                reason=_clip(failed.reason),
            )
        )
    return Section(
        facts.failed_recent > 0,
        _("Undeliverable messages: {recent} in the last 24 hours, {total} in all").format(
            recent=facts.failed_recent, total=facts.failed_total
        ),
        tuple(details),
    )


def _unreachable(facts: Facts, tz: ZoneInfo, _: Callable[[str], str]) -> Section:
    people = facts.unreachable or []
    if not people:
        return Section(False, _("Unreachable people: none"))
    details = []
    staff = 0
    for person in people:
        roles = [r for r in person.roles if r]
        if any(r != Role.OWNER.value for r in roles):
            staff += 1
        names = ", ".join(_(ROLE_NAMES[r]) if r in ROLE_NAMES else r for r in roles) or "—"
        details.append(
            _("{name} {phone} ({roles}), since {since}").format(
                name=person.name,
                phone=mask_phone(person.phone),
                roles=names,
                since=_at(person.since, tz),
            )
        )
    headline = _("Unreachable people: {count}").format(count=len(people))
    if staff:
        headline += _("; {staff} of them commissioners or supervisors").format(staff=staff)
    return Section(staff > 0, headline, tuple(details))


def _update_name(dead: DeadLetter) -> str:
    """A Telegram update by its id, as before; another channel's as channel:reference."""
    return dead.ref if dead.channel == "telegram" else f"{dead.channel}:{dead.ref}"


def _dead_letters(facts: Facts, tz: ZoneInfo, _: Callable[[str], str]) -> Section:
    if not facts.dead_total:
        return Section(False, _("Dead letters (updates set aside): none"))
    details = tuple(
        _("{when} update {update_id}: {reason}").format(
            when=_at(dead.at, tz), update_id=_update_name(dead), reason=_clip(dead.reason)
        )
        for dead in facts.dead or []
    )
    return Section(
        facts.dead_recent > 0,
        _("Dead letters (updates set aside): {recent} in the last 24 hours, {total} in all").format(
            recent=facts.dead_recent, total=facts.dead_total
        ),
        details,
    )


def _components(facts: Facts, now: datetime, tz: ZoneInfo, _: Callable[[str], str]) -> Section:
    components = facts.components or []
    if not components:
        return Section(False, _("Watchdog: no record yet"))
    details = []
    recent = 0
    for c in components:
        line = _("{name}: {restarts} restart(s)").format(name=c.name, restarts=c.restarts)
        if c.last_restart_at is not None:
            line += _(", the last at {when}").format(when=_at(c.last_restart_at, tz))
            if now - c.last_restart_at <= RESTART_RECENT:
                recent += 1
        if c.last_error:
            line += _(" after: {error}").format(error=_clip(c.last_error))
        if c.heartbeat_at is not None:
            line += _("; last seen alive {when}").format(when=_at(c.heartbeat_at, tz))
        details.append(line)
    if recent:
        headline = _("Watchdog: {count} component(s) restarted in the last hour").format(
            count=recent
        )
    else:
        headline = _("Watchdog: no restart in the last hour")
    return Section(recent > 0, headline, tuple(details))


def _at(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta, _: Callable[[str], str]) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return _("{n} min").format(n=minutes)
    if minutes < 48 * 60:
        return _("{n} h").format(n=minutes // 60)
    return _("{n} days").format(n=minutes // (24 * 60))


def _clip(text: str) -> str:
    """One line of at most CLIP characters, with phones masked and no token."""
    one_line = redact(" ".join(text.split()))
    return one_line if len(one_line) <= CLIP else one_line[: CLIP - 1] + "…"
