"""Everything a request handler needs, built once at start-up by the extension app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .store.engine import Database
from .store.migrate import MigrationState


@dataclass(frozen=True)
class Settings:
    """The validated configuration values, frozen."""

    db_url: str
    projects_root: Path
    cloud_url: str
    api_version: str
    cloud_configured: bool
    sync_concurrency: int
    server_name: str


@dataclass(frozen=True)
class AppContext:
    """The store, its migration outcome and the settings; kept in the Tornado settings."""

    settings: Settings
    db: Database | None
    migration: MigrationState
