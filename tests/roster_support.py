"""One roster kept the ways the center keeps it: CSV in UTF-8 (BOM or not) or GBK, or .xlsx."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from openpyxl import Workbook

from bot.domain.roster import credit_code_check


def credit_code(head: str) -> str:
    """`head` (17 characters) with the check character GB 32100-2015 calls for."""
    check = credit_code_check(head)
    assert check is not None, head
    return head + check


TROUT = credit_code("91500240MA6C1T0R8")
HERBS = credit_code("91500240MA5YJ2KU6")
SPIRITS = credit_code("91500240MA60X9L23")

# The four rosters, imported in this order (enterprises need their commissioners). Chinese
# names throughout (every character in GBK), a full-width phone, a landline contact.
ROSTERS: dict[str, str] = {
    "commissioners": "name,phone,teams,telegram_id\n"
    "陈明,13800000001,finance;tax,1001\n"
    "刘芳,１３８０００００００２,legal,\n"
    "王强,+86 138 0000 0003,relief;policy,1003\n",
    "enterprises": "name,credit_code,industry,chain,contact_name,contact_phone,"
    "commissioner_phone\n"
    f"石柱冷水鱼养殖有限公司,{TROUT},水产,冷水鱼,黄伟,13900000001,13800000001\n"
    f"黄连中药材股份公司,{HERBS},中药材,黄连,周丽,023-73331234,\n"
    f"山城酒厂,{SPIRITS},酒类,白酒,黄伟,13900000001,13800000002\n",
    "supervisors": "name,phone,telegram_id\n督导甲,13700000001,2001\n督导乙,13700000002,\n",
    # One member serves two chains (a row each); one has not been given a Telegram id.
    "committees": "chain,name,phone,telegram_id\n"
    "冷水鱼,谭书记,13600000001,3001\n"
    "黄连,谭书记,13600000001,3001\n"
    "白酒,马委员,136 0000 0002,\n",
}

VARIANTS = ("utf-8", "utf-8-sig", "gbk", "xlsx")


def write_xlsx(path: Path, text: str) -> None:
    """The CSV text as Excel would keep it: digit-only cells as numbers, empty cells empty.

    Phones and ids typed into Excel become numbers unless the column is formatted as Text;
    the importer must give back their digits.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "名册"
    for r, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for c, value in enumerate(row, start=1):
            if value.isascii() and value.isdigit():
                sheet.cell(r, c, int(value))
            elif value:
                sheet.cell(r, c, value)
    book.create_sheet("说明").cell(1, 1, "not read: only the first sheet is the roster")
    book.save(path)


def write_roster(folder: Path, kind: str, variant: str) -> Path:
    """The roster of `kind` written in `variant` (an encoding, or "xlsx") into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = ROSTERS[kind]
    if variant == "xlsx":
        path = folder / f"{kind}.xlsx"
        write_xlsx(path, text)
    else:
        path = folder / f"{kind}.csv"
        # Excel writes CRLF; the BOM comes from the "utf-8-sig" codec.
        path.write_bytes(text.replace("\n", "\r\n").encode(variant))
    return path


def snapshot(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table but the audit log, without timestamps: what an import leaves behind."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'events' ORDER BY name"
            )
        ]
        found: dict[str, list[tuple[object, ...]]] = {}
        for table in tables:
            columns = [
                r[1]
                for r in conn.execute(f"PRAGMA table_info({table})")
                if not r[1].endswith("_at")
            ]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            found[table] = sorted(rows, key=repr)
        return found
    finally:
        conn.close()
