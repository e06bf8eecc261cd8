"""``python -m bot`` is the ``aftercare`` command."""

from bot.cli import main

raise SystemExit(main())
