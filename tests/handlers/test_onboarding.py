"""/start for each role, /language, menus, invite links and technician onboarding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dispatch.model import Language
from sandbox.people import command_entities, private_message
from storage.models import EventRow, InviteRow, TechnicianRow, UserRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person

CUSTOMER_MENU = {
    "en": [
        ("start", "Start or main menu"),
        ("repair", "Report a fault for repair"),
        ("install", "Book an installation"),
        ("complain", "Make a complaint"),
        ("return", "Return or exchange a product"),
        ("ask", "Ask a question"),
        ("mytickets", "My requests and their progress"),
        ("privacy", "What we keep about you"),
        ("forget", "Erase your personal data"),
        ("language", "Change language"),
        ("help", "What I can do"),
        ("cancel", "Stop the current request"),
    ],
    "zh_Hans": [
        ("start", "开始 / 主菜单"),
        ("repair", "报修"),
        ("install", "预约安装"),
        ("complain", "投诉"),
        ("return", "申请退换货"),
        ("ask", "咨询问题"),
        ("mytickets", "我的申请及进度"),
        ("privacy", "我们保存的您的信息"),
        ("forget", "删除您的个人信息"),
        ("language", "切换语言"),
        ("help", "功能说明"),
        ("cancel", "停止当前申请"),
    ],
    "zh_Hant": [
        ("start", "開始 / 主選單"),
        ("repair", "報修"),
        ("install", "預約安裝"),
        ("complain", "投訴"),
        ("return", "申請退換貨"),
        ("ask", "諮詢問題"),
        ("mytickets", "我的申請及進度"),
        ("privacy", "我們保存的您的資料"),
        ("forget", "刪除您的個人資料"),
        ("language", "切換語言"),
        ("help", "功能說明"),
        ("cancel", "停止當前申請"),
    ],
}
TECHNICIAN_MENU = {
    "zh_Hans": [
        ("start", "开始 / 主菜单"),
        ("duty", "上班 / 下班"),
        ("jobs", "我的未完成工单"),
        ("certificates", "证书及到期时间"),
        ("parts", "备件库存"),
        ("language", "切换语言"),
        ("help", "功能说明"),
        ("cancel", "停止当前步骤"),
    ]
}
MANAGER_MENU = {
    "en": ("invite", "Invite a technician or a manager"),
    "zh_Hans": ("invite", "邀请技师或经理"),
    "zh_Hant": ("invite", "邀請技師或經理"),
}


async def _rows(desk: Desk, model: type, *where: object) -> list:  # type: ignore[type-arg]
    async with desk.db() as session:
        return list(await session.scalars(select(model).where(*where)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("telegram_language", "expected", "greeting"),
    [
        ("en", "en", "Welcome to AfterCare after-sales service, Mei."),
        ("zh-hans", "zh_Hans", "Mei，欢迎使用 AfterCare 售后服务。"),
        ("zh", "zh_Hans", "Mei，欢迎使用 AfterCare 售后服务。"),
        ("zh-hant", "zh_Hant", "Mei，歡迎使用 AfterCare 售後服務。"),
        ("zh-TW", "zh_Hant", "Mei，歡迎使用 AfterCare 售後服務。"),
        ("zh-hk", "zh_Hant", "Mei，歡迎使用 AfterCare 售後服務。"),
        ("ms", "en", "Welcome to AfterCare after-sales service, Mei."),
        (None, "en", "Welcome to AfterCare after-sales service, Mei."),
    ],
)
async def test_customer_start_greets_in_the_telegram_language_with_the_customer_menu(
    desk: Desk, telegram_language: str | None, expected: str, greeting: str
) -> None:
    customer = desk.person(101, "Mei", language_code=telegram_language)
    await customer.command("start")
    assert customer.texts[0].startswith(greeting)
    assert customer.menu() == CUSTOMER_MENU[expected]
    [user] = await _rows(desk, UserRow, UserRow.telegram_id == 101)
    assert user.role == "customer" and user.language is None


async def test_language_command_changes_and_stores_the_choice(desk: Desk) -> None:
    customer = desk.person(102, "Ana", language_code="en")
    await customer.command("start")
    await customer.command("language")
    assert [b["text"] for b in customer.last.inline_buttons] == [
        "English",
        "简体中文",
        "繁體中文",
        "Follow my Telegram language",
    ]
    await customer.press("繁體中文")
    assert customer.last.text == "語言已設為繁體中文。"  # the same message, edited
    assert customer.menu() == CUSTOMER_MENU["zh_Hant"]
    [user] = await _rows(desk, UserRow, UserRow.telegram_id == 102)
    assert user.language == Language.ZH_HANT
    await customer.command("help")
    assert customer.last.text.startswith("您可以使用以下功能：\n/start — 開始 / 主選單")

    # The choice wins over Telegram's language, until the user asks to follow Telegram again.
    await customer.command("language")
    await customer.press("跟隨我的 Telegram 語言")
    assert customer.last.text == "Language set to English."
    assert customer.menu() == CUSTOMER_MENU["en"]
    choices = await _rows(desk, EventRow, EventRow.kind == "user.language")
    assert [e.details for e in choices] == [{"language": "zh_Hant"}, {"language": None}]


@pytest.mark.parametrize("language", ["en", "zh_Hans", "zh_Hant"])
async def test_config_manager_is_a_manager_from_the_first_start(desk: Desk, language: str) -> None:
    code = {"en": "en", "zh_Hans": "zh-cn", "zh_Hant": "zh-tw"}[language]
    manager = desk.person(MANAGER_ID, "Boss", language_code=code)
    await manager.command("start")
    greeting = {
        "en": "Welcome, Boss. You are a manager of this service desk.",
        "zh_Hans": "欢迎，Boss。您是本服务台的经理。",
        "zh_Hant": "歡迎，Boss。您是本服務台的經理。",
    }[language]
    assert manager.texts[0].startswith(greeting)
    assert MANAGER_MENU[language] in manager.menu()
    assert [c for c, _ in manager.menu()] == [
        "start",
        "queue",
        "case",
        "technicians",
        "certificates",
        "parts",
        "contracts",
        "snippets",
        "stats",
        "invite",
        "assign",
        "calendar",
        "language",
        "help",
    ]


async def _invite_link(manager: Person, role_label: str) -> str:
    """The token of a fresh invite the manager creates through /invite."""
    if not manager.texts:
        await manager.command("start")
    await manager.command("invite")
    await manager.press(role_label)
    link = (manager.last.text or "").rsplit("\n", 1)[-1]
    assert link.startswith("https://t.me/aftercare_test_bot?start=")
    return link.split("start=", 1)[1]


async def test_technician_joins_by_invite_and_completes_the_profile(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    [invite] = await _rows(desk, InviteRow)
    assert token not in invite.token_hash and len(invite.token_hash) == 64

    tech = desk.person(201, "Tom", language_code="zh-hans")
    await tech.command("start", token)
    assert tech.new_texts() == [
        "欢迎加入团队！您的身份是技师。\n\n现在设置您的技师资料。您希望客户看到的姓名是？"
    ]
    await tech.send("张 伟")
    assert tech.new_texts() == [
        "谢谢，张 伟。接下来请提供电话号码，方便客户联系您：点下方按钮，或直接输入。"
    ]
    assert tech.reply_keyboard() == [{"text": "📱 分享我的电话号码", "request_contact": True}]
    await tech.share_contact("8613800138000")
    assert tech.new_texts() == [
        "电话号码已保存：+8613800138000\n\n您能维修哪些产品？请逐一点选，然后点“完成”。"
    ]
    assert tech.reply_keyboard() == []  # the share-phone keyboard is gone
    await tech.press("空调")
    await tech.press("热水器")
    assert [b["text"] for b in tech.last.inline_buttons] == [
        "✅ 空调",
        "洗衣机",
        "冰箱",
        "✅ 热水器",
        "完成",
    ]
    await tech.press("完成")
    assert tech.new_texts()[-1].startswith("最后一步：您每天通常从哪里出发？")
    await tech.share_location(31.2304, 121.4737)
    assert tech.new_texts() == [
        "张 伟，您的资料已保存。\n电话：+8613800138000\n产品：空调和热水器\n"
        "服务半径：50 公里。发送 /help 查看可用功能。"
    ]
    [row] = await _rows(desk, TechnicianRow)
    assert (row.name, row.phone, row.skills) == ("张 伟", "+8613800138000", ["aircon", "heater"])
    assert (row.base_latitude, row.base_longitude, row.service_radius_km, row.capacity) == (
        31.2304,
        121.4737,
        50,
        3,
    )
    [user] = await _rows(desk, UserRow, UserRow.telegram_id == 201)
    assert user.role == "technician"
    [redeemed] = await _rows(desk, EventRow, EventRow.kind == "invite.redeemed")
    assert redeemed.actor_id == user.id and redeemed.details["to"] == "technician"
    assert tech.menu() == TECHNICIAN_MENU["zh_Hans"]
    # /start again is a greeting, not a second onboarding.
    await tech.command("start")
    assert tech.last.text == "欢迎回来，Tom。您已登记为技师。发送 /help 查看可用功能。"


async def test_a_used_invite_is_refused_politely_and_changes_nothing(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    first = desk.person(202, "Ann")
    await first.command("start", token)
    second = desk.person(203, "Bob", language_code="zh-tw")
    await second.command("start", token)
    refusal, welcome = second.texts[0].split("\n\n")
    assert refusal == "此邀請連結已被使用。請向您的經理索取新連結。"
    assert welcome.startswith("Bob，歡迎使用 AfterCare 售後服務。")
    [bob] = await _rows(desk, UserRow, UserRow.telegram_id == 203)
    assert bob.role == "customer"
    refused = await _rows(desk, EventRow, EventRow.kind == "invite.refused")
    assert [e.details["reason"] for e in refused] == ["used"]


async def test_an_expired_invite_is_refused_politely(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A manager")
    await desk.advance(timedelta(hours=72, seconds=1))
    late = desk.person(204, "Cai")
    await late.command("start", token)
    assert late.texts[0].startswith(
        "This invite link has expired. Please ask your manager for a new one.\n\n"
    )
    [cai] = await _rows(desk, UserRow, UserRow.telegram_id == 204)
    assert cai.role == "customer"
    [invite] = await _rows(desk, InviteRow)
    assert invite.used_at is None


async def test_a_made_up_invite_token_is_refused(desk: Desk) -> None:
    stranger = desk.person(205, "Dan")
    await stranger.command("start", "not-a-real-token-123")
    refusal = "This invite link is not valid. Please ask your manager for a new one.\n\n"
    assert stranger.texts[0].startswith(refusal)
    await stranger.command("start", "<script>")
    assert stranger.last.text.startswith(refusal)


async def test_a_manager_invite_makes_a_manager_with_the_manager_menu(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A manager")
    deputy = desk.person(206, "Eve", language_code="zh-hk")
    await deputy.command("start", token)
    assert deputy.texts[0].startswith("歡迎加入團隊！您的身分是經理。\n\n")
    assert MANAGER_MENU["zh_Hant"] in deputy.menu()
    await deputy.command("invite")
    assert deputy.last.text == "您要邀請誰？"


async def test_customers_cannot_create_invites(desk: Desk) -> None:
    customer = desk.person(207, "Fay")
    await customer.command("start")
    await customer.command("invite")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    assert await _rows(desk, InviteRow) == []


async def test_onboarding_explains_bad_input_and_keeps_what_was_entered(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    tech = desk.person(208, "Gus")
    await tech.command("start", token)
    tech.new_texts()
    await tech.send_sticker()
    assert tech.new_texts() == ["Please type your name."]
    await tech.send("G")
    assert tech.new_texts() == ["Please send a name of 2 to 64 characters."]
    await tech.send("Gus Wong")
    tech.new_texts()
    await tech.send("12345")
    assert tech.new_texts()[0].startswith("That does not look like a phone number.")
    await tech.share_contact("+85291234567", own=False)
    assert tech.new_texts() == [
        "That is someone else's contact. Please share your own number with the button."
    ]
    await tech.send_voice()
    assert tech.new_texts() == ["Please share your phone number with the button, or type it."]
    await tech.send("+852 9123 4567")
    assert tech.new_texts()[0].startswith("Phone number saved: +85291234567\n\n")
    await tech.press("Done")
    assert tech.alerts()[-1] == "Please choose at least one product."
    await tech.send("aircon please")
    assert tech.new_texts() == ["Please choose the products you can service, then press Done."]
    await tech.press("Washing machine")
    await tech.press("Done")
    tech.new_texts()
    await tech.send("Mong Kok")
    assert tech.new_texts() == ["Please share your base location with the button below."]
    await tech.command("help")  # a command mid-flow is answered, and the flow goes on
    assert tech.new_texts()[0].startswith("Here is what you can do:")
    await tech.share_location(22.3193, 114.1694)
    [row] = await _rows(desk, TechnicianRow)
    assert (row.name, row.phone, row.skills) == ("Gus Wong", "+85291234567", ["washer"])


async def test_onboarding_resumes_after_a_restart(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    tech = desk.person(209, "Hui")
    await tech.command("start", token)
    await tech.send("Hui Lin")
    await tech.send("+8613900139000")
    await tech.press("Refrigerator")

    desk = await desk.restart()
    await tech.press("Done")  # the same conversation, on a new Application
    await tech.share_location(31.0, 121.0)
    assert (tech.last.text or "").startswith("Your profile is saved, Hui Lin.")
    [row] = await _rows(desk, TechnicianRow)
    assert (row.name, row.phone, row.skills) == ("Hui Lin", "+8613900139000", ["fridge"])


async def test_cancel_pauses_onboarding_and_start_resumes_it(desk: Desk) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    tech = desk.person(210, "Ivy")
    await tech.command("start", token)
    await tech.command("cancel")
    assert tech.last.text == "Profile setup paused. Send /start to continue where you left off."
    await tech.command("start")
    assert tech.last.text == "Let's set up your technician profile. What name should customers see?"


async def test_a_redelivered_update_is_handled_once(desk: Desk) -> None:
    customer = desk.person(211, "Jo")
    now = int(desk.clock.now().timestamp())
    message = private_message(desk.api, customer.someone, now, **command_entities("/start"))
    update = {"update_id": desk.next_update_id(), "message": message}
    await desk.feed(update)
    await desk.feed(update)
    assert len(customer.texts) == 1


async def test_old_buttons_and_stray_input_get_an_answer(desk: Desk) -> None:
    customer = desk.person(212, "Kim")
    await customer.command("start")
    await customer.press_data(customer.last, "sk:aircon")
    assert customer.alerts()[-1] == "This button is no longer active. Send /start to begin again."
    await customer.send("hello?")
    assert customer.last.text == "I am not sure what you mean. Send /help to see what I can do."
    await customer.command("frobnicate")
    assert customer.last.text == "I do not know that command. Send /help to see what I can do."
    await customer.send_sticker()
    assert customer.last.text == "I am not sure what you mean. Send /help to see what I can do."


async def test_edits_and_live_location_moves_outside_a_flow_are_not_answered(desk: Desk) -> None:
    customer = desk.person(213, "Lu")
    await customer.command("start")
    before = len(customer.texts)
    first = await customer.share_location(31.2, 121.4, accuracy=20, live_period=900)
    assert len(customer.texts) == before + 1  # a new message gets the usual pointer to /help
    await customer.move_live_location(first, 31.2001, 121.4001, accuracy=15)
    await customer.move_live_location(first, 31.2002, 121.4002, accuracy=10)
    assert len(customer.texts) == before + 1


async def test_albums_documents_and_voice_outside_a_flow_get_a_pointer_to_help(desk: Desk) -> None:
    customer = desk.person(214, "Mo", language_code="zh-cn")
    await customer.command("start")
    customer.new_texts()
    await customer.send_album(2)
    await customer.send_document("invoice.pdf")
    await customer.send_voice()
    assert customer.new_texts() == ["抱歉，没有理解您的意思。发送 /help 查看可用功能。"] * 4
