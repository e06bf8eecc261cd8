"""The service record, step by step: warranty, fault, work, parts, fees, photos, review, send."""

from __future__ import annotations

import re
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.catalogue import PriceItem
from dispatch.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from dispatch.intake import check_text, clean_text
from dispatch.messages import Money, Param, listed
from dispatch.model import TicketKind
from dispatch.parts import part_fees
from dispatch.records import WARRANTY_LABELS, RecordDraft, submit_record
from handlers.common import clear_buttons, inline, say
from handlers.technician.common import (
    FAULT,
    FEES,
    PARTS,
    PHOTOS,
    REVIEW,
    WARRANTY,
    WORK,
    ack,
    step_state,
    wake,
)
from handlers.technician.jobs import open_job

__all__ = [
    "cancel",
    "fault_typed",
    "fee_tapped",
    "parts_none",
    "parts_typed",
    "photos_done",
    "record_again",
    "record_hint",
    "record_photo",
    "record_send",
    "start_record",
    "warranty_chosen",
    "work_typed",
]


def _installing(context: AppContext) -> bool:
    return step_state(context).get("kind") == TicketKind.INSTALLATION.value


def _planned_visit(context: AppContext) -> bool:
    return step_state(context).get("kind") == TicketKind.MAINTENANCE.value


def _draft(context: AppContext) -> RecordDraft:
    return RecordDraft.from_json(step_state(context).get("record") or {})


def _keep(context: AppContext, draft: RecordDraft) -> None:
    step_state(context)["record"] = draft.to_json()


def _warranty_buttons(context: AppContext) -> Any:
    return inline(
        *[[(context.t(label), f"rc:w:{code}")] for code, label in WARRANTY_LABELS.items()]
    )


async def start_record(update: Update, context: AppContext) -> str | int:
    ticket = await open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    if ticket.status != "on_site":
        await say(
            update, context, context.t("Check in first: the service record is filled in on site.")
        )
        return ConversationHandler.END
    step_state(context).update(
        ticket=ticket.id, kind=ticket.kind.value, record=RecordDraft().to_json()
    )
    await say(
        update,
        context,
        context.t("Service record for {number}. First the warranty check:", number=ticket.number),
        _warranty_buttons(context),
    )
    return WARRANTY


async def warranty_chosen(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    draft.warranty = query.data.rsplit(":", 1)[-1]
    _keep(context, draft)
    await ack(update)
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t("Anything to note about the site or the product before you install?")
        if _installing(context)
        else context.t("What fault did you find, and what caused it?"),
    )
    return FAULT


async def fault_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    try:
        draft.fault = check_text(update.message.text, minimum=3, maximum=1000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return FAULT
    _keep(context, draft)
    await say(
        update,
        context,
        context.t("What did you install, and how did you test it?")
        if _installing(context)
        else context.t("What work did you do?"),
    )
    return WORK


async def work_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    try:
        draft.work = check_text(update.message.text, minimum=3, maximum=1000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return WORK
    _keep(context, draft)
    await say(
        update,
        context,
        context.t(
            "Parts replaced: one per line, as part - reason (for example: capacitor - bulging). Or tap None."
        ),
        inline([(context.t("None"), "rc:parts:none")]),
    )
    return PARTS


def _parse_parts(text: str) -> list[dict[str, str]]:
    parts = []
    for line in clean_text(text).splitlines()[:20]:
        if not line.strip():
            continue
        pieces = re.split(r"\s*[-–—:：]\s*", line.strip(), maxsplit=1)
        name, reason = pieces[0], (pieces[1] if len(pieces) > 1 else "")
        parts.append({"name": name[:100], "reason": reason[:200]})
    return parts


async def _ask_fees(update: Update, context: AppContext, draft: RecordDraft) -> str:
    if draft.warranty == "in":
        await say(update, context, context.t("In warranty: no fees are charged."))
        return await _ask_photos(update, context)
    await say(
        update,
        context,
        context.t("Fees from the price list: tap an item once per unit, then Done."),
        _fees_keyboard(context, draft),
    )
    return FEES


def _fee(context: AppContext, item: PriceItem) -> dict[str, Param]:
    return {"item": item.name, "price": Money(item.price, context.services.policy.currency)}


def _fees_keyboard(context: AppContext, draft: RecordDraft) -> Any:
    chosen = draft.fees
    rows = [
        [
            (
                context.t(
                    "{item} · {price} × {quantity}", quantity=chosen[p.code], **_fee(context, p)
                )
                if p.code in chosen
                else context.t("{item} · {price}", **_fee(context, p)),
                f"rc:fee:{p.code}",
            )
        ]
        for p in context.services.policy.prices
    ]
    rows.append([(context.t("↺ Clear"), "rc:fee:clear"), (context.t("Done"), "rc:fee:done")])
    return inline(*rows)


async def parts_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    draft.parts = _parse_parts(update.message.text)
    _keep(context, draft)
    return await _ask_fees(update, context, draft)


async def parts_none(update: Update, context: AppContext) -> str:
    await ack(update)
    draft = _draft(context)
    draft.parts = []
    _keep(context, draft)
    return await _ask_fees(update, context, draft)


async def fee_tapped(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.rsplit(":", 1)[-1]
    draft = _draft(context)
    await ack(update)
    if code == "done":
        await clear_buttons(query)
        return await _ask_photos(update, context)
    if code == "clear":
        draft.fees.clear()
    elif code in {p.code for p in context.services.policy.prices}:
        draft.fees[code] = draft.fees.get(code, 0) + 1
    _keep(context, draft)
    await query.edit_message_reply_markup(_fees_keyboard(context, draft))
    return FEES


async def _ask_photos(update: Update, context: AppContext) -> str:
    await say(
        update,
        context,
        context.t(
            "Send photos: before and after the work, and the paper service report signed by the customer (a photo or a PDF). Then press Done."
        ),
        inline([(context.t("Done"), "rc:photos:done")]),
    )
    return PHOTOS


async def record_photo(update: Update, context: AppContext) -> str:
    message = update.message
    assert message is not None
    draft = _draft(context)
    if message.photo:
        size = message.photo[-1]
        draft.add_photo("work", "photo", size.file_id, size.file_unique_id)
    elif message.document:
        document = message.document
        draft.add_photo("paper_report", "document", document.file_id, document.file_unique_id)
    _keep(context, draft)
    await say(
        update,
        context,
        context.t("Received: {count}. Send more, or press Done.", count=len(draft.photos)),
        inline([(context.t("Done"), "rc:photos:done")]),
    )
    return PHOTOS


def _listed(context: AppContext, items: list[str]) -> str:
    """As the customer's copy of the record lists them (dispatch.messages.listed)."""
    services = context.services
    return str(services.translator.show(context.lang, listed(items), services.settings.zone))


async def photos_done(update: Update, context: AppContext) -> str:
    await ack(update)
    draft = _draft(context)
    policy = context.services.policy
    names = policy.fee_names()
    warranty_label = WARRANTY_LABELS[draft.warranty or "out"]
    # As dispatch.records prices them: a planned visit's labour is the contract's; the
    # listed parts used are charged at the parts list's price.
    charged = [] if _planned_visit(context) else list(draft.fees.items())
    charged += [(f["code"], f["quantity"]) for f in part_fees(policy.parts, draft.parts)]
    fees = _listed(
        context,
        [
            context.t("{item} × {quantity}", item=names[c].in_(context.lang), quantity=n)
            for c, n in charged
            if c in names
        ],
    )
    parts = _listed(
        context,
        [
            context.t("{part} ({reason})", part=p["name"], reason=p["reason"])
            if p["reason"]
            else p["name"]
            for p in draft.parts
        ],
    )
    text = "\n".join(
        [
            context.t("Please check the service record:"),
            context.t("Warranty: {warranty}", warranty=context.t(warranty_label)),
            context.t("Notes before installing: {fault}", fault=draft.fault)
            if _installing(context)
            else context.t("Fault found: {fault}", fault=draft.fault),
            context.t("Installed and tested: {work}", work=draft.work)
            if _installing(context)
            else context.t("Work done: {work}", work=draft.work),
            context.t("Parts replaced: {parts}", parts=parts),
            context.t("Fees: {fees}", fees=fees if draft.warranty != "in" else context.t("none")),
            context.t("Photos: {count}", count=len(draft.photos)),
        ]
    )
    await say(
        update,
        context,
        text,
        inline(
            [(context.t("✅ Send to the customer"), "rc:send")],
            [(context.t("↺ Start again"), "rc:again")],
        ),
    )
    return REVIEW


async def record_send(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    await ack(update)
    await clear_buttons(query)
    state, draft = step_state(context), _draft(context)
    try:
        await submit_record(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(state["ticket"]),
            technician_id=context.me.id,
            record=draft.to_input(),
        )
    except (NotFound, NotAllowed, IllegalTransition):
        await say(update, context, context.t("This job is no longer yours."))
        return ConversationHandler.END
    state.pop("record", None)
    await say(
        update, context, context.t("Sent. The customer is asked to check and sign the record.")
    )
    wake(context)
    return ConversationHandler.END


async def record_again(update: Update, context: AppContext) -> str | int:
    await ack(update)
    step_state(context)["record"] = RecordDraft().to_json()
    await say(
        update,
        context,
        context.t("From the start: the warranty check:"),
        _warranty_buttons(context),
    )
    return WARRANTY


async def record_hint(update: Update, context: AppContext) -> None:
    await say(
        update,
        context,
        context.t(
            "Please answer the question above, or send /cancel to stop (what you entered is kept)."
        ),
    )


async def cancel(update: Update, context: AppContext) -> int:
    await say(
        update,
        context,
        context.t("Stopped. Open /jobs to pick it up again."),
        ReplyKeyboardRemove(),
    )
    return ConversationHandler.END
