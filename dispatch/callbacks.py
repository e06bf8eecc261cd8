"""The callback-data protocol: every button that one side writes and the other reads.

A route is a fixed prefix and typed fields, joined with ``:``: ``of:acc:42``. The services
build the data of the buttons they send (offers, pings, records, surveys), the handlers
register ``route.pattern`` and read a press with ``route.parse``; both use the same route,
so a button and its handler cannot drift apart. Ids are checked against the range the
database stores, choices against their set, and the data against Telegram's 64 bytes.

Buttons that a single conversation both writes and reads (the steps of a form) keep
their data beside that conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ARRIVAL_ANSWER",
    "ASSIGN_LIST",
    "ASSIGN_TO",
    "CASE_MESSAGE",
    "CASE_OPEN",
    "CASE_REWRITE",
    "CASE_SEND",
    "CASE_TAKE",
    "COMPLAINT_ACCEPT",
    "COMPLAINT_CAUSE",
    "COMPLAINT_SEVERITY",
    "COMPLAINT_STEP",
    "DECLINE_REASON",
    "DUTY",
    "GROUP_DROP",
    "GROUP_SEND",
    "JOB_CHECK_IN",
    "JOB_CHECK_IN_BY_HAND",
    "JOB_ON_MY_WAY",
    "JOB_RECORD",
    "JOB_TIME",
    "JOB_TIME_AS_ASKED",
    "JOB_WAIT_FOR_PART",
    "LARGEST_ID",
    "OFFER_ACCEPT",
    "OFFER_DECLINE",
    "PART_ARRIVED",
    "PLAN_APPROVE",
    "PLAN_NO_COMPENSATION",
    "PLAN_OWNER",
    "PLAN_REFUSE",
    "PLAN_SUBMIT",
    "QUESTION_ANSWER",
    "QUESTION_REWRITE",
    "QUESTION_SEND",
    "RECORD_DISPUTE",
    "RECORD_SHOW",
    "RECORD_SIGN",
    "REMINDERS_OFF",
    "RETURN_APPROVE",
    "RETURN_NEXT",
    "RETURN_REFUSE",
    "ROUTES",
    "STATS_RANGE",
    "STATS_VIEW",
    "SURVEY_RATING",
    "SURVEY_SKIP",
    "TEAM_ACTIVE",
    "TEAM_EDIT",
    "TEAM_OPEN",
    "VISIT_DAY",
    "VISIT_OK",
    "VISIT_OTHER",
    "Choice",
    "Id",
    "Route",
    "readable",
]

# Ids are 64-bit integers in the database; a larger number was never written by the bot.
LARGEST_ID = 2**63 - 1
TELEGRAM_LIMIT = 64  # bytes of callback data


@dataclass(frozen=True)
class Id:
    """A database id: 1 to LARGEST_ID."""

    regex = r"\d{1,19}"

    def read(self, text: str) -> int:
        value = int(text)
        if not 0 < value <= LARGEST_ID:
            raise ValueError(f"id out of range: {text}")
        return value


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of short words."""

    values: tuple[str, ...]

    @property
    def regex(self) -> str:
        return "(?:" + "|".join(re.escape(v) for v in self.values) + ")"

    def read(self, text: str) -> str:
        if text not in self.values:
            raise ValueError(f"not one of {self.values}: {text}")
        return text


Field = Id | Choice


@dataclass(frozen=True)
class Route:
    """``prefix`` then each field, colon-separated; ``tail`` is a fixed last word."""

    prefix: str
    fields: tuple[Field, ...]
    tail: str | None = None

    @property
    def pattern(self) -> str:
        """The regex a CallbackQueryHandler matches this route's presses with."""
        parts = [re.escape(self.prefix), *(f"({f.regex})" for f in self.fields)]
        if self.tail is not None:
            parts.append(re.escape(self.tail))
        return "^" + ":".join(parts) + "$"

    def data(self, *values: int | str) -> str:
        """The callback data of a button on this route."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix} takes {len(self.fields)} values")
        for value, field in zip(values, self.fields, strict=True):
            field.read(str(value))
        parts = [self.prefix, *(str(v) for v in values)]
        if self.tail is not None:
            parts.append(self.tail)
        data = ":".join(parts)
        if len(data.encode()) > TELEGRAM_LIMIT:
            raise ValueError(f"callback data over {TELEGRAM_LIMIT} bytes: {data}")
        return data

    def parse(self, data: str | None) -> Sequence[int | str]:
        """The press's values, in order; ValueError when it is not this route's, or out
        of range (the guard answers such a press before any handler sees it)."""
        match = re.fullmatch(self.pattern.strip("^$"), data or "")
        if match is None:
            raise ValueError(f"not a {self.prefix} press: {data!r}")
        return [f.read(text) for f, text in zip(self.fields, match.groups(), strict=True)]

    def id(self, data: str | None) -> int:
        """The single id of a route that carries one."""
        [value] = self.parse(data)
        assert isinstance(value, int)
        return value


# A technician's offer: accept, decline, then why (the reasons are handlers.technician's).
OFFER_ACCEPT = Route("of:acc", (Id(),))
OFFER_DECLINE = Route("of:dec", (Id(),))
DECLINE_REASON = Route("of:why", (Id(), Choice(("far", "busy", "skill", "parts"))))
# Going on or off duty.
DUTY = Route("du", (Choice(("on", "off")),))
# The next steps of a job (dispatch.technicians.JobAction), the customer's own slot as
# the visit time, and checking in by hand.
JOB_TIME = Route("jb:time", (Id(),))
JOB_ON_MY_WAY = Route("jb:way", (Id(),))
JOB_CHECK_IN = Route("jb:in", (Id(),))
JOB_RECORD = Route("jb:rec", (Id(),))
JOB_TIME_AS_ASKED = Route("jb:asked", (Id(),))
JOB_CHECK_IN_BY_HAND = Route("jb:manual", (Id(),))
# The job waits for a spare part (the technician types which); the part has arrived
# (the technician's /jobs, or a manager's ping and case card).
JOB_WAIT_FOR_PART = Route("jb:part", (Id(),))
PART_ARRIVED = Route("jb:got", (Id(),))
# A manager's hand assignment: the candidates of a ticket, then one technician.
ASSIGN_LIST = Route("as:list", (Id(),))
ASSIGN_TO = Route("as:to", (Id(), Id()))
# A manager answers a question: the ping's button, then send (in full, or more to
# follow) or write it again.
QUESTION_ANSWER = Route("qa:ans", (Id(),))
QUESTION_SEND = Route("qa:send", (Choice(("full", "part")), Id()))
# /stats: what to show (the KPIs, the technicians' table, the charts, the files) of a named
# period, or of a range of days written as yyyymmdd numbers.
STATS_VIEWS = ("kpis", "team", "charts", "files")
STATS_VIEW = Route("st", (Choice(STATS_VIEWS), Choice(("week", "month", "last_month"))))
STATS_RANGE = Route("sr", (Choice(STATS_VIEWS), Id(), Id()))
QUESTION_REWRITE = Route("qa:edit", (Id(),))
# A case: its card, taking it, writing to its customer.
CASE_OPEN = Route("cs:open", (Id(),))
CASE_TAKE = Route("cs:take", (Id(),))
CASE_MESSAGE = Route("cs:msg", (Id(),))
CASE_SEND = Route("cs:send", (Id(),))
CASE_REWRITE = Route("cs:edit", (Id(),))
# The complaint procedure (dispatch.complaints): classify (severity, then cause), then
# each later step; a compensating plan approved or refused by a second manager.
COMPLAINT_ACCEPT = Route("ck:acc", (Id(),))
COMPLAINT_SEVERITY = Route("ck:sev", (Id(), Choice(("general", "serious"))))
COMPLAINT_CAUSE = Route(
    "ck:cause",
    (
        Id(),
        Choice(("general", "serious")),
        Choice(("product", "technician", "process", "customer", "unfounded")),
    ),
)
COMPLAINT_STEP = Route("ck:step", (Id(), Choice(("verify", "plan", "resolve", "close", "dismiss"))))
PLAN_OWNER = Route("ck:owner", (Id(), Id()))
PLAN_NO_COMPENSATION = Route("ck:nocomp", (Id(),))
PLAN_SUBMIT = Route("ck:submit", (Id(),))
PLAN_APPROVE = Route("ck:ok", (Id(),))
PLAN_REFUSE = Route("ck:no", (Id(),))
# Managers manage technicians: the team, one technician, pause or bring back, edit.
TEAM_OPEN = Route("tm:open", (Id(),))
TEAM_ACTIVE = Route("tm:act", (Id(), Choice(("on", "off"))))
TEAM_EDIT = Route("tm:edit", (Id(), Choice(("skills", "radius", "capacity"))))
# A manager acknowledges a repeating reminder about a case: no more of it for them.
REMINDERS_OFF = Route("sa:ack", (Id(),))
# A reply written in a case's topic of the staff group: send it, or not.
GROUP_SEND = Route("gr:send", (Choice(("message", "full", "part")), Id()))
GROUP_DROP = Route("gr:drop", (Id(),))
# A manager approves or refuses a return or exchange.
RETURN_APPROVE = Route("rd:ok", (Id(),))
RETURN_REFUSE = Route("rd:no", (Id(),))
RETURN_NEXT = Route("rd:next", (Id(),))  # goods received, then refund or exchange done
# The customer answers a hand check-in, and signs or disputes the service record.
ARRIVAL_ANSWER = Route("va", (Choice(("ok", "no")), Id()))
RECORD_SIGN = Route("sr:sign", (Id(),))
RECORD_DISPUTE = Route("sr:dis", (Id(),))
RECORD_SHOW = Route("sr:show", (Id(),))
# A planned maintenance visit: the customer takes the proposed day, asks for the other
# days, or picks one (a yyyymmdd number).
VISIT_OK = Route("pv:ok", (Id(),))
VISIT_OTHER = Route("pv:other", (Id(),))
VISIT_DAY = Route("pv:day", (Id(), Id()))
# Follow-up survey: ticket, item (timeliness, attitude, result), score; or no comment.
SURVEY_RATING = Route("sv", (Id(), Choice(("t", "a", "r")), Choice(("1", "2", "3", "4", "5"))))
SURVEY_SKIP = Route("sv", (Id(),), tail="skip")

ROUTES: tuple[Route, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Route))


def readable(data: str) -> bool:
    """False for data that claims a route (its prefix) but that no such route reads: a
    forged or out-of-range press, answered by the guard before any handler sees it."""
    claimed = [r for r in ROUTES if data.startswith(r.prefix + ":")]
    if not claimed:
        return True  # a conversation's own button (see the module doc)
    for route in claimed:
        try:
            route.parse(data)
        except ValueError:
            continue
        return True
    return False
