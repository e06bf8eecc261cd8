"""Scheduled work that combines storage reads with domain rules (the monthly report)."""

from __future__ import annotations

from datetime import UTC

from bot.context import Services
from dispatch.messages import Outgoing
from dispatch.model import Role
from dispatch.monthly import REPORT, figures, month_bounds, render_params
from storage.stats import StatsStore

__all__ = ["REPORT_DAY", "REPORT_HOUR", "send_monthly_report"]

# SERVICE_RULES: the complaint analysis report is due by the 5th of the next month.
REPORT_DAY, REPORT_HOUR = 5, 9


async def send_monthly_report(services: Services) -> bool:
    """From 09:00 on the 5th, send last month's report to every manager, once.

    Runs with the sweep; a bot that was down on the 5th sends it when it is back.
    """
    policy = services.policy
    now = services.clock.now()
    local = now.astimezone(policy.zone)
    if local.day < REPORT_DAY or (local.day == REPORT_DAY and local.hour < REPORT_HOUR):
        return False
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    key = f"monthly:{year:04d}-{month:02d}:"
    if services.last_monthly_report == key:  # known sent: no need to look again
        return False
    stats = StatsStore(services.uow.sessions)
    if await stats.sent(key):  # by this process before a restart, or by another one
        services.last_monthly_report = key
        return False
    start, end = month_bounds(policy, year, month)
    opened = await stats.opened_at()
    if opened is None or opened >= end:  # the desk did not run that month: nothing to report
        services.last_monthly_report = key
        return False
    rows = await stats.month(start.astimezone(UTC), end.astimezone(UTC))
    params = render_params(figures(policy, year, month, rows.tickets, rows.reached, rows.surveys))
    async with services.uow() as uow:
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    user_id=manager.id, text=REPORT, params=params, dedup_key=f"{key}{manager.id}"
                ),
                at=now,
            )
        await uow.commit()
    services.last_monthly_report = key
    services.wake_sender()
    return True
