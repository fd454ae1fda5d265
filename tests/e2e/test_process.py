"""End to end: the real `oncall-bot run` process, over HTTP, against the Bot API simulator.

Each test starts ``python -m bot run`` as a child process (see support.BotProcess) and drives
simulated people through the simulator running in the test's own event loop. What a test
proves is what Telegram would see: the calls the process made, when, and with what result.
"""

from __future__ import annotations

import asyncio
import io
import signal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.sample import HERB_OWNER, LI, SUPERVISOR, TROUT_OWNER, WANG
from bot.simulator.server import BotApiSimulator
from tests.e2e.support import (
    WAIT,
    BotProcess,
    HeldResponses,
    assert_clean,
    clean_env,
    finish_form,
    load_sample_rosters,
    new_request,
    onboard,
    query,
    run_cli,
    send_calls,
    start_form,
    texts_to,
    wait_all_updates_handled,
)
from tests.i18n_support import zh, zh_part

# What people see, from the catalogs (tests/i18n_support.py).
ASK_SUMMARY = "<b>#{n}</b>: {outcome}. Now send a short summary of what was done (or /cancel)."

# A tolerance for comparing the simulator's clock with the delays the bot computes from its own.
SLACK = 0.05


# --------------------------------------------------------------------------- 1. the full loop


async def test_full_loop_through_the_real_process(sim: BotApiSimulator, bot: BotProcess) -> None:
    # The operator's way in: rosters imported with the CLI, phones in the formats people use.
    rosters = {
        "commissioners": "name,phone,teams,telegram_id\n"
        "李专员,+86 139-0000-0011,relief;policy,\n"
        "王专员,13900000012,finance;promotion,\n",
        "enterprises": "name,credit_code,industry,chain,contact_name,contact_phone,"
        "commissioner_phone\n"
        "清溪冷水鱼养殖场,91500230MA5UXR1T2H,水产养殖,冷水鱼,张老板,13800000001,13900000011\n",
        "supervisors": "\ufeffname,phone,telegram_id\n周主任,13900000001,\n",
    }
    for kind, content in rosters.items():
        path = bot.workdir / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        result = await run_cli("import", kind, str(path), cwd=bot.workdir, env=bot.env)
        assert result.returncode == 0, (kind, result.stdout, result.stderr)
    await bot.start()

    owner = await onboard(sim, TROUT_OWNER)
    li = sim.user(LI.telegram_id, LI.name)
    await li.command("start")
    await li.wait_for_message(timeout=WAIT)
    await li.share_contact("+8613900000011")  # Telegram clients send the country code
    await li.wait_for_message("李专员", timeout=WAIT)

    # /new with a photo.
    description = "冷水鱼饲料款缺口30万元，想申请贷款，能否帮忙对接银行？"
    await start_form(owner, "融资", description)
    summary = await finish_form(owner, photos=1)
    assert description in (summary.text or "")
    submit = await owner.tap(zh("✅ Submit"), summary)
    assert "#1" in (await owner.wait_answer(submit, timeout=WAIT)).get("text", "")
    received = await owner.wait_for_message("#1", timeout=WAIT)
    assert "李专员" in (received.text or "")

    # The dispatch card: #N, enterprise, category, urgency, description, Accept / Decline.
    card = await li.wait_for_message("#1", timeout=WAIT)
    for expected in ("清溪冷水鱼养殖场", "融资", zh("Normal"), description):
        assert expected in (card.text or ""), card.text
    assert card.button(zh("✅ Accept")) is not None and card.button(zh("↩ Decline")) is not None
    await li.wait_for(
        lambda: any(m.kind == "photo" and "#1" in m.body for m in li.messages()), WAIT
    )

    # One tap takes it; the owner is told who; the card becomes the working card.
    accept = await li.tap(zh("✅ Accept"), card)
    assert "#1" in (await li.wait_answer(accept, timeout=WAIT)).get("text", "")
    taken = await owner.wait_for_message("李专员", timeout=WAIT)
    assert "#1" in (taken.text or "")
    await li.wait_for_edit(card, lambda m: m.button(zh("🏁 Resolve")) is not None, timeout=WAIT)
    assert card.button(zh("📝 Note")) is not None

    # Relayed both ways by replying.
    await owner.reply(taken, "请问需要准备哪些材料？")
    await owner.wait_for_message(zh("Passed on ✔"), timeout=WAIT)
    question = await li.wait_for_message("请问需要准备哪些材料", timeout=WAIT)
    assert "#1" in (question.text or "") and "张老板" in (question.text or "")
    await li.reply(question, "请提供近三个月的销售流水。")
    answer = await owner.wait_for_message("近三个月的销售流水", timeout=WAIT)
    assert "#1" in (answer.text or "")

    # Resolve: outcome, then summary; the owner is told and asked for a rating.
    await li.tap(zh("🏁 Resolve"), card)
    outcomes = await li.wait_for_message(lambda m: m.button(zh("Solved")) is not None, timeout=WAIT)
    await li.tap(zh("Solved"), outcomes)
    await li.wait_for_edit(outcomes, zh_part(ASK_SUMMARY), timeout=WAIT)
    await li.send("已对接县农商行，贷款30万元已发放")
    resolved = await owner.wait_for_message("已对接县农商行", timeout=WAIT)
    assert "#1" in (resolved.text or "") and zh("Solved") in (resolved.text or "")
    assert [b for b in resolved.buttons if b.rstrip("⭐").isdigit()] == [
        f"{n}⭐" for n in range(1, 6)
    ]

    # The rating closes it.
    await owner.tap("5", resolved)
    await owner.wait_for_edit(resolved, "5/5", timeout=WAIT)
    await li.wait_for_message("5/5", timeout=WAIT)

    # The supervisor's /export: the workbook is built by the bot's child process and sent.
    boss = await onboard(sim, SUPERVISOR)
    await boss.command("export")
    sent = await boss.wait_for_message(lambda m: m.kind == "document", timeout=WAIT)
    book = load_workbook(io.BytesIO(sim.files[(sent.document or {})["file_id"]].data))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert len(rows) == 2 and rows[1][0] == 1 and rows[1][1] == "清溪冷水鱼养殖场"

    assert_clean(sim)
    sim.assert_callbacks_answered(max_latency=2.0)
    code, _took = await bot.terminate()
    assert code == 0, bot.log_tail()
    [request] = query(bot.db_path, "SELECT * FROM requests")
    assert (request["status"], request["outcome"], request["rating"]) == ("closed", "solved", 5)
    unsent = query(bot.db_path, "SELECT kind, status FROM outbox WHERE status != 'sent'")
    assert not unsent, [tuple(r) for r in unsent]
    assert "Traceback" not in bot.stderr_text()


# --------------------------------------------------------------------------- 2. kill -9


async def test_kill_9_mid_form_resumes_at_the_same_step(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    li = await onboard(sim, LI, "en")

    # Killed right after the description was taken (and its update marked handled).
    await start_form(owner, "Financing", "We are 300,000 yuan short for trout feed.")
    await wait_all_updates_handled(bot.db_path)
    await bot.kill()
    # The owner carries on while the bot is down; the update waits at Telegram.
    await owner.send_photo()
    await bot.start()
    # Still at the attachments step: the photo is taken as attachment 1.
    await owner.wait_for_message("Attachment 1", timeout=WAIT)
    await owner.tap("Done")
    await owner.wait_for_message("4/4", timeout=WAIT)
    await owner.tap("Normal")
    summary = await owner.wait_for_message(lambda m: m.button("Submit") is not None, timeout=WAIT)
    assert "300,000 yuan short" in (summary.text or "")
    assert "Attachments: 1" in (summary.text or "")

    # Killed again on the summary; Submit on the old message still works after the restart.
    await wait_all_updates_handled(bot.db_path)
    await bot.kill()
    await bot.start()
    tap = await owner.tap("Submit", summary)
    assert "#1" in (await owner.wait_answer(tap, timeout=WAIT)).get("text", "")
    await owner.wait_for_message("#1 received", timeout=WAIT)
    card = await li.wait_for_message("#1", timeout=WAIT)
    assert "300,000 yuan short" in (card.text or "")
    await li.wait_for(lambda: any(m.kind == "photo" for m in li.messages()), WAIT)

    # Exactly one request, one confirmation, one card, one attachment; no step repeated.
    assert len(query(bot.db_path, "SELECT id FROM requests")) == 1
    assert len(texts_to(owner, "#1 received")) == 1
    assert len(texts_to(li, "New request #1")) == 1
    assert len([m for m in li.messages() if m.kind == "photo"]) == 1
    for question in ("2/4", "3/4", "4/4"):
        assert len(texts_to(owner, question)) == 1, question
    assert_clean(sim)


async def test_kill_9_while_a_step_is_being_answered_does_not_handle_it_twice(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    await owner.command("new")
    await owner.wait_for_message(lambda m: m.button("Financing") is not None, timeout=WAIT)
    await owner.tap("Financing")
    await owner.wait_for_message("2/4", timeout=WAIT)

    # The owner sees the next question, but the bot is killed before its answer came back
    # (over a slow network this window is a round trip long).
    with HeldResponses(sim, "sendMessage", lambda p: "(3/4)" in str(p.get("text"))) as held:
        await owner.send("We are 300,000 yuan short for trout feed.")
        await held.wait_holding()
        await bot.kill()
    await bot.start()
    await owner.send_photo()
    await owner.wait_for_message("Attachment 1", timeout=WAIT)
    await owner.tap("Done")
    await owner.wait_for_message("4/4", timeout=WAIT)

    # The same for a tap: the summary is shown, the process dies before the handler returns.
    with HeldResponses(sim, "sendMessage", lambda p: "Submit it?" in str(p.get("text"))) as held:
        await owner.tap("Normal")
        await held.wait_holding()
        await bot.kill()
    await bot.start()
    submit = await owner.tap("Submit")
    await owner.wait_answer(submit, timeout=WAIT)
    await owner.wait_for_message("#1 received", timeout=WAIT)

    problems = [
        f"sent again after the restart: {m.body!r}"
        for m in owner.messages()
        if "Only photos and documents" in m.body
    ]
    problems += [f"Bot API error: {c.describe()}" for c in sim.errors()]
    assert not problems, "\n".join(problems)


async def test_kill_9_between_commit_and_delivery_loses_no_message(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    li = await onboard(sim, LI, "en")
    await start_form(owner, "Financing", "We need a loan for the new hatchery.")
    summary = await finish_form(owner)

    # Submit commits the request with its two messages (the owner's confirmation, the
    # commissioner's card); both first attempts get a 429, so both are still queued when the
    # process is killed.
    sim.fail_next("sendMessage", 429, retry_after=2, count=2)
    tap = await owner.tap("Submit", summary)
    await owner.wait_answer(tap, timeout=WAIT)
    await bot.wait(lambda: len(sim.expected_errors()) == 2, WAIT, "two 429 answers")
    await bot.kill()
    assert not texts_to(li, "#1") and not texts_to(owner, "#1 received")

    await bot.start()
    card = await li.wait_for_message("New request #1", timeout=WAIT)
    await owner.wait_for_message("#1 received", timeout=WAIT)

    # The same for a notification: Accept commits the owner's "taken" message, whose first
    # attempt is refused; kill -9; the restarted bot delivers it.
    sim.fail_next("sendMessage", 429, retry_after=2, count=1)
    accept = await li.tap("Accept", card)
    await li.wait_answer(accept, timeout=WAIT)
    await bot.wait(lambda: len(sim.expected_errors()) == 3, WAIT, "the third 429")
    await bot.kill()
    assert not texts_to(owner, "has taken")
    await bot.start()
    taken = await owner.wait_for_message("has taken", timeout=WAIT)
    await li.wait_for_edit(card, lambda m: m.button("Resolve") is not None, timeout=WAIT)

    # A later message to each chat comes out after anything queued before it (per-chat
    # order), so by now a duplicate would have been sent: there is none.
    await owner.reply(taken, "Thank you, when can you come?")
    await li.wait_for_message("when can you come", timeout=WAIT)
    await li.reply(li.last_message(), "Tomorrow at nine.")
    await owner.wait_for_message("Tomorrow at nine", timeout=WAIT)
    assert len(texts_to(owner, "#1 received")) == 1
    assert len(texts_to(owner, "has taken")) == 1
    assert len(texts_to(li, "New request #1")) == 1
    assert len(query(bot.db_path, "SELECT id FROM requests")) == 1
    assert_clean(sim, repeated_edits=True)


# --------------------------------------------------------------------------- 3. 429


class ChatThrottle:
    """Applies the simulator's flood limits to one chat only (the others are never refused)."""

    def __init__(self, sim: BotApiSimulator, chat_id: int) -> None:
        self.sim = sim
        self.chat_id = chat_id
        self.check = sim._check_throttle

    def __call__(self, method: str, chat_id: int | None) -> None:
        if chat_id == self.chat_id:
            self.check(method, chat_id)


def assert_waited_out(sim: BotApiSimulator, chat_id: int) -> int:
    """After every 429 to ``chat_id``, nothing was sent to that chat before retry_after passed.

    Returns how many 429s the chat got.
    """
    calls = send_calls(sim, chat_id)
    refused = [c for c in calls if c.status == 429]
    for c in refused:
        retry_after = c.response["parameters"]["retry_after"]
        during = [d for d in calls if c.at < d.at < c.at + retry_after - SLACK]
        assert not during, f"{len(during)} call(s) within {retry_after}s of a 429:\n" + "\n".join(
            d.describe() for d in [c, *during]
        )
    return len(refused)


async def test_429_is_waited_out_and_nothing_is_lost(sim: BotApiSimulator, bot: BotProcess) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    li = await onboard(sim, LI, "en")
    await new_request(owner, "Financing", "We need a loan for the new hatchery.")
    card = await li.wait_for_message("New request #1", timeout=WAIT)

    # Accept queues the owner's notification (the only sendMessage it causes) and the edit of
    # the card. The notification is refused with retry_after=2.
    sim.fail_next("sendMessage", 429, retry_after=2)
    accept = await li.tap("Accept", card)
    await li.wait_answer(accept, timeout=WAIT)
    await li.wait_for_edit(card, lambda m: m.button("Resolve") is not None, timeout=WAIT)
    taken = await owner.wait_for_message("has taken", timeout=WAIT)
    attempts = [c for c in send_calls(sim, owner.id) if "has taken" in c.params.get("text", "")]
    assert [c.status for c in attempts] == [429, 200]
    # The retry came only once retry_after had passed: no loop, no early retry.
    assert attempts[1].at - attempts[0].at >= 2 - SLACK, [c.at for c in attempts]
    assert assert_waited_out(sim, owner.id) == 1
    # The card's edit (another chat) was not held back by the owner's 429s.
    [card_edit] = [e for e in card.edits if e.seq > accept.query.seq]
    assert card_edit.at < attempts[1].at and card_edit.at - accept.query.at < 2

    # Telegram-style flood limits on the commissioner's chat: half a message a second, no
    # burst, retry_after 1 s. Three quick relays to the commissioner: some are refused, all
    # arrive, in order.
    sim.set_throttle(True, per_chat_per_second=0.5, per_chat_burst=1, retry_after=1)
    sim._check_throttle = ChatThrottle(sim, li.id)  # type: ignore[method-assign]
    words = ["first", "second", "third"]
    for word in words:
        await owner.reply(taken, f"Relay number {word}.")
        await owner.wait_for_message("Passed on", timeout=WAIT)
    await li.wait_for_message(f"Relay number {words[-1]}", timeout=WAIT)
    relays = [m.body for m in li.messages() if "Relay number" in m.body]
    assert [w for r in relays for w in words if f"number {w}." in r] == words
    assert assert_waited_out(sim, li.id) >= 1
    assert_clean(sim)


async def test_429_on_a_direct_reply_is_waited_out_too(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    sim.fail_next("sendMessage", 429, retry_after=2)
    await owner.command("help")
    first = await owner.wait_for_message(timeout=WAIT)
    assert "/new" in first.body, f"instead of the help: {first.body!r}"
    assert_waited_out(sim, owner.id)


# --------------------------------------------------------------------------- 4. 403


async def test_a_blocked_user_is_tried_once_and_holds_nobody_up(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    loop = asyncio.get_running_loop()
    owner = await onboard(sim, TROUT_OWNER, "en")
    li = await onboard(sim, LI, "en")
    herb = await onboard(sim, HERB_OWNER, "en")
    wang = await onboard(sim, WANG, "en")
    await new_request(owner, "Financing", "We need a loan for the new hatchery.")
    card = await li.wait_for_message("New request #1", timeout=WAIT)

    owner.block()
    blocked_at = len(sim.calls)
    # "Taken" is refused (403), once: the owner is marked unreachable and the commissioner
    # told so, with the number to call; his replies are then not sent, and he is told that.
    accept = await li.tap("Accept", card)
    started = loop.time()
    await li.wait_answer(accept, timeout=WAIT)
    await li.wait_for_edit(card, lambda m: m.button("Resolve") is not None, timeout=WAIT)
    assert loop.time() - started < 3
    await li.wait_for_message(TROUT_OWNER.phone, timeout=WAIT)
    for text in ("Can I visit on Monday?", "Please bring the licence."):
        await li.reply(card, text)
        started = loop.time()
        receipt = await li.wait_for_message(TROUT_OWNER.phone, timeout=WAIT)
        assert "Not delivered" in receipt.body and "Passed on" not in receipt.body
        assert loop.time() - started < 3

    # Meanwhile another owner and commissioner are served promptly.
    started = loop.time()
    await new_request(herb, "Sales", "We want a stand at the Chongqing herb fair.")
    herb_card = await wang.wait_for_message("New request #2", timeout=WAIT)
    accept = await wang.tap("Accept", herb_card)
    await herb.wait_for_message("has taken", timeout=WAIT)
    assert loop.time() - started < 8

    refused = [c for c in sim.calls[blocked_at:] if c.chat_id == owner.id]
    assert [c.status for c in refused] == [403], [c.describe() for c in refused]

    # Once the owner writes again (unblocking the bot), new messages reach them.
    await owner.command("my")
    await owner.wait_for_message(lambda m: m.button("#1 ") is not None, timeout=WAIT)
    await li.reply(card, "Are you there?")
    await owner.wait_for_message("Are you there?", timeout=WAIT)
    assert not texts_to(owner, "Can I visit on Monday")  # failed for good, not re-sent later

    code, _took = await bot.terminate()
    assert code == 0
    rows = query(
        bot.db_path,
        "SELECT status, last_error FROM outbox "
        "WHERE channel = 'telegram' AND address = ? AND status != 'sent'",
        str(owner.id),
    )
    assert [r["status"] for r in rows] == ["failed"], [tuple(r) for r in rows]
    assert all("Forbidden" in (r["last_error"] or "") for r in rows)
    assert_clean(sim)


# --------------------------------------------------------------------------- 5. SIGTERM


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_the_bot_cleanly_within_5_s_during_a_long_poll(
    sim: BotApiSimulator, bot: BotProcess, sig: signal.Signals
) -> None:
    await bot.start()
    await bot.wait(lambda: sim.polls_waiting > 0, WAIT, "a long poll")
    assert bot.proc is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    bot.proc.send_signal(sig)
    code = await asyncio.wait_for(bot.proc.wait(), 10)
    took = loop.time() - started
    assert code == 0, bot.log_tail()
    assert took < 5, f"took {took:.1f}s to stop"
    assert "Traceback" not in bot.stderr_text(), bot.log_tail()


async def test_sigterm_with_work_in_flight_loses_nothing(
    sim: BotApiSimulator, bot: BotProcess
) -> None:
    await load_sample_rosters(bot.db_path)
    await bot.start()
    owner = await onboard(sim, TROUT_OWNER, "en")
    li = await onboard(sim, LI, "en")
    await start_form(owner, "Financing", "We need a loan for the new hatchery.")
    summary = await finish_form(owner)
    await wait_all_updates_handled(bot.db_path)
    # Submit, and SIGTERM at once: whatever the bot was doing, it stops within 5 s...
    await owner.tap("Submit", summary)
    code, took = await bot.terminate()
    assert code == 0 and took < 5, (code, took, bot.log_tail())
    # ...and the next start finishes the job exactly once.
    await bot.start()
    card = await li.wait_for_message("New request #1", timeout=WAIT)
    await owner.wait_for_message("#1 received", timeout=WAIT)
    accept = await li.tap("Accept", card)
    await li.wait_answer(accept, timeout=WAIT)
    await owner.wait_for_message("has taken", timeout=WAIT)
    assert len(texts_to(owner, "#1 received")) == 1
    assert len(texts_to(li, "New request #1")) == 1
    assert len(query(bot.db_path, "SELECT id FROM requests")) == 1
    sim.assert_no_errors()


# --------------------------------------------------------------------------- 6. bad settings


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "ONCALL_TOKEN"),
        (
            {"ONCALL_TOKEN": "1:X", "ONCALL_SLA__ACCEPT_REMIND_AFTER": "soon"},
            "ONCALL_SLA__ACCEPT_REMIND_AFTER",
        ),
        ({"ONCALL_TOKEN": "1:X", "ONCALL_TIMEZONE": "Mars/Olympus"}, "ONCALL_TIMEZONE"),
        ({"ONCALL_TOKEN": "1:X", "ONCALL_DEFAULT_LANGUAGE": "fr"}, "ONCALL_DEFAULT_LANGUAGE"),
    ],
    ids=["no-token", "bad-duration", "bad-timezone", "bad-language"],
)
async def test_a_missing_or_bad_setting_stops_start_up_with_one_line(
    tmp_path: Path, env: dict[str, str], name: str
) -> None:
    # An unroutable API address: if the process got past its settings it could reach nothing.
    full = clean_env(
        {
            "ONCALL_DB": str(tmp_path / "x.db"),
            "ONCALL_API_BASE_URL": "http://127.0.0.1:9/bot",
            **env,
        }
    )
    result = await run_cli("run", cwd=tmp_path, env=full, timeout=20)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
    assert "1:X" not in result.stderr  # the token is never echoed
