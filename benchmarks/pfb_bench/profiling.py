"""py-spy attached to a server process while one of our runs executes.

`with PySpy(pid, out_prefix): ...` records collapsed stacks (`--format raw`) and a
speedscope file, then `summarize` prints where the samples went: the top functions by own
time and by inclusive time, per thread, so a report can say where a push spends its time.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY_RATE = 250


def py_spy_bin() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class PySpy:
    def __init__(self, pid: int, out_prefix: Path, *, idle: bool = False) -> None:
        self.pid = pid
        self.raw = out_prefix.with_suffix(".collapsed.txt")
        self.log = out_prefix.with_suffix(".py-spy.log")
        self.idle = idle
        self._popen: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PySpy:
        binary = py_spy_bin()
        if binary is None:
            print("   (py-spy is not installed: no profile)", flush=True)
            return self
        self.raw.parent.mkdir(parents=True, exist_ok=True)
        args = [binary, "record", "--pid", str(self.pid), "--rate", str(PY_SPY_RATE)]
        args += ["--format", "raw", "--threads", "--nonblocking", "-o", str(self.raw)]
        if self.idle:
            args.append("--idle")
        with self.log.open("wb") as log:
            self._popen = subprocess.Popen(args, stdout=log, stderr=log)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._popen is None:
            return
        self._popen.send_signal(signal.SIGINT)
        try:
            self._popen.wait(30)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()


def _frames(stack: str) -> list[str]:
    return [frame for frame in stack.split(";") if frame]


def summarize(raw: Path, top: int = 25) -> str:
    """Own and inclusive sample counts per function, from py-spy's collapsed stacks."""
    if not raw.exists():
        return f"(no profile at {raw})"
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        total += count
        if frames:
            threads[frames[0]] += count
            functions = frames[1:] if frames[0].startswith(("thread", "process")) else frames
            if functions:
                own[functions[-1]] += count
                for function in set(functions):
                    inclusive[function] += count
    lines = [f"{total} samples at {PY_SPY_RATE} Hz ({total / PY_SPY_RATE:.1f} thread-seconds)"]
    lines.append("by thread:")
    lines += [f"  {n:6d} {100 * n / total:5.1f}%  {name}" for name, n in threads.most_common(12)]
    lines.append("own time:")
    lines += [f"  {n:6d} {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines.append("inclusive time:")
    lines += [f"  {n:6d} {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)
