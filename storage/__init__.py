"""SQLAlchemy 2 adapters: models, engine and sessions, unit of work, repositories,
Alembic migrations, the PTB persistence and the outbox table."""
