"""What the command line prints about a roster import, worded from the gettext catalogs.

The importer (bot/services/importer.py) reports structured results: a Problem with its
parameters per bad row, and counts. Wording them is presentation, so it lives here, beside
bot/cli.py (as bot/check.py does for `check`), and not in a messenger channel: the operator's
terminal is not something the outbox sends to.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.models import Role
from bot.i18n import translator
from bot.services.importer import ImportReport, Problem, RosterKind, RowError, SourceFormat


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


KINDS: dict[RosterKind, str] = {
    RosterKind.COMMISSIONERS: N_("commissioners"),
    RosterKind.ENTERPRISES: N_("enterprises"),
    RosterKind.SUPERVISORS: N_("supervisors"),
    RosterKind.COMMITTEES: N_("committee members"),
}

ROLES: dict[str, str] = {
    Role.OWNER.value: N_("owner"),
    Role.COMMISSIONER.value: N_("commissioner"),
    Role.SUPERVISOR.value: N_("supervisor"),
    Role.COMMITTEE.value: N_("committee member"),
}

# What the file was read as (the .xlsx text names its sheet).
SOURCES: dict[SourceFormat, str] = {
    SourceFormat.UTF8: N_("Read as: CSV, UTF-8"),
    SourceFormat.UTF8_BOM: N_("Read as: CSV, UTF-8 with BOM"),
    SourceFormat.GB18030: N_("Read as: CSV, GB18030/GBK"),
    SourceFormat.XLSX: N_("Read as: Excel workbook, sheet '{sheet}'"),
}

# One text per Problem; the fields are the parameters the importer gives with it.
PROBLEMS: dict[Problem, str] = {
    Problem.UNREADABLE: N_("cannot read the file: {error}"),
    Problem.NOT_TEXT: N_(
        "neither UTF-8 nor GB18030/GBK text; save the file as 'CSV UTF-8' or as an .xlsx workbook"
    ),
    Problem.XLS: N_("an old Excel .xls workbook; save it as an .xlsx workbook or as 'CSV UTF-8'"),
    Problem.BAD_XLSX: N_("not a readable .xlsx workbook: {error}"),
    Problem.LOST_DIGITS: N_(
        "cell {cell} is the number {value}: Excel keeps only 15 digits of a number, so the "
        "last ones are lost; format the column as Text and type the value again"
    ),
    Problem.MALFORMED: N_("malformed CSV: {error}"),
    Problem.EMPTY_FILE: N_("the file is empty; the first line must be the header: {expected}"),
    Problem.UNNAMED_COLUMN: N_("column {n} of the header has no name"),
    Problem.DUPLICATE_COLUMNS: N_("duplicate column(s): {names}"),
    Problem.UNKNOWN_COLUMNS: N_("unknown column(s): {names} (expected: {expected})"),
    Problem.MISSING_COLUMNS: N_("missing column(s): {names} (expected: {expected})"),
    Problem.CELL_COUNT: N_(
        "{got} cells but the header has {want} (a comma missing or extra? "
        "quote values that contain commas)"
    ),
    Problem.REQUIRED: N_("{column} is required"),
    Problem.BAD_MOBILE: N_(
        "{column} '{value}' is not a valid mobile number "
        "(11 digits starting with 1 after normalising)"
    ),
    Problem.BAD_PHONE: N_(
        "{column} '{value}' is not a valid phone number (7 to 12 digits after normalising)"
    ),
    Problem.BAD_ID: N_("{column} must be a positive integer, not '{value}'"),
    Problem.BAD_CREDIT_CODE: N_(
        "credit_code '{value}' is not a Unified Social Credit Code "
        "(18 digits or capital letters other than I, O, S, V, Z)"
    ),
    Problem.BAD_CHECK_CHARACTER: N_(
        "credit_code {value}: the check character is {got} but should be {want} "
        "(GB 32100-2015); a character is mistyped"
    ),
    Problem.TOO_LONG: N_(
        "{column} is {length} characters long; at most {limit} fit the bot's messages"
    ),
    Problem.UNKNOWN_TEAM: N_("unknown team '{team}' (known: {known}){hint}"),
    Problem.DUPLICATE: N_("duplicate {column} {value} (also on line {other})"),
    Problem.CONTACT_NAME_NEEDED: N_("contact_name is required when contact_phone is given"),
    Problem.CONTACT_TWO_NAMES: N_(
        "contact_phone {phone} is '{other_name}' on line {other} but '{name}' here"
    ),
    Problem.NO_COMMISSIONER: N_(
        "commissioner_phone {phone} is not an active commissioner in the database "
        "(import the commissioners first)"
    ),
    Problem.OTHER_PERSON: N_(
        "{column} {phone} belongs to '{other_name}' ({roles}) in the database, not '{name}'; "
        "one phone is one person: correct the phone or the name"
    ),
    Problem.CONTACT_NOT_MOBILE: N_(
        "this owner cannot onboard by phone: contact_phone '{value}' of {name} ({enterprise}) "
        "is not a mobile number, and only a mobile can be shared from Telegram"
    ),
    Problem.SYNC_EMPTY: N_(
        "the file lists no {kind}; with --sync that would deactivate all of them, so nothing "
        "was done"
    ),
}


def problem_text(error: RowError, lang: str) -> str:
    """The reason alone, in the operator's language."""
    _ = translator(lang)
    params: dict[str, object] = dict(error.params)
    if error.problem is Problem.UNKNOWN_TEAM:
        match = params.pop("match", "")
        params["hint"] = _("; did you mean '{match}'?").format(match=match) if match else ""
    elif error.problem is Problem.SYNC_EMPTY:
        params["kind"] = _(KINDS[RosterKind(str(params["kind"]))])
    elif error.problem is Problem.OTHER_PERSON:
        roles = str(params["roles"]).split(",")
        params["roles"] = _(", ").join(_(ROLES[r]) if r in ROLES else r for r in roles)
    return _(PROBLEMS[error.problem]).format(**params)


def error_line(error: RowError, lang: str) -> str:
    """The error as one line of output: its line number first, unless it is the whole file's."""
    reason = problem_text(error, lang)
    if error.line <= 0:
        return reason
    _ = translator(lang)
    return _("line {line}: {reason}").format(line=error.line, reason=reason)


def import_summary(report: ImportReport, lang: str) -> str:
    """One line per fact, for the CLI: the errors by line, or the counts and whether written."""
    _: Callable[[str], str] = translator(lang)
    lines = [_("Roster import: {kind}").format(kind=_(KINDS[report.kind]))]
    if report.source is not None:
        lines.append(_(SOURCES[report.source]).format(sheet=report.sheet))
    if report.errors:
        lines.append(_("{n} error(s); nothing was written").format(n=len(report.errors)))
        lines.extend(error_line(e, lang) for e in report.errors)
        lines.extend(_warnings(report, lang))
        return "\n".join(lines)
    lines.append(_("Created: {n}").format(n=report.created))
    lines.append(_("Updated: {n}").format(n=report.updated))
    lines.append(_("Unchanged: {n}").format(n=report.unchanged))
    lines.append(_("Deactivated: {n}").format(n=report.deactivated))
    if report.contacts_deactivated:
        lines.append(
            _("Contacts no longer listed (owner role deactivated): {n}").format(
                n=report.contacts_deactivated
            )
        )
    lines.append(_("Dry run: nothing was written") if report.dry_run else _("Written"))
    lines.extend(_warnings(report, lang))
    return "\n".join(lines)


def _warnings(report: ImportReport, lang: str) -> list[str]:
    """The warnings under their count; imported all the same."""
    if not report.warnings:
        return []
    _ = translator(lang)
    heading = _("{n} warning(s):").format(n=len(report.warnings))
    return [heading, *(error_line(w, lang) for w in report.warnings)]
