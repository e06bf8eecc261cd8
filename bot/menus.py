"""Each role's command menu, set per chat in the user's language.

Feature modules add their commands in their ``register()``; the menu a user
sees therefore lists only what is really there.
"""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import Translator
from dispatch.model import Language, Role

__all__ = ["MENU_ORDER", "Menus"]

# The order commands appear in every menu; a command not listed goes last.
MENU_ORDER = (
    "start",
    "repair",
    "install",
    "complain",
    "return",
    "ask",
    "mytickets",
    "privacy",
    "forget",
    "duty",
    "jobs",
    "queue",
    "case",
    "technicians",
    "certificates",
    "parts",
    "contracts",
    "snippets",
    "stats",
    "invite",
    "assign",
    "calendar",
    "language",
    "help",
    "cancel",
)


def _position(entry: tuple[str, str]) -> int:
    return MENU_ORDER.index(entry[0]) if entry[0] in MENU_ORDER else len(MENU_ORDER)


class Menus:
    def __init__(self) -> None:
        self._entries: dict[Role, list[tuple[str, str]]] = defaultdict(list)

    def add(self, roles: tuple[Role, ...], command: str, description: str) -> None:
        """``description`` is a msgid (mark it with N_)."""
        for role in roles:
            if command not in (c for c, _ in self._entries[role]):
                self._entries[role].append((command, description))
                self._entries[role].sort(key=_position)

    def commands(self, role: Role) -> list[tuple[str, str]]:
        return list(self._entries[role])

    def render(self, role: Role, language: Language, translator: Translator) -> list[BotCommand]:
        zone = ZoneInfo("UTC")
        return [
            BotCommand(command, translator.render(language, description, zone=zone))
            for command, description in self._entries[role]
        ]

    async def apply(
        self, bot: Bot, chat_id: int, role: Role, language: Language, translator: Translator
    ) -> bool:
        """Show ``role``'s menu in ``chat_id``; a Telegram error is logged by the caller."""
        try:
            await bot.set_my_commands(
                self.render(role, language, translator), scope=BotCommandScopeChat(chat_id)
            )
        except TelegramError:
            return False
        return True

    async def apply_defaults(self, bot: Bot, translator: Translator) -> None:
        """The customer menu for every private chat not yet given its own: English and Chinese."""
        scope = BotCommandScopeAllPrivateChats()
        await bot.set_my_commands(self.render(Role.CUSTOMER, Language.EN, translator), scope=scope)
        await bot.set_my_commands(
            self.render(Role.CUSTOMER, Language.ZH_HANS, translator),
            scope=scope,
            language_code="zh",
        )
