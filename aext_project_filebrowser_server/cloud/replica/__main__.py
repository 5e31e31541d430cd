"""`aext-project-replica` / `python -m aext_project_filebrowser_server.cloud.replica`.

Starts the local replica of the cloud Project API and prints the URL it listens on as the
first line of stdout (flushed), so scripts and test fixtures can start it with `--port 0`
and read where it is. Logs go to stderr. With no `--data`, a temp dir is used and removed on
exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from .dialect import DIALECTS, parse_dialect
from .faults import parse_faults
from .seed import DEFAULT_SEED, SeedError
from .server import ReplicaConfig, serve


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="aext-project-replica",
        description="A local replica of the cloud Project API, for development and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument(
        "--data", type=Path, help="data dir (SQLite + blobs); default: a temp dir removed on exit"
    )
    parser.add_argument(
        "--seed",
        type=Path,
        default=DEFAULT_SEED,
        help="seed JSON applied only when the data dir is new (default: the demo seed)",
    )
    parser.add_argument(
        "--faults",
        default="",
        help='fault injection, e.g. "latency=50ms,error_rate=0.1,status=503,'
        'rate_limit=429:retry_after=1,drop_rate=0.05,seed=7" (default: none)',
    )
    parser.add_argument(
        "--admin-token", help="enables PUT /_replica/faults for this bearer token (default: off)"
    )
    parser.add_argument(
        "--max-upload-mb", type=int, default=5120, help="largest accepted upload (5120 MiB)"
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="exit when stdin is closed (test fixtures use this so no server outlives them)",
    )
    parser.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="ours",
        help="ours: the API as this project designed it; evidence: as public evidence says "
        "the real cloud answers (naive times, no hashes, preconditions ignored, 403 "
        "auth_required, redirected downloads; see cloud/replica/dialect.py)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level on stderr (INFO)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        faults = parse_faults(args.faults)
    except ValueError as e:
        sys.exit(f"aext-project-replica: {e}")
    temp_data = args.data is None
    data_dir = Path(tempfile.mkdtemp(prefix="aext-replica-")) if temp_data else args.data
    config = ReplicaConfig(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        seed_path=args.seed,
        faults=faults,
        admin_token=args.admin_token,
        max_upload_bytes=args.max_upload_mb * 1024 * 1024,
        exit_with_parent=args.exit_with_parent,
        dialect=parse_dialect(args.dialect),
    )

    def ready(url: str) -> None:
        print(url, flush=True)
        logging.getLogger("aext_project_replica").info("listening on %s, data in %s", url, data_dir)

    try:
        asyncio.run(serve(config, ready))
    except (SeedError, OSError) as e:  # a bad seed file, a port in use: no traceback
        sys.exit(f"aext-project-replica: {e}")
    finally:
        if temp_data:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
