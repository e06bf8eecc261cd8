"""Builds the PTB Application: one place where every piece is wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

import handlers
from bot.alerts import OperatorAlerts
from bot.config import Settings
from bot.context import SERVICES_KEY, AppContext, Services
from bot.i18n import Translator
from bot.inbox import (
    ChatOrderedProcessor,
    DeskApplication,
    InboxQueue,
    InboxSteps,
    KeepBeforeAsking,
    prune_handled,
    recover,
    replay_unfinished,
)
from bot.insight import PeriodFiles
from bot.menus import Menus
from bot.metrics import DeskMetrics
from bot.outbox import OutboxSender
from bot.pacing import ChatPacer
from bot.replies import ReplyGate
from bot.report import ServiceReports
from bot.staffroom import StaffRoomSender
from bot.verify import seal_events
from dispatch.certificates import warn_expiring
from dispatch.clock import Clock, SystemClock
from dispatch.company_days import load_company_days
from dispatch.contracts import book_unanswered, plan_visits, warn_ending
from dispatch.limits import MessageGate
from dispatch.monthly import send_monthly_report
from dispatch.parts_list import load_parts_list
from dispatch.privacy import anonymise_closed
from dispatch.rounds import dispatch_round
from dispatch.staffroom import ensure_desk_topics
from dispatch.sweep import sweep
from dispatch.technicians import refresh_fleet
from storage.crypto import configure as configure_keys
from storage.db import make_engine, make_sessionmaker
from storage.persistence import SqlPersistence
from storage.sole import SoleProcess
from storage.uow import UnitOfWorkFactory

__all__ = ["SOLE", "build_application", "services_of"]

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
SENDER_TASK = "outbox_sender_task"
SENDER = "outbox_sender"
SOLE = "sole_process"
# An update stored this long ago and still not done was dropped by a failure: handle it again.
INBOX_STUCK_AFTER = timedelta(minutes=1)
RETENTION_PASS_EVERY = timedelta(hours=1)
# On a graceful stop, the outbox delivers what is due for at most this long.
FLUSH_SECONDS = 5.0


def services_of(application: AnyApplication) -> Services:
    services = application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def sender_of(application: AnyApplication) -> OutboxSender:
    sender = application.bot_data[SENDER]
    assert isinstance(sender, OutboxSender)
    return sender


async def _post_init(application: AnyApplication) -> None:
    """Runs once the bot is initialised, before polling or the webhook starts."""
    services = services_of(application)
    await load_company_days(services.uow(), services.policy.work_calendar)
    await load_parts_list(services.uow(), services.policy.parts)
    await ensure_desk_topics(services.uow(), services.policy, services.clock.now())
    try:
        await services.menus.apply_defaults(application.bot, services.translator)
    except TelegramError:
        log.warning("could not set the default command menu", exc_info=True)
    # What the last run left unfinished is handled before new updates are fetched.
    assert isinstance(application, DeskApplication)
    sole = application.bot_data.get(SOLE)
    if not isinstance(sole, SoleProcess):  # not started by bot.serve, which holds it already
        sole = application.bot_data[SOLE] = SoleProcess(services.engine)
    only_process = await sole.claim()
    if not only_process:
        log.info("another process shares the desk: what the last run claimed waits for its lease")
    await recover(application, only_process=only_process)
    await seal_events(services.uow)  # what a killed run recorded and had not sealed
    task = asyncio.get_running_loop().create_task(sender_of(application).run(), name="outbox")
    application.bot_data[SENDER_TASK] = task
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _dispatch_job,
            interval=services.settings.dispatch.backlog_interval_seconds,
            first=5,
            name="dispatch",
        )
        application.job_queue.run_repeating(
            _sweep_job,
            interval=services.settings.dispatch.sweep_interval_seconds,
            first=3,
            name="sweep",
        )
        application.job_queue.run_repeating(
            _fleet_job,
            interval=services.fleet_cache.max_age.total_seconds() / 2,
            first=1,
            name="fleet",
        )


async def _sweep_job(context: AppContext) -> None:
    """Time limits: warnings, breaches, escalations and complaint progress, each once."""
    services = context.services
    # Company days and parts lists another process may have set.
    await load_company_days(services.uow(), services.policy.work_calendar)
    await load_parts_list(services.uow(), services.policy.parts)
    if await sweep(services.uow, services.clock, services.policy):
        services.wake_sender()
    await field_service_duties(services)
    await send_due_monthly_report(services)
    application = context.application
    assert isinstance(application, DeskApplication)
    await replay_unfinished(application, older_than=INBOX_STUCK_AFTER)
    await prune_handled(application)
    await seal_events(services.uow, recent_only=True)
    await anonymise_when_due(services)


async def anonymise_when_due(services: Services) -> int:
    """Once an hour, with the sweep: closed tickets past [privacy] retention_days lose
    their personal data (dispatch.privacy)."""
    days = services.settings.privacy.retention_days
    now = services.clock.now()
    last = services.last_retention_pass
    if not days or (last is not None and now - last < RETENTION_PASS_EVERY):
        return 0
    services.last_retention_pass = now
    return await anonymise_closed(services.uow(), services.clock, timedelta(days=days))


async def field_service_duties(services: Services) -> bool:
    """With the sweep: the planned visits of maintenance contracts that are due, and the
    warnings of certificates and contracts ending within 30 days (each told once); then
    the sender is woken."""
    policy = services.policy
    written = await plan_visits(
        services.uow,
        services.clock,
        policy,
        lead_days=services.settings.contracts.plan_days_ahead,
    )
    written += await book_unanswered(services.uow(), services.clock, policy)
    written += await warn_ending(services.uow(), services.clock, policy)
    written += await warn_expiring(
        services.uow(), services.clock, policy.certificates, zone=policy.zone
    )
    if written:
        services.wake_sender()
    return bool(written)


async def send_due_monthly_report(services: Services) -> bool:
    """The monthly report when it is due (with the sweep), then the sender is woken."""
    services.last_monthly_report, sent = await send_monthly_report(
        services.uow, services.clock, services.policy, known_sent=services.last_monthly_report
    )
    if sent:
        services.wake_sender()
    return sent


async def _fleet_job(context: AppContext) -> None:
    """Re-read the on-duty fleet off the request path, so offers search a fresh picture."""
    services = context.services
    await refresh_fleet(services.uow(), services.clock, services.policy, services.fleet_cache)


async def _dispatch_job(context: AppContext) -> None:
    """Expire overdue offers and offer every waiting job (greedy, or batch with a backlog)."""
    services = context.services
    made = await dispatch_round(services.uow, services.clock, services.policy)
    if made:
        services.wake_sender()


async def _post_stop(application: AnyApplication) -> None:
    """A graceful stop: the sender finishes the delivery in hand, then what is due goes
    out (each for at most FLUSH_SECONDS)."""
    sender = sender_of(application)
    task = application.bot_data.pop(SENDER_TASK, None)
    if task is not None:
        sender.stop()
        try:
            await asyncio.wait_for(task, FLUSH_SECONDS)
        except TimeoutError:
            log.warning(
                "the outbox sender did not finish in time; what it held goes at the next start"
            )
    try:
        await seal_events(services_of(application).uow)
    except Exception:  # sealed at the next start
        log.warning("could not seal the last events", exc_info=True)
    try:
        await asyncio.wait_for(sender.flush(), FLUSH_SECONDS)
    except TimeoutError:
        log.info("stopping with messages still due; they go at the next start")
    except Exception:  # the database is away: the messages wait in it for the next start
        log.warning("the outbox could not be flushed", exc_info=True)


async def _post_shutdown(application: AnyApplication) -> None:
    sole = application.bot_data.pop(SOLE, None)
    if isinstance(sole, SoleProcess):
        await sole.release()
    await services_of(application).engine.dispose()


def _error_handler(alerts: OperatorAlerts) -> Any:
    async def on_error(update: object, context: AppContext) -> None:
        """Log with the traceback, tell the operators, tell the user nothing is lost."""
        log.error("error while handling an update", exc_info=context.error)
        if context.error is not None:
            update_id = update.update_id if isinstance(update, Update) else None
            await alerts.tell(context.bot, update_id, context.error)
        await _tell_the_user(update, context)

    return on_error


async def _tell_the_user(update: object, context: AppContext) -> None:
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id,
                context.t(
                    "Sorry, something went wrong on our side. What you entered so far is kept; "
                    "please try again in a moment."
                ),
            )


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    pacer: ChatPacer | None = None,
    group_pacer: ChatPacer | None = None,
    rate_limited: bool = True,
    sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
) -> AnyApplication:
    """The whole bot, ready for ``run_polling``.

    ``request`` swaps the HTTP layer and ``rate_limited=False`` drops PTB's global
    30 messages/s pacing: both for the in-process fake Bot API of tests and
    benchmarks, which measure the bot's own work, not Telegram's allowance.
    """
    configure_keys(settings.privacy.key_ring())  # personal data encrypted at rest, or not
    engine = make_engine(settings.database.url)
    sessions = make_sessionmaker(engine)
    clock = clock or SystemClock()
    # One pacer per process for every message to a chat: handlers' and the outbox's alike.
    pacer = pacer or ChatPacer()
    inbox = InboxSteps(UnitOfWorkFactory(sessions))
    services = Services(
        settings=settings,
        engine=engine,
        uow=UnitOfWorkFactory(sessions),
        clock=clock,
        translator=Translator(region=settings.desk.wording_region),
        menus=Menus(),
        metrics=DeskMetrics(monotonic=lambda: clock.now().timestamp()),
        message_gate=MessageGate(settings.limits.messages_per_minute),
    )
    queue = InboxQueue(inbox, clock)
    builder: Any = (
        ApplicationBuilder()
        .token(settings.telegram.token)
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .context_types(ContextTypes(context=AppContext))
        .persistence(SqlPersistence(sessions, clock))
        .defaults(
            Defaults(
                link_preview_options=LinkPreviewOptions(is_disabled=True), tzinfo=settings.zone
            )
        )
        .application_class(DeskApplication)
        .update_queue(queue)
        .concurrent_updates(ChatOrderedProcessor())
        # Holds each update's replies until it is done; paces and retries every other call.
        # With rate_limited=False (tests, benchmarks) PTB's global 30/s pacing is left out.
        .rate_limiter(
            ReplyGate(
                pacer=pacer, global_limits=rate_limited, sleep=sleep, metrics=services.metrics
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    # As PTB builds it (one connection), with polling's batch kept before the next call.
    updates_request = request or HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(KeepBeforeAsking(updates_request, queue))
    application: AnyApplication = builder.build()
    application.bot_data[SERVICES_KEY] = services
    # The staff group takes about 20 messages a minute in all its topics: one every 3 s,
    # whether the staff room posts it or a manager's step there is answered.
    group_pacer = group_pacer or ChatPacer(burst=1, per_second=1 / 3)
    staffroom = StaffRoomSender(
        uow=services.uow,
        bot=application.bot,
        translator=services.translator,
        settings=settings,
        clock=clock,
        pacer=group_pacer,
    )
    sender = OutboxSender(
        also=staffroom.drain,
        # A claim, a sent mark or a retry lost with the machine (not the process) costs a
        # message sent again, never one lost: those commits need no fsync.
        uow=UnitOfWorkFactory(sessions).without_fsync(),
        bot=application.bot,
        translator=services.translator,
        settings=settings,
        clock=clock,
        pacer=pacer,
        group_pacers={settings.desk.staff_group: group_pacer} if settings.desk.staff_group else {},
        reports=ServiceReports(services.uow, services.translator, settings, application.bot),
        makers=dict.fromkeys(
            ("charts", "export"), PeriodFiles(services.uow, services.translator, settings)
        ),
    )
    application.bot_data[SENDER] = sender
    services.wake_sender = sender.wake
    assert isinstance(application, DeskApplication)
    application.wire(inbox, clock, sender, services.metrics)
    handlers.register_all(application)
    application.add_error_handler(
        _error_handler(
            OperatorAlerts(
                chats=settings.desk.operators,
                translator=services.translator,
                language=settings.desk.default_language,
                monotonic=lambda: clock.now().timestamp(),
            )
        )
    )
    return application
