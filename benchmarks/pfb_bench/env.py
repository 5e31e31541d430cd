"""The benchmark's world: data, the replica, two Jupyter servers, the webdav server, rclone.

Server A pushes (its project folders hold the data); server B pulls the same cloud projects
into empty folders, as a second machine would. Both stores are written before the servers
start. Everything lives under one work dir, removed at the end unless --keep.
"""

from __future__ import annotations

import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import datagen, projects, references
from .config import Profile
from .procs import Proc, start_jupyter, start_replica, start_webdav
from .projects import BenchProject
from .report import Row


@dataclass
class Env:
    profile: Profile
    work: Path
    token: str
    replica: Proc
    a: Proc
    b: Proc
    webdav: Proc | None
    rclone: references.Rclone | None
    small: datagen.Tree
    tree: datagen.Tree
    big: Path
    projects: dict[str, BenchProject]
    rows: list[Row] = field(default_factory=list)
    profile_scenarios: frozenset[str] = frozenset()
    profiles_dir: Path = Path("profiles")
    api_projects: list[BenchProject] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)

    def folder(self, side: str, key: str) -> Path:
        return self.work / side / "root" / "projects" / key

    @property
    def webdav_root(self) -> Path:
        return self.work / "webdav"

    def stop(self) -> None:
        for proc in (self.a, self.b, self.webdav, self.replica):
            if proc is not None:
                proc.stop()


def project_keys(profile: Profile) -> tuple[list[str], list[str]]:
    """(keys pushed by A and pulled by B, keys only A syncs)."""
    shared = [f"small-{i}" for i in range(profile.runs)] + [f"big-{i}" for i in range(profile.runs)]
    return shared, ["tree"]


def make_data(profile: Profile, work: Path) -> tuple[datagen.Tree, datagen.Tree, Path]:
    started = time.perf_counter()
    data = work / "data"
    small = datagen.make_tree(
        data / "small",
        profile.small_files,
        profile.small_folders,
        profile.small_min,
        profile.small_max,
        seed=1,
    )
    tree = datagen.make_tree(
        data / "tree",
        profile.tree_files,
        profile.tree_folders,
        profile.tree_size,
        profile.tree_size,
        seed=2,
    )
    big = datagen.make_big_file(data / "big" / "big.bin", profile.big_bytes, seed=3)
    print(
        f"data: {small.files} files ({small.bytes / 1e6:.1f} MB), {tree.files} files "
        f"({tree.bytes / 1e6:.1f} MB), one file of {profile.big_bytes / 2**20:.0f} MiB "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return small, tree, big


def build_env(profile: Profile, work: Path, with_rclone: bool, api_projects: int = 0) -> Env:
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    small, tree, big = make_data(profile, work)
    if with_rclone:
        # The rclone side of the no-change sync starts from identical copies on both sides,
        # made on disk before the webdav server starts (so its directory cache sees them).
        references.cp_tree(tree.root, work / "webdav" / "tree")
        references.cp_tree(tree.root, work / "rc" / "tree-local")
    replica = start_replica(work / "replica", logs)
    shared, a_only = project_keys(profile)
    with projects.cloud_client(replica.url) as http:
        made = {key: projects.create_cloud_project(http, key) for key in [*shared, *a_only]}
        # Server B's store also holds the projects of the REST/WebSocket scenarios.
        api = {
            f"api{i}": projects.create_cloud_project(http, f"api{i}") for i in range(api_projects)
        }
    token = secrets.token_hex(16)
    projects.prepare_store(
        work / "A" / "store.db", [(made[k], work / "A" / "root" / "projects" / k) for k in made]
    )
    b_entries = [(made[k], work / "B" / "root" / "projects" / k) for k in shared]
    b_entries += [(p, work / "B" / "root" / "projects" / k) for k, p in api.items()]
    projects.prepare_store(work / "B" / "store.db", b_entries)
    started = time.perf_counter()
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(
                start_jupyter,
                side,
                work / side,
                work / side / "root",
                work / side / "store.db",
                replica.url,
                token,
            )
            for side in ("A", "B")
        ]
        dav_future = pool.submit(start_webdav, work / "webdav", logs) if with_rclone else None
        a, b = (f.result() for f in futures)
        webdav = dav_future.result() if dav_future else None
    print(f"servers up in {time.perf_counter() - started:.1f} s", flush=True)
    rclone = references.Rclone(work / "rc", webdav.url) if webdav else None
    env = Env(profile, work, token, replica, a, b, webdav, rclone, small, tree, big, made)
    env.api_projects = list(api.values())
    return env


def cleanup(env: Env | None, work: Path, keep: bool) -> None:
    if env is not None:
        env.stop()
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
