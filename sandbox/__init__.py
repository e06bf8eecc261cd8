"""A fake Telegram Bot API: one small core, two front doors.

:mod:`sandbox.botapi` keeps users, chats, messages, keyboards, files and limits;
:class:`sandbox.transport.InProcessRequest` plugs it into python-telegram-bot as
its HTTP layer for tests and benchmarks. A later HTTP front door serves the same
core as a local Bot API server for the sandbox chat page.
"""
