"""Alembic's environment: migrate the connection vagus hands over.

vagus builds the Alembic ``Config`` in code (no ``alembic.ini`` on the user's machine) and passes
an open connection, already inside a transaction, in ``config.attributes["connection"]``;
every migration then commits together or not at all.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from vagus.journal._models import Base


def run_migrations(connection: Connection) -> None:
    """Run the migrations Alembic asks for on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite's ALTER TABLE is limited; batch mode copies the table (only used by later
        # migrations that alter columns).
        render_as_batch=True,
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Only run inside Alembic: pytest's --doctest-modules and mypy import this file too.
if getattr(context, "_proxy", None) is not None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("vagus runs its migrations with an open connection (vagus.journal)")
    run_migrations(connection)
