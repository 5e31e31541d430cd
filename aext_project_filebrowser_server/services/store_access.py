"""Store calls for the REST services: off the event loop, with store failures as 503s."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..context import AppContext
from ..store.engine import Database, read, write
from .errors import ServiceError

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)


def store_unavailable(detail: str = "") -> ServiceError:
    suffix = f": {detail}" if detail else ""
    return ServiceError(503, "store_unavailable", f"the project store is not available{suffix}")


def database(ctx: AppContext) -> Database:
    """The store, or a 503 when it could not be opened at start-up (see `GET health`)."""
    if ctx.db is None:
        raise store_unavailable()
    return ctx.db


async def read_store(
    ctx: AppContext, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """`fn(session, ...)` in a reader thread; database errors become 503 store_unavailable."""
    try:
        return await read(database(ctx), fn, *a, **k)
    except SQLAlchemyError as exc:
        # The answer is a clean 503; the traceback is for the operator (a naive timestamp
        # refused by the store once showed only as that 503 line).
        log.exception("store read %s failed", getattr(fn, "__name__", fn))
        raise store_unavailable(type(exc).__name__) from exc


async def write_store(
    ctx: AppContext, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """`fn(session, ...)` in the writer thread, in one transaction; errors as in `read_store`."""
    try:
        return await write(database(ctx), fn, *a, **k)
    except SQLAlchemyError as exc:
        # The answer is a clean 503; the traceback is for the operator (a naive timestamp
        # refused by the store once showed only as that 503 line).
        log.exception("store write %s failed", getattr(fn, "__name__", fn))
        raise store_unavailable(type(exc).__name__) from exc
