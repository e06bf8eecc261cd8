"""What every technician handler shares: the role check, the job id of a button, the step state."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import filters

from bot.context import AppContext
from dispatch.callbacks import Id

__all__ = [
    "ANY",
    "CHECKIN",
    "FAULT",
    "FEES",
    "PARTS",
    "PART_WAIT",
    "PHOTOS",
    "REVIEW",
    "TIME",
    "WARRANTY",
    "WORK",
    "ack",
    "button_id",
    "step_state",
    "wake",
]

# The states of the one persistent "technician" conversation (see handlers.technician).
TIME, CHECKIN, WARRANTY, FAULT, WORK, PARTS, FEES, PHOTOS, REVIEW, PART_WAIT = (
    "tech:time",
    "tech:checkin",
    "tech:warranty",
    "tech:fault",
    "tech:work",
    "tech:parts",
    "tech:fees",
    "tech:photos",
    "tech:review",
    "tech:part_wait",
)
ANY = filters.ALL & ~filters.COMMAND


def button_id(update: Update) -> int:
    """The id a job or offer button carries after its prefix (``jb:in:42``, ``of:acc:7``:
    dispatch.callbacks), range-checked. The guard has already refused malformed data."""
    assert update.callback_query is not None and update.callback_query.data is not None
    return Id().read(update.callback_query.data.split(":")[2])


async def ack(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=alert)


def step_state(context: AppContext) -> dict[str, Any]:
    """The technician's step state in user_data (JSON: the job in hand, the record draft)."""
    assert context.user_data is not None
    state = context.user_data.setdefault("tech", {})
    assert isinstance(state, dict)
    return state


def wake(context: AppContext) -> None:
    context.services.wake_sender()
