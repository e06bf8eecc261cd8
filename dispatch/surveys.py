"""The follow-up visit (回访): a short survey after the work, in the chat.

It goes out the day after signing at ``survey_at`` (10:00) in the desk's zone, never
in quiet hours; one reminder follows ``survey_reminder`` later if unanswered. The
customer rates timeliness, attitude and result from 1 to 5 and may comment. A low
score (``low_score`` or less on any item) opens a complaint linked to the job and
tells the managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.callbacks import SURVEY_RATING
from dispatch.clock import Clock
from dispatch.errors import DomainError
from dispatch.messages import N_, Button, Msg, Outgoing
from dispatch.model import Event, EventKind, Role, Ticket, TicketKind
from dispatch.policy import DeskPolicy, SurveyRules
from dispatch.ports import UnitOfWork
from dispatch.tickets import customers_ticket, open_linked_complaint

__all__ = [
    "ITEMS",
    "QUESTIONS",
    "Answered",
    "SurveyClosed",
    "SurveyRules",
    "answer",
    "buttons",
    "comment",
    "first_question",
    "question",
    "schedule",
    "send_time",
]

ITEMS = ("timeliness", "attitude", "result")
# The three questions (timeliness, attitude, result), as they fit each kind of request:
# nobody visited a customer whose complaint or return was handled.
_VISIT_TIMELINESS = N_(
    "How satisfied are you with how quickly we came? (1 = very unhappy, 5 = very happy)"
)
_TECHNICIAN = N_("And with the technician's attitude?")
_STAFF = N_("And with our staff's attitude?")
QUESTIONS: dict[TicketKind, dict[str, str]] = {
    TicketKind.REPAIR: {
        "timeliness": _VISIT_TIMELINESS,
        "attitude": _TECHNICIAN,
        "result": N_("And with the result of the work?"),
    },
    TicketKind.INSTALLATION: {
        "timeliness": _VISIT_TIMELINESS,
        "attitude": _TECHNICIAN,
        "result": N_("And with the installation?"),
    },
    TicketKind.MAINTENANCE: {
        "timeliness": _VISIT_TIMELINESS,
        "attitude": _TECHNICIAN,
        "result": N_("And with the maintenance visit?"),
    },
    TicketKind.COMPLAINT: {
        "timeliness": N_(
            "How satisfied are you with how quickly we handled your complaint? "
            "(1 = very unhappy, 5 = very happy)"
        ),
        "attitude": _STAFF,
        "result": N_("And with the solution?"),
    },
    TicketKind.RETURN: {
        "timeliness": N_(
            "How satisfied are you with how quickly we handled your return or exchange? "
            "(1 = very unhappy, 5 = very happy)"
        ),
        "attitude": _STAFF,
        "result": N_("And with the refund or exchange?"),
    },
}


def question(kind: TicketKind, item: str) -> str:
    """The survey question ``item`` as it fits a request of ``kind``."""
    return QUESTIONS.get(kind, QUESTIONS[TicketKind.REPAIR])[item]


class SurveyClosed(DomainError):
    """The survey was answered already, or does not exist for this customer."""


def send_time(policy: DeskPolicy, rules: SurveyRules, signed_at: datetime) -> datetime:
    day = signed_at.astimezone(policy.zone).date() + timedelta(days=rules.after_days)
    moment = datetime.combine(day, rules.send_at, tzinfo=policy.zone).astimezone(signed_at.tzinfo)
    return policy.quiet_until(moment) or moment


async def schedule(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, signed_at: datetime
) -> None:
    """Plan the survey of a signed job (the sweep sends it)."""
    at = send_time(policy, policy.surveys, signed_at)
    await uow.tickets.arm(ticket.id, "survey", "survey", at, at)


def buttons(ticket_id: int, item: str) -> tuple[tuple[Button, ...], ...]:
    return (
        tuple(Button(str(n), data=SURVEY_RATING.data(ticket_id, item[0], n)) for n in range(1, 6)),
    )


def first_question(ticket: Ticket, *, reminder: bool) -> Outgoing:
    text = (
        N_(
            "🔔 A reminder: we would still like to hear how the service for {number} went. It takes three taps.\n\n{question}"
        )
        if reminder
        else N_(
            "👋 Thank you for choosing us. How did the service for {number} go? Three quick taps help us improve.\n\n{question}"
        )
    )
    return Outgoing(
        user_id=ticket.customer_id,
        text=text,
        params={"number": ticket.number, "question": Msg(question(ticket.kind, "timeliness"))},
        buttons=buttons(ticket.id, "timeliness"),
        ticket_id=ticket.id,
        dedup_key=f"survey:{ticket.id}:{'reminder' if reminder else 'first'}",
    )


@dataclass(frozen=True)
class Answered:
    kind: TicketKind  # of the request surveyed, whose questions these are
    next_item: str | None  # the next question, or None when all three are answered
    low: bool = False  # a low score opened a complaint
    complaint_number: str | None = None


async def answer(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    customer_id: int,
    item: str,
    score: int,
) -> Answered:
    if item not in ITEMS or not 1 <= score <= 5:
        raise SurveyClosed("no such question")
    async with uow:
        now = clock.now()
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        survey = await uow.surveys.get(ticket_id)
        if survey is None or survey.get("answered_at") is not None:
            raise SurveyClosed("answered")
        await uow.surveys.set_score(ticket_id, item, score)
        survey[item] = score
        remaining = [i for i in ITEMS if survey.get(i) is None]
        if remaining:
            await uow.commit()
            return Answered(ticket.kind, remaining[0])
        await uow.surveys.close(ticket_id, now)
        scores = {i: int(survey[i]) for i in ITEMS}
        await uow.events.add(
            Event(
                kind=EventKind.SURVEY_ANSWERED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=customer_id,
                details=scores,
            )
        )
        low = min(scores.values()) <= policy.surveys.low_score
        complaint_number = None
        if low:
            complaint = await open_linked_complaint(
                uow,
                now=now,
                policy=policy,
                customer_id=customer_id,
                related=ticket,
                # The desk's own words are shown from the details, in the reader's language
                # (labels.written_description); the column holds only what customers typed.
                description="",
                details={"source": "survey", "scores": scores, "of": ticket.number},
            )
            complaint_number = complaint.number
            for manager in await uow.users.with_role(Role.MANAGER):
                await uow.outbox.add(
                    Outgoing(
                        user_id=manager.id,
                        text=N_(
                            "⚠️ Low follow-up scores for {number} (timeliness {timeliness}, attitude {attitude}, result {result}). Complaint {complaint} is open."
                        ),
                        params={"number": ticket.number, "complaint": complaint.number, **scores},
                        ticket_id=complaint.id,
                        dedup_key=f"survey-low:{ticket.id}:{manager.id}",
                    ),
                    at=now,
                )
        await uow.commit()
        return Answered(ticket.kind, None, low, complaint_number)


async def comment(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, customer_id: int, text: str
) -> None:
    async with uow:
        await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        await uow.surveys.set_comment(ticket_id, text)
        await uow.events.add(
            Event(
                kind=EventKind.SURVEY_COMMENT,
                created_at=clock.now(),
                ticket_id=ticket_id,
                actor_id=customer_id,
                details={"comment": text},
            )
        )
        await uow.commit()
