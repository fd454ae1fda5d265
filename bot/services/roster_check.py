"""Checking a roster's rows without the database: header, phones, ids, GB 32100 codes, lengths."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.identity import Address
from bot.domain.phones import normalise_phone
from bot.domain.roster import (
    ENTERPRISE_NAME_MAX,
    LABEL_MAX,
    PERSON_NAME_MAX,
    credit_code_check,
    is_mobile,
)
from bot.services.roster_vocabulary import ID_SUFFIX, Problem, RosterKind, RowError, columns, error

_MOBILE = re.compile(r"1[0-9]{10}")
_ANY_PHONE = re.compile(r"[0-9]{7,12}")
# What a phone cell may hold besides digits: the ways people format numbers, nothing else.
_PHONE_CHARS = re.compile(r"[0-9+\-\s().]*")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")

_ID_MAX = 2**63 - 1  # the largest 64-bit id a channel hands out


@dataclass(frozen=True)
class PersonRow:
    line: int
    name: str
    phone: str
    addresses: tuple[Address, ...]
    teams: frozenset[str]
    chains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EnterpriseRow:
    line: int
    name: str
    credit_code: str
    industry: str
    chain: str
    contact_name: str
    contact_phone: str
    commissioner_phone: str


@dataclass
class Parsed:
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    enterprises: list[EnterpriseRow] = field(default_factory=list)
    # Enterprise rows whose commissioner_phone is well formed, for the database check.
    commissioner_refs: list[tuple[int, str]] = field(default_factory=list)


def _header(
    kind: RosterKind, id_column: str, line: int, cells: Sequence[str]
) -> tuple[list[str], list[RowError]]:
    """The header's column names, or the reasons it does not fit the kind."""
    names = [c.strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()  # spreadsheets pad the header with empty cells
    expected = columns(kind, id_column)
    listed = ", ".join(expected)
    errors = [error(line, Problem.UNNAMED_COLUMN, n=i + 1) for i, n in enumerate(names) if not n]
    present = [n for n in names if n]
    duplicates = sorted({n for n in present if present.count(n) > 1})
    unknown = [n for n in dict.fromkeys(present) if n not in expected]
    missing = [n for n in expected if n not in present]
    if duplicates:
        errors.append(error(line, Problem.DUPLICATE_COLUMNS, names=", ".join(duplicates)))
    if unknown:
        errors.append(
            error(line, Problem.UNKNOWN_COLUMNS, names=", ".join(unknown), expected=listed)
        )
    if missing:
        errors.append(
            error(line, Problem.MISSING_COLUMNS, names=", ".join(missing), expected=listed)
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
    errors.append(error(line, problem, column=column, value=raw))
    return None


def _channel_id(errors: list[RowError], line: int, column: str, raw: str) -> int | None:
    folded = _fold(raw)
    if re.fullmatch(r"[0-9]+", folded) and 0 < int(folded) <= _ID_MAX:
        return int(folded)
    errors.append(error(line, Problem.BAD_ID, column=column, value=raw))
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
            error(
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
                error(line, Problem.DUPLICATE, column=self.column, value=value, other=other)
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


def parse(
    kind: RosterKind,
    records: Sequence[tuple[int, Sequence[str]]],
    teams: frozenset[str],
    id_column: str,
) -> Parsed:
    """Checks the header and every row without the database; keeps the rows that pass."""
    parsed = Parsed()
    if not records:
        parsed.errors.append(
            error(1, Problem.EMPTY_FILE, expected=",".join(columns(kind, id_column)))
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
            parsed.errors.append(error(line, Problem.CELL_COUNT, got=used, want=len(names)))
            continue
        row = {name: cells[i].strip() for i, name in enumerate(names)}
        if not row["name"]:
            errors.append(error(line, Problem.REQUIRED, column="name"))
        errors.extend(
            error(line, Problem.TOO_LONG, column=column, length=len(row[column]), limit=limit)
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
    parsed: Parsed,
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
            errors.append(error(line, Problem.REQUIRED, column="chain"))
        chains = frozenset({row["chain"]})
    if not row["phone"]:
        errors.append(error(line, Problem.REQUIRED, column="phone"))
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
        parsed.people.append(PersonRow(line, row["name"], phone, tuple(addresses), teams, chains))


def _enterprise_row(
    parsed: Parsed,
    errors: list[RowError],
    line: int,
    row: Mapping[str, str],
    codes: _Unique,
    contacts: dict[str, tuple[int, str]],
) -> None:
    code = _fold(row["credit_code"]).upper()
    if not code:
        errors.append(error(line, Problem.REQUIRED, column="credit_code"))
    elif not _CREDIT_CODE.fullmatch(code):
        errors.append(error(line, Problem.BAD_CREDIT_CODE, value=row["credit_code"]))
    elif (want := credit_code_check(code)) != code[-1]:
        # Almost always a typo (or a code Excel stored as a number and cut short).
        errors.append(error(line, Problem.BAD_CHECK_CHARACTER, value=code, got=code[-1], want=want))
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
                error(
                    line,
                    Problem.CONTACT_NOT_MOBILE,
                    value=row["contact_phone"],
                    name=row["contact_name"],
                    enterprise=row["name"],
                )
            )
        if contact_phone and not row["contact_name"]:
            errors.append(error(line, Problem.CONTACT_NAME_NEEDED))
        elif contact_phone:
            # One person, one name: the owner row cannot be renamed back and forth in one file.
            other, other_name = contacts.setdefault(contact_phone, (line, row["contact_name"]))
            if other_name != row["contact_name"]:
                errors.append(
                    error(
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
            EnterpriseRow(
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


def merge_members(parsed: Parsed) -> None:
    """One entry per committee member, with every chain they are listed for (one row each);
    the same phone under two names is an error, as in every roster."""
    merged: dict[str, PersonRow] = {}
    for row in parsed.people:
        first = merged.get(row.phone)
        if first is None:
            merged[row.phone] = row
        elif first.name != row.name:
            parsed.errors.append(
                error(
                    row.line, Problem.DUPLICATE, column="phone", value=row.phone, other=first.line
                )
            )
        else:
            addresses = tuple(dict.fromkeys((*first.addresses, *row.addresses)))
            merged[row.phone] = PersonRow(
                first.line,
                first.name,
                first.phone,
                addresses,
                first.teams,
                first.chains | row.chains,
            )
    parsed.people = list(merged.values())
