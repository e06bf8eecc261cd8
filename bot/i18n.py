"""Every text a user sees, in English, Simplified and Traditional Chinese.

Catalogs are gettext ``.po`` files under ``bot/locales/<lang>/LC_MESSAGES``,
read with Babel at start-up (no compile step). Source texts (msgids) are the
English sentences in the code, marked with ``t(...)`` in handlers and ``N_(...)``
in the domain; ``pybabel extract`` collects them (see docs/translations.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_timedelta
from babel.lists import format_list
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from dispatch.messages import At, Day, Delta, Lines, Money, Month, Msg, Number, Param
from dispatch.model import Language, Localized

__all__ = ["LANGUAGE_NAMES", "Translator", "language_for"]

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "aftercare"

# Each language's own name, as a picker shows it.
LANGUAGE_NAMES: dict[Language, str] = {
    Language.EN: "English",
    Language.ZH_HANS: "简体中文",
    Language.ZH_HANT: "繁體中文",
}

_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def language_for(telegram_code: str | None, chosen: Language | None, default: Language) -> Language:
    """The user's own choice first, then their Telegram language, then the desk default."""
    if chosen is not None:
        return chosen
    code = (telegram_code or "").strip().lower().replace("_", "-")
    if not code:
        return default
    if code.startswith(_TRADITIONAL):
        return Language.ZH_HANT
    if code == "zh" or code.startswith("zh-"):
        return Language.ZH_HANS
    if code == "en" or code.startswith("en-"):
        return Language.EN
    return default


Plurals = dict[tuple[str, str], tuple[str, ...]]


def _read(path: Path, locale: str) -> tuple[dict[str, str], Plurals]:
    """The texts by msgid, and the plural texts by (singular, plural) with their forms in
    gettext's order (one, other)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=Locale.parse(locale))
    texts: dict[str, str] = {}
    plurals: Plurals = {}
    for m in catalog:
        if not m.id or not m.string or m.fuzzy:
            continue
        if isinstance(m.id, str):
            texts[m.id] = str(m.string)
        elif all(m.string):
            plurals[(str(m.id[0]), str(m.id[1]))] = tuple(str(form) for form in m.string)
    return texts, plurals


class Translator:
    """The catalogs, with a regional overlay where the desk's region writes differently.

    ``region`` (``HK``) lays ``<language>_<region>`` catalogs (``zh_Hant_HK``) over their
    language: a text the overlay holds is read from it, any other from the language's own
    catalog (gettext's fallback chain, done here because the catalogs are read as .po)."""

    def __init__(self, directory: Path = LOCALES, *, region: str | None = None) -> None:
        self._catalogs: dict[Language, dict[str, str]] = {}
        self._plurals: dict[Language, Plurals] = {}
        for language in Language:
            texts, plurals = _read(
                directory / language.value / "LC_MESSAGES" / f"{DOMAIN}.po", language.value
            )
            overlay = directory / f"{language.value}_{region}" / "LC_MESSAGES" / f"{DOMAIN}.po"
            if region and overlay.exists():
                over_texts, over_plurals = _read(overlay, language.value)
                texts, plurals = texts | over_texts, plurals | over_plurals
            self._catalogs[language], self._plurals[language] = texts, plurals
        self.region = region
        self._locales = {language: Locale.parse(language.value) for language in Language}

    def gettext(self, language: Language, msgid: str) -> str:
        return self._catalogs[language].get(msgid, msgid)

    def ngettext(self, language: Language, singular: str, plural: str, n: int) -> str:
        """The form for ``n``: Chinese has one form; English one for 1 and one for the rest
        (the only plural rules of the desk's languages, so no rule engine is needed)."""
        forms = self._plurals[language].get((singular, plural), (singular, plural))
        return forms[0] if len(forms) == 1 or n == 1 else forms[1]

    def format_moment(self, language: Language, moment: datetime, zone: ZoneInfo) -> str:
        locale = self._locales[language]
        day = format_skeleton("yMMMEd", moment, tzinfo=zone, locale=locale)
        return f"{day} {format_skeleton('Hm', moment, tzinfo=zone, locale=locale)}"

    def format_day(self, language: Language, day: date) -> str:
        """``Mon, Nov 23`` / ``11月23日周一``: a day someone is choosing, without the year."""
        return format_skeleton("MMMEd", day, locale=self._locales[language])

    def format_date(self, language: Language, day: date) -> str:
        return format_skeleton("yMMMd", day, locale=self._locales[language])

    def format_money(self, language: Language, amount: float, currency: str) -> str:
        """``CN¥50.00`` / ``¥50.00`` / ``NT$50.00``: Babel's currency formats (CLDR)."""
        return format_currency(amount, currency, locale=self._locales[language])

    def format_number(self, language: Language, value: float, digits: int = 1) -> str:
        """``3.5`` / ``1,200`` / ``2``: a measure with at most ``digits`` decimals (none
        shown when they are zero), with the language's separators (CLDR)."""
        pattern = "#,##0." + "#" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self._locales[language])

    def format_delta(self, language: Language, seconds: float) -> str:
        """``in 3 hours`` / ``3小时后`` / ``2 days ago``: CLDR's relative wording."""
        return format_timedelta(
            timedelta(seconds=seconds),
            add_direction=True,
            threshold=1.5,
            locale=self._locales[language],
        )

    def format_month(self, language: Language, year: int, month: int) -> str:
        """``November 2026`` / ``2026年11月``."""
        return format_skeleton("yMMMM", date(year, month, 1), locale=self._locales[language])

    def join(self, language: Language, items: list[str]) -> str:
        """``A, B and C`` / ``A、B和C``, as each language lists things."""
        return format_list(items, locale=self._locales[language]) if items else ""

    def render(
        self,
        language: Language,
        msgid: str,
        params: Mapping[str, Param] | None = None,
        *,
        zone: ZoneInfo,
    ) -> str:
        """Translate ``msgid`` and fill its ``{placeholders}``, translating nested texts too."""
        text = self.gettext(language, msgid)
        if not params:
            return text
        return text.format(
            **{key: self._value(language, value, zone) for key, value in params.items()}
        )

    def show(self, language: Language, value: Param, zone: ZoneInfo) -> object:
        """One parameter as the reader sees it (a nested text, a moment, money, lines...)."""
        return self._value(language, value, zone)

    def _value(self, language: Language, value: Param, zone: ZoneInfo) -> object:
        if isinstance(value, Msg):
            return self.render(language, value.msgid, value.params, zone=zone)
        if isinstance(value, At):
            return self.format_moment(language, value.moment, zone)
        if isinstance(value, Day):
            if value.year:
                return self.format_date(language, value.day)
            return self.format_day(language, value.day)
        if isinstance(value, Money):
            return self.format_money(language, value.amount, value.currency)
        if isinstance(value, Delta):
            return self.format_delta(language, value.seconds)
        if isinstance(value, Month):
            return self.format_month(language, value.year, value.month)
        if isinstance(value, Number):
            return self.format_number(language, value.value, value.digits)
        if isinstance(value, Localized):
            return value.in_(language)
        if isinstance(value, Lines):
            return "\n".join(str(self._value(language, item, zone)) for item in value.items)
        return value
