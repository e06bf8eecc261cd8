"""The per-minute gate (dispatch.limits.MessageGate): thirty in a sliding minute, the
first one past it told, the rest dropped; idle users' windows are let go."""

from __future__ import annotations

from dispatch.limits import PRUNE_ABOVE, Admission, MessageGate


def test_thirty_a_minute_then_told_once_then_dropped_until_the_minute_slides() -> None:
    gate = MessageGate(30)
    assert [gate.admit(1, 100.0 + n / 10) for n in range(30)] == [Admission.ADMIT] * 30
    assert gate.admit(1, 103.5) is Admission.TELL
    assert gate.admit(1, 104.0) is Admission.DROP
    assert gate.admit(2, 104.0) is Admission.ADMIT  # others are not held up
    assert gate.admit(1, 160.05) is Admission.ADMIT  # the first one left the minute


def test_idle_users_are_let_go() -> None:
    gate = MessageGate(30)
    for user in range(PRUNE_ABOVE + 1):
        gate.admit(user, 0.0)
    gate.admit(-1, 120.0)
    assert len(gate) == 1
