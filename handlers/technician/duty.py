"""/duty and locations: a technician goes on or off duty and keeps their position fresh."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.context import AppContext
from dispatch.callbacks import DUTY
from dispatch.errors import NotAllowed
from dispatch.messages import N_
from dispatch.model import Role
from dispatch.technicians import record_location, set_duty, technician_profile
from handlers.common import inline, require_technician, say
from handlers.fallback import stray_message
from handlers.technician.common import ack

__all__ = ["duty", "duty_switched", "location_update"]

PAUSED = N_(
    "A manager has paused your account, so no jobs are offered to you. Ask them to bring you back."
)


async def duty(update: Update, context: AppContext) -> None:
    """Shows whether the technician is on duty, with the button to switch."""
    if not await require_technician(update, context):
        return
    technician = await technician_profile(context.services.uow(), user_id=context.me.id)
    assert technician is not None
    if not technician.active:
        await say(update, context, context.t(PAUSED))
        return
    if technician.on_duty:
        text = context.t("You are on duty: jobs near you are offered here.")
        button = (context.t("⏸ Go off duty"), DUTY.data("off"))
    else:
        text = context.t("You are off duty: no jobs are offered to you.")
        button = (context.t("▶️ Go on duty"), DUTY.data("on"))
    await say(update, context, text, inline([button]))


async def duty_switched(update: Update, context: AppContext) -> None:
    if not await require_technician(update, context):
        return
    query = update.callback_query
    assert query is not None
    on = DUTY.parse(query.data)[0] == "on"
    try:
        await set_duty(context.services.uow(), context.clock, technician_id=context.me.id, on=on)
    except NotAllowed:
        await query.answer(context.t(PAUSED), show_alert=True)
        return
    context.services.fleet_cache.invalidate()
    await ack(update)
    if on:
        await query.edit_message_text(
            context.t(
                "You are on duty. Share your live location (paperclip → Location → Share my live location) so that the nearest jobs come to you."
            )
        )
    else:
        await query.edit_message_text(
            context.t("You are off duty. Jobs you already accepted stay on /jobs.")
        )


async def location_update(update: Update, context: AppContext) -> None:
    """A technician's location, or each move of a live location, keeps their position fresh."""
    if context.me.role is not Role.TECHNICIAN:
        if update.message is not None:  # anyone else's stray location gets the usual pointer
            await stray_message(update, context)
        return
    message = update.effective_message
    assert message is not None and message.location is not None
    location = message.location
    period = location.live_period
    seconds = period.total_seconds() if isinstance(period, timedelta) else period
    kept = await record_location(
        context.services.uow(),
        context.clock,
        technician_id=context.me.id,
        latitude=location.latitude,
        longitude=location.longitude,
        accuracy_m=location.horizontal_accuracy,
        live_for=timedelta(seconds=seconds) if seconds else None,
    )
    if kept and update.message is not None:  # a new share, not a move: acknowledge it once
        await say(update, context, context.t("Location updated. Thank you."))
