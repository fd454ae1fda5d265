"""Texts (HTML) for an owner's new request, step by step: enterprise, category, words, files."""

from __future__ import annotations

from bot.channels.telegram.texts import category_label, e, urgency_label
from bot.domain.models import Catalog, Draft, Enterprise, Urgency
from bot.i18n import translator
from bot.services.desk import DESCRIPTION_MAX, DESCRIPTION_MIN, MAX_ATTACHMENTS


def ask_enterprise(lang: str) -> str:
    _ = translator(lang)
    return _("Which enterprise is this about?")


def ask_category(lang: str) -> str:
    _ = translator(lang)
    return _("<b>New request</b> (1/4)\nWhat do you need help with? Choose a category:")


def ask_description(lang: str, category: str) -> str:
    _ = translator(lang)
    return _(
        "<b>{category}</b> (2/4)\nDescribe the difficulty in a few sentences "
        "({min}–{max} characters): what happened, what you need, by when."
    ).format(category=e(category), min=DESCRIPTION_MIN, max=f"{DESCRIPTION_MAX:,}")


def description_bad(lang: str, length: int) -> str:
    _ = translator(lang)
    if length < DESCRIPTION_MIN:
        return _("That is too short ({length} characters). Please write at least {min}.").format(
            length=length, min=DESCRIPTION_MIN
        )
    return _("That is too long ({length} characters). Please keep it within {max}.").format(
        length=f"{length:,}", max=f"{DESCRIPTION_MAX:,}"
    )


def text_expected(lang: str) -> str:
    _ = translator(lang)
    return _("Please describe the difficulty in words (a text message).")


def ask_attachments(lang: str) -> str:
    _ = translator(lang)
    return _(
        "(3/4) You may send photos or documents (up to {max}), for example a licence or an "
        "invoice. Tap <b>Skip</b> if there are none."
    ).format(max=MAX_ATTACHMENTS)


def attachment_added(lang: str, count: int) -> str:
    _ = translator(lang)
    return _("Attachment {count} received. Send more, or tap <b>Done</b>.").format(count=count)


def attachment_limit(lang: str) -> str:
    _ = translator(lang)
    return _("That is the maximum of {max} attachments. Tap <b>Done</b> to go on.").format(
        max=MAX_ATTACHMENTS
    )


def attachment_wrong(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Photos, documents, voice messages, videos, audio, locations and contacts can be "
        "attached. Send one, or tap <b>Skip</b>/<b>Done</b>."
    )


def ask_urgency(lang: str) -> str:
    _ = translator(lang)
    return _("(4/4) How urgent is it? <b>Urgent</b> means it cannot wait a few days.")


def use_buttons(lang: str) -> str:
    _ = translator(lang)
    return _("Please choose with the buttons above (or /cancel).")


def summary(draft: Draft, enterprise: Enterprise | None, catalog: Catalog, lang: str) -> str:
    _ = translator(lang)
    return _(
        "<b>Please check your request</b>\n"
        "Enterprise: {enterprise}\nCategory: {category}\nUrgency: {urgency}\n"
        "Attachments: {files}\n\n{description}\n\nSubmit it?"
    ).format(
        enterprise=e(enterprise.name if enterprise else "—"),
        category=e(category_label(catalog, draft.category or "", lang)),
        urgency=urgency_label(draft.urgency or Urgency.NORMAL, lang),
        files=len(draft.attachments),
        description=e(draft.description or ""),
    )


def not_owner(lang: str) -> str:
    _ = translator(lang)
    return _(
        "/new is for registered enterprises. If you run one, send /start and share your phone "
        "number; if it is not recognised, the service center will register you."
    )


def draft_lost(lang: str) -> str:
    _ = translator(lang)
    return _("That form is no longer open. Send /new to start a new request.")
