"""An error reaches a person: the user is told nothing is lost, the operators are told where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext
from tests.harness import Desk

OPERATOR = 900_777


async def _fail(update: Update, context: AppContext) -> None:
    raise RuntimeError("the printer is on fire, call +8613800138000")


async def test_an_error_tells_the_user_and_once_the_operators_without_personal_data(
    desk_factory: Callable[..., Desk],
) -> None:
    desk: Desk = await desk_factory(replace={"operators = []": f"operators = [{OPERATOR}]"})  # type: ignore[misc]
    # First in group 0, ahead of the feature handlers and the fallback.
    desk.app.handlers[0].insert(0, CommandHandler("fail", _fail))
    operator = desk.person(OPERATOR, "Ops")
    customer = desk.person(901, "Amy")
    await customer.command("fail", "my secret address")
    assert customer.last.text == (
        "Sorry, something went wrong on our side. What you entered so far is kept; "
        "please try again in a moment."
    )
    [notice] = operator.texts
    assert notice.startswith("⚠️ Error while handling update 1: RuntimeError in test_errors.py:")
    assert "secret" not in notice and "138" not in notice and "Amy" not in notice

    await customer.command("fail")  # the same fault again at once: no second notice
    assert operator.texts == [notice]
    await desk.advance(timedelta(minutes=11))
    await customer.command("fail")
    assert len(operator.texts) == 2
