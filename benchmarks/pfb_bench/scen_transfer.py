"""Initial push and pull of a tree of small files, and one big file both ways.

Per run, in this order: ours (WebSocket request → `completed`), rclone copy, curl PUT on one
connection, curl PUT with 8 in parallel, cp, sha256. Each run uses fresh destinations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from . import datagen, projects, references, wsclient
from .env import Env
from .procs import API_KEY, CpuUse, PeakRss
from .profiling import PySpy, summarize
from .report import Row, Series


@contextlib.contextmanager
def maybe_profile(env: Env, scenario: str, pid: int, label: str) -> Iterator[None]:
    """py-spy on the Jupyter server `pid` and on the replica while the block runs, when
    `scenario` was named in --profile; prints and saves a summary of each."""
    if scenario not in env.profile_scenarios:
        yield
        return
    targets = {"jupyter": pid, "replica": env.replica.pid}
    spies = {
        name: PySpy(target, env.profiles_dir / f"{scenario}-{label}-{name}")
        for name, target in targets.items()
    }
    with contextlib.ExitStack() as stack:
        for spy in spies.values():
            stack.enter_context(spy)
        yield
    for name, spy in spies.items():
        summary = summarize(spy.raw)
        spy.raw.with_suffix(".summary.txt").write_text(summary)
        print(f"   profile of the {name} during {label} ({spy.raw}):\n{summary}", flush=True)


def count_files(root: Path) -> int:
    return sum(
        1
        for p in root.rglob("*")
        if p.is_file() and ".aext-project" not in p.relative_to(root).parts
    )


def push_pull_small(env: Env) -> list[Row]:
    tree, runs = env.small, env.profile.runs
    paths = list(tree.paths)
    files = float(tree.files)
    ours_push = Series("extension push (Jupyter → replica)", "files/s", amount=files)
    ours_pull = Series("extension pull (replica → Jupyter)", "files/s", amount=files)
    rc_push = Series("rclone copy → webdav", "files/s", amount=files)
    rc_pull = Series("rclone copy ← webdav", "files/s", amount=files)
    curl1 = Series("curl PUT, 1 keep-alive connection", "files/s", amount=files)
    curl8 = Series("curl PUT --parallel 8", "files/s", amount=files)
    rep_put = Series("curl PUT to the replica (its ceiling), 1 connection", "files/s", amount=files)
    rep_get = Series(
        "curl GET from the replica (its ceiling), 1 connection", "files/s", amount=files
    )
    cp = Series("cp -a (disk floor)", "files/s", amount=files)
    sha = Series("sha256 streaming (hash floor)", "files/s", amount=files)
    cpu_notes: dict[str, list[str]] = {"push": [], "pull": []}
    for run in range(runs):
        key = f"small-{run}"
        project = env.projects[key]
        a_folder, b_folder = env.folder("A", key), env.folder("B", key)
        cp.samples.append(references.cp_into(tree.root, a_folder))
        with (
            CpuUse({"Jupyter": env.a.pid, "replica": env.replica.pid}) as push_cpu,
            maybe_profile(env, "push_small", env.a.pid, f"push-{run}"),
        ):
            push = wsclient.run_sync(env.a.url, env.token, "push", project.id)
        check_counts(push, "upload", tree.files)
        ours_push.samples.append(push.seconds)
        with (
            CpuUse({"Jupyter": env.b.pid, "replica": env.replica.pid}) as pull_cpu,
            maybe_profile(env, "pull_small", env.b.pid, f"pull-{run}"),
        ):
            pull = wsclient.run_sync(env.b.url, env.token, "pull", project.id)
        check_counts(pull, "download", tree.files)
        if count_files(b_folder) != tree.files:
            raise RuntimeError(f"pull of {key}: {count_files(b_folder)} files, not {tree.files}")
        ours_pull.samples.append(pull.seconds)
        sha.samples.append(references.sha256_tree([tree.root / p for p in paths]))
        rep_put.samples.append(replica_ceiling(env, tree.root, paths, run, upload=True))
        rep_get.samples.append(replica_ceiling(env, tree.root, paths, run, upload=False))
        if env.rclone is not None and env.webdav is not None:
            remote, pulled = f"rc-small-{run}", env.work / "rc" / key
            rc_push.samples.append(env.rclone.push(tree.root, remote).seconds)
            rc_pull.samples.append(env.rclone.pull(remote, pulled).seconds)
            for series, parallel in ((curl1, 0), (curl8, 8)):
                dest = f"curl{parallel}-small-{run}"
                url = f"{env.webdav.url}/{dest}"
                references.mkcol_tree(paths, url)
                config = env.work / "curl.cfg"
                series.samples.append(references.curl_put(tree.root, paths, url, config, parallel))
                references.remove(env.webdav_root / dest)
            references.remove(env.work / "rc" / key)
            references.remove(env.webdav_root / f"rc-small-{run}")
        cpu_notes["push"].append(push_cpu.text())
        cpu_notes["pull"].append(pull_cpu.text())
        print(
            f"   run {run + 1}/{runs}: push {push.seconds:.2f} s ({push_cpu.text()}), "
            f"pull {pull.seconds:.2f} s ({pull_cpu.text()})",
            flush=True,
        )
    push_rate = ours_push.value(ours_push.median)
    push_row = Row(
        "push_small",
        f"initial push of {tree.files} files ({tree.bytes / 1e6:.0f} MB, "
        f"{env.profile.small_folders} folders)",
        ours_push,
        [rc_push, curl1, curl8, rep_put, cp, sha],
        "≥ 300 files/s, ≥ 10x rclone, ≥ 50 % of curl on 1 connection",
        notes=[f"run {i + 1}: {text}" for i, text in enumerate(cpu_notes["push"])],
    )
    checks = [push_rate >= 300]
    if rc_push.samples:
        checks.append((push_row.ratio(rc_push) or 0) >= 10)
    if curl1.samples:
        checks.append(push_rate >= 0.5 * curl1.value(curl1.median))
    push_row.met = all(checks)
    pull_row = Row(
        "pull_small",
        f"initial pull of the same {tree.files} files into an empty folder",
        ours_pull,
        [rc_pull, rep_get, cp, sha],
        "≥ 300 files/s",
        met=ours_pull.value(ours_pull.median) >= 300,
        notes=[f"run {i + 1}: {text}" for i, text in enumerate(cpu_notes["pull"])],
    )
    return [push_row, pull_row]


def replica_ceiling(env: Env, source: Path, paths: list[str], run: int, *, upload: bool) -> float:
    """curl straight to the replica: a new cloud project receives the files (upload), or
    the files are fetched back from it into a scratch folder (download)."""
    if upload:
        with projects.cloud_client(env.replica.url) as http:
            project = projects.create_cloud_project(http, f"curl-{run}")
        env.notes[f"curl-project-{run}"] = project.id
    project_id = str(env.notes[f"curl-project-{run}"])
    files_url = f"{env.replica.url}/api/projects/{project_id}/files"
    target = source if upload else env.work / "curl-get" / str(run)
    seconds = references.curl_replica(
        target, paths, files_url, API_KEY, env.work / "curl-replica.cfg", upload=upload
    )
    if not upload:
        references.remove(target)
    return seconds


def check_counts(result: wsclient.RunResult, kind: str, expected: int) -> None:
    counts = result.counts()
    if counts.get(kind) != expected or len(counts) != 1:
        raise RuntimeError(f"expected {expected} x {kind}, the run did {counts}")


def blob_of(env: Env, sha256: str) -> Path:
    return env.work / "replica" / "blobs" / sha256[:2] / sha256


def big_file(env: Env) -> list[Row]:
    size, runs = env.big.stat().st_size, env.profile.runs
    amount = float(size)
    ours_push = Series("extension push (Jupyter → replica)", "MB/s", amount=amount)
    ours_pull = Series("extension pull (replica → Jupyter)", "MB/s", amount=amount)
    rc_push = Series("rclone copy → webdav", "MB/s", amount=amount)
    rc_pull = Series("rclone copy ← webdav", "MB/s", amount=amount)
    curl1 = Series("curl PUT", "MB/s", amount=amount)
    cp = Series("cp (disk floor)", "MB/s", amount=amount)
    dd = Series("dd conv=fsync (durable disk floor)", "MB/s", amount=amount)
    sha = Series("sha256 streaming (hash floor)", "MB/s", amount=amount)
    mem = {
        name: Series(name, "MiB")
        for name in (
            "Jupyter server, push",
            "replica, push",
            "Jupyter server, pull",
            "replica, pull",
            "rclone client (whole process), push",
            "rclone serve webdav, push",
            "rclone client (whole process), pull",
            "rclone serve webdav, pull",
        )
    }
    cpu_notes: dict[str, list[str]] = {"push": [], "pull": []}
    for run in range(runs):
        key = f"big-{run}"
        project = env.projects[key]
        datagen.stamp_big_file(env.big, f"pfb-bench {key} {project.id}")
        a_file = env.folder("A", key) / env.big.name
        b_file = env.folder("B", key) / env.big.name
        durable = env.work / "dd-copy.bin"
        dd.samples.append(
            references.timed_command(
                ["dd", f"if={env.big}", f"of={durable}", "bs=4M", "conv=fsync", "status=none"]
            )
        )
        references.remove(durable)
        cp.samples.append(references.timed_command(["cp", str(env.big), str(a_file)]))
        sha.samples.append(references.sha256_tree([env.big]))
        with (
            PeakRss(env.a.pid) as a_mem,
            PeakRss(env.replica.pid) as r_mem,
            CpuUse({"Jupyter": env.a.pid, "replica": env.replica.pid}) as push_cpu,
            maybe_profile(env, "push_big", env.a.pid, f"push-{run}"),
        ):
            push = wsclient.run_sync(env.a.url, env.token, "push", project.id)
        check_counts(push, "upload", 1)
        ours_push.samples.append(push.seconds)
        mem["Jupyter server, push"].samples.append(a_mem.growth_mib)
        mem["replica, push"].samples.append(r_mem.growth_mib)
        a_file.unlink()
        with (
            PeakRss(env.b.pid) as b_mem,
            PeakRss(env.replica.pid) as r_mem,
            CpuUse({"Jupyter": env.b.pid, "replica": env.replica.pid}) as pull_cpu,
            maybe_profile(env, "pull_big", env.b.pid, f"pull-{run}"),
        ):
            pull = wsclient.run_sync(env.b.url, env.token, "pull", project.id)
        check_counts(pull, "download", 1)
        if b_file.stat().st_size != size:
            raise RuntimeError(f"pull of {key}: {b_file.stat().st_size} bytes, not {size}")
        ours_pull.samples.append(pull.seconds)
        mem["Jupyter server, pull"].samples.append(b_mem.growth_mib)
        mem["replica, pull"].samples.append(r_mem.growth_mib)
        b_file.unlink()
        sha256 = references.sha256_hex(env.big)
        references.remove(blob_of(env, sha256))  # keep the disk use modest
        if env.rclone is not None and env.webdav is not None:
            remote = f"rc-big-{run}"
            with PeakRss(env.webdav.pid) as dav_mem:
                command = env.rclone.push(env.big, remote)
            rc_push.samples.append(command.seconds)
            mem["rclone client (whole process), push"].samples.append(command.max_rss_mib)
            mem["rclone serve webdav, push"].samples.append(dav_mem.growth_mib)
            dest = env.work / "rc" / key
            with PeakRss(env.webdav.pid) as dav_mem:
                command = env.rclone.pull(remote, dest)
            rc_pull.samples.append(command.seconds)
            mem["rclone client (whole process), pull"].samples.append(command.max_rss_mib)
            mem["rclone serve webdav, pull"].samples.append(dav_mem.growth_mib)
            references.remove(dest)
            references.remove(env.webdav_root / remote)
            curl_dest = f"curl-big-{run}"
            references.mkcol_tree([env.big.name], f"{env.webdav.url}/{curl_dest}")
            curl1.samples.append(
                references.curl_put(
                    env.big.parent,
                    [env.big.name],
                    f"{env.webdav.url}/{curl_dest}",
                    env.work / "curl.cfg",
                )
            )
            references.remove(env.webdav_root / curl_dest)
        cpu_notes["push"].append(push_cpu.text())
        cpu_notes["pull"].append(pull_cpu.text())
        print(
            f"   run {run + 1}/{runs}: push {push.seconds:.2f} s "
            f"(+{a_mem.growth_mib:.1f} MiB Jupyter, {push_cpu.text()}), pull {pull.seconds:.2f} s "
            f"(+{b_mem.growth_mib:.1f} MiB Jupyter, {pull_cpu.text()})",
            flush=True,
        )
    mib = size / 2**20
    rate_ok = not rc_push.samples or (
        ours_push.value(ours_push.median) >= rc_push.value(rc_push.median)
    )
    push_row = Row(
        "push_big",
        f"push of one {mib:.0f} MiB file",
        ours_push,
        [rc_push, curl1, cp, dd, sha],
        "≥ rclone's throughput",
        met=rate_ok,
        notes=[f"run {i + 1}: {text}" for i, text in enumerate(cpu_notes["push"])],
    )
    pull_ok = not rc_pull.samples or (
        ours_pull.value(ours_pull.median) >= rc_pull.value(rc_pull.median)
    )
    pull_row = Row(
        "pull_big",
        f"pull of one {mib:.0f} MiB file",
        ours_pull,
        [rc_pull, cp, dd, sha],
        "≥ rclone's throughput",
        met=pull_ok,
        notes=[f"run {i + 1}: {text}" for i, text in enumerate(cpu_notes["pull"])],
    )
    rows = [push_row, pull_row]
    for side in ("push", "pull"):
        for ours_name, ref_name in (
            (f"Jupyter server, {side}", f"rclone client (whole process), {side}"),
            (f"replica, {side}", f"rclone serve webdav, {side}"),
        ):
            ours = mem[ours_name]
            refs = [mem[ref_name]] if mem[ref_name].samples else []
            rows.append(
                Row(
                    f"rss_{side}_{ours_name.split(',')[0].split()[0].lower()}",
                    f"{mib:.0f} MiB {side}: peak RSS growth of the {ours_name.split(',')[0]}",
                    ours,
                    refs,
                    "< 64 MiB",
                    met=max(ours.samples) < 64,
                )
            )
    return rows
