"""`python -m bot ARGS` as an operator runs it: a clean environment, a database, a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_bot_cli(
    cwd: Path, *args: str, db: Path | None = None, umask: int = -1, **env: str
) -> subprocess.CompletedProcess[str]:
    """Runs the CLI to completion with no ONCALL_* setting but ONCALL_DB (default cwd/oncall.db).

    `umask=0` shows that only the bot's own care keeps its files private.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    environment.update({"ONCALL_DB": str(db or cwd / "oncall.db"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        umask=umask,
    )
