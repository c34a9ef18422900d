"""Alembic migrations of the journal, run by :func:`vagus.journal.upgrade` on open."""
