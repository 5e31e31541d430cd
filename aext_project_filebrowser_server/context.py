"""Everything a request handler needs, built once at start-up by the extension app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cloud.client import CloudClient
from .services.events import EventBus
from .services.project_list_cache import ProjectListCache
from .services.running import SyncRegistry
from .services.subscriptions import Subscriptions
from .store.engine import Database
from .store.migrate import MigrationState

if TYPE_CHECKING:
    from .services.sync.worker_client import SyncWorker


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
    #: The Jupyter root (`ServerApp.root_dir`): contents-API paths are relative to it.
    contents_root: Path | None = None


@dataclass(frozen=True)
class AppContext:
    """The store, the cloud client, the event bus and the running syncs of one server,
    the answers of `GET projects` kept between changes, and the sync worker."""

    settings: Settings
    db: Database | None
    migration: MigrationState
    cloud: CloudClient
    events: EventBus
    syncs: SyncRegistry
    project_lists: ProjectListCache = field(default_factory=ProjectListCache)
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    #: Where runs execute: the sync worker process (the extension's default), or None for
    #: this process's event loop (tests that build a context themselves, the worker itself).
    worker: SyncWorker | None = None
