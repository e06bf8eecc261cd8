"""Phone numbers: parsed and checked by ``phonenumbers`` (libphonenumber's rules)."""

from __future__ import annotations

import phonenumbers

__all__ = ["normalize_phone"]


def normalize_phone(text: str, region: str) -> str | None:
    """Return the number in E.164 (``+8613800138000``), or None when it is not a valid one.

    ``region`` is the desk's calendar country, used for numbers typed without ``+``.
    """
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 32:
        return None
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
