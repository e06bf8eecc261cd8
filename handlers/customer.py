"""The customer's conversation: every intake flow and /mytickets in one ConversationHandler.

One handler, not one per flow, so that a customer who starts a complaint in the
middle of a repair request is not in two conversations at once: each flow keeps
its own draft, and going back to /repair offers to continue it.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler

from bot.context import AppContext
from dispatch.messages import N_
from dispatch.model import Role
from handlers.common import say
from handlers.complaint import ComplaintForm
from handlers.forms import Form, Handlers
from handlers.mytickets import MyTickets
from handlers.question import QuestionForm
from handlers.repair import RepairForm
from handlers.returns import ReturnForm
from handlers.survey import SurveyAnswers
from handlers.visit import VisitAnswers

__all__ = ["FORMS", "register"]

FORMS: tuple[Form, ...] = (RepairForm(), ComplaintForm(), ReturnForm(), QuestionForm())


async def cancel(update: Update, context: AppContext) -> int:
    """/cancel: leave the flow; its draft stays for later."""
    await say(
        update,
        context,
        context.t(
            "Stopped. What you entered is kept: send the same command again to continue, or /help for the menu."
        ),
    )
    return ConversationHandler.END


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.CUSTOMER,), "repair", N_("Report a fault for repair"))
    menus.add((Role.CUSTOMER,), "install", N_("Book an installation"))
    menus.add((Role.CUSTOMER,), "complain", N_("Make a complaint"))
    menus.add((Role.CUSTOMER,), "return", N_("Return or exchange a product"))
    menus.add((Role.CUSTOMER,), "ask", N_("Ask a question"))
    menus.add((Role.CUSTOMER,), "mytickets", N_("My requests and their progress"))
    menus.add((Role.CUSTOMER,), "cancel", N_("Stop the current request"))
    entry: Handlers = []
    states: dict[object, Handlers] = {}
    for form in FORMS:
        entry.extend(form.entry_points())
        states.update(form.states())
    for extra in (MyTickets(), VisitAnswers(), SurveyAnswers()):
        entry.extend(extra.entry_points())
        states.update(extra.states())
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states=states,
            fallbacks=[CommandHandler("cancel", cancel), *entry],
            allow_reentry=True,
            name="customer",
            persistent=True,
        )
    )
