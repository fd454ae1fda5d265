"""Fictional sample data inspired by the county's industries, for the demo and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.identity import Address
from bot.domain.models import Enterprise, Role
from bot.services.ports import UnitOfWork


@dataclass(frozen=True)
class SamplePerson:
    name: str
    phone: str
    telegram_id: int
    teams: tuple[str, ...] = ()

    @property
    def address(self) -> Address:
        """Their Telegram account as an address."""
        return Address("telegram", str(self.telegram_id))


SUPERVISOR = SamplePerson("周主任", "13900000001", 1001)
LI = SamplePerson("李专员", "13900000011", 2001, ("relief", "policy"))
WANG = SamplePerson("王专员", "13900000012", 2002, ("finance", "promotion"))
CHEN = SamplePerson("陈专员", "13900000013", 2003, ("finance", "talent"))
COMMISSIONERS = (LI, WANG, CHEN)

TROUT_OWNER = SamplePerson("张老板", "13800000001", 3001)
HERB_OWNER = SamplePerson("刘经理", "13800000002", 3002)
DISTILLERY_OWNER = SamplePerson("赵厂长", "13800000003", 3003)
OWNERS = (TROUT_OWNER, HERB_OWNER, DISTILLERY_OWNER)


# A member of the 冷水鱼 chain's industry party committee (行业党委), and one of 中药材's.
TAN = SamplePerson("谭书记", "13900000021", 4001)
MA = SamplePerson("马委员", "13900000022", 4002)
COMMITTEE = ((TAN, "冷水鱼"), (MA, "中药材"))


@dataclass(frozen=True)
class SampleEnterprise:
    name: str
    credit_code: str
    industry: str
    chain: str
    owner: SamplePerson
    commissioner: SamplePerson | None


ENTERPRISES = (
    SampleEnterprise(
        "清溪冷水鱼养殖场", "91500230MA5UXR1T2H", "水产养殖", "冷水鱼", TROUT_OWNER, LI
    ),
    SampleEnterprise(
        "仙草堂中药材有限公司", "91500230MA5UYB2H3K", "中药材", "中药材", HERB_OWNER, WANG
    ),
    SampleEnterprise(
        "老窖坊酒业有限公司", "91500230MA5UW83N4C", "白酒酿造", "酒类", DISTILLERY_OWNER, CHEN
    ),
)


async def load_sample(db: UnitOfWork, now: datetime, bind: bool = False) -> None:
    """Writes the sample rosters; with `bind`, their Telegram accounts are bound already."""
    async with db.tx() as tx:
        ids: dict[str, int] = {}
        for person, role in (
            (SUPERVISOR, Role.SUPERVISOR),
            *((c, Role.COMMISSIONER) for c in COMMISSIONERS),
        ):
            tg = person.address if bind else None
            ids[person.phone] = await tx.upsert_person(person.name, person.phone, role, tg, now)
            if person.teams:
                await tx.set_teams(ids[person.phone], person.teams)
        for ent in ENTERPRISES:
            owner = ent.owner
            tg = owner.address if bind else None
            await tx.upsert_person(owner.name, owner.phone, Role.OWNER, tg, now)
            await tx.upsert_enterprise(
                Enterprise(
                    id=0,
                    name=ent.name,
                    credit_code=ent.credit_code,
                    industry=ent.industry,
                    chain=ent.chain,
                    contact_name=owner.name,
                    contact_phone=owner.phone,
                    commissioner_id=ids[ent.commissioner.phone] if ent.commissioner else None,
                )
            )


async def load_committees(db: UnitOfWork, now: datetime, bind: bool = False) -> None:
    """Writes the sample chain committees (as `oncall-bot import committees` would)."""
    async with db.tx() as tx:
        for person, chain in COMMITTEE:
            tg = person.address if bind else None
            person_id = await tx.upsert_person(person.name, person.phone, Role.COMMITTEE, tg, now)
            await tx.set_chains(person_id, [chain])
