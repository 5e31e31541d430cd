"""Bring the store's schema to the newest revision at server start, in process.

Follows JupyterHub's `upgrade_if_needed`: a fresh database is created and stamped at head;
an older one is first copied to a timestamped backup (never overwriting a backup) and then
upgraded; a database from a newer, unknown revision is left alone and reported; a file that
is not a SQLite database is renamed aside (never deleted) and a fresh one created.

Alembic is imported only when there is something to migrate: a server whose store is
already at head (every start but the first after an upgrade) reads the revision with one
query and the head from the migration files' `revision`/`down_revision` lines, and so saves
the ~10 MiB and ~0.1 s of importing Alembic and Mako into every user's server. Whenever
that quick reading is not certain (an unexpected file, two heads), Alembic decides.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

from .engine import sqlite_path

log = logging.getLogger(__name__)

MigrationOutcome = Literal["up_to_date", "created", "upgraded", "failed"]


@dataclass(frozen=True)
class MigrationState:
    """What happened to the schema at start-up; the health endpoint shows it."""

    outcome: MigrationOutcome
    current: str | None
    head: str
    backup_path: str | None = None
    set_aside_path: str | None = None
    error: str | None = None


def script_location() -> Path:
    """The Alembic scripts: inside the installed package, or at the source tree's root."""
    packaged = Path(__file__).resolve().parent.parent / "alembic"
    if (packaged / "env.py").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "alembic"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest migration, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a migration
        raise RuntimeError("no Alembic migrations found")
    return head


_REVISION = re.compile(r'^revision(?:: str)? = "([0-9A-Za-z_]+)"$', re.MULTILINE)
_DOWN = re.compile(r'^down_revision(?:: str \| None)? = (?:"([0-9A-Za-z_]+)"|None)$', re.MULTILINE)


def quick_head_revision() -> str | None:
    """The head read from the migration files' text, without importing Alembic; None
    when any file does not say plainly what it is, or there is not exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (script_location() / "versions").glob("*.py"):
        body = script.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(body), _DOWN.search(body)
        if len(revision) != 1 or down is None:
            return None
        revisions.add(revision[0])
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The store's revision (Alembic's `alembic_version` table); None for a fresh store."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except OperationalError:  # no such table: nothing was ever migrated
            return None
    if len(rows) > 1:  # several heads stamped: only Alembic knows what that means
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return str(rows[0][0]) if rows else None


def _unique_path(base: Path, label: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    candidate = base.with_name(f"{base.name}.{label}-{stamp}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = base.with_name(f"{base.name}.{label}-{stamp}-{counter}")
    return candidate


def backup_database(db_file: Path) -> Path:
    """A consistent copy of the database (WAL included) next to it, with a timestamp."""
    target = _unique_path(db_file, "backup")
    source = sqlite3.connect(db_file)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


def set_aside_if_corrupt(db_file: Path) -> Path | None:
    """Rename a file that SQLite cannot read as a database; the user may still want it."""
    if not db_file.exists():
        return None
    try:
        # Read-only and immutable: a plain connection deletes the `-wal` file when it closes
        # (SQLite tidies up after its last connection), so the probe itself destroyed the
        # newest transactions of the very file it was about to set aside (found by the
        # start-up resilience suite). Immutable also needs no `-shm`, so a healthy database
        # with a live WAL is never mistaken for a corrupt one.
        probe = f"{db_file.resolve().as_uri()}?mode=ro&immutable=1"
        connection = sqlite3.connect(probe, uri=True)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            ok = connection.execute("PRAGMA quick_check").fetchone()
        finally:
            connection.close()
        if ok and ok[0] == "ok":
            return None
    except sqlite3.DatabaseError:
        pass
    target = _unique_path(db_file, "corrupt")
    db_file.rename(target)
    for suffix in ("-wal", "-shm"):
        side = db_file.with_name(db_file.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    log.error("The project store %s was not a readable database; moved it to %s", db_file, target)
    return target


def _run_upgrade(engine: Engine) -> None:
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade_if_needed(engine: Engine) -> MigrationState:
    """Migrate the store to head; never raises, the outcome says what happened."""
    head = quick_head_revision() or head_revision()
    db_file = sqlite_path(str(engine.url))
    aside = set_aside_if_corrupt(db_file) if db_file else None
    set_aside = str(aside) if aside else None
    current: str | None = None
    try:
        current = current_revision(engine)
        if current == head:
            return MigrationState("up_to_date", current, head, set_aside_path=set_aside)
        from alembic.script import ScriptDirectory

        head = head_revision()  # from here on Alembic decides
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current is not None and current not in known:
            message = (
                f"the store is at revision {current}, which this version of the extension "
                f"does not know (a newer version wrote it); it was left untouched"
            )
            log.error("Project store: %s", message)
            return MigrationState("failed", current, head, error=message)
        empty = current is None and not inspect(engine).get_table_names()
        backup = None
        if not empty and db_file is not None and db_file.exists():
            backup = str(backup_database(db_file))
            log.warning("Project store backed up to %s before migrating", backup)
        _run_upgrade(engine)
        outcome: MigrationOutcome = "created" if empty else "upgraded"
        log.info("Project store %s: %s -> %s", outcome, current, head)
        return MigrationState(outcome, head, head, backup, set_aside)
    except Exception as exc:  # reported through the health endpoint, never a crash
        log.exception("Project store migration failed")
        return MigrationState("failed", current, head, error=f"{type(exc).__name__}: {exc}")
