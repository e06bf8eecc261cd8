"""The job waits for a spare part: the technician names the part, the desk pauses the job."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.callbacks import PART_ARRIVED
from dispatch.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from dispatch.model import Status
from dispatch.part_requests import wait_for_part
from dispatch.states import allowed
from handlers.common import inline, say
from handlers.technician.common import PART_WAIT, step_state, wake
from handlers.technician.jobs import open_job

__all__ = ["ask_missing_part", "missing_part_typed"]


async def ask_missing_part(update: Update, context: AppContext) -> str | int:
    ticket = await open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    if not allowed(ticket.kind, ticket.status, Status.WAITING_PART):
        await say(update, context, context.t("That step is already done."))
        return ConversationHandler.END
    # The parts that fit the job's product, as an example and a reminder of their names.
    parts = context.services.policy.parts.fitting(ticket.product_category)
    example = context.t("{part} x1", part=parts[0].name) if parts else "Drain pump x1"
    await say(
        update,
        context,
        context.t(
            "Which part is missing for {number}? Type its name and how many, for example {example}. Send /cancel to go back.",
            number=ticket.number,
            example=example,
        ),
    )
    return PART_WAIT


async def missing_part_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    services = context.services
    try:
        ticket, wait = await wait_for_part(
            services.uow(),
            context.clock,
            services.policy,
            services.policy.parts,
            ticket_id=int(step_state(context)["ticket"]),
            technician_id=context.me.id,
            text=update.message.text,
        )
    except InvalidInput as exc:
        await say(update, context, context.t(exc.message, **exc.params))
        return PART_WAIT
    except (NotFound, NotAllowed):
        await say(update, context, context.t("This job is no longer yours."))
        return ConversationHandler.END
    except IllegalTransition:
        await say(update, context, context.t("That step is already done."))
        return ConversationHandler.END
    await say(
        update,
        context,
        context.t(
            "⏸ {number} now waits for {part} ×{quantity}. The managers and the customer have been told, and the on-site clock is paused. When the part is with you, press the button below or use /jobs.",
            number=ticket.number,
            part=wait.name,
            quantity=wait.quantity,
        ),
        inline([(context.t("📦 The part has arrived"), PART_ARRIVED.data(ticket.id))]),
    )
    wake(context)
    return ConversationHandler.END
