"""Unfinished requests: one draft per flow in the customer's user_data, kept across restarts.

A draft carries its intake key (so confirming twice makes one ticket), when it
was started and last touched, and the answers so far. A draft untouched for
``draft_ttl_hours`` expires: the customer is told at their next message and
starts afresh. Only JSON-friendly values go in, as the persistence stores JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.messages import N_, At, Number
from handlers.common import say

__all__ = ["FLOW_NAMES", "Draft", "discard", "find", "start", "step"]

FLOW_NAMES = {
    "repair": N_("repair request"),
    "installation": N_("installation request"),
    "complaint": N_("complaint"),
    "return": N_("return / exchange request"),
    "question": N_("question"),
}

DRAFTS = "drafts"

Draft = dict[str, Any]


def _drafts(context: AppContext) -> dict[str, Draft]:
    assert context.user_data is not None
    drafts = context.user_data.setdefault(DRAFTS, {})
    assert isinstance(drafts, dict)
    return drafts


def find(context: AppContext, flow: str) -> Draft | None:
    return _drafts(context).get(flow)


def start(context: AppContext, flow: str) -> Draft:
    now = context.clock.now().isoformat()
    draft: Draft = {
        "key": uuid.uuid4().hex,
        "started": now,
        "touched": now,
        "data": {},
        "editing": False,
    }
    _drafts(context)[flow] = draft
    return draft


def discard(context: AppContext, flow: str) -> None:
    _drafts(context).pop(flow, None)


def expired(context: AppContext, draft: Draft) -> bool:
    touched = datetime.fromisoformat(draft["touched"])
    return context.clock.now() - touched > context.services.policy.draft_ttl


Step = Callable[[Update, AppContext], Awaitable[object]]


def step(flow: str) -> Callable[[Step], Step]:
    """Wraps a step of ``flow``: refuses a missing or expired draft, and marks the draft touched."""

    def decorate(callback: Step) -> Step:
        @wraps(callback)
        async def wrapper(update: Update, context: AppContext) -> object:
            draft = find(context, flow)
            if draft is None or expired(context, draft):
                if update.callback_query:
                    await update.callback_query.answer()
                if draft is not None:
                    discard(context, flow)
                    await say(
                        update,
                        context,
                        context.t(
                            "Your unfinished {request} from {started} was not touched for {hours} hours, so it was discarded. Send /start to begin a new one.",
                            request=context.t(FLOW_NAMES[flow]),
                            started=At(datetime.fromisoformat(draft["started"])),
                            hours=Number(context.services.policy.draft_ttl.total_seconds() / 3600),
                        ),
                    )
                return ConversationHandler.END
            draft["touched"] = context.clock.now().isoformat()
            return await callback(update, context)

        return wrapper

    return decorate
