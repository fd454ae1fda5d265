"""Enterprises: the roster of companies and their contacts."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from bot.domain.models import Enterprise
from bot.storage.sqlite.base import Statements, in_list


class EnterprisesSql(Statements):
    """The enterprises table."""

    @staticmethod
    def _enterprise(row: aiosqlite.Row) -> Enterprise:
        return Enterprise(
            id=row["id"],
            name=row["name"],
            credit_code=row["credit_code"],
            industry=row["industry"],
            chain=row["chain"],
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
            commissioner_id=row["commissioner_id"],
            active=bool(row["active"]),
        )

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        row = await self._one("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return self._enterprise(row) if row else None

    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """The enterprise with this credit code, active or not."""
        row = await self._one("SELECT * FROM enterprises WHERE credit_code = ?", (credit_code,))
        return self._enterprise(row) if row else None

    async def enterprises_of_contact(self, phone: str) -> list[Enterprise]:
        rows = await self._all(
            "SELECT * FROM enterprises WHERE contact_phone = ? AND active = 1 ORDER BY id",
            (phone,),
        )
        return [self._enterprise(r) for r in rows]

    async def chains(self) -> list[str]:
        """The industry chains the active enterprises belong to, in order (index
        enterprises_chain)."""
        rows = await self._all(
            "SELECT DISTINCT chain FROM enterprises WHERE chain != '' AND active = 1 ORDER BY chain"
        )
        return [str(r["chain"]) for r in rows]

    async def enterprises_in_chain(self, chain: str) -> list[Enterprise]:
        rows = await self._all(
            "SELECT * FROM enterprises WHERE chain = ? AND active = 1 ORDER BY name, id", (chain,)
        )
        return [self._enterprise(r) for r in rows]

    async def upsert_enterprise(self, e: Enterprise) -> int:
        row = await self._one("SELECT id FROM enterprises WHERE credit_code = ?", (e.credit_code,))
        values = (
            e.name,
            e.industry,
            e.chain,
            e.contact_name,
            e.contact_phone,
            e.commissioner_id,
        )
        if row is None:
            return await self._insert(
                "INSERT INTO enterprises (name, industry, chain, contact_name, contact_phone, "
                "commissioner_id, credit_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*values, e.credit_code),
            )
        await self._run(
            "UPDATE enterprises SET name = ?, industry = ?, chain = ?, contact_name = ?, "
            "contact_phone = ?, commissioner_id = ?, active = 1 WHERE id = ?",
            (*values, row["id"]),
        )
        return int(row["id"])

    async def enterprises_by_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        """The enterprises with these credit codes (one query), by code."""
        marks, wanted = in_list(set(codes))
        if not wanted:
            return {}
        rows = await self._all(f"SELECT * FROM enterprises WHERE credit_code IN ({marks})", wanted)
        return {r["credit_code"]: self._enterprise(r) for r in rows}

    async def upsert_enterprises(self, enterprises: Iterable[Enterprise]) -> None:
        """Inserts or updates (by credit code) many enterprises at once, reactivating them."""
        await self.begin_now()
        await self.conn.executemany(
            "INSERT INTO enterprises (name, industry, chain, contact_name, contact_phone, "
            "commissioner_id, credit_code) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, "
            "industry = excluded.industry, chain = excluded.chain, "
            "contact_name = excluded.contact_name, contact_phone = excluded.contact_phone, "
            "commissioner_id = excluded.commissioner_id, active = 1",
            [
                (
                    e.name,
                    e.industry,
                    e.chain,
                    e.contact_name,
                    e.contact_phone,
                    e.commissioner_id,
                    e.credit_code,
                )
                for e in enterprises
            ],
        )

    async def deactivate_enterprises_except(self, keep_codes: Iterable[str]) -> int:
        marks, codes = in_list(keep_codes)
        return await self._run(
            f"UPDATE enterprises SET active = 0 WHERE active = 1 AND credit_code NOT IN ({marks})",
            codes,
        )
