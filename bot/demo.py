"""`oncall-bot demo`: the whole story on the local Bot API simulator, printed chat by chat."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import Runtime, build
from bot.domain.clock import FakeClock
from bot.sample import (
    CHEN,
    DISTILLERY_OWNER,
    HERB_OWNER,
    LI,
    SUPERVISOR,
    TROUT_OWNER,
    WANG,
    SamplePerson,
    load_sample,
)
from bot.settings import Settings
from bot.simulator.driver import SimUser
from bot.simulator.server import BotApiSimulator

DEMO_TOKEN = "100000:DEMO-NO-NETWORK"
WAIT = 10.0

ROLES = {
    "zh": {
        SUPERVISOR: "服务中心督导",
        LI: "企业服务专员（纾困解难团、政策宣讲团）",
        WANG: "企业服务专员（金融顾问团、产品推介团）",
        CHEN: "企业服务专员（金融顾问团、人才支撑团）",
        TROUT_OWNER: "清溪冷水鱼养殖场 负责人",
        HERB_OWNER: "仙草堂中药材有限公司 负责人",
        DISTILLERY_OWNER: "老窖坊酒业有限公司 负责人",
    },
    "en": {
        SUPERVISOR: "supervisor at the service center",
        LI: "service commissioner (Relief, Policy briefing)",
        WANG: "service commissioner (Finance advisers, Product promotion)",
        CHEN: "service commissioner (Finance advisers, Talent support)",
        TROUT_OWNER: "owner, Qingxi rainbow-trout farm",
        HERB_OWNER: "manager, Xiancaotang herbal-medicine company",
        DISTILLERY_OWNER: "director, Laojiaofang distillery",
    },
}

LINES = {
    "zh": {
        "trout_need": "冷水鱼饲料款缺口30万元，想申请贷款，能否帮忙对接银行？",
        "question": "请提供近三个月的销售流水，我明天上午到养殖场看看。",
        "answer": "好的，流水已整理，见附件。",
        "summary": "已对接县农商行“渔业贷”，30万元贷款三个工作日内放款。",
        "spirits_need": "白酒想参加重庆的农产品展销会，需要帮忙联系展位。",
        "title": "oncall-bot 演示：有什么需要，随叫随到",
        "chat": "对话",
        "clock": "故事从 2026-11-25（星期三）09:30 开始；演示时钟随剧情快进，机器人与之同步。",
        "done": "演示结束：{calls} 次 Bot API 调用，{errors} 个错误。",
    },
    "en": {
        "trout_need": "We are 300,000 yuan short for trout feed and need a loan. "
        "Can you connect us with a bank?",
        "question": "Please send the last three months of sales records; I will visit the farm "
        "tomorrow morning.",
        "answer": "Here they are, attached.",
        "summary": "Connected with the county rural bank's fishery loan; 300,000 yuan will be paid "
        "out within three working days.",
        "spirits_need": "Our baijiu should be at the Chongqing farm-produce fair; we need help "
        "getting a stand.",
        "title": "oncall-bot demo: whatever you need, we come at once",
        "chat": "chat",
        "clock": "The story starts on Wednesday 2026-11-25 at 09:30 (county time); the demo "
        "clock jumps ahead with the story, and the bot runs on it.",
        "done": "Demo finished: {calls} Bot API calls, {errors} errors.",
    },
}


class Story:
    """The scripted people and their steps; every step waits on what the bot really sends."""

    def __init__(self, sim: BotApiSimulator, runtime: Runtime, clock: FakeClock, lang: str):
        self.sim = sim
        self.runtime = runtime
        self.clock = clock
        self.lang = lang
        self.t = LINES[lang]
        code = "en" if lang == "en" else "zh-hans"
        self.users = {
            p: sim.user(p.telegram_id, p.name, language_code=code)
            for p in (SUPERVISOR, LI, WANG, CHEN, TROUT_OWNER, HERB_OWNER, DISTILLERY_OWNER)
        }

    def label(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    async def onboard(self, person: SamplePerson) -> SimUser:
        user = self.users[person]
        await user.command("start")
        await user.wait_for_message(timeout=WAIT)
        await user.share_contact(person.phone)
        await user.wait_for_message(person.name, timeout=WAIT)
        return user

    async def later(self, hours: float) -> None:
        """Moves the story's clock on (the bot runs on the same clock)."""
        self.clock.advance(timedelta(hours=hours))

    async def sweep(self, hours: float) -> None:
        """Moves the clock on and lets the scheduler's sweep look for overdue work."""
        await self.later(hours)
        assert self.runtime.sweep is not None
        await self.runtime.sweep.run(self.clock.now())
        await self.runtime.sender.drain()

    async def play(self) -> None:
        label = self.label
        supervisor = await self.onboard(SUPERVISOR)
        li = await self.onboard(LI)
        wang = await self.onboard(WANG)
        chen = await self.onboard(CHEN)
        owner = await self.onboard(TROUT_OWNER)
        distiller = await self.onboard(DISTILLERY_OWNER)

        # 1. The trout farm asks for a loan, with a photo, urgently.
        await owner.command("new")
        await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.tap(label("融资", "Financing"))
        await owner.wait_for_message(timeout=WAIT)
        await owner.send(self.t["trout_need"])
        await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.send_photo(caption=None)
        await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.tap(label("完成", "Done"))
        await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.tap(label("紧急", "Urgent"))
        await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.tap(label("提交", "Submit"))
        await owner.wait_for_message("#1", timeout=WAIT)

        # 2. Dispatch to 李专员, who accepts with one tap ten minutes later.
        card = await li.wait_for_message("#1", timeout=WAIT)
        await li.wait_for_message(lambda m: m.kind == "photo", timeout=WAIT)
        await self.later(10 / 60)
        await li.wait_answer(await li.tap(label("接单", "Accept"), card), timeout=WAIT)
        accepted = await owner.wait_for_message("#1", timeout=WAIT)

        # 3. A question relayed both ways (Telegram replies).
        await li.reply(card, self.t["question"])
        asked = await owner.wait_for_message("#1", timeout=WAIT)
        await owner.send_document("sales.pdf", caption=self.t["answer"], reply_to=asked)
        await li.wait_for_message("#1", timeout=WAIT)
        del accepted

        # 4. That afternoon: Resolve with an outcome and a summary; the owner rates it.
        await self.later(4)
        await li.tap(label("办结", "Resolve"), card)
        outcomes = await li.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await li.tap(label("已解决", "Solved"), outcomes)
        await li.wait_for_edit(outcomes, timeout=WAIT)
        await li.send(self.t["summary"])
        rating = await owner.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await owner.tap("5", rating)
        await owner.wait_for_edit(rating, timeout=WAIT)

        # 5. The distillery's request: nobody accepts, so it is chased and escalated.
        await distiller.command("new")
        await distiller.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await distiller.tap(label("销售", "Sales"))
        await distiller.wait_for_message(timeout=WAIT)
        await distiller.send(self.t["spirits_need"])
        await distiller.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await distiller.tap(label("跳过", "Skip"))
        await distiller.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await distiller.tap(label("一般", "Normal"))
        await distiller.wait_for_message(lambda m: bool(m.buttons), timeout=WAIT)
        await distiller.tap(label("提交", "Submit"))
        await distiller.wait_for_message("#2", timeout=WAIT)
        await chen.wait_for_message("#2", timeout=WAIT)
        await self.sweep(0.5)  # 陈专员 is reminded
        await chen.wait_for_message("#2", timeout=WAIT)
        await self.sweep(1.5)  # still nobody: the product-promotion team and the supervisors
        team_card = await wang.wait_for_message(
            lambda m: m.button(label("接单", "Accept")) is not None, timeout=WAIT
        )
        await supervisor.wait_for_message("#2", timeout=WAIT)
        await wang.wait_answer(await wang.tap(label("接单", "Accept"), team_card), timeout=WAIT)
        await distiller.wait_for_message("王专员", timeout=WAIT)

        # 6. Next morning: the supervisors' digest.
        self.clock.set(next_morning(self.clock.now()))
        await supervisor.command("digest")
        await supervisor.wait_for_message(timeout=WAIT)
        await self.runtime.sender.drain()


def next_morning(now: datetime) -> datetime:
    """08:35 Asia/Shanghai on the next day (00:35 UTC)."""
    day = (now + timedelta(hours=8)).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 0, 35, tzinfo=UTC)


async def run_demo(settings: Settings, lang: str | None, keep: Path | None) -> int:
    """Plays the story and prints the transcript; exits 0 only if the Bot API saw no error."""
    lang = lang or settings.default_language
    logging.getLogger().setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="oncall-demo-"))
    db_path = (keep or workdir) / "oncall-demo.db"
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        db_path.unlink(missing_ok=True)
    # A weekday morning in the county, so nothing falls in quiet hours.
    clock = FakeClock(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))
    try:
        async with BotApiSimulator() as sim:
            demo_settings = settings.model_copy(
                update={
                    "db": db_path,
                    "api_base_url": sim.base_url,
                    "api_file_url": sim.base_file_url,
                    "default_language": lang,
                }
            )
            runtime = await build(demo_settings, clock=clock, token=DEMO_TOKEN)
            runtime.sender.per_chat_interval = 0
            runtime.poller.poll_timeout = 1
            await runtime.start()
            try:
                await load_sample(runtime.db, clock.now())
                story = Story(sim, runtime, clock, lang)
                await story.play()
            finally:
                await runtime.close()
            print_transcript(sim, story, lang)
            errors = sim.errors()
            print()
            print(LINES[lang]["done"].format(calls=len(sim.calls), errors=len(errors)))
            for call in errors:
                print("  ", call.describe())
            return 0 if not errors else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def print_transcript(sim: BotApiSimulator, story: Story, lang: str) -> None:
    t = LINES[lang]
    print("=" * 72)
    print(t["title"])
    print(t["clock"])
    print("=" * 72)
    for person, user in story.users.items():
        if not user.chat.messages:
            continue
        print()
        print(f"── {t['chat']}: {person.name} · {ROLES[lang][person]} " + "─" * 8)
        print(sim.transcript(user.id))
