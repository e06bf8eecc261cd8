"""Phone numbers as people type them where they live, stored in E.164."""

from __future__ import annotations

import pytest

from dispatch.contact import normalize_phone, region_of_language


@pytest.mark.parametrize(
    ("typed", "language", "stored"),
    [
        ("138 0013 8000", "zh-hans", "+8613800138000"),
        ("13800138000", None, "+8613800138000"),
        ("021 6888 8888", None, "+862168888888"),  # a Shanghai landline
        ("0086 138 0013 8000", None, "+8613800138000"),
        ("0912-345-678", "zh-tw", "+886912345678"),  # Taipei writes mobiles like this
        ("0912-345-678", None, "+886912345678"),  # not a mainland number: Taiwan's
        ("9123 4567", "zh-hk", "+85291234567"),
        ("91234567", None, "+85291234567"),
        ("6612 3456", "zh-mo", "+85366123456"),
        ("8123 4567", "zh-sg", "+6581234567"),
        ("012-345 6789", "ms", "+60123456789"),
        ("+886 912 345 678", "zh-hans", "+886912345678"),
    ],
)
def test_local_numbers_are_read_for_the_users_place_then_the_desks(
    typed: str, language: str | None, stored: str
) -> None:
    assert normalize_phone(typed, "CN", user_region=region_of_language(language)) == stored


@pytest.mark.parametrize("typed", ["12345", "+86 123", "call me", "", "1" * 40, "+1 555 0100"])
def test_what_is_no_phone_number_anywhere_is_refused(typed: str) -> None:
    assert normalize_phone(typed, "CN", user_region="TW") is None
