"""What the command line prints about a roster import, worded from the gettext catalogs.

The importer (bot/services/importer.py) reports structured results: a Problem with its
parameters per bad row, and counts. Wording them is presentation, so it lives here, beside
bot/cli.py (as bot/check.py does for `check`), and not in a messenger channel: the operator's
terminal is not something the outbox sends to.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import translator
from bot.services.importer import ImportReport, Problem, RosterKind, RowError


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


KINDS: dict[RosterKind, str] = {
    RosterKind.COMMISSIONERS: N_("commissioners"),
    RosterKind.ENTERPRISES: N_("enterprises"),
    RosterKind.SUPERVISORS: N_("supervisors"),
}

# One text per Problem; the fields are the parameters the importer gives with it.
PROBLEMS: dict[Problem, str] = {
    Problem.UNREADABLE: N_("cannot read the file: {error}"),
    Problem.NOT_UTF8: N_("not UTF-8 text; save the file as 'CSV UTF-8'"),
    Problem.GBK: N_(
        "not UTF-8 text (it looks like GBK, Excel's plain 'CSV' on Chinese Windows); "
        "save the file as 'CSV UTF-8'"
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
    if report.errors:
        lines.append(_("{n} error(s); nothing was written").format(n=len(report.errors)))
        lines.extend(error_line(e, lang) for e in report.errors)
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
    return "\n".join(lines)
