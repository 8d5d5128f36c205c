"""Alembic's environment for the cockpit store: always run in-process on a given connection.

cockpit.store.migrate opens the connection (inside a transaction and a cross-process lock)
and passes it in config.attributes["connection"]; there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context

from cockpit.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through cockpit.store.migrate (python -m cockpit db upgrade)"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them: batch mode does that for later migrations.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
