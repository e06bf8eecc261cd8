"""Questions answered in the chat: managers are pinged with the question and answer it;
the answer reaches the customer in their own chat, in the words the manager wrote.

The first human answer stops the 1-hour first-response limit (status ``responded``, which
starts the full-answer clock, dispatch.sla.STARTS); the answer that settles the question
stops the 24-hour limit (``answered``). Later replies to an answered question are kept
as events and reach the customer too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from dispatch.callbacks import QUESTION_ANSWER
from dispatch.clock import Clock
from dispatch.errors import DomainError, NotFound
from dispatch.intake import limit_text
from dispatch.lifecycle import move
from dispatch.messages import N_, Button, Outgoing
from dispatch.model import Event, EventKind, Status, Ticket, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import SlaStep
from dispatch.staffroom import Source, mirror, open_room
from dispatch.users import as_manager, tell_managers

__all__ = [
    "QuestionClosed",
    "answer_question",
    "follow_up",
    "ping_managers",
    "question_to_answer",
]

# A customer's message outside any step joins their question this long after it was asked.
FOLLOW_UP_WINDOW = timedelta(days=7)


class QuestionClosed(DomainError):
    """The question was cancelled or closed: it takes no more answers."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def ping_managers(uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, at: datetime) -> None:
    """Every manager hears of a new question at once, with the button that answers it."""
    customer = await uow.users.get(ticket.customer_id)
    await open_room(uow, policy, ticket, at)
    await tell_managers(
        uow,
        text=N_("❓ Question {number} from {customer}, to answer within {first}:\n{question}"),
        params={
            "number": ticket.number,
            "customer": customer.display_name if customer else "?",
            "first": limit_text(policy.sla[SlaStep.CONSULTATION_FIRST_RESPONSE]),
            "question": ticket.description,
        },
        buttons=((Button(N_("✍️ Answer"), data=QUESTION_ANSWER.data(ticket.id)),),),
        ticket_id=ticket.id,
        key=f"question:{ticket.id}",
        at=at,
    )


async def question_to_answer(uow: UnitOfWork, *, ticket_id: int, manager_id: int) -> Ticket:
    """The question a manager is about to answer, if it still takes answers."""
    async with uow:
        return await _open_question(uow, ticket_id, manager_id)


async def _open_question(uow: UnitOfWork, ticket_id: int, manager_id: int) -> Ticket:
    await as_manager(uow, manager_id, to="answer questions")
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.kind is not TicketKind.CONSULTATION:
        raise NotFound(f"question {ticket_id}")
    if ticket.status in (Status.CLOSED, Status.CANCELLED):
        raise QuestionClosed(ticket.number)
    return ticket


async def answer_question(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    text: str,
    settled: bool,
) -> Ticket:
    """Send a manager's answer to the customer; ``settled`` when it answers in full."""
    now = clock.now()
    async with uow:
        ticket = await _open_question(uow, ticket_id, manager_id)
        details = {"answer": text}
        if settled and ticket.status is not Status.ANSWERED:
            await move(
                uow, policy, ticket, Status.ANSWERED, at=now, actor_id=manager_id, details=details
            )
        elif ticket.status is Status.NEW:
            await move(
                uow, policy, ticket, Status.RESPONDED, at=now, actor_id=manager_id, details=details
            )
        else:  # a further reply: the status stays, the reply is on the timeline
            await uow.events.add(
                Event(
                    kind=EventKind.STAFF_REPLY,
                    created_at=now,
                    ticket_id=ticket.id,
                    actor_id=manager_id,
                    details={"text": text},
                )
            )
        await uow.outbox.add(
            Outgoing(
                user_id=ticket.customer_id,
                text=N_("💬 About your question {number}:\n{answer}")
                if settled
                else N_(
                    "💬 About your question {number}:\n{answer}\n\nWe will write again with the full answer."
                ),
                params={"number": ticket.number, "answer": text},
                ticket_id=ticket.id,
                # Handled again after a crash, the same answer makes the same key.
                dedup_key=f"answer:{ticket.id}:{now.isoformat()}:{_digest(text)}",
            ),
            at=now,
        )
        await uow.commit()
        return ticket


async def follow_up(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    text: str,
    policy: DeskPolicy | None = None,
    source: Source | None = None,
) -> Ticket | None:
    """A customer's message that no step expects, on a question they asked this week: it
    joins that question (an event) and reaches every manager with the Answer button; a
    question already answered is reopened, with a new 24-hour limit for its answer.
    None when they have no such question (the message gets the usual pointer)."""
    now = clock.now()
    async with uow:
        asked = [
            question
            for question in await uow.tickets.of_customer(customer_id, TicketKind.CONSULTATION)
            if question.status not in (Status.CLOSED, Status.CANCELLED)
            and now - question.created_at <= FOLLOW_UP_WINDOW
        ]
        if not asked:
            return None
        ticket = max(asked, key=lambda question: question.created_at)
        customer = await uow.users.get(customer_id)
        await uow.events.add(
            Event(
                kind=EventKind.CUSTOMER_FOLLOW_UP,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=customer_id,
                details={"text": text},
            )
        )
        if ticket.status == Status.ANSWERED and policy is not None:
            await move(uow, policy, ticket, Status.REOPENED, at=now, actor_id=customer_id)
        if policy is not None and policy.staff_group is not None and source is not None:
            # The team reads it in the case's topic; their private chats stay for what
            # is urgent (a burst of follow-ups would queue ahead of it there).
            await mirror(uow, policy, ticket, source, now)
            await uow.commit()
            return ticket
        await tell_managers(
            uow,
            text=N_("💬 {customer} adds to question {number}:\n{text}"),
            params={
                "customer": customer.display_name if customer else "?",
                "number": ticket.number,
                "text": text,
            },
            buttons=((Button(N_("✍️ Answer"), data=QUESTION_ANSWER.data(ticket.id)),),),
            ticket_id=ticket.id,
            key=f"follow-up:{ticket.id}:{now.isoformat()}:{_digest(text)}",
            at=now,
        )
        await uow.commit()
        return ticket
