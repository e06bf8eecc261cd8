"""Managers' cases: /case (a card by number, or a search by phone or name), /queue (open
cases by urgency), taking a case, and writing to its customer with a preview."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot.cards import render_card
from bot.context import AppContext
from dispatch.callbacks import (
    CASE_MESSAGE,
    CASE_OPEN,
    CASE_REWRITE,
    CASE_SEND,
    CASE_TAKE,
    REMINDERS_OFF,
)
from dispatch.cases import (
    URGENCY_LABELS,
    URGENCY_MARKS,
    CaseTaken,
    CaseView,
    case_view,
    message_customer,
    queue,
    reminders_off,
    search_cases,
    take_case,
)
from dispatch.errors import ConcurrentUpdate, DomainError, NotFound
from dispatch.messages import N_, Msg
from dispatch.model import Role, Ticket, TicketKind
from handlers.common import clear_buttons, in_private, inline, require_manager, say, ticket_line
from handlers.compose import Composer

__all__ = ["register", "show_case", "take_pressed"]

WRITING, REVIEW = "case:writing", "case:review"
_DRAFT = "case_message"
SHOWN = 15
# /queue's filters, as a manager types them.
KINDS = {
    "complaints": TicketKind.COMPLAINT,
    "questions": TicketKind.CONSULTATION,
    "returns": TicketKind.RETURN,
    "repairs": TicketKind.REPAIR,
    "installations": TicketKind.INSTALLATION,
    "maintenance": TicketKind.MAINTENANCE,
}


def card_text(context: AppContext, view: CaseView) -> str:
    services = context.services
    return render_card(
        services.translator,
        context.lang,
        services.settings.zone,
        context.clock.now(),
        view,
        viewer_id=context.me.id,
    )


async def show_case(update: Update, context: AppContext, case: str | int) -> None:
    """A case's card for this manager; in the staff group, the topic's pinned card
    already shows it (edited as the case moves), so nothing more is posted."""
    if not in_private(update):
        return
    try:
        view = await case_view(context.services.uow(), case=case, manager_id=context.me.id)
    except NotFound:
        await say(update, context, context.t("That request was not found."))
        return
    rows = [[(context.t(a.label), a.data)] for a in view.actions]
    await say(update, context, card_text(context, view), inline(*rows) if rows else None)


async def case_command(update: Update, context: AppContext) -> None:
    """/case C-20261127-0003 opens a card; /case 1380013 or /case Wang searches."""
    if not await require_manager(update, context):
        return
    if not context.args:
        await say(
            update,
            context,
            context.t(
                "Send /case with a request number, or part of the customer's phone number or "
                "name, for example /case C-20261127-0003 or /case 138001."
            ),
        )
        return
    text = " ".join(context.args)
    found = await search_cases(context.services.uow(), text=text, manager_id=context.me.id)
    exact = [x for x in found if x.number == text.strip().upper()]
    if exact or len(found) == 1:
        await show_case(update, context, (exact or found)[0].id)
        return
    if not found:
        await say(update, context, context.t("No request matches {text}.", text=text))
        return
    rows = [[(ticket_line(context, x), CASE_OPEN.data(x.id))] for x in found]
    await say(update, context, context.t("Requests that match {text}:", text=text), inline(*rows))


async def open_case(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await show_case(update, context, CASE_OPEN.id(query.data))


async def queue_command(update: Update, context: AppContext) -> None:
    """/queue, /queue mine, /queue complaints (questions, returns, repairs, installations)."""
    if not await require_manager(update, context):
        return
    words = [w.lower() for w in context.args or []]
    unknown = [w for w in words if w != "mine" and w not in KINDS]
    if unknown:
        await say(
            update,
            context,
            context.t(
                "Send /queue alone, or with mine, complaints, questions, returns, repairs or "
                "installations."
            ),
        )
        return
    kind = next((KINDS[w] for w in words if w in KINDS), None)
    cases = await queue(
        context.services.uow(),
        context.clock,
        manager_id=context.me.id,
        kind=kind,
        mine="mine" in words,
    )
    if not cases:
        await say(update, context, context.t("No open request waits here."))
        return
    counts: dict[Any, int] = {}
    for urgency, _ticket in cases:
        counts[urgency] = counts.get(urgency, 0) + 1
    lines = [context.tn("{count} open request", "{count} open requests", len(cases))]
    lines.extend(
        context.t(
            "{mark} {group}: {count}", mark=URGENCY_MARKS[u], group=Msg(URGENCY_LABELS[u]), count=n
        )
        for u, n in counts.items()
    )
    if len(cases) > SHOWN:
        lines.append(context.t("The {shown} most urgent are below.", shown=SHOWN))
    rows = [
        [(f"{URGENCY_MARKS[urgency]} {ticket_line(context, ticket)}", CASE_OPEN.data(ticket.id))]
        for urgency, ticket in cases[:SHOWN]
    ]
    await say(update, context, "\n".join(lines), inline(*rows))


async def take_pressed(update: Update, context: AppContext) -> Ticket | None:
    """The press of 🙋 Take it, from a ping, a card or the staff group: the case, once
    taken; None when someone else holds it or it moved (the presser is told why)."""
    query = update.callback_query
    assert query is not None
    try:
        return await take_case(
            context.services.uow(),
            context.clock,
            ticket_id=CASE_TAKE.id(query.data),
            manager_id=context.me.id,
            policy=context.services.policy,
        )
    except CaseTaken as taken:
        text = context.t("{owner} has taken {number}.", owner=taken.owner, number=taken.number)
    except ConcurrentUpdate:
        text = context.t("Someone changed this request at the same moment; open it again.")
    except DomainError:
        text = context.t("This request is closed.")
    await query.answer(text, show_alert=True)
    return None


async def take(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    ticket = await take_pressed(update, context)
    if ticket is None:
        return
    await query.answer()
    await clear_buttons(query)
    await say(update, context, context.t("{number} is yours now.", number=ticket.number))
    await show_case(update, context, ticket.id)


async def acknowledge(update: Update, context: AppContext) -> None:
    """👌 on a repeating reminder: no more of it for this manager and case."""
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    try:
        ticket = await reminders_off(
            context.services.uow(),
            context.clock,
            ticket_id=REMINDERS_OFF.id(query.data),
            manager_id=context.me.id,
        )
    except DomainError:
        await query.answer(context.t("That request was not found."), show_alert=True)
        return
    await query.answer(
        context.t(
            "Acknowledged: no more reminders about {number} for you. The customer still hears from us every 24 hours.",
            number=ticket.number,
        ),
        show_alert=True,
    )
    await clear_buttons(query)


# -- writing to the customer: typed, previewed, sent ---------------------------------------
COMPOSER = Composer(
    key=_DRAFT,
    typing=WRITING,
    review=REVIEW,
    again=N_("Type the message again."),
    hint=N_("Please type the message, or send /cancel to stop (nothing is sent)."),
    buttons=lambda context, ticket_id: [
        [(context.t("📨 Send it"), CASE_SEND.data(ticket_id))],
        [(context.t("✏️ Write it again"), CASE_REWRITE.data(ticket_id))],
    ],
)


async def start_message(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    await query.answer()
    return await COMPOSER.start(
        update,
        context,
        CASE_MESSAGE.id(query.data),
        context.t(
            "Type your message to the customer. They read it as you write it, with the request's number."
        ),
    )


async def send_message(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    ticket_id = CASE_SEND.id(query.data)
    text = COMPOSER.ready(context, ticket_id)
    if text is None:
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return ConversationHandler.END
    try:
        ticket = await message_customer(
            context.services.uow(),
            context.clock,
            ticket_id=ticket_id,
            manager_id=context.me.id,
            text=text,
            policy=context.services.policy,
        )
    except DomainError:
        await query.answer(context.t("This request is closed."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await clear_buttons(query)
    COMPOSER.drop(context)
    await say(update, context, context.t("Sent to the customer of {number}.", number=ticket.number))
    context.services.wake_sender()
    return ConversationHandler.END


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.MANAGER,), "queue", N_("Open requests, most urgent first"))
    menus.add((Role.MANAGER,), "case", N_("Open a request by number, phone or name"))
    application.add_handler(CommandHandler("case", case_command))
    application.add_handler(CommandHandler("queue", queue_command))
    application.add_handler(CallbackQueryHandler(open_case, pattern=CASE_OPEN.pattern))
    application.add_handler(CallbackQueryHandler(take, pattern=CASE_TAKE.pattern))
    application.add_handler(CallbackQueryHandler(acknowledge, pattern=REMINDERS_OFF.pattern))
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(start_message, pattern=CASE_MESSAGE.pattern)
    ]
    application.add_handler(
        COMPOSER.conversation(
            name="case_messages",
            entry=entry,
            send=CallbackQueryHandler(send_message, pattern=CASE_SEND.pattern),
            rewrite_pattern=CASE_REWRITE.pattern,
        )
    )
