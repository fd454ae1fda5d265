"""The simulator's voice, video note, audio, video, location and contact: both directions."""

from __future__ import annotations

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest

from bot.simulator import BotApiSimulator
from tests.simulator.support import tg_error


async def test_a_users_media_can_be_sent_back_by_file_id(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1001, "Alice")
    await user.command("start")
    voice = await user.send_voice(caption="听一下")
    note = await user.send_video_note()
    audio = await user.send_audio(file_name="会议.mp3")
    video = await user.send_video(caption="现场")
    assert [m.kind for m in (voice, note, audio, video)] == [
        "voice",
        "video_note",
        "audio",
        "video",
    ]
    assert voice.voice is not None and note.video_note is not None
    assert audio.audio is not None and video.video is not None

    sent = await bot.send_voice(
        1001, voice.voice["file_id"], caption="<b>#1</b> 转达", parse_mode="HTML"
    )
    assert sent.voice is not None and sent.caption == "#1 转达"
    sent_note = await bot.send_video_note(1001, note.video_note["file_id"])
    assert sent_note.video_note is not None and sent_note.caption is None
    assert (await bot.send_audio(1001, audio.audio["file_id"])).audio is not None
    assert (await bot.send_video(1001, video.video["file_id"], caption="x")).video is not None
    # A file of one kind is not another kind, as on Telegram.
    with tg_error(BadRequest, "can't use file of type Voice as Video"):
        await bot.send_video(1001, voice.voice["file_id"])


async def test_locations_and_contacts_both_ways(sim: BotApiSimulator, bot: Bot) -> None:
    user = sim.user(1002, "Bob")
    await user.command("start")
    place = await bot.send_location(1002, 29.35, 108.17)
    assert place.location is not None and place.location.latitude == 29.35
    header = await bot.send_message(
        1002, "#1 位置", reply_parameters=ReplyParameters(place.message_id)
    )
    assert header.reply_to_message is not None
    assert header.reply_to_message.message_id == place.message_id
    contact = await bot.send_contact(1002, "13700000009", "王会计")
    assert contact.contact is not None and contact.contact.first_name == "王会计"
    with tg_error(BadRequest, "wrong latitude"):
        await bot.send_location(1002, 91.0, 0.0)

    reply = await user.send_location(29.4, 108.2, reply_to=user.messages()[-2])
    assert reply.location == {"latitude": 29.4, "longitude": 108.2}
    card = await user.send_contact("13800000001", "张", "老板")
    assert card.contact == {"phone_number": "13800000001", "first_name": "张", "last_name": "老板"}
    poll = await user.send_poll("哪天？", ["周一", "周二"])
    dice = await user.send_dice()
    assert (poll.kind, dice.kind) == ("poll", "dice")
    updates = await bot.get_updates()
    kinds = [
        next(k for k in ("location", "contact", "poll", "dice", "text") if getattr(u.message, k))
        for u in updates
        if u.message is not None
    ]
    assert kinds[-4:] == ["location", "contact", "poll", "dice"]
