"""The technician's side: duty, location, offers, jobs, visit time, check-in, service record.

One persistent ConversationHandler ("technician") holds the steps that wait for
an answer (a typed visit time, a location to check in with, the service record);
everything else is a button that works from any message, old or new, and is
re-checked against the database (is this offer still yours, is this job yours).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext
from dispatch.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed, NotFound
from dispatch.fieldwork import (
    WARRANTY_LABELS,
    ArrivalRefused,
    RecordInput,
    check_in,
    claim_arrival,
    confirm_visit_time,
    on_my_way,
    submit_record,
)
from dispatch.intake import Slot, check_text, clean_text, visit_start
from dispatch.labels import status_label
from dispatch.messages import N_, At
from dispatch.model import Role, Ticket
from dispatch.offers import OfferClosed, accept_offer, decline_offer
from handlers.common import clear_buttons, inline, say
from handlers.fallback import stray_message

__all__ = ["register"]

TIME, CHECKIN, WARRANTY, FAULT, WORK, PARTS, FEES, PHOTOS, REVIEW = (
    "tech:time",
    "tech:checkin",
    "tech:warranty",
    "tech:fault",
    "tech:work",
    "tech:parts",
    "tech:fees",
    "tech:photos",
    "tech:review",
)
DECLINE_REASONS = {
    "far": N_("Too far away"),
    "busy": N_("No time now"),
    "skill": N_("Not my speciality"),
    "parts": N_("No parts with me"),
}
_TIME = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s+(\d{1,2})[:：](\d{2})\s*$")
ANY = filters.ALL & ~filters.COMMAND


async def _technician(update: Update, context: AppContext) -> bool:
    if context.me.role is Role.TECHNICIAN:
        async with context.uow() as uow:
            if await uow.technicians.get(context.me.id) is not None:
                return True
        await say(
            update, context, context.t("Please finish your technician profile first: send /start.")
        )
        return False
    if update.callback_query:
        await update.callback_query.answer(
            context.t("This is not available to you."), show_alert=True
        )
    else:
        await say(
            update,
            context,
            context.t("This command is for technicians. Send /help to see what you can do."),
        )
    return False


def _id(update: Update) -> int:
    assert update.callback_query is not None and update.callback_query.data is not None
    return int(update.callback_query.data.split(":")[2])


async def _ack(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=alert)


def _state(context: AppContext) -> dict[str, Any]:
    assert context.user_data is not None
    state = context.user_data.setdefault("tech", {})
    assert isinstance(state, dict)
    return state


def _wake(context: AppContext) -> None:
    context.services.wake_sender()


# -- duty and location ------------------------------------------------------------------
async def duty(update: Update, context: AppContext) -> None:
    """Shows whether the technician is on duty, with the button to switch."""
    if not await _technician(update, context):
        return
    async with context.uow() as uow:
        technician = await uow.technicians.get(context.me.id)
    assert technician is not None
    if technician.on_duty:
        text = context.t("You are on duty: jobs near you are offered here.")
        button = (context.t("⏸ Go off duty"), "du:off")
    else:
        text = context.t("You are off duty: no jobs are offered to you.")
        button = (context.t("▶️ Go on duty"), "du:on")
    await say(update, context, text, inline([button]))


async def duty_switched(update: Update, context: AppContext) -> None:
    if not await _technician(update, context):
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    on = query.data == "du:on"
    async with context.uow() as uow:
        await uow.technicians.set_duty(context.me.id, on)
        await uow.commit()
    context.services.fleet_cache.invalidate()
    await _ack(update)
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
    now = context.clock.now()
    period = location.live_period
    seconds = period.total_seconds() if isinstance(period, timedelta) else period
    live_until = now + timedelta(seconds=seconds) if seconds else None
    async with context.uow() as uow:
        if await uow.technicians.get(context.me.id) is None:
            return
        await uow.technicians.set_location(
            context.me.id,
            location.latitude,
            location.longitude,
            location.horizontal_accuracy,
            now,
            live_until,
        )
        await uow.commit()
    if update.message is not None:  # a new share, not a move: acknowledge it once
        await say(update, context, context.t("Location updated. Thank you."))


# -- offers -------------------------------------------------------------------------------
_CLOSED = {
    "expired": N_("This offer has expired."),
    "taken": N_("This job is no longer available."),
    "declined": N_("You declined this offer."),
    "withdrawn": N_("A manager withdrew this offer."),
    "yours": N_("You have already accepted this job: see /jobs."),
}


async def offer_accepted(update: Update, context: AppContext) -> None:
    if not await _technician(update, context):
        return
    query = update.callback_query
    assert query is not None
    try:
        ticket = await accept_offer(
            context.uow(),
            context.clock,
            context.services.policy,
            offer_id=_id(update),
            technician_id=context.me.id,
        )
    except OfferClosed as closed:
        await _ack(update, context.t(_CLOSED.get(closed.reason, _CLOSED["taken"])), alert=True)
        await clear_buttons(query)
        return
    except (NotFound, NotAllowed):
        await _ack(update, context.t("This job is no longer available."), alert=True)
        return
    await _ack(update)
    # The offer card becomes the confirmation: no new message (the job's details follow).
    await query.edit_message_text(context.t("✅ You accepted {number}.", number=ticket.number))
    _wake(context)


async def offer_declined(update: Update, context: AppContext) -> None:
    """Asks why, with buttons; the answer is recorded with the decline."""
    if not await _technician(update, context):
        return
    query = update.callback_query
    assert query is not None
    offer_id = _id(update)
    async with context.uow() as uow:
        offer = await uow.offers.get(offer_id)
    if offer is None or offer.technician_id != context.me.id or offer.status != "pending":
        reason = offer.status if offer and offer.technician_id == context.me.id else "taken"
        await _ack(update, context.t(_CLOSED.get(reason, _CLOSED["taken"])), alert=True)
        return
    await _ack(update)
    rows = [
        [(context.t(label), f"of:why:{offer_id}:{code}")] for code, label in DECLINE_REASONS.items()
    ]
    await say(update, context, context.t("Why can you not take it?"), inline(*rows))


async def decline_reason_chosen(update: Update, context: AppContext) -> None:
    if not await _technician(update, context):
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.rsplit(":", 1)[-1]
    try:
        await decline_offer(
            context.services.uow,
            context.clock,
            context.services.policy,
            offer_id=_id(update),
            technician_id=context.me.id,
            reason=code if code in DECLINE_REASONS else "other",
        )
    except (OfferClosed, NotFound, NotAllowed) as error:
        reason = error.reason if isinstance(error, OfferClosed) else "taken"
        await _ack(update, context.t(_CLOSED.get(reason, _CLOSED["taken"])), alert=True)
        return
    await _ack(update)
    await query.edit_message_text(context.t("Declined. Thank you for telling us why."))
    _wake(context)


# -- jobs ---------------------------------------------------------------------------------
def _actions(context: AppContext, ticket: Ticket) -> list[list[tuple[str, str]]]:
    t = context.t
    i = ticket.id
    if ticket.status == "assigned":
        return [
            [(t("🕒 Confirm the visit time"), f"jb:time:{i}")],
            [(t("🚗 On my way"), f"jb:way:{i}")],
            [(t("📍 Check in"), f"jb:in:{i}")],
        ]
    if ticket.status == "en_route":
        return [
            [(t("📍 Check in"), f"jb:in:{i}")],
            [(t("🕒 Confirm the visit time"), f"jb:time:{i}")],
        ]
    if ticket.status == "on_site":
        return [[(t("🧾 Fill in the service record"), f"jb:rec:{i}")]]
    return []


async def jobs(update: Update, context: AppContext) -> None:
    """The technician's open jobs, each with what can be done next."""
    if not await _technician(update, context):
        return
    await _ack(update)
    async with context.uow() as uow:
        open_jobs = await uow.technicians.open_jobs(context.me.id)
    if not open_jobs:
        await say(update, context, context.t("You have no open jobs. Send /duty to go on duty."))
        return
    for ticket in open_jobs:
        lines = [
            f"{ticket.number} · {context.t(status_label(ticket.kind, ticket.status))}",
            ticket.description,
            context.t("Address: {address}", address=ticket.address or "-"),
            context.t("Phone: {phone}", phone=ticket.contact_phone or "-"),
        ]
        await say(
            update,
            context,
            "\n".join(lines),
            inline(*_actions(context, ticket)) if _actions(context, ticket) else None,
        )


async def _job_or_refuse(update: Update, context: AppContext) -> Ticket | None:
    async with context.uow() as uow:
        ticket = await uow.tickets.get(_id(update))
    if ticket is None or ticket.assigned_technician_id != context.me.id:
        await _ack(update, context.t("This job is no longer yours."), alert=True)
        return None
    return ticket


async def _open_job(update: Update, context: AppContext) -> Ticket | None:
    """The job a button is about, if it is still this technician's; remembered for the step."""
    if (
        not await _technician(update, context)
        or (ticket := await _job_or_refuse(update, context)) is None
    ):
        return None
    await _ack(update)
    _state(context)["ticket"] = ticket.id
    return ticket


async def ask_visit_time(update: Update, context: AppContext) -> str | int:
    ticket = await _open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    rows: list[list[tuple[str, str]]] = []
    if ticket.preferred_date and ticket.preferred_slot:
        start = visit_start(
            ticket.preferred_date, Slot(ticket.preferred_slot), context.services.settings.zone
        )
        if start > context.clock.now():
            label = context.t("As the customer asked: {when}", when=At(start))
            rows.append([(label, f"jb:asked:{ticket.id}")])
    await say(
        update,
        context,
        context.t(
            "When will you be there? Type the date and time, for example {example}.",
            example=_example(context),
        ),
        inline(*rows) if rows else None,
    )
    return TIME


def _example(context: AppContext) -> str:
    tomorrow = context.clock.now().astimezone(context.services.settings.zone) + timedelta(days=1)
    return tomorrow.strftime("%Y-%m-%d 14:30")


async def _set_time(update: Update, context: AppContext, when: datetime) -> str | int:
    try:
        await confirm_visit_time(
            context.uow(),
            context.clock,
            ticket_id=int(_state(context)["ticket"]),
            technician_id=context.me.id,
            planned_at=when,
            policy=context.services.policy,  # a visit on another day waits out quiet hours
        )
    except (NotFound, NotAllowed, IllegalTransition):
        await say(update, context, context.t("This job is no longer yours."))
        return ConversationHandler.END
    except DomainError:
        await say(
            update, context, context.t("That time has passed. Please give a time in the future.")
        )
        return TIME
    await say(
        update,
        context,
        context.t("Visit time confirmed: {when}. The customer has been told.", when=At(when)),
    )
    _wake(context)
    return ConversationHandler.END


async def visit_time_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    match = _TIME.match(update.message.text)
    if not match:
        await say(
            update, context, context.t("Please write it like {example}.", example=_example(context))
        )
        return TIME
    try:
        y, m, d, hh, mm = (int(g) for g in match.groups())
        when = datetime(y, m, d, hh, mm, tzinfo=context.services.settings.zone)
    except ValueError:
        await say(
            update, context, context.t("Please write it like {example}.", example=_example(context))
        )
        return TIME
    return await _set_time(update, context, when)


async def visit_time_as_asked(update: Update, context: AppContext) -> str | int:
    ticket = await _job_or_refuse(update, context)
    if ticket is None or not ticket.preferred_date or not ticket.preferred_slot:
        return ConversationHandler.END
    await _ack(update)
    start = visit_start(
        ticket.preferred_date, Slot(ticket.preferred_slot), context.services.settings.zone
    )
    return await _set_time(update, context, start)


async def way(update: Update, context: AppContext) -> None:
    if not await _technician(update, context):
        return
    try:
        ticket = await on_my_way(
            context.uow(), context.clock, ticket_id=_id(update), technician_id=context.me.id
        )
    except (NotFound, NotAllowed):
        await _ack(update, context.t("This job is no longer yours."), alert=True)
        return
    except IllegalTransition:
        await _ack(update, context.t("That step is already done."), alert=True)
        return
    await _ack(update)
    await say(
        update,
        context,
        context.t(
            "The customer of {number} knows you are on the way. Check in when you arrive.",
            number=ticket.number,
        ),
        inline([(context.t("📍 Check in"), f"jb:in:{ticket.id}")]),
    )
    _wake(context)


# -- arrival ------------------------------------------------------------------------------
async def _try_check_in(
    update: Update, context: AppContext, latitude: float, longitude: float, accuracy: float | None
) -> bool:
    ticket_id = int(_state(context)["ticket"])
    try:
        ticket = await check_in(
            context.uow(),
            context.clock,
            context.services.policy,
            ticket_id=ticket_id,
            technician_id=context.me.id,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy,
        )
    except ArrivalRefused as refused:
        radius = f"{context.services.policy.dispatch.arrival_radius_m:g}"
        if refused.reason == "no_location":
            text = context.t(
                "The customer shared no location, so please check in by hand: the customer will be asked to confirm."
            )
        elif refused.reason == "too_far":
            text = context.t(
                "You are {distance} m from the customer; check-in works within {radius} m. Keep sharing your live location, or check in by hand.",
                distance=f"{refused.distance_m:.0f}",
                radius=radius,
            )
        else:
            text = context.t(
                "Your location is too imprecise (± {accuracy} m; {radius} m needed). Wait for a better signal, or check in by hand.",
                accuracy=f"{refused.accuracy_m or 0:.0f}",
                radius=radius,
            )
        await say(
            update,
            context,
            text,
            inline([(context.t("✋ Check in by hand"), f"jb:manual:{ticket_id}")]),
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
        inline([(context.t("🧾 Fill in the service record"), f"jb:rec:{ticket.id}")]),
    )
    _wake(context)
    return True


async def start_check_in(update: Update, context: AppContext) -> str | int:
    """Checks in with a fresh live location, or asks for one."""
    ticket = await _open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    async with context.uow() as uow:
        last = await uow.technicians.last_location(context.me.id)
    if last is not None and context.clock.now() - last[3] <= timedelta(minutes=2):
        if await _try_check_in(update, context, last[0], last[1], last[2]):
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
    if not await _technician(update, context):
        return ConversationHandler.END
    try:
        await claim_arrival(
            context.uow(), context.clock, ticket_id=_id(update), technician_id=context.me.id
        )
    except (NotFound, NotAllowed):
        await _ack(update, context.t("This job is no longer yours."), alert=True)
        return ConversationHandler.END
    except IllegalTransition:
        await _ack(update, context.t("That step is already done."), alert=True)
        return ConversationHandler.END
    await _ack(update)
    await say(
        update,
        context,
        context.t("The customer has been asked to confirm your arrival."),
        ReplyKeyboardRemove(),
    )
    _wake(context)
    return ConversationHandler.END


async def check_in_hint(update: Update, context: AppContext) -> str:
    await say(
        update,
        context,
        context.t("Please share your location to check in, or check in by hand."),
        inline(
            [(context.t("✋ Check in by hand"), f"jb:manual:{_state(context).get('ticket', 0)}")]
        ),
    )
    return CHECKIN


# -- service record -----------------------------------------------------------------------
def _record(context: AppContext) -> dict[str, Any]:
    state = _state(context)
    record = state.setdefault("record", {})
    assert isinstance(record, dict)
    return record


async def start_record(update: Update, context: AppContext) -> str | int:
    ticket = await _open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    if ticket.status != "on_site":
        await say(
            update, context, context.t("Check in first: the service record is filled in on site.")
        )
        return ConversationHandler.END
    _state(context).update(ticket=ticket.id, record={"fees": {}, "photos": []})
    rows = [[(context.t(label), f"rc:w:{code}")] for code, label in WARRANTY_LABELS.items()]
    await say(
        update,
        context,
        context.t(
            "Service record for {number}. First the warranty check (三包):", number=ticket.number
        ),
        inline(*rows),
    )
    return WARRANTY


async def warranty_chosen(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    _record(context)["warranty"] = query.data.rsplit(":", 1)[-1]
    await _ack(update)
    await clear_buttons(query)
    await say(update, context, context.t("What fault did you find, and what caused it?"))
    return FAULT


async def fault_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    try:
        _record(context)["fault"] = check_text(update.message.text, minimum=3, maximum=1000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return FAULT
    await say(update, context, context.t("What work did you do?"))
    return WORK


async def work_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    try:
        _record(context)["work"] = check_text(update.message.text, minimum=3, maximum=1000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return WORK
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


async def _ask_fees(update: Update, context: AppContext) -> str:
    record = _record(context)
    if record.get("warranty") == "in":
        await say(update, context, context.t("In warranty: no fees are charged."))
        return await _ask_photos(update, context)
    await say(
        update,
        context,
        context.t("Fees from the price list: tap an item once per unit, then Done."),
        _fees_keyboard(context),
    )
    return FEES


def _fees_keyboard(context: AppContext) -> Any:
    chosen: dict[str, int] = _record(context)["fees"]
    rows = [
        [
            (
                f"{p.name.in_(context.lang)} · {p.price:g}"
                + (f" × {chosen[p.code]}" if p.code in chosen else ""),
                f"rc:fee:{p.code}",
            )
        ]
        for p in context.services.policy.prices
    ]
    rows.append([(context.t("↺ Clear"), "rc:fee:clear"), (context.t("Done"), "rc:fee:done")])
    return inline(*rows)


async def parts_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    _record(context)["parts"] = _parse_parts(update.message.text)
    return await _ask_fees(update, context)


async def parts_none(update: Update, context: AppContext) -> str:
    await _ack(update)
    _record(context)["parts"] = []
    return await _ask_fees(update, context)


async def fee_tapped(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.rsplit(":", 1)[-1]
    fees: dict[str, int] = _record(context)["fees"]
    await _ack(update)
    if code == "done":
        await clear_buttons(query)
        return await _ask_photos(update, context)
    if code == "clear":
        fees.clear()
    elif code in {p.code for p in context.services.policy.prices}:
        fees[code] = fees.get(code, 0) + 1
    await query.edit_message_reply_markup(_fees_keyboard(context))
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
    photos: list[list[str]] = _record(context)["photos"]
    if message.photo:
        size = message.photo[-1]
        photos.append(["work", "photo", size.file_id, size.file_unique_id])
    elif message.document:
        photos.append(
            ["paper_report", "document", message.document.file_id, message.document.file_unique_id]
        )
    await say(
        update,
        context,
        context.t("Received: {count}. Send more, or press Done.", count=len(photos)),
        inline([(context.t("Done"), "rc:photos:done")]),
    )
    return PHOTOS


async def photos_done(update: Update, context: AppContext) -> str:
    await _ack(update)
    record = _record(context)
    prices = {p.code: p for p in context.services.policy.prices}
    warranty_label = WARRANTY_LABELS[record["warranty"]]
    fees = "; ".join(
        f"{prices[c].name.in_(context.lang)} × {n}" for c, n in record["fees"].items()
    ) or context.t("none")
    parts = "; ".join(
        f"{p['name']} ({p['reason']})" if p["reason"] else p["name"]
        for p in record.get("parts", [])
    ) or context.t("none")
    text = "\n".join(
        [
            context.t("Please check the service record:"),
            context.t("Warranty: {warranty}", warranty=context.t(warranty_label)),
            context.t("Fault found: {fault}", fault=record["fault"]),
            context.t("Work done: {work}", work=record["work"]),
            context.t("Parts replaced: {parts}", parts=parts),
            context.t(
                "Fees: {fees}", fees=fees if record["warranty"] != "in" else context.t("none")
            ),
            context.t("Photos: {count}", count=len(record["photos"])),
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
    await _ack(update)
    await clear_buttons(query)
    state, record = _state(context), _record(context)
    try:
        await submit_record(
            context.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(state["ticket"]),
            technician_id=context.me.id,
            record=RecordInput(
                warranty=record["warranty"],
                fault=record["fault"],
                work=record["work"],
                parts=tuple(record.get("parts", [])),
                fees=tuple({"code": c, "quantity": n} for c, n in record["fees"].items()),
                photos=tuple((p[0], p[1], p[2], p[3]) for p in record["photos"]),
            ),
        )
    except (NotFound, NotAllowed, IllegalTransition):
        await say(update, context, context.t("This job is no longer yours."))
        return ConversationHandler.END
    state.pop("record", None)
    await say(
        update, context, context.t("Sent. The customer is asked to check and sign the record.")
    )
    _wake(context)
    return ConversationHandler.END


async def record_again(update: Update, context: AppContext) -> str | int:
    await _ack(update)
    _state(context)["record"] = {"fees": {}, "photos": []}
    rows = [[(context.t(label), f"rc:w:{code}")] for code, label in WARRANTY_LABELS.items()]
    await say(
        update, context, context.t("From the start: the warranty check (三包):"), inline(*rows)
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


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.TECHNICIAN,), "duty", N_("Go on or off duty"))
    menus.add((Role.TECHNICIAN,), "jobs", N_("My open jobs"))
    menus.add((Role.TECHNICIAN,), "cancel", N_("Stop the current step"))
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(ask_visit_time, pattern=r"^jb:time:\d+$"),
        CallbackQueryHandler(start_check_in, pattern=r"^jb:in:\d+$"),
        CallbackQueryHandler(start_record, pattern=r"^jb:rec:\d+$"),
    ]
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states={
                TIME: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, visit_time_typed),
                    CallbackQueryHandler(visit_time_as_asked, pattern=r"^jb:asked:\d+$"),
                ],
                CHECKIN: [
                    MessageHandler(filters.LOCATION, check_in_location),
                    CallbackQueryHandler(manual_check_in, pattern=r"^jb:manual:\d+$"),
                    MessageHandler(filters.UpdateType.MESSAGE & ANY, check_in_hint),
                ],
                WARRANTY: [
                    CallbackQueryHandler(warranty_chosen, pattern=r"^rc:w:(in|out|customer)$")
                ],
                FAULT: [MessageHandler(filters.TEXT & ~filters.COMMAND, fault_typed)],
                WORK: [MessageHandler(filters.TEXT & ~filters.COMMAND, work_typed)],
                PARTS: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, parts_typed),
                    CallbackQueryHandler(parts_none, pattern=r"^rc:parts:none$"),
                ],
                FEES: [CallbackQueryHandler(fee_tapped, pattern=r"^rc:fee:")],
                PHOTOS: [
                    MessageHandler(
                        filters.PHOTO | filters.Document.IMAGE | filters.Document.PDF, record_photo
                    ),
                    CallbackQueryHandler(photos_done, pattern=r"^rc:photos:done$"),
                ],
                REVIEW: [
                    CallbackQueryHandler(record_send, pattern=r"^rc:send$"),
                    CallbackQueryHandler(record_again, pattern=r"^rc:again$"),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel),
                *entry,
                MessageHandler(filters.UpdateType.MESSAGE & ANY, record_hint),
            ],
            allow_reentry=True,
            name="technician",
            persistent=True,
        )
    )
    application.add_handler(CommandHandler("duty", duty))
    application.add_handler(CommandHandler("jobs", jobs))
    application.add_handler(CallbackQueryHandler(duty_switched, pattern=r"^du:(on|off)$"))
    application.add_handler(CallbackQueryHandler(offer_accepted, pattern=r"^of:acc:\d+$"))
    application.add_handler(CallbackQueryHandler(offer_declined, pattern=r"^of:dec:\d+$"))
    application.add_handler(
        CallbackQueryHandler(decline_reason_chosen, pattern=r"^of:why:\d+:\w+$")
    )
    application.add_handler(CallbackQueryHandler(way, pattern=r"^jb:way:\d+$"))
    application.add_handler(CallbackQueryHandler(manual_check_in, pattern=r"^jb:manual:\d+$"))
    application.add_handler(MessageHandler(filters.LOCATION, location_update))
