"""A job offer's buttons: accept it, or decline it and say why."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from dispatch.callbacks import DECLINE_REASON
from dispatch.errors import NotAllowed, NotFound
from dispatch.messages import N_
from dispatch.offers import OfferClosed, accept_offer, decline_offer
from dispatch.technicians import pending_offer
from handlers.common import clear_buttons, inline, require_technician, say
from handlers.technician.common import ack, button_id, wake

__all__ = ["DECLINE_REASONS", "decline_reason_chosen", "offer_accepted", "offer_declined"]

DECLINE_REASONS = {
    "far": N_("Too far away"),
    "busy": N_("No time now"),
    "skill": N_("Not my speciality"),
    "parts": N_("No parts with me"),
}
_CLOSED = {
    "expired": N_("This offer has expired."),
    "taken": N_("This job is no longer available."),
    "declined": N_("You declined this offer."),
    "withdrawn": N_("A manager withdrew this offer."),
    "yours": N_("You have already accepted this job: see /jobs."),
}


async def offer_accepted(update: Update, context: AppContext) -> None:
    if not await require_technician(update, context):
        return
    query = update.callback_query
    assert query is not None
    try:
        ticket = await accept_offer(
            context.services.uow(),
            context.clock,
            context.services.policy,
            offer_id=button_id(update),
            technician_id=context.me.id,
        )
    except OfferClosed as closed:
        await ack(update, context.t(_CLOSED.get(closed.reason, _CLOSED["taken"])), alert=True)
        await clear_buttons(query)
        return
    except (NotFound, NotAllowed):
        await ack(update, context.t("This job is no longer available."), alert=True)
        return
    await ack(update)
    # The offer card becomes the confirmation: no new message (the job's details follow).
    await query.edit_message_text(context.t("✅ You accepted {number}.", number=ticket.number))
    wake(context)


async def offer_declined(update: Update, context: AppContext) -> None:
    """Asks why, with buttons; the answer is recorded with the decline."""
    if not await require_technician(update, context):
        return
    offer_id = button_id(update)
    try:
        await pending_offer(context.services.uow(), offer_id=offer_id, technician_id=context.me.id)
    except OfferClosed as closed:
        await ack(update, context.t(_CLOSED.get(closed.reason, _CLOSED["taken"])), alert=True)
        return
    await ack(update)
    rows = [
        [(context.t(label), DECLINE_REASON.data(offer_id, code))]
        for code, label in DECLINE_REASONS.items()
    ]
    await say(update, context, context.t("Why can you not take it?"), inline(*rows))


async def decline_reason_chosen(update: Update, context: AppContext) -> None:
    if not await require_technician(update, context):
        return
    query = update.callback_query
    assert query is not None
    offer_id, code = DECLINE_REASON.parse(query.data)
    assert isinstance(offer_id, int) and isinstance(code, str)
    try:
        await decline_offer(
            context.services.uow,
            context.clock,
            context.services.policy,
            offer_id=offer_id,
            technician_id=context.me.id,
            reason=code,
        )
    except (OfferClosed, NotFound, NotAllowed) as error:
        reason = error.reason if isinstance(error, OfferClosed) else "taken"
        await ack(update, context.t(_CLOSED.get(reason, _CLOSED["taken"])), alert=True)
        return
    await ack(update)
    await query.edit_message_text(context.t("Declined. Thank you for telling us why."))
    wake(context)
