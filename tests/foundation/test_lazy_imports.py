"""What every user's server pays at start stays small: Alembic only when there is something
to migrate, nbdime only at the first notebook merge, watchfiles only in the watcher thread.
(Issue 17: +10 MiB of Alembic and Mako in each idle server on a hub, for a store that was
already at head.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aext_project_filebrowser_server.store.migrate import head_revision, quick_head_revision

PROBE = """
import sys
import jupyter_server.serverapp
import aext_project_filebrowser_server.extension, aext_project_filebrowser_server.handlers
from sqlalchemy import create_engine
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed
state = upgrade_if_needed(create_engine(sys.argv[1]))
lazy = ("alembic", "mako", "nbdime", "watchfiles")
print(state.outcome, *sorted(m for m in lazy if m in sys.modules))
"""


def test_quick_head_is_alembics_head() -> None:
    assert quick_head_revision() == head_revision()


def test_a_store_at_head_starts_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["created", "alembic", "mako"]  # the control
    again = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["up_to_date"]
    # (An older store still goes through Alembic: test_startup_migration.py.)
