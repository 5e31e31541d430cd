"""Running the replica: open the data dir, seed it once, serve, and shut down cleanly.

Start-up order: `DATA/tmp` is emptied of half-written uploads, the schema is created, the
seed applied if this data dir was never seeded, accounts are loaded, and only then is the
socket bound and the URL announced (`ready(url)`), so a caller that waits for the URL can
use the server at once. Shutdown (SIGTERM, SIGINT, or stdin closing with
`exit_with_parent`): stop accepting, give in-flight requests up to `drain_s` seconds, close
connections, then stop the worker threads and close the DB (which checkpoints the WAL).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .accounts import load_directory
from .app import make_app
from .base import ReplicaState
from .blobs import clear_tmp
from .dialect import Dialect
from .faults import FaultInjector, FaultSpec
from .seed import DEFAULT_SEED, seed_if_new
from .storage import Database, open_engine

log = logging.getLogger("aext_project_replica")

JSON_BODY_LIMIT = 16 * 1024 * 1024
# Socket reads and streamed body chunks of up to 1 MiB (Tornado's default is 64 KiB): a large
# upload then costs 16 times fewer trips through Tornado, the multipart parser and the
# hasher, and any small upload arrives in one chunk. Memory: at most 1 MiB per connection.
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReplicaConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    seed_path: Path = DEFAULT_SEED
    faults: FaultSpec = field(default_factory=FaultSpec)
    admin_token: str | None = None
    max_upload_bytes: int = 5 * 1024**3
    exit_with_parent: bool = False
    drain_s: float = 5.0
    dialect: Dialect = "ours"


def open_state(config: ReplicaConfig) -> ReplicaState:
    """Prepare the data dir (schema, seed, accounts) and the worker threads."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    clear_tmp(config.data_dir)
    db = Database(open_engine(config.data_dir))
    if db.run_sync(seed_if_new, config.data_dir, config.seed_path):
        log.info("seeded %s from %s", config.data_dir, config.seed_path)
    return ReplicaState(
        data_dir=config.data_dir,
        db=db,
        directory=db.run_sync(load_directory),
        # fsync waits on the disk, not the CPU: enough threads to overlap many of them.
        blob_executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="replica-blob"),
        faults=FaultInjector(config.faults),
        admin_token=config.admin_token,
        max_upload_bytes=config.max_upload_bytes,
        dialect=config.dialect,
    )


def url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop when stdin reaches EOF: the parent process that holds the pipe has gone."""
    fd = sys.stdin.fileno()

    def on_readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            stop.set()

    loop.add_reader(fd, on_readable)


async def serve(config: ReplicaConfig, ready: Callable[[str], None]) -> None:
    """Serve until asked to stop; `ready(url)` is called once the socket listens."""
    state = open_state(config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if config.exit_with_parent:
        _watch_stdin(loop, stop)
    server = HTTPServer(
        make_app(state), max_body_size=JSON_BODY_LIMIT, chunk_size=CHUNK_BYTES, xheaders=False
    )
    sockets = bind_sockets(config.port, config.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    ready(url_for(config.host, port))
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        server.stop()
        for _ in range(int(config.drain_s / 0.05)):  # poll: requests have no "done" event
            if not state.active:
                break
            await asyncio.sleep(0.05)
        await server.close_all_connections()
        state.blob_executor.shutdown(wait=True)
        state.db.close()
