"""The log's two formats: text lines, or one JSON object a line for a log collector."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import LoggingSettings, configure, unconfigure


def test_the_json_format_writes_one_object_a_line_and_the_chatty_libraries_stay_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(LoggingSettings(format="json"), force=True)
    try:
        logging.getLogger("aftercare").warning(
            "outbox row %s gave up", 42, extra={"chat": "private"}
        )
        logging.getLogger("apscheduler.executors.default").info("Running job fleet")
        lines = capsys.readouterr().err.splitlines()
    finally:
        unconfigure()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert {k: line[k] for k in ("level", "logger", "message", "chat")} == {
        "level": "WARNING",
        "logger": "aftercare",
        "message": "outbox row 42 gave up",
        "chat": "private",
    }
    assert line["time"][:2] == "20"


def test_the_text_format_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    configure(force=True)
    try:
        logging.getLogger("aftercare").info("AfterCare is starting")
    finally:
        unconfigure()
    assert capsys.readouterr().err.rstrip().endswith(" INFO aftercare: AfterCare is starting")


def test_logging_set_up_by_someone_else_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    # The test runner's capture is set up: as with logging.basicConfig, nothing is added.
    configure(LoggingSettings(format="json"))
    logging.getLogger("aftercare").warning("a line")
    assert capsys.readouterr().err == ""
