"""Default locations for the store; pure functions so tests and docs can call them."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

DB_FILENAME = "project_filebrowser.db"


def source_tree_root() -> Path | None:
    """The repository root when running from a source checkout (it has the alembic inis)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "alembic.dev.ini").is_file() else None


def dev_db_url() -> str | None:
    """The database named by alembic.dev.ini, so `LOCAL=1` runs and the CLI share one file."""
    root = source_tree_root()
    if root is None:
        return None
    parser = configparser.ConfigParser(defaults={"here": str(root)})
    parser.read(root / "alembic.dev.ini")
    return parser.get("alembic", "sqlalchemy.url", fallback=None)


def default_db_url() -> str:
    """Where the store lives unless configured: the Jupyter data dir, never the notebooks.

    With the `LOCAL` environment variable set in a source checkout, the development
    database of alembic.dev.ini is used instead.
    """
    if os.environ.get("LOCAL"):
        dev = dev_db_url()
        if dev:
            return dev
    path = Path(jupyter_data_dir()) / "aext_project_filebrowser" / DB_FILENAME
    return f"sqlite:///{path}"


def default_server_name(environ: Mapping[str, str], hostname: str) -> str:
    """What conflict copies call this server unless configured: `<hub user>@<host>` behind
    JupyterHub (`<hub user>:<server>@<host>` for a named server), else the host name.

    On a hub every user's server may run on one host (or in pods whose host names are
    random), so the host alone cannot tell whose server made a copy; the hub user can.
    """
    host = hostname or "jupyter"
    user = environ.get("JUPYTERHUB_USER", "").strip()
    if not user:
        return host
    named = environ.get("JUPYTERHUB_SERVER_NAME", "").strip()
    return f"{user}:{named}@{host}" if named else f"{user}@{host}"
