"""Return and exchange requests decided by a manager: approved (the customer is told how
to send the goods back and when the refund or exchange follows) or refused with a reason
the customer reads. Either stops the 1-working-day review limit."""

from __future__ import annotations

from datetime import datetime

from dispatch.callbacks import RETURN_APPROVE, RETURN_REFUSE
from dispatch.clock import Clock
from dispatch.errors import DomainError, NotFound
from dispatch.intake import ReturnReason, limit_text
from dispatch.labels import RETURN_REASON_LABELS
from dispatch.lifecycle import move
from dispatch.messages import N_, Button, Msg, Outgoing, Param
from dispatch.model import Status, Ticket, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import SlaStep
from dispatch.staffroom import open_room
from dispatch.users import as_manager, tell_managers

__all__ = [
    "ReturnDecided",
    "advance_return",
    "decide_return",
    "ping_return",
    "return_to_decide",
]


class ReturnDecided(DomainError):
    """The request was decided (or cancelled) already."""


async def ping_return(uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, at: datetime) -> None:
    """Every manager hears of a new return or exchange, with Approve and Refuse."""
    customer = await uow.users.get(ticket.customer_id)
    product = policy.product(ticket.product_category)
    details = ticket.details
    params: dict[str, Param] = {
        "number": ticket.number,
        "customer": customer.display_name if customer else "?",
        "review": limit_text(policy.sla[SlaStep.RETURN_REVIEW]),
        "order": str(details.get("order_number", "")),
        "product": product.name if product else Msg(N_("Something else")),
        "quantity": int(details.get("quantity", 1)),
        "reason": Msg(RETURN_REASON_LABELS[ReturnReason(details.get("reason", "quality"))]),
        "conditions": Msg(N_("it meets the usual conditions"))
        if details.get("eligible")
        else Msg(N_("it does not meet the usual conditions: a manual review")),
    }
    await open_room(uow, policy, ticket, at)
    await tell_managers(
        uow,
        text=N_(
            "📦 Return / exchange {number} from {customer}, to review within {review}:\n"
            "order {order}, {product} × {quantity}, reason: {reason}; {conditions}."
        ),
        params=params,
        buttons=(
            (
                Button(N_("✅ Approve"), data=RETURN_APPROVE.data(ticket.id)),
                Button(N_("✖ Refuse"), data=RETURN_REFUSE.data(ticket.id)),
            ),
        ),
        ticket_id=ticket.id,
        key=f"return:{ticket.id}",
        at=at,
    )


async def return_to_decide(uow: UnitOfWork, *, ticket_id: int, manager_id: int) -> Ticket:
    """The request a manager is about to refuse, if it still waits for a decision."""
    async with uow:
        return await _undecided(uow, ticket_id, manager_id)


async def _undecided(uow: UnitOfWork, ticket_id: int, manager_id: int) -> Ticket:
    await as_manager(uow, manager_id, to="decide returns")
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.kind is not TicketKind.RETURN:
        raise NotFound(f"return {ticket_id}")
    if ticket.status is not Status.NEW:
        raise ReturnDecided(ticket.number)
    return ticket


async def decide_return(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    approve: bool,
    reason: str = "",
) -> Ticket:
    """Approve, or refuse with ``reason`` (which the customer reads as written)."""
    now = clock.now()
    async with uow:
        ticket = await _undecided(uow, ticket_id, manager_id)
        if approve:
            await move(uow, policy, ticket, Status.APPROVED, at=now, actor_id=manager_id)
            text = N_(
                "✅ Your return / exchange request {number} is approved. Please send the goods back "
                "with the receipt or invoice; once we have them, the refund or exchange is done "
                "within {refund}."
            )
            params: dict[str, Param] = {
                "number": ticket.number,
                "refund": limit_text(policy.sla[SlaStep.RETURN_REFUND]),
            }
        else:
            details = {"reason": reason}
            await move(
                uow, policy, ticket, Status.REJECTED, at=now, actor_id=manager_id, details=details
            )
            # Nothing more happens to a refused request: it closes (and leaves the queue);
            # a customer who disagrees complains, which is a case of its own.
            await move(uow, policy, ticket, Status.CLOSED, at=now, actor_id=manager_id)
            text = N_(
                "Your return / exchange request {number} could not be approved: {reason}\n"
                "If you disagree, send /complain and we will look at it again."
            )
            params = {"number": ticket.number, "reason": reason}
        await uow.outbox.add(
            Outgoing(
                user_id=ticket.customer_id,
                text=text,
                params=params,
                ticket_id=ticket.id,
                dedup_key=f"return-decided:{ticket.id}",
            ),
            at=now,
        )
        await uow.commit()
        return ticket


async def advance_return(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, ticket_id: int, manager_id: int
) -> Ticket:
    """The next step of an approved return: the goods received (starts the 3-working-day
    refund or exchange limit), then the refund or exchange done (stops it and closes the
    request, which schedules the follow-up survey). The customer hears each."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="work returns")
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.kind is not TicketKind.RETURN:
            raise NotFound(f"return {ticket_id}")
        if ticket.status is Status.APPROVED:
            await move(uow, policy, ticket, Status.RECEIVED, at=now, actor_id=manager_id)
            text = N_(
                "📦 We have received the goods for your return / exchange request {number}. "
                "The refund or exchange will be done within {refund}."
            )
        elif ticket.status is Status.RECEIVED:
            await move(uow, policy, ticket, Status.COMPLETED, at=now, actor_id=manager_id)
            await move(uow, policy, ticket, Status.CLOSED, at=now, actor_id=manager_id)
            text = N_(
                "✅ The refund or exchange for {number} is done. Thank you for your patience; "
                "we will ask you shortly how we handled it."
            )
        else:
            raise ReturnDecided(ticket.number)
        await uow.outbox.add(
            Outgoing(
                user_id=ticket.customer_id,
                text=text,
                params={
                    "number": ticket.number,
                    "refund": limit_text(policy.sla[SlaStep.RETURN_REFUND]),
                },
                ticket_id=ticket.id,
                dedup_key=f"return-step:{ticket.id}:{ticket.status}",
            ),
            at=now,
        )
        await uow.commit()
        return ticket
