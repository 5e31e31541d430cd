"""A pre-warmed launcher of Jupyter servers for the crash tests (run as a script).

Importing jupyter_server and the libraries the extension uses takes seconds; the crash
matrix starts a server per crash. This process imports those third-party modules once and
then, for each JSON line read on stdin (`{"argv", "env", "cwd", "log", "exit_file"}`), forks
a child that becomes `jupyter server` with that environment, and answers the child's pid on
stdout. The extension itself is never imported here: each child imports it fresh, so it
reads its own `AEXT_PFB_CRASH_AT`. When a child exits, its wait status is written to its
`exit_file`. Children die with this process, and this process dies with the test runner
(PR_SET_PDEATHSIG) or when its stdin closes.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

# The slow imports, done once (third-party only; see the docstring).
import alembic.command  # noqa: E402
import alembic.config  # noqa: E402
import alembic.runtime.migration  # noqa: E402
import alembic.script  # noqa: E402, F401
import httpx  # noqa: E402, F401
import jupyter_server.serverapp  # noqa: E402
import pathspec  # noqa: E402, F401
import pydantic  # noqa: E402, F401
import sqlalchemy.orm  # noqa: E402, F401
import stamina  # noqa: E402, F401
import tornado.websocket  # noqa: E402, F401

PR_SET_PDEATHSIG = 1
_exit_files: dict[int, str] = {}


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _reap(_signum: int, _frame: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        path = _exit_files.pop(pid, None)
        if path:
            with open(path + ".tmp", "w") as handle:
                handle.write(str(os.waitstatus_to_exitcode(status)))
            os.replace(path + ".tmp", path)


def _become_server(request: dict[str, object]) -> None:
    """In the child: redirect output, take the environment, run the server, never return."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _die_with_parent()
        log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
        sys.argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
        sys.stdin = open(os.devnull)  # noqa: SIM115
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        jupyter_server.serverapp.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


def main() -> None:
    _die_with_parent()
    signal.signal(signal.SIGCHLD, _reap)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        # Blocked until the pid is recorded, so a child that dies at once is not missed.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            _become_server(request)
        _exit_files[pid] = str(request["exit_file"])
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        print(pid, flush=True)
    for pid in list(_exit_files):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
