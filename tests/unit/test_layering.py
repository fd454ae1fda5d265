"""The import rules of design.md ("Who may import what"), read from the source with ast.

- bot/domain imports only the standard library, pydantic and bot.domain, and reads no files;
- bot/services imports only the standard library, pydantic, bot.domain and bot.services (no
  telegram, no aiosqlite, no bot.storage, not even for typing) and names nothing after Telegram;
- bot.storage is imported only by bot/storage itself, bootstrap and the command line;
- bot/export imports no channel (no bot.channels, bot.handlers, telegram).

What today's code still breaks is listed below as KNOWN exceptions, each one named, so the
tests pass now and fail on any new violation. The lists only shrink: an exception that is no
longer needed fails too, so that it is taken off the list when it is fixed.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bot

ROOT = Path(bot.__file__).parent
STDLIB = frozenset(sys.stdlib_module_names)

# Third-party packages the domain may use besides pydantic.
DOMAIN_LIBRARIES = {
    "pydantic",
    # China's public holidays and 调休 workdays as data (Python code, no I/O): the working-day
    # calendar is built on it. design.md lists only pydantic; the lead to add it there.
    "holidays",
}

# (file, imported module) pairs that break a rule today.
KNOWN_IMPORTS: set[tuple[str, str]] = set()

# Identifiers naming Telegram in the core, per file.
KNOWN_TELEGRAM_NAMES: dict[str, set[str]] = {}

# Who may import bot.storage besides bot/storage itself.
STORAGE_USERS = {
    "bootstrap.py",
    "cli.py",
    # `oncall-bot check`: the command line's health report, run beside cli.py.
    "check.py",
    # /export's child process opens its own read-only snapshot of the database file.
    "export/process.py",
}

# Calls that read or write files.
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes"}
FILE_FUNCTIONS = {("tomllib", "load"), ("json", "load"), ("json", "dump"), ("resources", "files")}


@dataclass(frozen=True)
class Import:
    file: str  # relative to bot/
    module: str
    line: int
    typing_only: bool  # under `if TYPE_CHECKING:`


def _files(package: str = "") -> Iterator[tuple[str, ast.Module]]:
    base = ROOT / package if package else ROOT
    for path in sorted(base.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _package_of(file: str) -> list[str]:
    """bot.<dirs> for a file, to resolve relative imports."""
    return ["bot", *Path(file).parent.parts]


def _imports(file: str, tree: ast.Module) -> list[Import]:
    found: list[Import] = []

    def visit(nodes: list[ast.stmt], typing_only: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend(Import(file, a.name, node.lineno, typing_only) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # from . import x, from ..domain import y
                    package = _package_of(file)
                    parts = package[: len(package) - node.level + 1]
                    module = ".".join([*parts, module] if module else parts)
                found.append(Import(file, module, node.lineno, typing_only))
            elif isinstance(node, ast.If):
                visit(node.body, typing_only or _is_type_checking(node.test))
                visit(node.orelse, typing_only)
            else:
                # Function bodies, classes, try and with blocks import too.
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child], typing_only)
                    elif isinstance(child, ast.ExceptHandler):
                        visit(child.body, typing_only)

    visit(tree.body, False)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _top(module: str) -> str:
    return module.split(".")[0]


def _check_known(violations: set[tuple[str, str]], known: set[tuple[str, str]], scope: str) -> None:
    relevant = {k for k in known if k[0].startswith(scope)}
    assert violations - relevant == set(), "new violations of design.md's import rules"
    assert relevant - violations == set(), "fixed: take these off KNOWN_IMPORTS"


def test_domain_imports_only_stdlib_pydantic_and_itself() -> None:
    violations = {
        (i.file, i.module)
        for file, tree in _files("domain")
        for i in _imports(file, tree)
        if not (
            _top(i.module) in STDLIB
            or _top(i.module) in DOMAIN_LIBRARIES
            or _within(i.module, "bot.domain")
        )
    }
    _check_known(violations, KNOWN_IMPORTS, "domain/")


def test_domain_reads_no_files() -> None:
    calls: list[str] = []
    for file, tree in _files("domain"):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in FILE_CALLS:
                calls.append(f"{file}:{node.lineno} {func.id}()")
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else None
                if func.attr in FILE_CALLS or (owner, func.attr) in FILE_FUNCTIONS:
                    calls.append(f"{file}:{node.lineno} .{func.attr}()")
    assert calls == [], "the domain parses; bot/config_files.py (or storage) reads"


def test_services_import_only_stdlib_domain_and_services() -> None:
    imports = [i for file, tree in _files("services") for i in _imports(file, tree)]
    violations = {
        (i.file, i.module)
        for i in imports
        if not (
            _top(i.module) in STDLIB
            or _top(i.module) == "pydantic"
            or _within(i.module, "bot.domain")
            or _within(i.module, "bot.services")
        )
    }
    _check_known(violations, KNOWN_IMPORTS, "services/")
    # Whatever is still known may only be there for typing: nothing storage runs in a service.
    at_runtime = [i for i in imports if (i.file, i.module) in KNOWN_IMPORTS and not i.typing_only]
    assert at_runtime == [], "services never run storage code"


def test_storage_is_imported_only_by_storage_bootstrap_and_the_cli() -> None:
    violations = {
        (i.file, i.module)
        for file, tree in _files()
        if not file.startswith("storage/") and file not in STORAGE_USERS
        for i in _imports(file, tree)
        if _within(i.module, "bot.storage")
    }
    assert violations - KNOWN_IMPORTS == set(), "only bootstrap and the CLI wire storage in"
    storage_known = {k for k in KNOWN_IMPORTS if _within(k[1], "bot.storage")}
    assert storage_known - violations == set(), "fixed: take these off KNOWN_IMPORTS"


def test_exports_import_no_channel() -> None:
    """bot/export (spreadsheets, CSV, charts) knows no channel: labels come from bot.i18n."""
    violations = {
        (i.file, i.module)
        for file, tree in _files("export")
        for i in _imports(file, tree)
        if _within(i.module, "bot.channels")
        or _within(i.module, "bot.handlers")
        or _top(i.module) == "telegram"
    }
    assert violations == set(), "bot/export imports no channel"


def _telegram_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        for attr in ("id", "attr", "arg", "name"):
            value = getattr(node, attr, None)
            if isinstance(value, str) and "telegram" in value.lower():
                names.add(value)
    return names


def test_the_core_names_nothing_after_telegram() -> None:
    found = {
        file: names
        for package in ("domain", "services")
        for file, tree in _files(package)
        if (names := _telegram_names(tree))
    }
    new = {f: n - KNOWN_TELEGRAM_NAMES.get(f, set()) for f, n in found.items()}
    assert {f: n for f, n in new.items() if n} == {}, "a channel's id has no place in the core"
    fixed = {f: n - found.get(f, set()) for f, n in KNOWN_TELEGRAM_NAMES.items()}
    assert {f: n for f, n in fixed.items() if n} == {}, "fixed: take these off the list"


def test_the_checks_see_what_they_look_for() -> None:
    """The AST walk finds imports under TYPE_CHECKING, in functions and relative ones."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.storage.repositories import Tx\n"
        "def f() -> None:\n    import telegram\n"
        "from .models import Person\n"
    )
    found = {(i.module, i.typing_only) for i in _imports("services/x.py", tree)}
    assert found == {
        ("typing", False),
        ("bot.storage.repositories", True),
        ("telegram", False),
        ("bot.services.models", False),
    }
