"""Push and pull of the small-file tree through a link with a real round-trip time.

For each round trip of the profile (50 ms, 10 ms) one user-space link (`netem.py`) goes in
front of the replica and one in front of rclone's webdav server, so both tools pay the
same latency. Two Jupyter servers talk to the replica through the link: C pushes its
project folder, D pulls the same cloud project into an empty folder, as a second machine
would. rclone copies the same tree both ways with its defaults (4 transfers) and with
`--transfers 16`. Servers and links are stopped at the end of each round trip.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from . import projects, references, wsclient
from .env import Env
from .procs import CpuUse, Proc, start_jupyter, start_netem
from .report import Row, Series
from .scen_transfer import check_counts, count_files, maybe_profile

RCLONE_WIDE = ("--transfers", "16")


def network_rows(env: Env) -> list[Row]:
    rows: list[Row] = []
    for rtt in env.profile.net_rtts_ms:
        rows += _through_link(env, rtt)
    return rows


def _start_servers(env: Env, rtt: float, cloud_url: str) -> tuple[Proc, Proc, list[str]]:
    """Servers C (push) and D (pull) with one cloud project per run."""
    label = f"{rtt:g}ms"
    keys = [f"net{label}-{run}" for run in range(env.profile.runs)]
    with projects.cloud_client(env.replica.url) as http:
        made = {key: projects.create_cloud_project(http, key) for key in keys}
    for side in ("C", "D"):
        home = env.work / f"{side}{label}"
        folders = [(made[k], home / "root" / "projects" / k) for k in keys]
        projects.prepare_store(home / "store.db", folders)
    with ThreadPoolExecutor(2) as pool:
        started = [
            pool.submit(
                start_jupyter,
                f"{side}{label}",
                env.work / f"{side}{label}",
                env.work / f"{side}{label}" / "root",
                env.work / f"{side}{label}" / "store.db",
                cloud_url,
                env.token,
            )
            for side in ("C", "D")
        ]
        c, d = (f.result() for f in started)
    for key, project in made.items():
        env.projects[key] = project
    return c, d, keys


def _through_link(env: Env, rtt: float) -> list[Row]:
    tree, runs, logs = env.small, env.profile.runs, env.work / "logs"
    files = float(tree.files)
    label = f"{rtt:g}ms"
    link = start_netem(f"replica-{label}", env.replica.url, rtt, logs)
    dav_link = start_netem(f"webdav-{label}", env.webdav.url, rtt, logs) if env.webdav else None
    c, d, keys = _start_servers(env, rtt, link.url)
    ours_push = Series("extension push (Jupyter → link → replica)", "files/s", amount=files)
    ours_pull = Series("extension pull (replica → link → Jupyter)", "files/s", amount=files)
    rc_push = Series("rclone copy → link → webdav (defaults)", "files/s", amount=files)
    rc_pull = Series("rclone copy ← link ← webdav (defaults)", "files/s", amount=files)
    wide_push = Series("rclone copy --transfers 16 → link → webdav", "files/s", amount=files)
    wide_pull = Series("rclone copy --transfers 16 ← link ← webdav", "files/s", amount=files)
    notes: list[str] = []
    rclone = references.Rclone(env.work / f"rc-{label}", dav_link.url) if dav_link else None
    try:
        for run, key in enumerate(keys):
            project = env.projects[key]
            c_folder = env.work / f"C{label}" / "root" / "projects" / key
            d_folder = env.work / f"D{label}" / "root" / "projects" / key
            references.cp_into(tree.root, c_folder)
            with (
                CpuUse({"Jupyter": c.pid, "replica": env.replica.pid}) as push_cpu,
                maybe_profile(env, f"net_push_{label}", c.pid, f"push-{run}"),
            ):
                push = wsclient.run_sync(c.url, env.token, "push", project.id)
            check_counts(push, "upload", tree.files)
            ours_push.samples.append(push.seconds)
            with (
                CpuUse({"Jupyter": d.pid, "replica": env.replica.pid}) as pull_cpu,
                maybe_profile(env, f"net_pull_{label}", d.pid, f"pull-{run}"),
            ):
                pull = wsclient.run_sync(d.url, env.token, "pull", project.id)
            check_counts(pull, "download", tree.files)
            if count_files(d_folder) != tree.files:
                raise RuntimeError(f"pull of {key}: {count_files(d_folder)} files")
            ours_pull.samples.append(pull.seconds)
            network = _network_note(push), _network_note(pull)
            notes.append(
                f"run {run + 1}: push {push_cpu.text()}{network[0]}; "
                f"pull {pull_cpu.text()}{network[1]}"
            )
            if rclone is not None:
                for series_push, series_pull, extra in (
                    (rc_push, rc_pull, ()),
                    (wide_push, wide_pull, RCLONE_WIDE),
                ):
                    remote = f"rc-net-{label}-{run}-{len(extra)}"
                    pulled = env.work / f"rc-{label}" / remote
                    series_push.samples.append(rclone.push(tree.root, remote, *extra).seconds)
                    series_pull.samples.append(rclone.pull(remote, pulled, *extra).seconds)
                    references.remove(pulled)
                    references.remove(env.webdav_root / remote)
            print(
                f"   {label} run {run + 1}/{runs}: push {push.seconds:.2f} s, "
                f"pull {pull.seconds:.2f} s",
                flush=True,
            )
    finally:
        for proc in (c, d, link, dav_link):
            if proc is not None:
                proc.stop()
    return [
        _row(
            f"net_push_small_{label}",
            f"push of {tree.files} small files, {label} round trip",
            ours_push,
            rc_push,
            wide_push,
            rtt,
            notes,
        ),
        _row(
            f"net_pull_small_{label}",
            f"pull of {tree.files} small files, {label} round trip",
            ours_pull,
            rc_pull,
            wide_pull,
            rtt,
            [],
        ),
    ]


def _network_note(result: wsclient.RunResult) -> str:
    """What the run's summary says about its time waiting on the cloud."""
    network = result.message.get("summary", {}).get("network")
    if not network:
        return ""
    return (
        f", {network['waiting_s']:.2f} of {network['seconds']:.2f} s waiting on the cloud, "
        f"up to {network['max_in_flight']} files in flight"
    )


def _row(
    key: str,
    title: str,
    ours: Series,
    defaults: Series,
    wide: Series,
    rtt: float,
    notes: list[str],
) -> Row:
    """Targets (issue 18): at 50 ms ≥ 250 files/s; at any round trip ≥ 10x rclone's
    defaults and ≥ 2x rclone with 16 transfers."""
    row = Row(
        key,
        title,
        ours,
        [s for s in (defaults, wide) if s.samples] or [defaults, wide],
        ("≥ 250 files/s, " if rtt >= 50 else "") + "≥ 10x rclone defaults, ≥ 2x --transfers 16",
        notes=notes,
    )
    checks = [ours.value(ours.median) >= 250] if rtt >= 50 else []
    if defaults.samples:
        checks.append((row.ratio(defaults) or 0) >= 10)
    if wide.samples:
        checks.append((row.ratio(wide) or 0) >= 2)
    row.met = all(checks) if checks else None
    return row
