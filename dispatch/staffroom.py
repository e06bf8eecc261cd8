"""The staff group: a forum supergroup where the team sees every case that needs people.

When ``[desk] staff_group`` names the group, the desk keeps its own topics there (new
cases, escalations, dispatch, reports) and opens a topic per complaint, question and
return, and per repair a manager has to look at. The topic's first message is the case
card, pinned and edited in place as the case moves; the topic's name carries the number,
kind, customer and next deadline, and the topic closes with the case.

Everything to do in the group is queued here, in the transaction that caused it
(``uow.staffroom``), and carried out by the staff room's sender (bot.staffroom), paced
to the group's 20 messages a minute. A card refresh is queued once however many moves
happen before it is sent: the card shows the case as it is when sent, so one edit
carries them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dispatch.clock import Clock
from dispatch.errors import NotFound
from dispatch.labels import kind_label
from dispatch.messages import N_, Msg, Param, params_to_json
from dispatch.model import Event, EventKind, Ticket, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.states import at_rest
from dispatch.users import as_manager

__all__ = [
    "DESK_TOPICS",
    "Source",
    "add_note",
    "announce",
    "case_key",
    "case_of_thread",
    "ensure_desk_topics",
    "mirror",
    "open_room",
    "refresh_room",
    "topic_closes",
]

# Where a customer's messages are: their chat and the ids of the messages, in order.
Source = tuple[int, tuple[int, ...]]

# The desk's own topics, created once: key → what the topic is called.
DESK_TOPICS: dict[str, str] = {
    "desk:new": N_("📥 New cases"),
    "desk:escalations": N_("🚨 Escalations"),
    "desk:dispatch": N_("🛠 Dispatch"),
    "desk:reports": N_("📊 Reports"),
}
# The kinds of case that always get a topic; repairs get one when people are needed.
ROOM_KINDS = frozenset({TicketKind.COMPLAINT, TicketKind.CONSULTATION, TicketKind.RETURN})


def case_key(ticket_id: int) -> str:
    return f"case:{ticket_id}"


async def ensure_desk_topics(uow: UnitOfWork, policy: DeskPolicy, at: datetime) -> int:
    """The desk's own topics, queued for creation the first time the desk starts with a
    staff group; later starts find them and queue nothing. Returns how many were queued."""
    group = policy.staff_group
    if group is None:
        return 0
    created = 0
    async with uow:
        for key in DESK_TOPICS:
            if await uow.staffroom.topic(group, key) is None:
                topic = await uow.staffroom.add_topic(group, key, None, at)
                await uow.staffroom.post(topic.id, "topic", {}, at, dedup_key=f"topic:{topic.id}:0")
                created += 1
        await uow.commit()
    return created


async def open_room(uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, at: datetime) -> None:
    """Inside an open unit of work: the case's topic with its card (once per case)."""
    group = policy.staff_group
    if group is None:
        return
    existing = await uow.staffroom.topic(group, case_key(ticket.id))
    if existing is not None:
        await refresh_room(uow, policy, ticket, at)
        return
    topic = await uow.staffroom.add_topic(group, case_key(ticket.id), ticket.id, at)
    await uow.staffroom.post(topic.id, "topic", {}, at, dedup_key=f"topic:{topic.id}:0")
    await uow.staffroom.post(topic.id, "card", {}, at)
    customer = await uow.users.get(ticket.customer_id)
    await announce(
        uow,
        policy,
        "desk:new",
        N_("📥 {number} · {kind} from {customer}: {summary}"),
        {
            "number": ticket.number,
            "kind": Msg(kind_label(ticket.kind)),
            "customer": customer.display_name if customer else "?",
            "summary": ticket.description[:120],
        },
        at,
        dedup_key=f"new:{ticket.id}",
    )


def topic_closes(ticket: Ticket) -> bool:
    """A case's topic is closed while the case is at rest (dispatch.states.at_rest)."""
    return at_rest(ticket.kind, ticket.status)


async def refresh_room(uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, at: datetime) -> None:
    """Inside an open unit of work: the case moved; its card (and the topic's name and
    state) will show it. Nothing when the case has no topic."""
    group = policy.staff_group
    if group is None:
        return
    topic = await uow.staffroom.topic(group, case_key(ticket.id))
    if topic is None:
        if ticket.kind in ROOM_KINDS:
            await open_room(uow, policy, ticket, at)
        return
    if not await uow.staffroom.waiting(topic.id, "card"):
        await uow.staffroom.post(topic.id, "card", {}, at)
    closing = topic_closes(ticket)
    if closing != topic.closed and not await uow.staffroom.waiting(topic.id, "state"):
        await uow.staffroom.post(topic.id, "state", {}, at)


async def mirror(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, source: Source | None, at: datetime
) -> None:
    """Inside an open unit of work: the customer's own messages (an album stays together)
    copied into the case's topic, as they wrote them."""
    if policy.staff_group is None or source is None or not source[1]:
        return
    topic = await uow.staffroom.topic(policy.staff_group, case_key(ticket.id))
    if topic is None:
        if ticket.kind not in ROOM_KINDS:
            return
        await open_room(uow, policy, ticket, at)
        topic = await uow.staffroom.topic(policy.staff_group, case_key(ticket.id))
        assert topic is not None
    chat, messages = source
    await uow.staffroom.post(
        topic.id,
        "copy",
        {"from_chat_id": chat, "message_ids": list(messages)},
        at,
        dedup_key=f"copy:{chat}:{messages[0]}",
    )
    if not await uow.staffroom.waiting(topic.id, "card"):  # it says how many are on their way
        await uow.staffroom.post(topic.id, "card", {}, at)


async def case_of_thread(uow: UnitOfWork, policy: DeskPolicy, thread_id: int) -> Ticket | None:
    """The case whose topic this is (None: a topic of the desk's own, or unknown)."""
    if policy.staff_group is None:
        return None
    async with uow:
        topic = await uow.staffroom.topic_by_thread(policy.staff_group, thread_id)
        if topic is None or topic.ticket_id is None:
            return None
        return await uow.tickets.get(topic.ticket_id)


async def add_note(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, ticket_id: int, manager_id: int, text: str
) -> Ticket:
    """A manager's words in the case's topic: an internal note on its timeline (customers
    never see it), and the card shows it among the latest steps."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="write notes")
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        await uow.events.add(
            Event(
                kind=EventKind.STAFF_NOTE,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details={"text": text},
            )
        )
        await refresh_room(uow, policy, ticket, now)
        await uow.commit()
        return ticket


async def announce(
    uow: UnitOfWork,
    policy: DeskPolicy,
    topic_key: str,
    text: str,
    params: Mapping[str, Param],
    at: datetime,
    *,
    dedup_key: str | None = None,
) -> None:
    """Inside an open unit of work: a line for one of the desk's own topics (new cases,
    escalations, dispatch, reports). Lines waiting together go as one message."""
    if policy.staff_group is None:
        return
    topic = await uow.staffroom.topic(policy.staff_group, topic_key)
    if topic is None:  # the desk started before the group was set: its topics come now
        topic = await uow.staffroom.add_topic(policy.staff_group, topic_key, None, at)
        await uow.staffroom.post(topic.id, "topic", {}, at, dedup_key=f"topic:{topic.id}:0")
    payload = {"text": text, "params": params_to_json(params)}
    await uow.staffroom.post(topic.id, "text", payload, at, dedup_key=dedup_key)
