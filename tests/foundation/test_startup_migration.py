"""A store written by an older version is backed up and upgraded when the server starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from aext_project_filebrowser_server.store.engine import make_engine
from aext_project_filebrowser_server.store.migrate import alembic_config, head_revision


@pytest.fixture
def pfb_db_setup(pfb_db_path: Path) -> None:
    engine = make_engine(f"sqlite:///{pfb_db_path}")
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (id, name, title, owner_id, owner_type, tags, cloud_state,"
                " version, created_at, updated_at) VALUES ('p1', 'old', 'Old one', 'u1', 'user',"
                " '[]', 'present', 1, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
    engine.dispose()


async def test_old_store_is_backed_up_then_upgraded(jp_fetch, pfb_db_path: Path) -> None:
    body = json.loads((await jp_fetch("aext_project_filebrowser_server", "health")).body)
    assert body["migration"]["outcome"] == "upgraded"
    assert body["db_revision"] == head_revision()
    backup = Path(body["migration"]["backup_path"])
    assert backup.is_file() and backup.parent == pfb_db_path.parent
    engine = make_engine(f"sqlite:///{backup}")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    engine.dispose()
    engine = make_engine(f"sqlite:///{pfb_db_path}")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT title FROM projects WHERE id='p1'")) == "Old one"
    engine.dispose()
