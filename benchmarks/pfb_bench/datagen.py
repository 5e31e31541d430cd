"""Deterministic test data: trees of random (incompressible) files and one big file."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

BIG_CHUNK = 16 * 1024 * 1024


@dataclass(frozen=True)
class Tree:
    root: Path
    files: int
    bytes: int
    paths: tuple[str, ...]


def make_tree(
    root: Path, count: int, folders: int, min_size: int, max_size: int, seed: int
) -> Tree:
    """`count` files spread over `folders` folders (two levels), sizes in [min, max]."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for i in range(count):
        folder = i % folders
        rel = f"group-{folder // 10:02d}/folder-{folder:03d}/file-{i:05d}.bin"
        size = rng.randint(min_size, max_size)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(size))
        paths.append(rel)
        total += size
    return Tree(root, count, total, tuple(paths))


def make_big_file(path: Path, size: int, seed: int) -> Path:
    """One file of `size` random bytes, written in 16 MiB chunks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    block = rng.randbytes(BIG_CHUNK)
    with path.open("wb") as f:
        remaining = size
        n = 0
        while remaining > 0:
            # A different block each time (xor with a counter prefix), so nothing repeats.
            piece = n.to_bytes(8, "little") + block[8 : min(BIG_CHUNK, remaining)]
            f.write(piece[:remaining])
            remaining -= len(piece[:remaining])
            n += 1
    return path


def stamp_big_file(path: Path, label: str) -> None:
    """Make the file's content unique to one run (the replica stores blobs by hash)."""
    with path.open("r+b") as f:
        f.write(label.encode().ljust(64, b" ")[:64])
        f.flush()
        os.fsync(f.fileno())


def change_files(root: Path, paths: list[str], seed: int) -> int:
    """Rewrite each of `paths` with new random bytes of the same size; returns bytes."""
    rng = random.Random(seed)
    total = 0
    for rel in paths:
        target = root / rel
        size = target.stat().st_size
        target.write_bytes(rng.randbytes(size))
        total += size
    return total


def pick_changed(paths: tuple[str, ...], count: int, run: int) -> list[str]:
    """`count` paths spread evenly over the tree, a different set for each run."""
    step = max(1, len(paths) // count)
    return [paths[(i * step + run) % len(paths)] for i in range(count)]
