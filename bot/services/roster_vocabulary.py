"""The roster import's vocabulary: kinds and their columns, problems, tables read, reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.models import Role


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
# A column `<channel>_id` holds people's ids in that channel: each becomes an Address there.
ID_SUFFIX = "_id"


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


def error(line: int, problem: Problem, **params: object) -> RowError:
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


def columns(kind: RosterKind, id_column: str) -> tuple[str, ...]:
    """The columns of a roster of `kind`, its id column named `id_column`."""
    return tuple(id_column if c == "{id}" else c for c in COLUMNS[kind])
