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
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bot.domain.handoff import Why
from bot.domain.identity import Address
from bot.domain.kinds import EventKind
from bot.domain.models import Enterprise, Event, Person, Role
from bot.domain.phones import normalise_phone
from bot.domain.roster import (
    ENTERPRISE_NAME_MAX,
    LABEL_MAX,
    PERSON_NAME_MAX,
    credit_code_check,
    is_mobile,
)
from bot.services.handoff import ask_supervisors, staff_requests
from bot.services.ports import Clock, Transaction, UnitOfWork

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


class RosterKind(StrEnum):
    COMMISSIONERS = "commissioners"
    ENTERPRISES = "enterprises"
    SUPERVISORS = "supervisors"
    COMMITTEES = "committees"  # the industry chains' party-committee members


# "{id}": the column of people's account ids in a channel (RosterTable.id_column names it).
COLUMNS: Mapping[RosterKind, tuple[str, ...]] = {
    RosterKind.COMMISSIONERS: ("name", "phone", "teams", "{id}"),
    RosterKind.ENTERPRISES: (
        "name",
        "credit_code",
        "industry",
        "chain",
        "contact_name",
        "contact_phone",
        "commissioner_phone",
    ),
    RosterKind.SUPERVISORS: ("name", "phone", "{id}"),
    RosterKind.COMMITTEES: ("chain", "name", "phone", "{id}"),
}

# The role each people roster gives.
ROLES: Mapping[RosterKind, Role] = {
    RosterKind.COMMISSIONERS: Role.COMMISSIONER,
    RosterKind.SUPERVISORS: Role.SUPERVISOR,
    RosterKind.COMMITTEES: Role.COMMITTEE,
}

_MOBILE = re.compile(r"1[0-9]{10}")
_ANY_PHONE = re.compile(r"[0-9]{7,12}")
# What a phone cell may hold besides digits: the ways people format numbers, nothing else.
_PHONE_CHARS = re.compile(r"[0-9+\-\s().]*")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
# A column `<channel>_id` holds people's ids in that channel: each becomes an Address there.
ID_SUFFIX = "_id"
_ID_MAX = 2**63 - 1  # the largest 64-bit id a channel hands out


class Problem(StrEnum):
    """What is wrong with a file or a row; the CLI words it (bot/cli_texts.py) from params."""

    UNREADABLE = "unreadable"  # error
    NOT_TEXT = "not_text"  # neither UTF-8 nor GB18030
    XLS = "xls"  # the old binary Excel format
    BAD_XLSX = "bad_xlsx"  # error
    LOST_DIGITS = "lost_digits"  # cell, value: a number Excel keeps to 15 digits
    MALFORMED = "malformed"  # error
    EMPTY_FILE = "empty_file"  # expected
    UNNAMED_COLUMN = "unnamed_column"  # n
    DUPLICATE_COLUMNS = "duplicate_columns"  # names
    UNKNOWN_COLUMNS = "unknown_columns"  # names, expected
    MISSING_COLUMNS = "missing_columns"  # names, expected
    CELL_COUNT = "cell_count"  # got, want
    REQUIRED = "required"  # column
    BAD_MOBILE = "bad_mobile"  # column, value
    BAD_PHONE = "bad_phone"  # column, value
    BAD_ID = "bad_id"  # column, value
    BAD_CREDIT_CODE = "bad_credit_code"  # value
    BAD_CHECK_CHARACTER = "bad_check_character"  # value, got, want
    TOO_LONG = "too_long"  # column, length, limit
    UNKNOWN_TEAM = "unknown_team"  # team, known, match ("" when nothing is close)
    DUPLICATE = "duplicate"  # column, value, other
    CONTACT_NAME_NEEDED = "contact_name_needed"
    CONTACT_TWO_NAMES = "contact_two_names"  # phone, other, other_name, name
    NO_COMMISSIONER = "no_commissioner"  # phone
    OTHER_PERSON = "other_person"  # column, phone, name, other_name, roles (Role values, ",")
    SYNC_EMPTY = "sync_empty"  # kind (a RosterKind value)
    # Warnings: imported all the same.
    CONTACT_NOT_MOBILE = "contact_not_mobile"  # value, name, enterprise


class SourceFormat(StrEnum):
    """What a roster file was read as; the summary says so."""

    UTF8 = "utf-8"
    UTF8_BOM = "utf-8-bom"
    GB18030 = "gb18030"  # a superset of GBK, Excel's plain "CSV" on Chinese Windows
    XLSX = "xlsx"


@dataclass(frozen=True)
class RowError:
    """One problem found in the file; line 0 means the file as a whole.

    Structured, not worded: the operator's language is the caller's business.
    """

    line: int
    problem: Problem
    params: Mapping[str, str | int] = field(default_factory=dict)


def _error(line: int, problem: Problem, **params: object) -> RowError:
    """The problem with its parameters; anything but an int is kept as its text."""
    values = {k: v if isinstance(v, int) else str(v) for k, v in params.items()}
    return RowError(line, problem, values)


@dataclass(frozen=True)
class RosterTable:
    """A roster file's rows as text cells, each with its line; read by bot/roster_files.py.

    `errors` are what reading found (an unreadable file, a cell Excel cut short); `source` is
    None when the file could not be read at all.
    """

    name: str  # the file's name, for the audit log
    source: SourceFormat | None
    records: Sequence[tuple[int, Sequence[str]]] = ()
    errors: tuple[RowError, ...] = ()
    sheet: str = ""  # .xlsx: the sheet read
    # The column of people's account ids, `<channel>_id` (interface.md fixes the channel's).
    id_column: str = ""


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did; with errors, nothing was written."""

    kind: RosterKind
    created: int
    updated: int
    unchanged: int
    deactivated: int
    errors: tuple[RowError, ...]
    dry_run: bool
    written: bool
    # Enterprises with sync only: owners whose phone no longer appears as a contact.
    contacts_deactivated: int = 0
    # Imported all the same, but someone should know (a contact who cannot onboard).
    warnings: tuple[RowError, ...] = ()
    source: SourceFormat | None = None
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


# ---- parsing (no database) -------------------------------------------------------------


@dataclass(frozen=True)
class _PersonRow:
    line: int
    name: str
    phone: str
    addresses: tuple[Address, ...]
    teams: frozenset[str]
    chains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _EnterpriseRow:
    line: int
    name: str
    credit_code: str
    industry: str
    chain: str
    contact_name: str
    contact_phone: str
    commissioner_phone: str


@dataclass
class _Parsed:
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    people: list[_PersonRow] = field(default_factory=list)
    enterprises: list[_EnterpriseRow] = field(default_factory=list)
    # Enterprise rows whose commissioner_phone is well formed, for the database check.
    commissioner_refs: list[tuple[int, str]] = field(default_factory=list)


def columns(kind: RosterKind, id_column: str) -> tuple[str, ...]:
    """The columns of a roster of `kind`, its id column named `id_column`."""
    return tuple(id_column if c == "{id}" else c for c in COLUMNS[kind])


def _header(
    kind: RosterKind, id_column: str, line: int, cells: Sequence[str]
) -> tuple[list[str], list[RowError]]:
    """The header's column names, or the reasons it does not fit the kind."""
    names = [c.strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()  # spreadsheets pad the header with empty cells
    expected = columns(kind, id_column)
    listed = ", ".join(expected)
    errors = [_error(line, Problem.UNNAMED_COLUMN, n=i + 1) for i, n in enumerate(names) if not n]
    present = [n for n in names if n]
    duplicates = sorted({n for n in present if present.count(n) > 1})
    unknown = [n for n in dict.fromkeys(present) if n not in expected]
    missing = [n for n in expected if n not in present]
    if duplicates:
        errors.append(_error(line, Problem.DUPLICATE_COLUMNS, names=", ".join(duplicates)))
    if unknown:
        errors.append(
            _error(line, Problem.UNKNOWN_COLUMNS, names=", ".join(unknown), expected=listed)
        )
    if missing:
        errors.append(
            _error(line, Problem.MISSING_COLUMNS, names=", ".join(missing), expected=listed)
        )
    return names, errors


def _fold(value: str) -> str:
    """Full-width digits, letters and punctuation as ASCII (a Chinese IME's habit)."""
    return unicodedata.normalize("NFKC", value).strip()


def _phone(errors: list[RowError], line: int, column: str, raw: str, *, mobile: bool) -> str | None:
    """The normalised phone, or None after recording why it is not one."""
    folded = _fold(raw)
    phone = normalise_phone(folded)
    pattern = _MOBILE if mobile else _ANY_PHONE
    if _PHONE_CHARS.fullmatch(folded) and pattern.fullmatch(phone):
        return phone
    problem = Problem.BAD_MOBILE if mobile else Problem.BAD_PHONE
    errors.append(_error(line, problem, column=column, value=raw))
    return None


def _channel_id(errors: list[RowError], line: int, column: str, raw: str) -> int | None:
    folded = _fold(raw)
    if re.fullmatch(r"[0-9]+", folded) and 0 < int(folded) <= _ID_MAX:
        return int(folded)
    errors.append(_error(line, Problem.BAD_ID, column=column, value=raw))
    return None


def _id_columns(kind: RosterKind, id_column: str) -> list[str]:
    return [c for c in columns(kind, id_column) if c.endswith(ID_SUFFIX)]


def _teams(errors: list[RowError], line: int, raw: str, known: frozenset[str]) -> frozenset[str]:
    keys = [k.strip().lower() for k in _fold(raw).split(";")]
    found: set[str] = set()
    for key in filter(None, keys):
        if key in known:
            found.add(key)
            continue
        match = difflib.get_close_matches(key, sorted(known), n=1)
        errors.append(
            _error(
                line,
                Problem.UNKNOWN_TEAM,
                team=key,
                match=match[0] if match else "",
                known=", ".join(sorted(known)),
            )
        )
    return frozenset(found)


class _Unique:
    """First line each value of a column was seen on, to report repeats."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.seen: dict[object, int] = {}
        self.holders: dict[object, object] = {}

    def check(
        self, errors: list[RowError], line: int, value: object, holder: object = None
    ) -> None:
        """Reports a value seen before, unless both lines name the same `holder` (a committee
        member's phone on each of their chains' rows)."""
        other = self.seen.setdefault(value, line)
        first = self.holders.setdefault(value, holder)
        if other != line and (holder is None or first != holder):
            errors.append(
                _error(line, Problem.DUPLICATE, column=self.column, value=value, other=other)
            )


# The longest text each column may hold (bot.domain.roster says why).
_LIMITS: Mapping[RosterKind, Mapping[str, int]] = {
    RosterKind.COMMISSIONERS: {"name": PERSON_NAME_MAX},
    RosterKind.SUPERVISORS: {"name": PERSON_NAME_MAX},
    RosterKind.COMMITTEES: {"name": PERSON_NAME_MAX, "chain": LABEL_MAX},
    RosterKind.ENTERPRISES: {
        "name": ENTERPRISE_NAME_MAX,
        "contact_name": PERSON_NAME_MAX,
        "industry": LABEL_MAX,
        "chain": LABEL_MAX,
    },
}


def _parse(
    kind: RosterKind,
    records: Sequence[tuple[int, Sequence[str]]],
    teams: frozenset[str],
    id_column: str,
) -> _Parsed:
    """Checks the header and every row without the database; keeps the rows that pass."""
    parsed = _Parsed()
    if not records:
        parsed.errors.append(
            _error(1, Problem.EMPTY_FILE, expected=",".join(columns(kind, id_column)))
        )
        return parsed
    header_line, header_cells = records[0]
    names, parsed.errors = _header(kind, id_column, header_line, header_cells)
    if parsed.errors:
        return parsed  # without the right columns no row can be read
    phones = _Unique("phone")
    ids = {column: _Unique(column) for column in _id_columns(kind, id_column)}
    codes = _Unique("credit_code")
    contacts: dict[str, tuple[int, str]] = {}
    for line, cells in records[1:]:
        errors: list[RowError] = []
        used = len(cells)
        while used > len(names) and not cells[used - 1].strip():
            used -= 1  # trailing empty cells are spreadsheet padding, not data
        if used != len(names):
            parsed.errors.append(_error(line, Problem.CELL_COUNT, got=used, want=len(names)))
            continue
        row = {name: cells[i].strip() for i, name in enumerate(names)}
        if not row["name"]:
            errors.append(_error(line, Problem.REQUIRED, column="name"))
        errors.extend(
            _error(line, Problem.TOO_LONG, column=column, length=len(row[column]), limit=limit)
            for column, limit in _LIMITS[kind].items()
            if len(row[column]) > limit
        )
        if kind is RosterKind.ENTERPRISES:
            _enterprise_row(parsed, errors, line, row, codes, contacts)
        else:
            _person_row(parsed, errors, line, row, kind, teams, phones, ids)
        parsed.errors.extend(errors)
    return parsed


def _person_row(
    parsed: _Parsed,
    errors: list[RowError],
    line: int,
    row: Mapping[str, str],
    kind: RosterKind,
    known_teams: frozenset[str],
    phones: _Unique,
    ids: Mapping[str, _Unique],
) -> None:
    phone: str | None = None
    chains: frozenset[str] = frozenset()
    if kind is RosterKind.COMMITTEES:
        if not row["chain"]:
            errors.append(_error(line, Problem.REQUIRED, column="chain"))
        chains = frozenset({row["chain"]})
    if not row["phone"]:
        errors.append(_error(line, Problem.REQUIRED, column="phone"))
    else:
        phone = _phone(errors, line, "phone", row["phone"], mobile=True)
        if phone is not None:
            # A committee member who serves two chains is listed once per chain.
            phones.check(errors, line, f"{phone} / {row['chain']}" if chains else phone)
    addresses: list[Address] = []
    for column, unique in ids.items():
        if not row[column]:
            continue
        value = _channel_id(errors, line, column, row[column])
        if value is not None:
            unique.check(errors, line, value, phone if chains else None)
            addresses.append(Address(column.removesuffix(ID_SUFFIX), str(value)))
    teams: frozenset[str] = frozenset()
    if kind is RosterKind.COMMISSIONERS:
        teams = _teams(errors, line, row["teams"], known_teams)
    if not errors and phone is not None:
        parsed.people.append(_PersonRow(line, row["name"], phone, tuple(addresses), teams, chains))


def _enterprise_row(
    parsed: _Parsed,
    errors: list[RowError],
    line: int,
    row: Mapping[str, str],
    codes: _Unique,
    contacts: dict[str, tuple[int, str]],
) -> None:
    code = _fold(row["credit_code"]).upper()
    if not code:
        errors.append(_error(line, Problem.REQUIRED, column="credit_code"))
    elif not _CREDIT_CODE.fullmatch(code):
        errors.append(_error(line, Problem.BAD_CREDIT_CODE, value=row["credit_code"]))
    elif (want := credit_code_check(code)) != code[-1]:
        # Almost always a typo (or a code Excel stored as a number and cut short).
        errors.append(
            _error(line, Problem.BAD_CHECK_CHARACTER, value=code, got=code[-1], want=want)
        )
    else:
        codes.check(errors, line, code)
    contact_phone = ""
    if row["contact_phone"]:
        contact_phone = (
            _phone(errors, line, "contact_phone", row["contact_phone"], mobile=False) or ""
        )
        if contact_phone and not is_mobile(contact_phone):
            # Imported all the same (the enterprise is real), but the owner can never share
            # this number from Telegram: whoever keeps the roster must know.
            parsed.warnings.append(
                _error(
                    line,
                    Problem.CONTACT_NOT_MOBILE,
                    value=row["contact_phone"],
                    name=row["contact_name"],
                    enterprise=row["name"],
                )
            )
        if contact_phone and not row["contact_name"]:
            errors.append(_error(line, Problem.CONTACT_NAME_NEEDED))
        elif contact_phone:
            # One person, one name: the owner row cannot be renamed back and forth in one file.
            other, other_name = contacts.setdefault(contact_phone, (line, row["contact_name"]))
            if other_name != row["contact_name"]:
                errors.append(
                    _error(
                        line,
                        Problem.CONTACT_TWO_NAMES,
                        phone=contact_phone,
                        other=other,
                        other_name=other_name,
                        name=row["contact_name"],
                    )
                )
    commissioner_phone = ""
    if row["commissioner_phone"]:
        raw = row["commissioner_phone"]
        commissioner_phone = _phone(errors, line, "commissioner_phone", raw, mobile=True) or ""
        if commissioner_phone:
            parsed.commissioner_refs.append((line, commissioner_phone))
    if not errors:
        parsed.enterprises.append(
            _EnterpriseRow(
                line=line,
                name=row["name"],
                credit_code=code,
                industry=row["industry"],
                chain=row["chain"],
                contact_name=row["contact_name"],
                contact_phone=contact_phone,
                commissioner_phone=commissioner_phone,
            )
        )


def _merge_members(parsed: _Parsed) -> None:
    """One entry per committee member, with every chain they are listed for (one row each);
    the same phone under two names is an error, as in every roster."""
    merged: dict[str, _PersonRow] = {}
    for row in parsed.people:
        first = merged.get(row.phone)
        if first is None:
            merged[row.phone] = row
        elif first.name != row.name:
            parsed.errors.append(
                _error(
                    row.line, Problem.DUPLICATE, column="phone", value=row.phone, other=first.line
                )
            )
        else:
            addresses = tuple(dict.fromkeys((*first.addresses, *row.addresses)))
            merged[row.phone] = _PersonRow(
                first.line,
                first.name,
                first.phone,
                addresses,
                first.teams,
                first.chains | row.chains,
            )
    parsed.people = list(merged.values())


# ---- applying (one transaction) --------------------------------------------------------

_Change = Literal["created", "updated", "unchanged"]


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    contacts_deactivated: int = 0

    def count(self, change: _Change) -> None:
        setattr(self, change, getattr(self, change) + 1)


IMPORT_CHUNK = 1000
IMPORT_PAUSE = 0.02


class _Rollback(Exception):
    """Raised inside a chunk's transaction to undo it (a dry run)."""


def _imported(
    kind: RosterKind, table: RosterTable, tally: _Tally, sync: bool, now: datetime
) -> Event:
    return Event(
        request_id=None,
        actor_id=None,
        kind=EventKind.ROSTER_IMPORTED,
        payload={
            "kind": kind.value,
            "file": table.name,
            "source": table.source.value if table.source else "",
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "deactivated": tally.deactivated,
            "sync": sync,
        },
        at=now,
    )


async def _commissioners_in_db(
    tx: Transaction, refs: Sequence[tuple[int, str]]
) -> tuple[dict[str, int], list[RowError]]:
    """The ids of the referenced commissioners, and an error for each one that is not."""
    ids: dict[str, int] = {}
    errors: list[RowError] = []
    for line, phone in refs:
        if phone not in ids:
            person = await tx.person_by_phone(phone)
            if person is None or not person.has(Role.COMMISSIONER):
                errors.append(_error(line, Problem.NO_COMMISSIONER, phone=phone))
                continue
            ids[phone] = person.id
    return ids, errors


async def _other_people(tx: Transaction, kind: RosterKind, parsed: _Parsed) -> list[RowError]:
    """An error for each phone the database gives to someone else, in another role.

    Upserting by phone would otherwise rename that person and add this roster's role to
    them. The same name in two rosters is one person (a commissioner who is also an
    enterprise's contact); a new name for someone who already holds this roster's role is
    a rename, done by the roster that lists them.
    """
    listed: dict[str, tuple[int, str]] = {}
    if kind is RosterKind.ENTERPRISES:
        role, column = Role.OWNER, "contact_phone"
        for e in parsed.enterprises:
            if e.contact_phone:
                listed.setdefault(e.contact_phone, (e.line, e.contact_name))
    else:
        role = ROLES[kind]
        column = "phone"
        listed = {p.phone: (p.line, p.name) for p in parsed.people}
    errors: list[RowError] = []
    phones = list(listed)
    for start in range(0, len(phones), IMPORT_CHUNK):
        known = await tx.names_and_roles(phones[start : start + IMPORT_CHUNK])
        for phone, (other_name, roles) in known.items():
            line, name = listed[phone]
            # Compared exactly: a near miss (黄 伟, 黄伟) would rename them silently.
            if roles and role not in roles and name != other_name:
                errors.append(
                    _error(
                        line,
                        Problem.OTHER_PERSON,
                        column=column,
                        phone=phone,
                        name=name,
                        other_name=other_name,
                        roles=",".join(sorted(r.value for r in roles)),
                    )
                )
    return errors


def _person_change(
    before: Person | None,
    role: Role,
    name: str,
    addresses: Sequence[Address],
    teams: frozenset[str] | None,
) -> _Change:
    # Someone who did not hold the role (or held it inactive) is new to this roster.
    if before is None or not before.has(role):
        return "created"
    if (
        before.name != name
        or any(a not in before.addresses for a in addresses)
        or (teams is not None and before.teams != teams)
    ):
        return "updated"
    return "unchanged"


async def _apply_people(
    tx: Transaction,
    kind: RosterKind,
    rows: Sequence[_PersonRow],
    tally: _Tally,
    now: datetime,
) -> None:
    role = ROLES[kind]
    with_teams = kind is RosterKind.COMMISSIONERS
    for row in rows:
        before = await tx.person_by_phone(row.phone)
        teams = row.teams if with_teams else None
        change = _person_change(before, role, row.name, row.addresses, teams)
        if change == "unchanged" and before is not None and before.chains != row.chains:
            change = "updated"
        tally.count(change)
        first = row.addresses[0] if row.addresses else None
        person_id = await tx.upsert_person(row.name, row.phone, role, first, now)
        for address in row.addresses[1:]:
            await tx.bind_address(person_id, address, None)
        if teams is not None:
            await tx.set_teams(person_id, teams)
        if kind is RosterKind.COMMITTEES:
            await tx.set_chains(person_id, row.chains)


async def _apply_enterprises(
    tx: Transaction,
    rows: Sequence[_EnterpriseRow],
    commissioners: Mapping[str, int],
    tally: _Tally,
    now: datetime,
    contacts_seen: set[str],
) -> None:
    # Read and written a chunk at a time, set-wise: a roster of 100,000 enterprises must not
    # take minutes of round trips.
    contacts = await tx.owner_states(r.contact_phone for r in rows if r.contact_phone)
    befores = await tx.enterprises_by_codes(r.credit_code for r in rows)
    wanted: list[Enterprise] = []
    for row in rows:
        contact_changed = False
        if row.contact_phone and row.contact_phone not in contacts_seen:
            contacts_seen.add(row.contact_phone)
            known = contacts.get(row.contact_phone)
            contact_changed = known is None or not known[1] or known[0] != row.contact_name
        before = befores.get(row.credit_code)
        enterprise = Enterprise(
            id=before.id if before else 0,
            name=row.name,
            credit_code=row.credit_code,
            industry=row.industry,
            chain=row.chain,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            commissioner_id=commissioners.get(row.commissioner_phone),
            active=True,
        )
        wanted.append(enterprise)
        if before is None:
            tally.count("created")
        elif before != enterprise or contact_changed:
            tally.count("updated")
        else:
            tally.count("unchanged")
    await tx.upsert_owners(
        ((r.contact_name, r.contact_phone) for r in rows if r.contact_phone), now
    )
    await tx.upsert_enterprises(wanted)


async def _deactivate_missing(
    tx: Transaction, kind: RosterKind, parsed: _Parsed, tally: _Tally, now: datetime
) -> None:
    """--sync: whoever the file no longer lists is deactivated (never deleted).

    A commissioner's open requests are never orphaned: each goes to the supervisors with
    one-tap pickers (bot.services.handoff), and their offers are withdrawn.
    """
    if kind is RosterKind.ENTERPRISES:
        rows = parsed.enterprises
        tally.deactivated = await tx.deactivate_enterprises_except(r.credit_code for r in rows)
        # Owners exist only as enterprise contacts; one no longer listed has nothing to ask for.
        tally.contacts_deactivated = await tx.deactivate_role_except(
            Role.OWNER, {r.contact_phone for r in rows if r.contact_phone}
        )
    else:
        role = ROLES[kind]
        keep = {r.phone for r in parsed.people}
        leaving = [p for p in await tx.people_with_role(role) if p.phone not in keep]
        tally.deactivated = await tx.deactivate_role_except(role, keep)
        if role in (Role.COMMISSIONER, Role.COMMITTEE):
            for person in leaving:
                for request in await staff_requests(tx, person):
                    await tx.withdraw_offers(request.id, person.id)
                    await ask_supervisors(
                        tx, now, request, None, Why.DEACTIVATED, about=person.name
                    )


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
    parsed = _parse(kind, table.records, teams, table.id_column)
    if kind is RosterKind.COMMITTEES:
        _merge_members(parsed)
    errors = [*table.errors, *parsed.errors]
    rows = parsed.enterprises if kind is RosterKind.ENTERPRISES else parsed.people
    if sync and not rows and not errors:
        errors.append(_error(0, Problem.SYNC_EMPTY, kind=kind.value))
        return _failed(kind, errors, dry_run, table)

    # Everything is checked before anything is written: a bad file writes nothing.
    async with db.read() as tx:
        commissioners, missing = await _commissioners_in_db(tx, parsed.commissioner_refs)
        errors.extend(missing)
        errors.extend(await _other_people(tx, kind, parsed))
    if errors:
        return _failed(kind, errors, dry_run, table, parsed.warnings)

    tally = _Tally()
    now = clock.now()
    contacts_seen: set[str] = set()
    loop = asyncio.get_running_loop()
    # Written in short transactions, so that a bot running on the same database keeps
    # answering while a large roster goes in (SQLite has one writer at a time). Every row is
    # an idempotent upsert: an import cut short is completed by running it again.
    for start in range(0, max(len(rows), 1), IMPORT_CHUNK):
        began = loop.time()
        last = start + IMPORT_CHUNK >= len(rows)
        with contextlib.suppress(_Rollback):
            async with db.tx() as tx:
                if kind is RosterKind.ENTERPRISES:
                    await _apply_enterprises(
                        tx,
                        parsed.enterprises[start : start + IMPORT_CHUNK],
                        commissioners,
                        tally,
                        now,
                        contacts_seen,
                    )
                else:
                    part = parsed.people[start : start + IMPORT_CHUNK]
                    await _apply_people(tx, kind, part, tally, now)
                if last:
                    if sync:
                        await _deactivate_missing(tx, kind, parsed, tally, now)
                    await tx.append(_imported(kind, table, tally, sync, now))
                if dry_run:  # counted as if written, then undone
                    raise _Rollback
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
