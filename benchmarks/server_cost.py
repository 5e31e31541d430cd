"""What the extension costs each user's server on a hub: memory, start-up time, idle CPU.

Starts a bare `jupyter server` (the other installed server extensions off, stdin from
/dev/null, as a spawner starts it) with and without the extension, alternately, and reports
side by side, as differences and ratios (medians over the runs):

- **start-up**: from the process start to the first 200 of `GET /api/status`, and the CPU
  time the process used until then (the wall time grows with the machine's load, the CPU
  time much less);
- **RSS 5 s after start** (`VmRSS`);
- **idle CPU** over the next `--idle` seconds (user + system ticks from /proc) and the
  wake-ups behind it (voluntary context switches of all threads): a polling loop shows as
  wake-ups even when it costs little CPU;
- **stop**: SIGTERM to exit.

Each variant has its own Jupyter config and data dirs, kept across its runs, and one
untimed warm-up start first, so the runs measure a server whose store already exists (a
user's second start onwards) with warm file caches for both variants alike.

    python benchmarks/server_cost.py            # 3 runs each, 20 s idle window
    python benchmarks/server_cost.py --smoke    # 1 run each, no warm-up, 2 s idle (CI)
    python benchmarks/server_cost.py --python /path/to/venv/bin/python

`--python` runs the servers with another environment's Python (and its `jupyter-server`),
the extension taken from this source tree through PYTHONPATH: e.g. a venv with only the
runtime dependencies, as a user's server has. The test extras matter: with `rich` and
`click` installed (schemathesis brings them), `import httpx` also loads its command-line
client, ~4 MiB of every process that imports httpx.

Goals (issue 17): at most +40 MiB RSS, at most +0.5 s start-up, idle CPU indistinguishable.
The table says whether each goal is met; the exit code does not judge speed (it is non-zero
only when a server fails to start or stop). JSON goes to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXTENSION = "aext_project_filebrowser_server"
OTHER_EXTENSIONS = (
    "jupyterlab",
    "jupyter_lsp",
    "nbdime",
    "notebook_shim",
    "notebook",
    "jupyter_server_terminals",
    "jupyterhub",
)
RSS_AT_S = 5.0
TICK = os.sysconf("SC_CLK_TCK")
GOALS = {"rss_mib": 40.0, "start_s": 0.5}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wakeups(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def setup_variant(work: Path, with_extension: bool, python: Path) -> dict[str, str]:
    """A private Jupyter config (the extension on or off) and data dirs; the environment."""
    name = "with" if with_extension else "without"
    home = work / name
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "root").mkdir(exist_ok=True)
    extensions = {ext: False for ext in OTHER_EXTENSIONS}
    extensions[EXTENSION] = with_extension
    config: dict[str, Any] = {"ServerApp": {"jpserver_extensions": extensions}}
    if with_extension:  # no cloud: a user who has not logged in yet costs the same
        config["ProjectFileBrowserApp"] = {"cloud_url": "http://127.0.0.1:9"}
    (home / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PFB_BENCH_PYTHON": str(python),
    }
    if python != Path(sys.executable):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    for key in ("LOCAL", "ANACONDA_AUTH_API_KEY", "JUPYTERHUB_USER"):
        env.pop(key, None)
    return env


def one_start(env: dict[str, str], idle_s: float) -> dict[str, float]:
    """Start, measure, stop one server."""
    port, token = free_port(), uuid.uuid4().hex
    home = Path(env["HOME"])
    log = (home / "server.log").open("ab")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            env["PFB_BENCH_PYTHON"],
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={home / 'root'}",
            f"--IdentityProvider.token={token}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=env,
        cwd=home,
    )
    try:
        status = f"http://127.0.0.1:{port}/api/status"
        headers = {"Authorization": f"token {token}"}
        while True:
            if process.poll() is not None or time.monotonic() - started > 120:
                raise RuntimeError(f"the server did not start; see {home / 'server.log'}")
            try:
                if httpx.get(status, headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        start_s = time.monotonic() - started
        start_cpu = cpu_seconds(process.pid)  # what start-up costs, whatever the load
        time.sleep(max(0.0, started + RSS_AT_S - time.monotonic()))
        rss = rss_mib(process.pid)
        cpu0, wake0, t0 = cpu_seconds(process.pid), wakeups(process.pid), time.monotonic()
        time.sleep(idle_s)
        cpu1, wake1, t1 = cpu_seconds(process.pid), wakeups(process.pid), time.monotonic()
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        return {
            "start_s": start_s,
            "start_cpu_s": start_cpu,
            "rss_mib": rss,
            "idle_cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
            "idle_wakeups_per_s": (wake1 - wake0) / (t1 - t0),
            "stop_s": time.monotonic() - stop_started,
        }
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def measure(
    runs: int, idle_s: float, warm_up: bool, python: Path
) -> dict[str, list[dict[str, float]]]:
    with tempfile.TemporaryDirectory(prefix="server-cost-") as tmp:
        envs = {
            "without": setup_variant(Path(tmp), False, python),
            "with": setup_variant(Path(tmp), True, python),
        }
        if warm_up:
            for env in envs.values():
                one_start(env, 0.1)
        samples: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
        for run in range(runs):  # alternate, so drifting machine load hits both alike
            order = ("without", "with") if run % 2 == 0 else ("with", "without")
            for name in order:
                samples[name].append(one_start(envs[name], idle_s))
                print(f"  run {run + 1} {name:>7}: {fmt(samples[name][-1])}", flush=True)
        return samples


def fmt(sample: dict[str, float]) -> str:
    return (
        f"start {sample['start_s']:.2f} s ({sample['start_cpu_s']:.2f} s CPU), "
        f"RSS {sample['rss_mib']:.1f} MiB, "
        f"idle CPU {sample['idle_cpu_pct']:.2f} %, {sample['idle_wakeups_per_s']:.1f} wake-ups/s, "
        f"stop {sample['stop_s']:.2f} s"
    )


def report(samples: dict[str, list[dict[str, float]]]) -> list[dict[str, Any]]:
    rows = []
    header = f"{'metric':<26}{'without':>10}{'with':>10}{'diff':>10}{'ratio':>8}  goal"
    print(f"\n{header}")
    for metric, pick in [
        ("start_s", "median"),
        ("start_s", "min"),
        ("start_cpu_s", "median"),
        ("rss_mib", "median"),
        ("idle_cpu_pct", "median"),
        ("idle_wakeups_per_s", "median"),
        ("stop_s", "median"),
    ]:
        reduce = statistics.median if pick == "median" else min
        without = reduce(s[metric] for s in samples["without"])
        with_ = reduce(s[metric] for s in samples["with"])
        diff = with_ - without
        ratio = with_ / without if without else float("nan")
        goal = GOALS.get(metric)
        met = goal is not None and diff <= goal
        verdict = "" if goal is None else f"<= +{goal:g}: " + ("met" if met else "MISSED")
        label = f"{metric} ({pick})"
        print(f"{label:<26}{without:>10.2f}{with_:>10.2f}{diff:>+10.2f}{ratio:>8.2f}  {verdict}")
        rows.append(
            {
                "metric": metric,
                "of_runs": pick,
                "without": without,
                "with": with_,
                "diff": diff,
                "ratio": ratio,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="1 run, no warm-up, 2 s idle")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--idle", type=float, default=None, help="idle window in seconds")
    parser.add_argument(
        "--python", type=Path, default=Path(sys.executable), help="the servers' Python"
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.smoke else 3)
    idle_s = args.idle or (2.0 if args.smoke else 20.0)
    print(
        f"server cost: {runs} run(s) per variant, RSS at {RSS_AT_S:g} s, idle {idle_s:g} s,"
        f" servers run by {args.python}; load average {os.getloadavg()}"
    )
    samples = measure(runs, idle_s, warm_up=not args.smoke, python=args.python)
    rows = report(samples)
    print(f"load average at the end: {os.getloadavg()}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = "server-cost-smoke" if args.smoke else "server-cost"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    body = {
        "runs": runs,
        "idle_s": idle_s,
        "python": str(args.python),
        "load_average_end": os.getloadavg(),
        "rows": rows,
        "samples": samples,
        "at": stamp,
    }
    for target in (out / f"{name}-{stamp}.json", out / f"latest-{name}.json"):
        target.write_text(json.dumps(body, indent=1))


if __name__ == "__main__":
    main()
