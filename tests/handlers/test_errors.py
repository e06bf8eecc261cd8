"""An error reaches a person: the user is told nothing is lost, the operators are told where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
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


async def test_start_up_schedules_the_sweep_the_dispatch_round_and_the_fleet_refresh(
    desk: Desk,
) -> None:
    """What post_init does before polling: the jobs the desk's clocks depend on (the
    sweep sends warnings, breaches, surveys and the monthly report), and the sender."""
    from bot.app import SENDER_TASK

    assert desk.app.post_init is not None
    await desk.app.post_init(desk.app)
    try:
        assert desk.app.job_queue is not None
        jobs = {job.name: job for job in desk.app.job_queue.jobs()}
        assert set(jobs) == {"dispatch", "sweep", "fleet"}
        settings = desk.settings.dispatch

        def every(name: str) -> float:
            trigger = jobs[name].job.trigger
            assert isinstance(trigger, IntervalTrigger)
            return float(trigger.interval.total_seconds())

        assert every("sweep") == settings.sweep_interval_seconds
        assert every("dispatch") == settings.backlog_interval_seconds
        sender = desk.app.bot_data[SENDER_TASK]
        assert not sender.done()
    finally:
        desk.app.bot_data[SENDER_TASK].cancel()
        for job in desk.app.job_queue.jobs() if desk.app.job_queue else []:
            job.schedule_removal()
