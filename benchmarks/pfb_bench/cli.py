"""`python -m pfb_bench [--smoke] [--only GROUPS] [--profile SCENARIOS] ...`"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from . import scen_api, scen_network, scen_responsive, scen_transfer, scen_tree
from .config import FULL, SMOKE, Profile
from .env import Env, build_env, cleanup
from .procs import stop_all
from .report import Row, markdown_table, print_row, write_results

GROUPS: dict[str, Callable[[Env], list[Row]]] = {
    "small": scen_transfer.push_pull_small,
    "big": scen_transfer.big_file,
    "tree": scen_tree.tree_sync,
    "api": scen_api.api_rows,
    "net": scen_network.network_rows,
    "resp": scen_responsive.responsive_rows,
}
PROFILABLE = (
    "push_small",
    "pull_small",
    "push_big",
    "pull_big",
    "nochange",
    "changed",
    "get_projects",
    "ws_fanout",
    "resp",
    "net_push_50ms",
    "net_pull_50ms",
    "net_push_10ms",
    "net_pull_10ms",
)


def package_source() -> str:
    import aext_project_filebrowser_server

    return str(Path(aext_project_filebrowser_server.__file__).parent)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pfb_bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run (for CI)")
    parser.add_argument("--runs", type=int, help="runs per scenario (default 3; smoke 1)")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"groups to run, of {','.join(GROUPS)}"
    )
    parser.add_argument(
        "--profile",
        default="",
        help=f"attach py-spy to the server during our runs of these: {','.join(PROFILABLE)}",
    )
    parser.add_argument("--no-rclone", action="store_true", help="skip rclone and curl")
    parser.add_argument(
        "--rtt", help="round trips of the net group in ms, comma-separated (default 50,10)"
    )
    parser.add_argument("--work", type=Path, help="work dir (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "results",
        help="where JSON and Markdown results go (default benchmarks/results)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile: Profile = SMOKE if args.smoke else FULL
    if args.runs:
        profile = Profile(**{**profile.__dict__, "runs": args.runs})
    if args.rtt:
        rtts = tuple(float(x) for x in args.rtt.split(","))
        profile = Profile(**{**profile.__dict__, "net_rtts_ms": rtts})
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown groups: {', '.join(sorted(unknown))}")
    with_rclone = not args.no_rclone and shutil.which("rclone") is not None
    if not with_rclone and not args.no_rclone:
        print("rclone is not installed: the rclone and curl references are skipped", flush=True)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="pfb-bench-"))
    env: Env | None = None
    rows: list[Row] = []
    failures: list[str] = []
    load: dict[str, dict[str, float]] = {}
    try:
        api_projects = profile.api_projects if "api" in groups else 0
        env = build_env(profile, work, with_rclone, api_projects)
        env.profile_scenarios = frozenset(p for p in args.profile.split(",") if p)
        env.profiles_dir = args.out / "profiles"
        for group in groups:
            load_before = os.getloadavg()
            print(f"\n#### {group} (load average {load_before[0]:.2f})", flush=True)
            group_clock = time.perf_counter()
            try:
                new_rows = GROUPS[group](env)
            except Exception:
                traceback.print_exc()
                failures.append(group)
                continue
            for row in new_rows:
                print_row(row)
            rows.extend(new_rows)
            took = time.perf_counter() - group_clock
            load[group] = {"before": load_before[0], "after": os.getloadavg()[0], "seconds": took}
            print(f"#### {group} took {took:.1f} s (load average {os.getloadavg()[0]:.2f})")
    finally:
        cleanup(env, work, args.keep)
        stop_all()
    total = time.perf_counter() - clock
    extra = {
        "seconds": total,
        "failed_groups": failures,
        "profile": profile.__dict__,
        "load_average": load,
        "package": package_source(),
    }
    complete = set(groups) == set(GROUPS) and not args.profile and not failures
    json_path, md_path = write_results(
        rows, args.out, profile.name, started, extra, complete=complete
    )
    print("\n" + markdown_table(rows))
    print(f"\nwhole run: {total:.0f} s; results: {json_path} and {md_path}")
    if failures:
        print(f"FAILED groups: {', '.join(failures)}")
        return 1
    return 0
