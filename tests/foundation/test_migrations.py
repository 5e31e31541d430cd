"""Migrations: no drift between models and scripts, a clean round trip, safe failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import text

from aext_project_filebrowser_server.store.engine import make_engine
from aext_project_filebrowser_server.store.migrate import (
    alembic_config,
    head_revision,
    upgrade_if_needed,
)


def _run(db: Path, *steps: tuple[str, str]) -> None:
    engine = make_engine(f"sqlite:///{db}")
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        for name, target in steps:
            if name == "check":
                command.check(config)
            else:
                getattr(command, name)(config, target)
    engine.dispose()


def test_models_and_migrations_do_not_drift(tmp_path: Path) -> None:
    _run(tmp_path / "a.db", ("upgrade", "head"), ("check", ""))


def test_downgrade_to_base_and_back_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _run(db, ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"), ("check", ""))
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert {"projects", "project_files", "sync_journal", "sync_runs"} <= tables


def test_fresh_database_is_created_at_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    state = upgrade_if_needed(engine)
    assert (state.outcome, state.current, state.backup_path) == ("created", head_revision(), None)
    assert upgrade_if_needed(engine).outcome == "up_to_date"
    engine.dispose()


def test_newer_unknown_revision_is_reported_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    _run(db, ("upgrade", "head"))
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'fffffff'")
    engine = make_engine(f"sqlite:///{db}")
    state = upgrade_if_needed(engine)
    engine.dispose()
    assert state.outcome == "failed"
    assert state.error is not None and "fffffff" in state.error
    assert sqlite3.connect(db).execute("SELECT version_num FROM alembic_version").fetchone() == (
        "fffffff",
    )


def test_corrupt_database_is_set_aside_not_deleted(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database" * 100)
    engine = make_engine(f"sqlite:///{db}")
    state = upgrade_if_needed(engine)
    engine.dispose()
    assert state.outcome == "created"
    assert state.set_aside_path is not None
    assert Path(state.set_aside_path).read_bytes() == b"this is not a database" * 100


def test_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert connection.scalar(text("PRAGMA busy_timeout")) >= 5000
        assert connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
    engine.dispose()
