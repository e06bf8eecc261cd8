"""Check-in on site: with a fresh live location near the customer, or by hand for the customer
to confirm."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.callbacks import JOB_CHECK_IN_BY_HAND, JOB_RECORD
from dispatch.errors import IllegalTransition, NotAllowed, NotFound
from dispatch.messages import At, Number
from dispatch.technicians import fresh_position
from dispatch.visits import ArrivalRefused, check_in, claim_arrival
from handlers.common import inline, require_technician, say
from handlers.technician.common import CHECKIN, ack, button_id, step_state, wake
from handlers.technician.duty import location_update
from handlers.technician.jobs import open_job

__all__ = ["check_in_hint", "check_in_location", "manual_check_in", "start_check_in"]


def _refusal(context: AppContext, refused: ArrivalRefused) -> str:
    radius = Number(context.services.policy.dispatch.arrival_radius_m, 0)
    if refused.reason == "no_location":
        return context.t(
            "The customer shared no location, so please check in by hand: the customer will be asked to confirm."
        )
    if refused.reason == "too_far":
        return context.t(
            "You are {distance} m from the customer; check-in works within {radius} m. Keep sharing your live location, or check in by hand.",
            distance=Number(refused.distance_m or 0, 0),
            radius=radius,
        )
    return context.t(
        "Your location is too imprecise (± {accuracy} m; {radius} m needed). Wait for a better signal, or check in by hand.",
        accuracy=Number(refused.accuracy_m or 0, 0),
        radius=radius,
    )


async def _try_check_in(
    update: Update, context: AppContext, latitude: float, longitude: float, accuracy: float | None
) -> bool:
    ticket_id = int(step_state(context)["ticket"])
    try:
        ticket = await check_in(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=ticket_id,
            technician_id=context.me.id,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy,
        )
    except ArrivalRefused as refused:
        await say(
            update,
            context,
            _refusal(context, refused),
            inline([(context.t("✋ Check in by hand"), JOB_CHECK_IN_BY_HAND.data(ticket_id))]),
        )
        return False
    except (NotFound, NotAllowed, IllegalTransition):
        await say(update, context, context.t("This job is no longer yours."), ReplyKeyboardRemove())
        return True
    await say(
        update,
        context,
        context.t(
            "📍 Arrival recorded for {number} at {when}.",
            number=ticket.number,
            when=At(context.clock.now()),
        ),
        ReplyKeyboardRemove(),
    )
    await say(
        update,
        context,
        context.t("When the work is done, fill in the service record."),
        inline([(context.t("🧾 Fill in the service record"), JOB_RECORD.data(ticket.id))]),
    )
    wake(context)
    return True


async def start_check_in(update: Update, context: AppContext) -> str | int:
    """Checks in with a fresh live location, or asks for one."""
    ticket = await open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    last = await fresh_position(context.services.uow(), context.clock, technician_id=context.me.id)
    if last is not None:
        if await _try_check_in(update, context, last.latitude, last.longitude, last.accuracy_m):
            return ConversationHandler.END
        return CHECKIN
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(context.t("📍 Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await say(
        update,
        context,
        context.t(
            "Share your live location (paperclip → Location → Share my live location) to check in."
        ),
        keyboard,
    )
    return CHECKIN


async def check_in_location(update: Update, context: AppContext) -> str | int:
    message = update.effective_message
    assert message is not None and message.location is not None
    await location_update(update, context)
    location = message.location
    if await _try_check_in(
        update, context, location.latitude, location.longitude, location.horizontal_accuracy
    ):
        return ConversationHandler.END
    return CHECKIN


async def manual_check_in(update: Update, context: AppContext) -> int:
    if not await require_technician(update, context):
        return ConversationHandler.END
    try:
        await claim_arrival(
            context.services.uow(),
            context.clock,
            ticket_id=button_id(update),
            technician_id=context.me.id,
        )
    except (NotFound, NotAllowed):
        await ack(update, context.t("This job is no longer yours."), alert=True)
        return ConversationHandler.END
    except IllegalTransition:
        await ack(update, context.t("That step is already done."), alert=True)
        return ConversationHandler.END
    await ack(update)
    await say(
        update,
        context,
        context.t("The customer has been asked to confirm your arrival."),
        ReplyKeyboardRemove(),
    )
    wake(context)
    return ConversationHandler.END


async def check_in_hint(update: Update, context: AppContext) -> str:
    ticket_id = step_state(context).get("ticket")
    await say(
        update,
        context,
        context.t("Please share your location to check in, or check in by hand."),
        inline([(context.t("✋ Check in by hand"), JOB_CHECK_IN_BY_HAND.data(int(ticket_id)))])
        if ticket_id
        else None,
    )
    return CHECKIN
