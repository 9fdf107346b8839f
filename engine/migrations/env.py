"""alembic's environment: patuh runs its migrations on a connection it has opened, inside the
transaction that holds the store's write lock (`Store.migrate`)."""
from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
