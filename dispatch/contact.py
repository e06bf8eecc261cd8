"""Phone numbers: parsed and checked by ``phonenumbers`` (libphonenumber's rules).

People type numbers the way they are written where they live: ``0912-345-678`` in
Taipei, ``9123 4567`` in Hong Kong, ``138 0013 8000`` on the mainland. A number without
a country code is read for the user's own place first (from their Telegram language),
then the desk's, then the desk's neighbours; the first place where it is a valid number
wins, and it is stored in E.164.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["NEIGHBOURS", "normalize_phone", "region_of_language"]

# The places whose local numbers the desk reads without a country code, in this order
# after the user's own place and the desk's.
NEIGHBOURS = ("CN", "TW", "HK", "MO", "SG", "MY")

_LANGUAGE_REGIONS = {
    "zh-tw": "TW",
    "zh-hant-tw": "TW",
    "zh-hk": "HK",
    "zh-hant-hk": "HK",
    "zh-mo": "MO",
    "zh-hant-mo": "MO",
    "zh-sg": "SG",
    "zh-hans-sg": "SG",
    "ms": "MY",
    "zh-cn": "CN",
    "zh-hans": "CN",
}


def region_of_language(language_code: str | None) -> str | None:
    """The place a Telegram language code points to (``zh-tw`` → ``TW``), if any."""
    if not language_code:
        return None
    return _LANGUAGE_REGIONS.get(language_code.lower().replace("_", "-"))


def normalize_phone(text: str, region: str, *, user_region: str | None = None) -> str | None:
    """Return the number in E.164 (``+8613800138000``), or None when it is not a valid one.

    ``region`` is the desk's country; ``user_region`` the user's own place, if known.
    """
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 32:
        return None
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    places = list(dict.fromkeys(p for p in (user_region, region, *NEIGHBOURS) if p))
    for place in places:
        try:
            number = phonenumbers.parse(cleaned, place)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if cleaned.startswith("+"):
            return None  # a country code was given: no other place to try
    return None
