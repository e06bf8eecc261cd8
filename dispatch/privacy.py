"""A customer's personal data: what is kept (/privacy), and erasing it (/forget), as the
law on personal information (个人信息保护法) lets them ask. Erasing keeps the anonymous
statistics and the hashes of signed records (storage.repositories.privacy says what goes),
tells the managers of every case still open, and is recorded (``user.forgotten``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dispatch.clock import Clock
from dispatch.errors import NotFound
from dispatch.messages import N_
from dispatch.model import Event, EventKind, TicketKind, User
from dispatch.ports import UnitOfWork
from dispatch.privacy_port import KeptTicket
from dispatch.states import at_rest
from dispatch.users import tell_managers

__all__ = ["Kept", "anonymise_closed", "forget_customer", "what_we_keep"]

CUSTOMER_FORGOTTEN = N_(
    "🔒 {number}: the customer asked us to erase their personal data. The case stays "
    "open, without their name, phone, address or description: write to them from the case."
)


@dataclass(frozen=True)
class Kept:
    user: User
    tickets: list[KeptTicket]
    contracts: list[tuple[str, str]]

    @property
    def addresses(self) -> list[str]:
        seen = [x.address for x in self.tickets if x.address]
        seen += [address for _, address in self.contracts if address]
        return list(dict.fromkeys(seen))

    @property
    def open_tickets(self) -> list[KeptTicket]:
        return [x for x in self.tickets if not at_rest(TicketKind(x.kind), x.status)]


async def what_we_keep(uow: UnitOfWork, user_id: int) -> Kept:
    async with uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id}")
        return Kept(
            user,
            await uow.privacy.tickets_of(user_id),
            await uow.privacy.contracts_of(user_id),
        )


async def forget_customer(uow: UnitOfWork, clock: Clock, *, user_id: int) -> list[str]:
    """Erase the customer's personal data; returns the numbers of their open cases (whose
    managers were told)."""
    async with uow:
        now = clock.now()
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id}")
        still_open = [
            kept.number
            for kept in await uow.privacy.tickets_of(user_id)
            if not at_rest(TicketKind(kept.kind), kept.status)
        ]
        await uow.privacy.erase(user_id, user.telegram_id, now)
        for number in still_open:
            await tell_managers(
                uow,
                text=CUSTOMER_FORGOTTEN,
                params={"number": number},
                at=now,
                key=f"forgotten:{user_id}:{number}",
            )
        await uow.events.add(
            Event(
                kind=EventKind.USER_FORGOTTEN,
                created_at=now,
                actor_id=user_id,
                details={"open_cases": len(still_open)},
            )
        )
        await uow.commit()
        return still_open


async def anonymise_closed(uow: UnitOfWork, clock: Clock, retention: timedelta) -> int:
    """Tickets closed longer than ``retention`` ago lose their personal data (the sweep,
    a thousand at a time); how many did."""
    async with uow:
        now = clock.now()
        done = await uow.privacy.anonymise_closed(now - retention, now)
        await uow.commit()
        return done
