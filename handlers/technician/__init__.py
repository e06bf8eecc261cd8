"""The technician's side: duty and location, offers, jobs, arrival, the service record.

One persistent ConversationHandler ("technician") holds the steps that wait for an answer
(a typed visit time, a location to check in with, the service record); each feature module
gives its states. Everything else is a button that works from any message, old or new, and
is re-checked by the services (is this offer still yours, is this job yours).
"""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from dispatch.callbacks import (
    DECLINE_REASON,
    DUTY,
    JOB_CHECK_IN,
    JOB_CHECK_IN_BY_HAND,
    JOB_ON_MY_WAY,
    JOB_RECORD,
    JOB_TIME,
    JOB_TIME_AS_ASKED,
    JOB_WAIT_FOR_PART,
    OFFER_ACCEPT,
    OFFER_DECLINE,
)
from dispatch.messages import N_
from dispatch.model import Role
from handlers.forms import TEXT
from handlers.technician import arrival, duty, jobs, offers, record, waiting
from handlers.technician.common import (
    ANY,
    CHECKIN,
    FAULT,
    FEES,
    PART_WAIT,
    PARTS,
    PHOTOS,
    REVIEW,
    TIME,
    WARRANTY,
    WORK,
)

__all__ = ["register"]

TYPED = TEXT  # new messages only (handlers.forms)


def _steps() -> ConversationHandler[Any]:
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(jobs.ask_visit_time, pattern=JOB_TIME.pattern),
        CallbackQueryHandler(arrival.start_check_in, pattern=JOB_CHECK_IN.pattern),
        CallbackQueryHandler(record.start_record, pattern=JOB_RECORD.pattern),
        CallbackQueryHandler(waiting.ask_missing_part, pattern=JOB_WAIT_FOR_PART.pattern),
    ]
    return ConversationHandler(
        entry_points=entry,
        states={
            TIME: [
                MessageHandler(TYPED, jobs.visit_time_typed),
                CallbackQueryHandler(jobs.visit_time_as_asked, pattern=JOB_TIME_AS_ASKED.pattern),
            ],
            CHECKIN: [
                MessageHandler(filters.LOCATION, arrival.check_in_location),
                CallbackQueryHandler(arrival.manual_check_in, pattern=JOB_CHECK_IN_BY_HAND.pattern),
                MessageHandler(filters.UpdateType.MESSAGE & ANY, arrival.check_in_hint),
            ],
            PART_WAIT: [MessageHandler(TYPED, waiting.missing_part_typed)],
            WARRANTY: [
                CallbackQueryHandler(record.warranty_chosen, pattern=r"^rc:w:(in|out|customer)$")
            ],
            FAULT: [MessageHandler(TYPED, record.fault_typed)],
            WORK: [MessageHandler(TYPED, record.work_typed)],
            PARTS: [
                MessageHandler(TYPED, record.parts_typed),
                CallbackQueryHandler(record.parts_none, pattern=r"^rc:parts:none$"),
            ],
            FEES: [CallbackQueryHandler(record.fee_tapped, pattern=r"^rc:fee:")],
            PHOTOS: [
                MessageHandler(
                    filters.PHOTO | filters.Document.IMAGE | filters.Document.PDF,
                    record.record_photo,
                ),
                CallbackQueryHandler(record.photos_done, pattern=r"^rc:photos:done$"),
            ],
            REVIEW: [
                CallbackQueryHandler(record.record_send, pattern=r"^rc:send$"),
                CallbackQueryHandler(record.record_again, pattern=r"^rc:again$"),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", record.cancel),
            *entry,
            MessageHandler(filters.UpdateType.MESSAGE & ANY, record.record_hint),
        ],
        allow_reentry=True,
        name="technician",
        persistent=True,
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.TECHNICIAN,), "duty", N_("Go on or off duty"))
    menus.add((Role.TECHNICIAN,), "jobs", N_("My open jobs"))
    menus.add((Role.TECHNICIAN,), "cancel", N_("Stop the current step"))
    application.add_handler(_steps())
    application.add_handler(CommandHandler("duty", duty.duty))
    application.add_handler(CommandHandler("jobs", jobs.jobs))
    application.add_handler(CallbackQueryHandler(duty.duty_switched, pattern=DUTY.pattern))
    application.add_handler(
        CallbackQueryHandler(offers.offer_accepted, pattern=OFFER_ACCEPT.pattern)
    )
    application.add_handler(
        CallbackQueryHandler(offers.offer_declined, pattern=OFFER_DECLINE.pattern)
    )
    application.add_handler(
        CallbackQueryHandler(offers.decline_reason_chosen, pattern=DECLINE_REASON.pattern)
    )
    application.add_handler(CallbackQueryHandler(jobs.way, pattern=JOB_ON_MY_WAY.pattern))
    application.add_handler(
        CallbackQueryHandler(arrival.manual_check_in, pattern=JOB_CHECK_IN_BY_HAND.pattern)
    )
    application.add_handler(MessageHandler(filters.LOCATION, duty.location_update))
