"""Roster import: commissioners, enterprises, supervisors and committees, every row or none.

The columns of each kind are fixed by interface.md ("CSV formats"); their order is free, and
header names are matched without regard to case or surrounding spaces. The file itself is read
outside the services (bot/roster_files.py: CSV in UTF-8, with or without a BOM, or GB18030/GBK;
or an .xlsx workbook's first sheet) and comes here as a RosterTable: its rows of text cells,
each with its line (a sheet's row number), and what it was read as. Blank rows are skipped;
the header is the first row that is not blank.

Every row is checked before anything is written, and all problems are reported together:

- ``name`` is required in every kind, at most PERSON_NAME_MAX characters (an enterprise's:
  ENTERPRISE_NAME_MAX; ``contact_name``: PERSON_NAME_MAX; ``industry`` and ``chain``:
  LABEL_MAX), see bot.domain.roster: longer texts do not fit the messages they appear in.
- ``phone`` (commissioners, supervisors) must be a mainland mobile number: after
  normalising (``bot.domain.phones.normalise_phone``: digits only, ``+86``/``86`` dropped
  from 13 digits) it is 11 digits starting with 1, since these people bind their chat
  account by sharing their own contact. It must be unique in the file.
- ``contact_phone`` (enterprises) is optional but, when given, is 7 to 12 digits after
  normalising, because landlines such as ``023-7xxxxxxx`` are common for enterprises; a
  contact phone then needs a ``contact_name``, and one phone cannot carry two names. A contact
  phone that is not a mobile is imported with a warning: that owner cannot onboard by phone.
- One phone, one person: a phone that the database already gives to someone else (another
  name, holding another role, e.g. an enterprise's contact imported as a commissioner under
  another name) is an error; the same name and phone in two rosters is the same person, and
  a new name for someone who already holds this roster's role is a rename.
- Letters in a phone are an error (they are usually a typo, not formatting); full-width
  digits and punctuation are folded to ASCII first.
- ``commissioner_phone`` (enterprises) is optional (no commissioner: requests go to the
  category's team); when given it is a mobile number of an active commissioner already in
  the database, so commissioners are imported before enterprises.
- ``chain`` (committees) is required: the industry chain (matching the enterprises' ``chain``)
  whose party committee the person sits on; a member of two chains' committees is listed on
  one row per chain, under one name.
- ``teams`` (commissioners) is a ``;``-separated list of known team keys, possibly empty.
- a ``<channel>_id`` column (interface.md fixes its channel; bot/roster_files.py names it) is
  optional; when given it is a positive integer, unique in the file, and binds the person to
  that address in the channel the column is named after.
- ``credit_code`` is the 18-character Unified Social Credit Code (digits and capital letters
  other than I, O, S, V and Z; lower case is accepted), unique in the file, and its last
  character is the check character GB 32100-2015 calls for (bot.domain.roster).
- The number of cells in a row must match the header (a missing or extra comma would shift
  every value after it into the wrong column).

A clean file is applied in one transaction: each row is upserted (an enterprise's contact
becomes a person with the owner role), created/updated/unchanged are counted against what
was there before, ``sync`` deactivates (never deletes) those the file no longer lists, and a
``roster_imported`` event is appended. ``dry_run`` does all of it and then rolls back.

The vocabulary is in roster_vocabulary.py, the row checks in roster_check.py, the writing in
roster_apply.py; this module runs an import and keeps the names its callers import.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from bot.services.ports import Clock, UnitOfWork
from bot.services.roster_apply import (
    IMPORT_CHUNK,
    IMPORT_PAUSE,
    Rollback,
    Tally,
    apply_enterprises,
    apply_people,
    commissioners_in_db,
    deactivate_missing,
    imported,
    other_people,
)
from bot.services.roster_check import merge_members, parse
from bot.services.roster_vocabulary import (
    COLUMNS,
    ImportReport,
    Problem,
    RosterKind,
    RosterTable,
    RowError,
    SourceFormat,
    error,
)

__all__ = [
    "COLUMNS",
    "ImportReport",
    "Problem",
    "RosterKind",
    "RosterTable",
    "RowError",
    "SourceFormat",
    "import_roster",
]


def _failed(
    kind: RosterKind,
    errors: Sequence[RowError],
    dry_run: bool,
    table: RosterTable,
    warnings: Sequence[RowError] = (),
) -> ImportReport:
    ordered = tuple(sorted(errors, key=lambda e: e.line))  # stable: a line's errors keep order
    return ImportReport(
        kind,
        0,
        0,
        0,
        0,
        ordered,
        dry_run=dry_run,
        written=False,
        warnings=tuple(warnings),
        source=table.source,
        sheet=table.sheet,
    )


async def import_roster(
    db: UnitOfWork,
    clock: Clock,
    kind: RosterKind,
    table: RosterTable,
    teams: frozenset[str],
    *,
    sync: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Checks the whole table, then upserts every row (in short transactions), or writes nothing."""
    if table.source is None:
        return _failed(kind, table.errors, dry_run, table)
    parsed = parse(kind, table.records, teams, table.id_column)
    if kind is RosterKind.COMMITTEES:
        merge_members(parsed)
    errors = [*table.errors, *parsed.errors]
    rows = parsed.enterprises if kind is RosterKind.ENTERPRISES else parsed.people
    if sync and not rows and not errors:
        errors.append(error(0, Problem.SYNC_EMPTY, kind=kind.value))
        return _failed(kind, errors, dry_run, table)

    # Everything is checked before anything is written: a bad file writes nothing.
    async with db.read() as tx:
        commissioners, missing = await commissioners_in_db(tx, parsed.commissioner_refs)
        errors.extend(missing)
        errors.extend(await other_people(tx, kind, parsed))
    if errors:
        return _failed(kind, errors, dry_run, table, parsed.warnings)

    tally = Tally()
    now = clock.now()
    contacts_seen: set[str] = set()
    loop = asyncio.get_running_loop()
    # Written in short transactions, so that a bot running on the same database keeps
    # answering while a large roster goes in (SQLite has one writer at a time). Every row is
    # an idempotent upsert: an import cut short is completed by running it again.
    for start in range(0, max(len(rows), 1), IMPORT_CHUNK):
        began = loop.time()
        last = start + IMPORT_CHUNK >= len(rows)
        with contextlib.suppress(Rollback):
            async with db.tx() as tx:
                if kind is RosterKind.ENTERPRISES:
                    await apply_enterprises(
                        tx,
                        parsed.enterprises[start : start + IMPORT_CHUNK],
                        commissioners,
                        tally,
                        now,
                        contacts_seen,
                    )
                else:
                    part = parsed.people[start : start + IMPORT_CHUNK]
                    await apply_people(tx, kind, part, tally, now)
                if last:
                    if sync:
                        await deactivate_missing(tx, kind, parsed, tally, now)
                    await tx.append(imported(kind, table, tally, sync, now))
                if dry_run:  # counted as if written, then undone
                    raise Rollback
        if not last:
            # Gives a bot on the same database its turn at the write lock between chunks.
            await asyncio.sleep(max(IMPORT_PAUSE, loop.time() - began))
    return ImportReport(
        kind=kind,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        deactivated=tally.deactivated,
        errors=(),
        dry_run=dry_run,
        written=not dry_run,
        contacts_deactivated=tally.contacts_deactivated,
        warnings=tuple(parsed.warnings),
        source=table.source,
        sheet=table.sheet,
    )
