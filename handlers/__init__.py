"""Telegram adapters: parse the update, call one dispatch service, reply politely.

Handler groups carry policy (see :func:`register_all`):
- group -1: the guard (duplicate updates, who is acting) may stop everything;
- group 0: features, in order; the last handlers catch what nothing else took.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import (
    calendar,
    cases,
    casework,
    contracts,
    customer,
    decisions,
    fallback,
    guard,
    invites,
    language,
    manager,
    privacy,
    questions,
    resources,
    snippets,
    staffgroup,
    start,
    stats,
    team,
    technician,
)

__all__ = ["register_all"]


def register_all(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    guard.register(application)  # group -1
    staffgroup.register(application)  # first: the staff group's updates end there
    start.register(application)
    questions.register(application)  # before the customer's: a manager typing an answer
    decisions.register(application)  # likewise a manager typing a refusal
    casework.register(application)  # a manager typing a complaint's step
    cases.register(application)  # a manager typing to a customer
    team.register(application)
    snippets.register(application)  # a manager typing a technician's radius or capacity
    stats.register(application)
    customer.register(application)
    technician.register(application)
    manager.register(application)
    calendar.register(application)
    language.register(application)
    invites.register(application)
    resources.register(application)  # a manager's table file, when no step wanted it
    contracts.register(application)
    privacy.register(application)
    fallback.register(application)  # last in group 0: stale buttons, stray input
