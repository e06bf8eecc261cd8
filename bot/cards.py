"""A case's card as text in a reader's language: the same card in a manager's private chat
(/case) and pinned in the case's topic of the staff group."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from dispatch.cases import CaseView, may_see_phone
from dispatch.labels import STAFF_EVENT_LABELS, STEP_LABELS, kind_label, status_label
from dispatch.messages import At, Delta, Msg, Param
from dispatch.model import Language

__all__ = ["render_card"]


def render_card(
    translator: Translator,
    language: Language,
    zone: ZoneInfo,
    now: datetime,
    view: CaseView,
    viewer_id: int | None = None,
) -> str:
    """What the case is, who is on it, the limits running and the latest steps; the
    customer's phone only for the manager holding the case (``viewer_id``; None: the
    staff group's card, which everyone there reads)."""

    def t(msgid: str, **params: Param) -> str:
        return translator.render(language, msgid, params, zone=zone)

    ticket = view.ticket
    lines = [
        t(
            "📁 {number} · {kind} · {status}",
            number=ticket.number,
            kind=Msg(kind_label(ticket.kind)),
            status=Msg(status_label(ticket.kind, ticket.status)),
        ),
        t(
            "Customer: {name}, {phone}",
            name=view.customer.display_name if view.customer else "?",
            phone=ticket.contact_phone or "-",
        )
        if may_see_phone(view, viewer_id)
        else t(
            "Customer: {name} (their phone is shown to whoever holds the case)",
            name=view.customer.display_name if view.customer else "?",
        ),
        t("Held by: {owner}", owner=view.owner.display_name)
        if view.owner
        else t("Held by: nobody yet"),
    ]
    if view.technician:
        lines.append(t("Technician: {name}", name=view.technician))
    if ticket.description:
        lines.append(ticket.description)
    if view.limits:
        lines.append(t("Time limits:"))
        lines.extend(
            t(
                "• {step}: {due} ({left})",
                step=Msg(STEP_LABELS[limit.step]),
                due=At(limit.due),
                left=Delta((limit.due - now).total_seconds()),
            )
            for limit in view.limits
        )
    if view.pending_plan:
        lines.append(t("A plan with compensation waits for a second manager's approval."))
    lines.append(t("Latest:"))
    for event, actor in view.events:
        label = (
            status_label(ticket.kind, event.to_status)
            if event.kind == "status" and event.to_status
            else STAFF_EVENT_LABELS.get(event.kind)
        )
        if label is None:
            continue
        lines.append(
            t("• {when} {what} ({who})", when=At(event.created_at), what=Msg(label), who=actor)
            if actor
            else t("• {when} {what}", when=At(event.created_at), what=Msg(label))
        )
    return "\n".join(lines)
