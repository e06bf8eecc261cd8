"""``aftercare verify``: is every sealed event and every signed service record as it was?

The running bot seals new events with each sweep, at start and at a clean stop
(``seal_events``); ``verify_desk`` walks the whole chain and every signed record
(dispatch.audit has the rules) and says what no longer matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from dispatch.audit import GENESIS, Finding, check_record, check_seals
from dispatch.records import canonical_record
from storage.uow import UnitOfWorkFactory

__all__ = ["Verification", "seal_events", "verify_desk"]

log = logging.getLogger(__name__)

# Events younger than this may not be sealed yet by a running bot (it seals every sweep).
SEALING_GRACE = timedelta(minutes=5)


async def seal_events(uow: UnitOfWorkFactory, *, recent_only: bool = False) -> int:
    """Seal what is not sealed yet; 0 if another process extended the chain first.
    ``recent_only``: the sweep's light look (storage.audit)."""
    total = 0
    try:
        while True:
            async with uow() as work:
                sealed = await work.audit.seal_pending(recent_only=recent_only)
                await work.commit()
            total += sealed
            if not sealed:
                return total
    except IntegrityError:  # another process sealed the same events: it carries on
        log.info("audit: another process is sealing; left to it")
        return total


@dataclass
class Verification:
    events: int = 0
    records: int = 0
    head: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    def report(self) -> str:
        lines = [str(finding) for finding in self.findings]
        lines.append(
            f"Checked {self.events} sealed events (chain head {self.head[:16]}) and "
            f"{self.records} signed service records: "
            + (
                f"{len(self.findings)} problems found."
                if self.findings
                else "everything is as it was recorded."
            )
        )
        return "\n".join(lines)


async def verify_desk(
    uow: UnitOfWorkFactory, now: datetime, *, earlier_head: str | None = None
) -> Verification:
    """``earlier_head``: a head an earlier verify printed, which must still be in the chain."""
    result = Verification()
    found_earlier = earlier_head is None
    async with uow() as work:
        seq, previous = 0, GENESIS
        while batch := await work.audit.seals_after(seq):
            result.findings += check_seals(batch, previous, seq + 1)
            seq, previous = batch[-1].seq, batch[-1].hash
            result.events += len(batch)
            found_earlier = found_earlier or any(
                seal.hash.startswith(str(earlier_head).lower()) for seal in batch
            )
        result.head = previous
        if not found_earlier:
            result.findings.append(
                Finding(
                    f"the earlier chain head {earlier_head}",
                    "is not in the chain: the log was rewritten since",
                )
            )
        unsealed = await work.audit.unsealed(now - SEALING_GRACE)
        if unsealed:
            result.findings.append(
                Finding(
                    f"{unsealed} events",
                    "not in the chain: written behind the bot's back, or the bot was stopped "
                    "before it sealed them (start it for a minute, then verify again)",
                )
            )
        records = await work.audit.signed_records()
        result.records = len(records)
        for record in records:
            ticket = await work.tickets.get(record.ticket_id)
            stored = await work.records.for_ticket(record.ticket_id)
            if ticket is None or stored is None:
                result.findings.append(
                    Finding(f"the service record of {record.number}", "its rows are gone")
                )
                continue
            visit = await work.visits.for_ticket(record.ticket_id)
            result.findings += check_record(record, canonical_record(ticket, stored, visit))
    return result
