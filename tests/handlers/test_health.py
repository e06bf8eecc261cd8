"""``/healthz`` and ``/metrics`` of the whole bot in-process (bot.web), and its webhook
receiver: what an operator and Telegram see over HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.health import HealthCheck
from bot.web import Webhook, WebServer
from dispatch.clock import ManualClock
from sandbox.botapi import BotApiCore, Faults
from tests.conftest import MANAGER_ID
from tests.databases import sqlite_database
from tests.e2e.test_http import _samples
from tests.harness import Desk, make_settings


class TelegramDown(Faults):
    """Every call fails with a 500, getMe included."""

    def __init__(self) -> None:
        super().__init__(rate=1.0, seed=1)

    def draw(self, method: str) -> str | None:
        return "500"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    url = await sqlite_database(tmp_path)
    clock = ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    api = BotApiCore(now=lambda: clock.now().timestamp())
    opened = await Desk.open(make_settings(url, managers=(MANAGER_ID,)), clock, api)
    yield opened
    await opened.close()


async def _client(
    desk: Desk, webhook: Webhook | None = None, *, standby: bool = False
) -> TestClient[Any, Any]:
    services = desk.services
    check = HealthCheck(
        services.uow, desk.clock, desk.app.bot, services.metrics, services.settings.health
    )
    server = WebServer(check, webhook)
    server.standing_by = standby
    client: TestClient[Any, Any] = TestClient(TestServer(server.app()))
    await client.start_server()
    return client


async def _health(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/healthz")
    return answer.status, await answer.json()


async def test_a_working_desk_is_healthy_and_counts_updates_and_alerts(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    amy = desk.person(501, "Amy")
    await amy.command("ask")
    await amy.send("How often should the filter be cleaned?")
    client = await _client(desk)
    try:
        status, health = await _health(client)
        assert status == 200, health
        assert health["status"] == "ok" and health["reasons"] == []
        assert health["database"] == health["telegram"] == "ok"
        assert health["outbox_due"] == health["inbox_unfinished"] == 0
        # The question's first response is due in an office hour: warned at 80 %, then missed.
        await desk.advance(timedelta(minutes=50))
        await desk.sweep()
        metrics = _samples(await (await client.get("/metrics")).text())
        assert metrics['aftercare_sla_warnings_total{step="consultation_first_response"}'] == 1
        assert 'aftercare_sla_breaches_total{step="consultation_first_response"}' not in metrics
        await desk.advance(timedelta(minutes=15))
        await desk.sweep()
        metrics = _samples(await (await client.get("/metrics")).text())
        assert metrics['aftercare_sla_warnings_total{step="consultation_first_response"}'] == 1
        assert metrics['aftercare_sla_breaches_total{step="consultation_first_response"}'] == 1
        assert metrics['aftercare_updates_handled_total{kind="message"}'] == 3
        assert metrics['aftercare_update_handling_seconds_count{kind="message"}'] == 3
        assert metrics["aftercare_outbox_due"] == 0
        assert metrics["aftercare_offers_pending"] == 0
    finally:
        await client.close()


async def test_telegram_out_of_reach_is_reported(desk: Desk) -> None:
    client = await _client(desk)
    try:
        desk.api.faults = TelegramDown()
        desk.clock.advance(timedelta(minutes=2))  # nothing heard from Telegram since
        status, health = await _health(client)
        assert status == 503 and health["telegram"] == "unreachable"
        assert health["reasons"] == ["telegram: Internal Server Error"]
        desk.api.faults = None
        assert (await _health(client))[0] == 200
    finally:
        await client.close()


async def test_a_stalled_outbox_and_an_unfinished_update_are_reported(desk: Desk) -> None:
    client = await _client(desk)
    amy = desk.person(501, "Amy")
    try:
        desk.api.faults = TelegramDown()
        await amy.command("start")  # the welcome cannot go out: it waits in the outbox
        desk.api.faults = None
        desk.clock.advance(timedelta(minutes=6))  # and no sender takes it up
        status, health = await _health(client)
        assert status == 503 and health["outbox_due"] == 1
        [reason] = health["reasons"]
        assert reason.startswith("outbox: a due message has waited 3") and "(limit 300 s)" in reason
        await desk.deliver()
        assert (await _health(client))[0] == 200
        assert amy.last.text.startswith("Welcome to AfterCare")

        desk.cut_after = 1  # the process dies while handling Amy's next message
        await amy.command("help")
        desk.clock.advance(timedelta(minutes=6))
        status, health = await _health(client)
        assert status == 503 and health["inbox_unfinished"] == 1
        assert health["reasons"] == [
            "inbox: an update has waited 360 s to be handled (limit 300 s)"
        ]
    finally:
        await client.close()


async def test_the_webhook_keeps_an_update_before_its_200_and_refuses_strangers(
    tmp_path: Path, desk: Desk
) -> None:
    hook = Webhook("telegram", "s3cret", desk.app.bot, desk.app.inbox_queue)
    client = await _client(desk, hook)
    database = desk.settings.database.url.split("///", 1)[1]
    update = {
        "update_id": desk.next_update_id(),
        "message": {
            "message_id": 1,
            "date": int(desk.clock.now().timestamp()),
            "chat": {"id": 701, "type": "private", "first_name": "P"},
            "from": {"id": 701, "is_bot": False, "first_name": "P"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    try:
        assert (await client.post("/telegram", json=update)).status == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert (await client.post("/telegram", json=update, headers=wrong)).status == 403
        assert (await client.post("/telegram", data=b"{not json", headers=secret)).status == 400
        for _ in range(2):  # Telegram sends it again when it thinks the first was lost
            assert (await client.post("/telegram", json=update, headers=secret)).status == 200
            with sqlite3.connect(database) as db:  # kept by the time Telegram hears 200
                assert db.execute(
                    "SELECT count(*) FROM inbox WHERE update_id = ?", (update["update_id"],)
                ).fetchone() == (1,)
        assert desk.app.update_queue.qsize() == 1  # queued once, for the Application to handle
    finally:
        await client.close()


async def test_a_standby_says_so_and_takes_no_updates(desk: Desk) -> None:
    """While another process runs the desk: healthy as a standby (Telegram not asked), and
    a webhook call gets 503, so that the reverse proxy passes it to the active process."""
    hook = Webhook("telegram", "s3cret", desk.app.bot, desk.app.inbox_queue)
    client = await _client(desk, hook, standby=True)
    try:
        desk.api.faults = TelegramDown()
        desk.clock.advance(timedelta(minutes=2))
        status, health = await _health(client)
        assert (status, health["status"], health["database"]) == (200, "standby", "ok")
        assert "telegram" not in health
        secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        update = {"update_id": desk.next_update_id()}
        assert (await client.post("/telegram", json=update, headers=secret)).status == 503
        assert desk.app.update_queue.qsize() == 0
    finally:
        await client.close()
