"""The store's schema as alembic migrations: `Store.migrate` (run on opening a store) brings a
store to the newest. A new migration goes in versions/, named vNNNN_what.py, with `down_revision`
the previous one; tests/test_store.py checks that the migrated schema is `patuh.store.METADATA`."""
