"""The production path: polling, the inbox queue, chats handled side by side, the sender.

The other conversation tests hand updates to the Application directly; these run it as
``aftercare run`` does, against the fake Bot API's getUpdates.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.app import AnyApplication, build_application, services_of
from dispatch.clock import ManualClock
from sandbox.botapi import BotApiCore
from sandbox.transport import InProcessRequest
from tests.conftest import MANAGER_ID
from tests.databases import sqlite_database
from tests.harness import make_settings


def _text_update(api: BotApiCore, chat_id: int, text: str) -> dict[str, Any]:
    message = {
        "message_id": api.next_message_id(chat_id),
        "date": 1_795_312_800,
        "chat": {"id": chat_id, "type": "private", "first_name": f"P{chat_id}"},
        "from": {
            "id": chat_id,
            "is_bot": False,
            "first_name": f"P{chat_id}",
            "language_code": "en",
        },
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }
    return {"update_id": api.next_update_id(), "message": message}


async def _start(url: str, api: BotApiCore, clock: ManualClock) -> AnyApplication:
    app = build_application(
        make_settings(url, managers=(MANAGER_ID,)),
        clock=clock,
        request=InProcessRequest(api),
        rate_limited=False,
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)  # as run_polling does: replay what is unfinished, start the sender
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=0)
    return app


async def _stop(app: AnyApplication) -> None:
    assert app.updater is not None and app.post_stop is not None
    await app.updater.stop()
    await app.stop()
    await app.post_stop(app)
    await app.shutdown()
    await services_of(app).engine.dispose()


async def _texts_once(api: BotApiCore, chat_id: int, count: int) -> list[str]:
    for _ in range(500):
        if len(api.messages[chat_id]) >= count:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # anything doubled would arrive now
    return [m.text for m in api.messages[chat_id]]


def _inbox_writes_per_commit(app: AnyApplication) -> list[int]:
    """How many inbox inserts each committed transaction made (those that made any)."""
    counts: list[int] = []
    engine = services_of(app).engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT") and " INTO inbox " in statement:
            conn.info["inbox_rows"] = conn.info.get("inbox_rows", 0) + 1

    @event.listens_for(engine, "commit")
    def committed(conn: Any) -> None:
        if inserts := conn.info.pop("inbox_rows", 0):
            counts.append(inserts)

    @event.listens_for(engine, "rollback")
    def rolled_back(conn: Any) -> None:
        conn.info.pop("inbox_rows", None)

    return counts


async def test_polling_keeps_each_update_before_telegram_forgets_it_and_answers_each_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = await sqlite_database(tmp_path)
    database = url.split("///", 1)[1]
    api = BotApiCore(now=lambda: clock.now().timestamp())
    unstored_when_confirmed: list[int] = []

    def confirmed(update_id: int) -> None:
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT 1 FROM inbox WHERE update_id = ?", (update_id,)).fetchone()
        if stored is None:
            unstored_when_confirmed.append(update_id)

    api.on_confirm = confirmed
    app = await _start(url, api, clock)
    inbox_writes = _inbox_writes_per_commit(app)
    try:
        pushed = [_text_update(api, chat, "/start") for chat in (501, 502, 503)]
        for update in pushed:  # three customers at once, each answered
            api.push_update(update)
        for chat in (501, 502, 503):
            [welcome] = await _texts_once(api, chat, 1)
            assert welcome.startswith(f"Welcome to AfterCare after-sales service, P{chat}.")
    finally:
        await _stop(app)
    assert unstored_when_confirmed == []
    # The batch getUpdates brought, kept in one statement of one transaction.
    assert inbox_writes == [1]
    with sqlite3.connect(database) as db:
        kept = db.execute("SELECT payload FROM inbox ORDER BY update_id").fetchall()
    assert [json.loads(payload) for (payload,) in kept] == pushed  # as Telegram sent them
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM inbox WHERE done_at IS NULL").fetchone() == (0,)


async def test_an_update_confirmed_to_telegram_when_the_process_dies_is_answered_after_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = await sqlite_database(tmp_path)
    api = BotApiCore(now=lambda: clock.now().timestamp())
    others = asyncio.all_tasks()
    app = await _start(url, api, clock)
    api.push_update(_text_update(api, 601, "/start"))
    await _texts_once(api, 601, 1)

    def kill(update_id: int) -> None:
        """kill -9 as Telegram forgets the update: every task of the bot ends where it is."""
        me = asyncio.current_task()
        for task in asyncio.all_tasks() - others - {me}:
            task.cancel()
        if me is not None:
            me.cancel()

    api.on_confirm = kill
    help_update = _text_update(api, 601, "/help")
    api.push_update(help_update)
    for _ in range(500):
        if all(task.done() for task in asyncio.all_tasks() - others - {asyncio.current_task()}):
            break
        await asyncio.sleep(0.01)
    assert api._pending_updates == []  # Telegram will not send it again
    with sqlite3.connect(url.split("///", 1)[1]) as db:  # kept, and not done
        row = db.execute(
            "SELECT done_at FROM inbox WHERE update_id = ?", (help_update["update_id"],)
        ).fetchone()
    assert row == (None,)
    await services_of(app).engine.dispose()

    api.on_confirm = lambda update_id: None
    restarted = await _start(url, api, clock)
    try:
        texts = await _texts_once(api, 601, 2)
    finally:
        await _stop(restarted)
    assert len(texts) == 2 and texts[1].startswith("Here is what you can do:")
