"""The Jupyter Server extension app: configuration, start-up wiring and shutdown."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode, default, validate
from traitlets.traitlets import TraitError

from .cloud.client import aclose, make_cloud_client
from .cloud.credentials import Credential, resolve_credential
from .config import default_db_url, default_server_name
from .context import AppContext, Settings
from .handlers import default_handlers
from .services.auto_sync_scheduler import Scheduler, Timing
from .services.cloud_poll import poll_cloud
from .services.events import EventBus
from .services.history import prune_history_sync
from .services.recovery import recover_interrupted
from .services.running import SyncRegistry
from .services.sync.worker_client import SyncWorker, worker_config
from .services.watch import start_watching, stop_watching
from .shutdown import restore_sigint, route_sigint_to_clean_stop
from .store.engine import Database, close_database, open_database, sqlite_path
from .store.migrate import MigrationState, head_revision, upgrade_if_needed

EXTENSION_NAME = "aext_project_filebrowser_server"
# A stop waits this long for running syncs to reach their safe point (the files in flight
# done and committed), then cancels them; the whole stop fits in jupyter_server's ~2 s.
STOP_GRACE_S = 1.0
STOP_HARD_S = 0.5
AUTO_SYNC_STOP_S = 0.25  # the scheduler only waits on the loop: cancelled, it ends at once


class ProjectFileBrowserApp(ExtensionApp):
    """Projects kept both in a Jupyter folder and in the cloud Project API."""

    name = EXTENSION_NAME
    load_other_extensions = True

    db_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the extension's SQLite store.
        Default: project_filebrowser.db under the Jupyter data directory
        (`jupyter --data-dir`)/aext_project_filebrowser — never inside the notebook folder.
        With the LOCAL environment variable set in a source checkout, the database named
        by alembic.dev.ini. Production: sqlite:////var/www/filebrowser/project_filebrowser.db.
        Must be a sqlite URL with an absolute path, or sqlite:///:memory: for tests.""",
    )

    projects_root = Unicode(
        "",
        config=True,
        help="""Absolute folder where local project folders are created (readable names
        derived from project titles). Empty (the default): a `projects` folder under the
        Jupyter server's root directory.""",
    )

    cloud_url = Unicode(
        "https://anaconda.com",
        config=True,
        help="Base URL of the cloud Project API (http or https; paths under /api/projects).",
    )

    cloud_api_key = Unicode(
        config=True,
        help="""API key or access token for the cloud. Empty (the default): the
        ANACONDA_AUTH_API_KEY environment variable, else the login `anaconda login` stored
        (with the `[anaconda]` extra, through anaconda-auth), else not logged in (local
        features keep working). Never logged or shown by the health endpoint, which says
        only where the credential came from. Prefer the environment variable or
        `anaconda login`: Jupyter's own `--debug` output prints every value of its config
        files (traitlets' "Config changed" message), so a key set here shows there.""",
    )

    api_version = Unicode(
        "2023.11.28",
        config=True,
        help="Value of the Api-Version header sent to the cloud.",
    )

    watch_folders = Bool(
        True,
        config=True,
        help="""Watch project folders for edits and tell open tabs (project_changed events).
        Set False on file systems where watching is expensive (network mounts).""",
    )

    sync_concurrency = Int(
        32,
        config=True,
        help="""The most files a push, pull or sync transfers at once (1-64). A run starts
        with 4 and goes up to this while the cloud's answers stay as fast (a link with a long
        round trip needs many in flight), and down again when they slow or the cloud answers
        429/503. 1: one file at a time.""",
    )

    sync_in_worker = Bool(
        True,
        config=True,
        help="""Run pushes, pulls and syncs in a worker process the extension starts at the
        first run and stops with the server, so a big run does not slow the notebooks, file
        browser and terminals this server also serves. False: runs share the server's event
        loop (one process fewer, about 60 MiB less memory while it lives).""",
    )

    cloud_timeout = Float(
        30.0,
        config=True,
        help="Seconds to wait for the cloud on one request (connect, read, write).",
    )

    cloud_retry_attempts = Int(
        5,
        config=True,
        help="""How many times one cloud request is tried on connection errors, 5xx and 429
        (exponential backoff with jitter; Retry-After honoured). 1 disables retries.""",
    )

    server_name = Unicode(
        config=True,
        help="""A name for this Jupyter server, used in conflict copy names
        ("analysis (conflict, alice on <server_name>, ...)"). Default: the host name, or
        `<user>@<host>` when JUPYTERHUB_USER is set (`<user>:<server>@<host>` for a named
        server), so that the copies of different hub users on one host tell them apart.""",
    )

    cloud_poll_interval = Float(
        10.0,
        config=True,
        help="""Seconds between checks of the cloud for edits made elsewhere, for the
        downloaded projects some open tab is subscribed to (one file listing per project and
        check, however many tabs watch it; a change is broadcast as project_changed).
        0 turns the checks off.""",
    )

    history_retention_days = Int(
        90,
        config=True,
        help="""How many days of sync history (runs, and conflicts already resolved) to keep;
        older entries are pruned when the server starts. Unresolved conflicts are always
        kept. 0 keeps everything.""",
    )

    auto_sync_quiet_seconds = Float(
        10.0,
        config=True,
        help="""Auto-sync "on save": a project is synced once no new local change was seen
        for this many seconds (the folder watcher reports saves about a second late).""",
    )

    auto_sync_max_wait_seconds = Float(
        60.0,
        config=True,
        help="""Auto-sync "on save": a project that keeps changing is synced at the latest
        this many seconds after its first change not yet synced (so a notebook saved ten
        times in a minute syncs once or twice).""",
    )

    auto_sync_retry_seconds = Float(
        30.0,
        config=True,
        help="""Auto-sync: after a failed automatic run (login needed, cloud unreachable),
        wait this long before trying again, doubling after each failure in a row up to 30
        minutes. The mode is kept.""",
    )

    @default("db_url")
    def _default_db_url(self) -> str:
        return default_db_url()

    @default("server_name")
    def _default_server_name(self) -> str:
        return default_server_name(os.environ, socket.gethostname())

    @validate("db_url")
    def _check_db_url(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.startswith("sqlite:///"):
            raise TraitError(
                f"ProjectFileBrowserApp.db_url must be a sqlite:/// URL, got {value!r}"
            )
        path = sqlite_path(value)
        if path is not None and not path.is_absolute():
            raise TraitError(
                f"ProjectFileBrowserApp.db_url must name an absolute path (sqlite:////abs/path.db),"
                f" got {value!r}"
            )
        return value

    @validate("projects_root")
    def _check_projects_root(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if value and not Path(value).is_absolute():
            raise TraitError(f"ProjectFileBrowserApp.projects_root must be absolute, got {value!r}")
        return value

    @validate("cloud_url")
    def _check_cloud_url(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).rstrip("/")
        if not value.startswith(("http://", "https://")) or len(value.split("/")) < 3:
            raise TraitError(
                f"ProjectFileBrowserApp.cloud_url must be an http(s) URL, got {value!r}"
            )
        return value

    @validate("api_version")
    def _check_api_version(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).strip()
        if not value:
            raise TraitError("ProjectFileBrowserApp.api_version must not be empty")
        return value

    @validate("sync_concurrency")
    def _check_concurrency(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 64:
            raise TraitError(f"ProjectFileBrowserApp.sync_concurrency must be 1-64, got {value}")
        return value

    @validate("cloud_poll_interval")
    def _check_poll_interval(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if value < 0:
            raise TraitError(
                f"ProjectFileBrowserApp.cloud_poll_interval must be 0 or more, got {value}"
            )
        return value

    @validate("auto_sync_quiet_seconds", "auto_sync_max_wait_seconds", "auto_sync_retry_seconds")
    def _check_auto_sync_delay(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0 < value <= 86400:
            raise TraitError(
                f"ProjectFileBrowserApp.{proposal['trait'].name} must be more than 0 and at"
                f" most 86400 seconds, got {value}"
            )
        return value

    @validate("history_retention_days")
    def _check_retention(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 0:
            raise TraitError(
                f"ProjectFileBrowserApp.history_retention_days must be 0 or more, got {value}"
            )
        return value

    def _settings_value(self, credential: Credential) -> Settings:
        root_dir = Path(self.serverapp.root_dir) if self.serverapp else Path.cwd()
        return Settings(
            db_url=self.db_url,
            projects_root=Path(self.projects_root) if self.projects_root else root_dir / "projects",
            cloud_url=self.cloud_url,
            api_version=self.api_version,
            cloud_configured=credential.source != "none",
            sync_concurrency=self.sync_concurrency,
            server_name=self.server_name,
            contents_root=root_dir.resolve(),
        )

    def _open_store(self, db_url: str) -> tuple[Database | None, MigrationState]:
        """Open and migrate the store; a failure is reported by health, never raised."""
        try:
            db = open_database(db_url)
            migration = upgrade_if_needed(db.engine)
            if migration.outcome == "failed":
                close_database(db)
                return None, migration
            recover_interrupted(db)
            self._prune_history(db)
            return db, migration
        except Exception as exc:  # a broken store must not take the Jupyter server down
            self.log.exception("Project store could not be opened at %s", db_url)
            return None, MigrationState("failed", None, head_revision(), error=str(exc))

    def _prune_history(self, db: Database) -> None:
        try:
            runs, conflicts = prune_history_sync(db, self.history_retention_days)
        except Exception:  # old history must never keep the server from starting
            self.log.exception("Old sync history could not be pruned")
            return
        if runs or conflicts:
            self.log.info(
                "Pruned %d sync runs and %d resolved conflicts older than %d days",
                runs,
                conflicts,
                self.history_retention_days,
            )

    def initialize_settings(self) -> None:
        credential = resolve_credential(self.cloud_api_key, os.environ, self.cloud_url)
        settings = self._settings_value(credential)
        db, migration = self._open_store(settings.db_url)
        cloud = make_cloud_client(
            settings.cloud_url,
            credential.value,
            settings.api_version,
            timeout=self.cloud_timeout,
            retry_attempts=self.cloud_retry_attempts,
            max_connections=max(16, settings.sync_concurrency),  # one per file in flight
            credential=credential,
        )
        worker = None
        if self.sync_in_worker:
            config = worker_config(
                settings, self.cloud_api_key, self.cloud_timeout, self.cloud_retry_attempts
            )
            worker = SyncWorker(config)
        context = AppContext(
            settings, db, migration, cloud, EventBus(), SyncRegistry(), worker=worker
        )
        self.settings.update({"pfb_context": context})

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        await super()._start_jupyter_server_extension(serverapp)  # type: ignore[no-untyped-call]
        context: AppContext = self.settings["pfb_context"]
        self._sigint = route_sigint_to_clean_stop(serverapp)
        self._watch = await start_watching(context) if self.watch_folders else None
        self._auto_sync = await self._start_auto_sync(context)
        self._stop_polling = asyncio.Event()
        self._cloud_poll: asyncio.Task[None] | None = None
        if self.cloud_poll_interval > 0:
            self._cloud_poll = asyncio.create_task(
                poll_cloud(context, self.cloud_poll_interval, self._stop_polling)
            )

    async def _start_auto_sync(self, context: AppContext) -> Scheduler | None:
        """The auto-sync scheduler; None without a store (a failure is logged, not raised:
        the rest of the extension works without it)."""
        if context.db is None:
            return None
        timing = Timing(
            quiet=self.auto_sync_quiet_seconds,
            max_wait=max(self.auto_sync_max_wait_seconds, self.auto_sync_quiet_seconds),
            retry=self.auto_sync_retry_seconds,
        )
        scheduler = Scheduler(context, timing)
        try:
            await scheduler.start()
        except Exception:
            self.log.exception("Auto-sync could not start; projects sync only when asked")
            await scheduler.stop(STOP_HARD_S)
            return None
        return scheduler

    def initialize_handlers(self) -> None:
        self.handlers.extend(default_handlers)

    async def stop_extension(self) -> None:
        """Stop within about two seconds: the watcher, the auto-sync scheduler, the running
        syncs (at their safe point, or cancelled: see `SyncRegistry.cancel_all`), the cloud
        client, the store."""
        started = time.monotonic()
        restore_sigint(getattr(self, "_sigint", None))
        context: AppContext | None = self.settings.get("pfb_context")
        if context is None:
            return
        watch = getattr(self, "_watch", None)
        if watch is not None:
            await stop_watching(watch)
        auto = getattr(self, "_auto_sync", None)
        if auto is not None:  # first: no automatic run may start while the runs stop
            await auto.stop(AUTO_SYNC_STOP_S)
        cloud_poll = getattr(self, "_cloud_poll", None)
        if cloud_poll is not None:
            self._stop_polling.set()
            await asyncio.wait([cloud_poll], timeout=STOP_HARD_S)
            cloud_poll.cancel()  # a listing in flight: not worth waiting for
        running = len(context.syncs.all())
        hard = await context.syncs.cancel_all(grace=STOP_GRACE_S, hard=STOP_HARD_S)
        if context.worker is not None:
            await context.worker.stop()
        await aclose(context.cloud)
        if context.db is not None:
            await asyncio.to_thread(close_database, context.db)
        self.log.info(
            "%s stopped in %.2f s (%d runs stopped, %d of them cancelled mid-operation)",
            EXTENSION_NAME,
            time.monotonic() - started,
            running,
            hard,
        )
