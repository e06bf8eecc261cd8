"""Composition root: settings, the PTB Application, the outbox sender, i18n, the CLI."""
