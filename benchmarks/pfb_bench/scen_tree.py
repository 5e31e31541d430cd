"""Syncing a large tree again: nothing changed, then a few files changed.

Ours: project "tree" of server A, first synced once (untimed for the table, reported as a
note), then `sync` requests. rclone: `bisync` between a local copy and the same tree on the
webdav server (both made with cp before the server started, then one `--resync`), with the
same files changed to the same bytes.
"""

from __future__ import annotations

from . import datagen, references, wsclient
from .env import Env
from .procs import CpuUse
from .report import Row, Series
from .scen_transfer import check_counts, maybe_profile


def tree_sync(env: Env) -> list[Row]:
    tree, runs, changed = env.tree, env.profile.runs, env.profile.tree_changed
    project = env.projects["tree"]
    folder = env.folder("A", "tree")
    references.cp_into(tree.root, folder)
    with CpuUse({"Jupyter": env.a.pid, "replica": env.replica.pid}) as cpu:
        first = wsclient.run_sync(env.a.url, env.token, "sync", project.id)
    check_counts(first, "upload", tree.files)
    notes = [
        f"first sync (initial upload of {tree.files} files): {first.seconds:.2f} s "
        f"= {tree.files / first.seconds:.0f} files/s ({cpu.text()})"
    ]
    print(f"   {notes[0]}", flush=True)
    rc_local = env.work / "rc" / "tree-local"
    if env.rclone is not None:
        resync = env.rclone.bisync(rc_local, "tree", resync=True)
        notes.append(f"rclone bisync --resync of the identical trees: {resync:.2f} s")

    none = Series(f"extension sync, {tree.files} files, nothing changed", "s")
    walk = Series("os.scandir + os.stat walk (floor)", "s")
    bisync_none = Series("rclone bisync, nothing changed", "s")
    for run in range(runs):
        with (
            CpuUse({"Jupyter": env.a.pid, "replica": env.replica.pid}) as cpu,
            maybe_profile(env, "nochange", env.a.pid, f"nochange-{run}"),
        ):
            result = wsclient.run_sync(env.a.url, env.token, "sync", project.id)
        notes.append(f"no-change run {run + 1}: {cpu.text()}")
        if result.counts():
            raise RuntimeError(f"a no-change sync did {result.counts()}")
        none.samples.append(result.seconds)
        seconds, _ = references.scandir_walk(folder)
        walk.samples.append(seconds)
        if env.rclone is not None:
            bisync_none.samples.append(env.rclone.bisync(rc_local, "tree"))
        print(f"   no-change run {run + 1}/{runs}: {result.seconds:.3f} s", flush=True)

    some = Series(f"extension sync, {changed} of {tree.files} files changed", "s")
    bisync_some = Series(f"rclone bisync, {changed} changed", "s")
    curl_some = Series(f"curl PUT of the {changed} files, 1 connection", "s")
    changed_notes: list[str] = []
    for run in range(runs):
        paths = datagen.pick_changed(tree.paths, changed, run)
        datagen.change_files(folder, paths, seed=1000 + run)
        with (
            CpuUse({"Jupyter": env.a.pid, "replica": env.replica.pid}) as cpu,
            maybe_profile(env, "changed", env.a.pid, f"changed-{run}"),
        ):
            result = wsclient.run_sync(env.a.url, env.token, "sync", project.id)
        changed_notes.append(f"run {run + 1}: {cpu.text()}")
        check_counts(result, "upload", changed)
        some.samples.append(result.seconds)
        if env.rclone is not None and env.webdav is not None:
            datagen.change_files(rc_local, paths, seed=1000 + run)
            bisync_some.samples.append(env.rclone.bisync(rc_local, "tree"))
            dest = f"curl-changed-{run}"
            references.mkcol_tree(paths, f"{env.webdav.url}/{dest}")
            curl_some.samples.append(
                references.curl_put(folder, paths, f"{env.webdav.url}/{dest}", env.work / "c.cfg")
            )
            references.remove(env.webdav_root / dest)
        print(f"   changed run {run + 1}/{runs}: {result.seconds:.3f} s", flush=True)

    none_row = Row(
        "nochange",
        f"no-change sync of {tree.files} files ({tree.files // env.profile.tree_folders} per "
        f"folder, {env.profile.tree_folders} folders), after a first sync",
        none,
        [bisync_none, walk],
        "≤ 0.3 s and ≤ 0.15x rclone bisync",
        notes=notes,
    )
    checks = [none.median <= 0.3]
    if bisync_none.samples:
        checks.append(none.median <= 0.15 * bisync_none.median)
    none_row.met = all(checks)
    some_row = Row(
        "changed",
        f"sync with {changed} of {tree.files} files changed",
        some,
        [bisync_some, curl_some],
        "≤ 1 s",
        met=some.median <= 1.0,
        notes=changed_notes,
    )
    return [none_row, some_row]
