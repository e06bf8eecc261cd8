"""Technicians' certificates: which jobs need one, who holds which, and their expiry.

The one place for the rule is :func:`needed_for`: a ``[[certificates]]`` entry of the
config names the products (empty: every product) and the kinds of job (empty: every
kind) that need it, as the service manuals ask (000 §3.1: 上岗证 for every job,
《电热水器安装资格证》 for a water-heater installation). The assignment engine offers such
a job only to technicians holding each needed certificate valid on the visit day
(:class:`dispatch.assignment.Job`). Managers load certificates from a CSV or XLSX file
(:func:`import_certificates`); 30 days before one expires, its holder and the managers
are told once (:func:`warn_expiring`); a renewal (a later date imported) warns again
before its own end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from dispatch.clock import Clock
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.messages import N_, Day, Lines, Msg, Outgoing, Param
from dispatch.model import Certificate, Localized, Role, Ticket, TicketKind
from dispatch.ports import UnitOfWork
from dispatch.tables import ImportReport, find_technician, header_of, lines_of

__all__ = [
    "COLUMNS",
    "WARN_BEFORE",
    "CertificateKind",
    "certificates_overview",
    "import_certificates",
    "is_certificates_table",
    "needed_for",
    "visit_day",
    "warn_expiring",
]

WARN_BEFORE = timedelta(days=30)
# A file's columns, each by any of its names (the header row is matched without case).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "technician": ("technician", "技师", "技師", "name", "姓名", "phone", "电话", "電話"),
    "certificate": ("certificate", "证书", "證書", "certificate code", "code"),
    "number": ("number", "证书编号", "證書編號", "编号", "編號", "no", "no."),
    "valid_until": ("valid until", "valid_until", "expiry", "有效期至", "到期日", "到期"),
}


@dataclass(frozen=True)
class CertificateKind:
    """One kind of certificate as the config names it, and the jobs that need it."""

    code: str
    name: Localized
    products: frozenset[str] = frozenset()  # empty: every product
    kinds: frozenset[TicketKind] = frozenset()  # empty: every kind of field job

    def needed(self, ticket: Ticket) -> bool:
        return (not self.products or ticket.product_category in self.products) and (
            not self.kinds or ticket.kind in self.kinds
        )


def needed_for(kinds: Sequence[CertificateKind], ticket: Ticket) -> frozenset[str]:
    """The certificates a technician must hold to be offered ``ticket``."""
    return frozenset(kind.code for kind in kinds if kind.needed(ticket))


def visit_day(ticket: Ticket, today: date) -> date:
    """The day the certificates must be valid on: the booked day, else today."""
    return (
        ticket.preferred_date if ticket.preferred_date and ticket.preferred_date > today else today
    )


def is_certificates_table(rows: Sequence[Sequence[str]]) -> bool:
    """Whether a file's first row is the header of a certificates table."""
    return bool(rows) and header_of(rows[0], COLUMNS) is not None


def _kind(kinds: Sequence[CertificateKind], text: str) -> CertificateKind | None:
    wanted = text.strip().casefold()
    for kind in kinds:
        names = (kind.code, kind.name.en, kind.name.zh_Hans, kind.name.zh_Hant)
        if wanted in (n.casefold() for n in names):
            return kind
    return None


async def import_certificates(
    uow: UnitOfWork,
    clock: Clock,
    kinds: Sequence[CertificateKind],
    rows: Sequence[Sequence[str]],
    *,
    zone: tzinfo,
) -> ImportReport:
    """Add or renew the certificates of a table (header row first). A line that cannot be
    read is reported with its number and why; the others are saved."""
    report = ImportReport()
    columns = header_of(rows[0], COLUMNS) if rows else None
    if columns is None:
        raise InvalidInput(
            N_(
                "The first row should name the columns: technician, certificate, number, valid until."
            )
        )
    today = clock.now().astimezone(zone).date()
    async with uow:
        team = [technician for technician, _ in await uow.technicians.team()]
        held = {(c.technician_id, c.code): c for c in await uow.technicians.certificates()}
        for line, cells in lines_of(rows, columns):
            technician = find_technician(team, cells["technician"])
            kind = _kind(kinds, cells["certificate"])
            try:
                until = read_date(cells["valid_until"], today, past=False)
            except InvalidInput:
                until = None
            if technician is None:
                problem = Msg(N_("no technician called {name}"), {"name": cells["technician"]})
            elif kind is None:
                problem = Msg(N_("no certificate called {name}"), {"name": cells["certificate"]})
            elif not cells["number"]:
                problem = Msg(N_("the certificate number is missing"))
            elif until is None:
                problem = Msg(N_("{text} is not a date"), {"text": cells["valid_until"]})
            else:
                before = held.get((technician.user_id, kind.code))
                certificate = Certificate(technician.user_id, kind.code, cells["number"], until)
                if before is not None and before.valid_until == until:
                    certificate.warned_on = before.warned_on  # the same one again
                await uow.technicians.save_certificate(certificate)
                held[(technician.user_id, kind.code)] = certificate
                if before is None:
                    report.added += 1
                else:
                    report.renewed += 1
                continue
            report.problems.append(
                Msg(N_("line {line}: {problem}"), {"line": line, "problem": problem})
            )
        await uow.commit()
    return report


async def certificates_overview(
    uow: UnitOfWork,
    clock: Clock,
    kinds: Sequence[CertificateKind],
    *,
    technician_id: int | None,
    zone: tzinfo,
) -> Msg | None:
    """Every certificate held (or one technician's), soonest expiry first, marked when it
    has expired or expires within 30 days; None when there are none."""
    names = {kind.code: kind.name for kind in kinds}
    today = clock.now().astimezone(zone).date()
    async with uow:
        held = await uow.technicians.certificates(technician_id)
        who = await uow.technicians.names(sorted({c.technician_id for c in held}))
    if not held:
        return None
    lines: list[Param] = []
    for certificate in sorted(held, key=lambda c: (c.valid_until, who.get(c.technician_id, ""))):
        if certificate.valid_until < today:
            state = N_("⛔ expired {day}")
        elif certificate.valid_until - today <= WARN_BEFORE:
            state = N_("⚠️ valid until {day}")
        else:
            state = N_("valid until {day}")
        lines.append(
            Msg(
                N_("{technician} · {certificate} No. {number} · {state}"),
                {
                    "technician": who.get(certificate.technician_id, "?"),
                    "certificate": names.get(certificate.code, certificate.code),
                    "number": certificate.number,
                    "state": Msg(state, {"day": Day(certificate.valid_until, year=True)}),
                },
            )
        )
    return Msg(N_("📜 Certificates:\n{lines}"), {"lines": Lines(tuple(lines))})


async def warn_expiring(
    uow: UnitOfWork, clock: Clock, kinds: Sequence[CertificateKind], *, zone: tzinfo
) -> int:
    """Tell each holder and the managers, once, of a certificate ending within 30 days;
    return how many messages were written."""
    names = {kind.code: kind.name for kind in kinds}
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        due = await uow.technicians.expiring_unwarned(today + WARN_BEFORE)
        if not due:
            return 0
        managers = await uow.users.with_role(Role.MANAGER)
        technicians = {user.id for user in await uow.users.with_role(Role.TECHNICIAN)}
        who = await uow.technicians.names(sorted({c.technician_id for c in due}))
        messages: list[Outgoing] = []
        for certificate in due:
            name: Param = names.get(certificate.code, certificate.code)
            key = f"cert:{certificate.technician_id}:{certificate.code}:{certificate.valid_until}"
            if certificate.technician_id in technicians:  # still one (not made a manager)
                messages.append(
                    Outgoing(
                        certificate.technician_id,
                        N_(
                            "📜 Your {certificate} (No. {number}) is valid until {day}. Jobs that "
                            "need it are offered to you only while it is valid: please renew it "
                            "and send the new one to a manager."
                        ),
                        {
                            "certificate": name,
                            "number": certificate.number,
                            "day": Day(certificate.valid_until, year=True),
                        },
                        dedup_key=f"{key}:holder",
                    )
                )
            for manager in managers:
                messages.append(
                    Outgoing(
                        manager.id,
                        N_(
                            "📜 {technician}'s {certificate} (No. {number}) is valid until {day}; "
                            "after that, jobs that need it are not offered to them."
                        ),
                        {
                            "technician": who.get(certificate.technician_id, "?"),
                            "certificate": name,
                            "number": certificate.number,
                            "day": Day(certificate.valid_until, year=True),
                        },
                        dedup_key=f"{key}:{manager.id}",
                    )
                )
            certificate.warned_on = today
            await uow.technicians.save_certificate(certificate)
        await uow.outbox.add_many(messages, at=now)
        await uow.commit()
    return len(messages)
