"""What each kind of request promises the customer, read in every language and region.

The confirmation is written when the request is stored and rendered when it is sent; here it
is rendered the way the sender does, for a reader of each language (and of Taiwan and Hong
Kong for Traditional Chinese), from what the database holds.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import Translator
from dispatch.clock import ManualClock
from dispatch.customer import (
    QuestionRequest,
    submit_complaint,
    submit_question,
    submit_repair,
    submit_return,
)
from dispatch.geo import Place
from dispatch.messages import params_from_json
from dispatch.model import Language, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.users import register_user
from storage.db import make_sessionmaker
from storage.models import OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.integration.requests import complaint_request, repair_request, return_request

ZONE = ZoneInfo("Asia/Shanghai")
POLICY = DeskPolicy(zone=ZONE, service_points=(Place("Minhang", 31.1129, 121.3817),))
NEAR, FAR = (31.2304, 121.4737), (39.9042, 116.4074)  # Shanghai; Beijing
BOOKED = date(2026, 11, 25)

# (language, region): the readers; Hong Kong reads zh_Hant with its overlay.
READERS = [(Language.EN, None), (Language.ZH_HANS, None), (Language.ZH_HANT, "TW")]
READERS.append((Language.ZH_HANT, "HK"))

# The word each kind is called by, as the glossary (docs/translations.md) has it.
KIND_WORD = {
    "repair": {"en": "repair request", "zh_Hans": "报修", "zh_Hant": "報修"},
    "installation": {"en": "installation request", "zh_Hans": "安装", "zh_Hant": "安裝"},
    "far": {"en": "repair request", "zh_Hans": "报修", "zh_Hant": "報修"},
    "complaint": {"en": "complaint", "zh_Hans": "投诉", "zh_Hant": "投訴"},
    "return": {"en": "return / exchange", "zh_Hans": "退换货", "zh_Hant": "退換貨"},
    "question": {"en": "question", "zh_Hans": "咨询", "zh_Hant": "諮詢"},
}


async def _submit(kind: str, uow: UnitOfWorkFactory, clock: ManualClock, customer: int) -> None:
    if kind in ("repair", "installation", "far"):
        installation = TicketKind.INSTALLATION if kind == "installation" else TicketKind.REPAIR
        request = repair_request(
            POLICY, FAR if kind == "far" else NEAR, kind=installation, day=BOOKED
        )
        await submit_repair(
            uow, clock, POLICY, customer_id=customer, intake_key=kind, request=request
        )
    elif kind == "complaint":
        await submit_complaint(
            uow,
            clock,
            POLICY,
            customer_id=customer,
            customer_name="C",
            intake_key=kind,
            request=complaint_request(),
        )
    elif kind == "return":
        await submit_return(
            uow, clock, POLICY, customer_id=customer, intake_key=kind, request=return_request()
        )
    else:
        await submit_question(
            uow,
            clock,
            POLICY,
            customer_id=customer,
            intake_key=kind,
            request=QuestionRequest("Does the warranty cover the remote?"),
        )


@pytest.mark.parametrize("kind", list(KIND_WORD))
async def test_each_kind_promises_in_its_own_words_in_every_language(
    kind: str, uow: UnitOfWorkFactory, clock: ManualClock, engine: AsyncEngine
) -> None:
    registered = await register_user(
        uow(),
        clock,
        telegram_id=1,
        display_name="C",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    await _submit(kind, uow, clock, registered.user.id)
    async with make_sessionmaker(engine)() as session:
        row = (
            await session.execute(select(OutboxRow).where(OutboxRow.user_id == registered.user.id))
        ).scalar_one()
    params = params_from_json(row.params)
    number = str(params["number"])
    for language, region in READERS:
        translator = Translator(region=region)
        text = translator.render(language, row.template, params, zone=ZONE)
        reader = f"{language.value}/{region}"
        assert KIND_WORD[kind][language.value] in text, (reader, text)
        assert "/mytickets" in text or kind == "question", (reader, text)
        if language is not Language.EN:  # no English left once the number and commands go
            rest = text.replace(number, "").replace("/mytickets", "")
            assert not re.search(r"[A-Za-z]{2,}", rest), (reader, text)
        if kind in ("repair", "installation"):  # the visit as booked, not a fixed 24 hours
            assert translator.format_day(language, BOOKED) in text, (reader, text)
            assert "24" not in text, (reader, text)
        if kind == "far":  # the distance as the language writes it, no visit promised
            assert translator.format_day(language, BOOKED) not in text, (reader, text)
    tw = Translator(region="TW").render(Language.ZH_HANT, row.template, params, zone=ZONE)
    hk = Translator(region="HK").render(Language.ZH_HANT, row.template, params, zone=ZONE)
    if kind in ("repair", "installation"):  # Taiwan comes to the home, Hong Kong to the door
        assert "到府" in tw and "上門" in hk and "到府" not in hk
