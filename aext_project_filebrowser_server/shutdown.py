"""Stopping promptly and cleanly, whoever asks: a terminal's Ctrl-C, JupyterHub, systemd.

jupyter_server routes SIGTERM to its clean stop (`_signal_stop`: extensions' `stop_extension`,
kernels, then the loop), and SIGINT too, but only when stdin is a terminal (it asks for
confirmation there). Without a terminal, which is how JupyterHub's spawners, systemd and CI
start servers, SIGINT stays Python's default: a KeyboardInterrupt ends the event loop in the
middle of whatever ran, no extension is stopped, and the process then waits for every
non-daemon thread. JupyterHub stops a user's server with SIGINT first (then SIGTERM, then
SIGKILL, each after a timeout), so we route a SIGINT that nobody else claimed to the same
clean stop. A second SIGINT gets Python's default again: the user who presses Ctrl-C twice
means it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[int, FrameType | None], Any]


def route_sigint_to_clean_stop(serverapp: Any) -> Handler | None:
    """Make an unclaimed SIGINT stop `serverapp` the way SIGTERM does.

    Returns the handler installed (for `restore_sigint`), or None when SIGINT already has a
    handler other than Python's default (jupyter_server's terminal prompt, JupyterHub's own
    routing, a test runner), when this is not the main thread, or when the server has no
    clean stop to call.
    """
    clean_stop = getattr(serverapp, "_signal_stop", None)
    if clean_stop is None or threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        clean_stop(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)
    return on_sigint


def restore_sigint(installed: Handler | None) -> None:
    """Put Python's default SIGINT handler back if ours is still the one in place."""
    if installed is None or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is installed:
        signal.signal(signal.SIGINT, signal.default_int_handler)
