"""Alembic migrations for hoasen's schema (run by `Store.migrate`)."""
