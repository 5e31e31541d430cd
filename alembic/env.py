"""Alembic environment for the extension's SQLite store.

Used two ways: by the extension at start-up, which passes an open connection through
`config.attributes["connection"]` (and whose loggers must not be reconfigured), and by the
`alembic -c alembic.*.ini` command line, which connects to the ini's `sqlalchemy.url`
(overridable with the AEXT_PFB_DB_URL environment variable).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from aext_project_filebrowser_server.store.engine import make_engine
from aext_project_filebrowser_server.store.models import Base

config = context.config
target_metadata = Base.metadata


def _db_url() -> str:
    url = os.environ.get("AEXT_PFB_DB_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url in the ini or AEXT_PFB_DB_URL")
    return url


def _configure(connection: Connection | None = None) -> None:
    context.configure(
        connection=connection,
        url=None if connection is not None else _db_url(),
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        transaction_per_migration=True,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    _configure()
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    # Batch mode drops and recreates tables; with foreign keys on, SQLite would cascade
    # those drops into the child tables. Foreign keys can only be toggled outside a
    # transaction, so do it before any migration starts and check integrity after.
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    connection.commit()
    _configure(connection)
    context.run_migrations()
    connection.commit()
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    connection.commit()
    connection.exec_driver_sql("PRAGMA foreign_keys = ON")
    connection.commit()
    if problems:
        raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_db_url())
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
