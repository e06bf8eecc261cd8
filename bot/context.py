"""The typed context every callback receives: services, the acting user, their language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import Translator, language_for
from bot.menus import Menus
from bot.metrics import DeskMetrics
from dispatch.assignment import FleetCache
from dispatch.clock import Clock
from dispatch.limits import MessageGate
from dispatch.messages import Param
from dispatch.model import Language, User
from dispatch.policy import DeskPolicy
from storage.uow import UnitOfWorkFactory

__all__ = ["AppContext", "Services"]

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    clock: Clock
    translator: Translator
    menus: Menus
    # The on-duty fleet as last read, shared by this process's dispatch searches.
    fleet_cache: FleetCache = field(default_factory=FleetCache)
    # The last monthly report known to be sent, so later sweeps skip the outbox lookup.
    last_monthly_report: str | None = None
    # When closed tickets were last checked against the retention period (bot.app).
    last_retention_pass: datetime | None = None
    # Wakes the outbox sender after a transaction wrote to the outbox (set by bot.app).
    wake_sender: Callable[[], None] = lambda: None
    # What /metrics shows (bot.web); counted by bot.inbox and bot.replies.
    metrics: DeskMetrics = field(default_factory=DeskMetrics)
    # Customers' messages a minute, counted by the process taking them (handlers.guard).
    message_gate: MessageGate = field(default_factory=lambda: MessageGate(30))

    @property
    def policy(self) -> DeskPolicy:
        return self.settings.policy

    def language_of(self, user: User) -> Language:
        return language_for(
            user.telegram_language, user.language, self.settings.desk.default_language
        )


class AppContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """``context.user`` is set by the guard in group -1 before any feature handler runs."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.user: User | None = None

    @property
    def services(self) -> Services:
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def chat_key(self) -> str:
        """The chat this update came from, as a key of the user's data: a manager may have
        one step open in their private chat and another in the staff group."""
        return str(self._chat_id)

    @property
    def me(self) -> User:
        if self.user is None:
            raise RuntimeError("no acting user: the guard did not run for this update")
        return self.user

    @property
    def lang(self) -> Language:
        if self.user is None:
            return self.services.settings.desk.default_language
        return self.services.language_of(self.user)

    def t(self, msgid: str, /, **params: Param) -> str:
        """Translate ``msgid`` into the acting user's language and fill its placeholders."""
        return self.services.translator.render(
            self.lang, msgid, params, zone=self.services.settings.zone
        )

    def tn(self, singular: str, plural: str, n: int, /, **params: Param) -> str:
        """The form of a text for ``n`` things, translated, with ``{count}`` set to ``n``."""
        translator, zone = self.services.translator, self.services.settings.zone
        text = translator.ngettext(self.lang, singular, plural, n)
        return text.format(
            count=n,
            **{key: translator.show(self.lang, value, zone) for key, value in params.items()},
        )
