"""The reference tools, each timed on the same files: rclone against `rclone serve webdav`,
curl PUTs to that same server, `cp`, streaming sha256, and an os.scandir + os.stat walk."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .procs import rclone_bin

HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Command:
    seconds: float
    max_rss_mib: float  # the process's peak resident memory


def run_command(args: list[str]) -> Command:
    """Run a command to completion: its wall time and peak RSS. Raises if it failed."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        _, status, usage = os.wait4(popen.pid, 0)
        seconds = time.perf_counter() - started
        popen.returncode = os.waitstatus_to_exitcode(status)
        if popen.returncode != 0:
            err.seek(0)
            text = err.read()[-2000:].decode(errors="replace")
            raise RuntimeError(f"{' '.join(args[:4])}... failed ({popen.returncode}): {text}")
    return Command(seconds, usage.ru_maxrss / 1024)


def timed_command(args: list[str]) -> float:
    return run_command(args).seconds


class Rclone:
    """rclone with a config naming the loopback webdav server `dav:`."""

    def __init__(self, work: Path, webdav_url: str) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.config = work / "rclone.conf"
        # `dav:` is a plain webdav server (vendor "other": what rclone assumes of an unknown
        # server). bisync needs settable modification times, which rclone's webdav backend
        # offers only for some vendors: `davmt:` is the same server as vendor "owncloud"
        # (X-OC-Mtime, which `rclone serve webdav` honours).
        self.config.write_text(
            f"[dav]\ntype = webdav\nurl = {webdav_url}\nvendor = other\n\n"
            f"[davmt]\ntype = webdav\nurl = {webdav_url}\nvendor = owncloud\n"
        )
        self.bisync_dir = work / "bisync"
        self.bin = rclone_bin()

    def _args(self, *args: str) -> list[str]:
        return [self.bin, "--config", str(self.config), "-q", *args]

    def push(self, source: Path, remote_dir: str, *extra: str) -> Command:
        return run_command(self._args("copy", *extra, str(source), f"dav:{remote_dir}"))

    def pull(self, remote_dir: str, dest: Path, *extra: str) -> Command:
        return run_command(self._args("copy", *extra, f"dav:{remote_dir}", str(dest)))

    def bisync(self, local: Path, remote_dir: str, *, resync: bool = False) -> float:
        extra = ["--resync"] if resync else []
        remote = f"davmt:{remote_dir}"
        workdir = ["--workdir", str(self.bisync_dir)]
        return timed_command(self._args("bisync", str(local), remote, *workdir, *extra))


def curl_put(
    source: Path, paths: list[str], base_url: str, config_file: Path, parallel: int = 0
) -> float:
    """PUT each file with one curl process: sequential transfers reuse one keep-alive
    connection; `parallel` > 0 runs that many at once (`--parallel --parallel-max N`)."""
    lines = []
    for rel in paths:
        lines.append(f'upload-file = "{source / rel}"')
        lines.append(f'url = "{base_url}/{rel}"')
        lines.append('output = "/dev/null"')
    config_file.write_text("\n".join(lines) + "\n")
    args = ["curl", "-sS", "--fail", "-H", "Expect:", "-K", str(config_file)]
    if parallel:
        args += ["--parallel", "--parallel-max", str(parallel)]
    return timed_command(args)


def curl_replica(
    source: Path,
    paths: list[str],
    files_url: str,
    api_key: str,
    config_file: Path,
    *,
    upload: bool,
) -> float:
    """The replica's own ceiling: one curl process, one keep-alive connection, every file
    PUT as the extension sends it (multipart, `If-None-Match: *`), or GET into `source`."""
    lines = []
    for rel in paths:
        lines.append(f'url = "{files_url}/{rel}"')
        if upload:
            lines += ['request = "PUT"', f'form = "files=@{source / rel}"']
            lines.append('header = "If-None-Match: *"')
            lines.append('output = "/dev/null"')
        else:
            lines += [f'output = "{source / rel}"', "create-dirs"]
        lines += [f'header = "Authorization: Bearer {api_key}"', 'header = "Expect:"']
        lines += ["fail", "silent", "show-error", "next"]
    config_file.write_text("\n".join(lines[:-1]) + "\n")
    return timed_command(["curl", "-K", str(config_file)])


def mkcol_tree(source_paths: list[str], dest_url: str) -> None:
    """MKCOL the destination and every folder of `source_paths` under it (a webdav PUT
    needs its parent folder; done over HTTP so the server's directory cache sees it)."""
    folders = {""}
    for rel in source_paths:
        parts = rel.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    with httpx.Client(timeout=30) as http:
        for folder in sorted(folders, key=lambda f: (f.count("/"), f)):
            url = f"{dest_url}/{folder}" if folder else dest_url
            answer = http.request("MKCOL", url)
            if answer.status_code not in (201, 405):  # 405: it exists already
                raise RuntimeError(f"MKCOL {url}: {answer.status_code}")


def cp_tree(source: Path, dest: Path) -> float:
    """`cp -a SOURCE DEST` (dest must not exist; its parent is created)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return timed_command(["cp", "-a", str(source), str(dest)])


def cp_into(source: Path, dest: Path) -> float:
    """`cp -a SOURCE/. DEST` into an existing folder."""
    return timed_command(["cp", "-a", f"{source}/.", str(dest)])


def sha256_tree(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
        digest.hexdigest()
    return time.perf_counter() - started


def sha256_hex(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scandir_walk(root: Path) -> tuple[float, int]:
    """os.scandir + stat of every entry; returns (seconds, files)."""
    started = time.perf_counter()
    count = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat(follow_symlinks=False)
                    count += 1
    return time.perf_counter() - started, count


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
