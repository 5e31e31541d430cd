"""Rows of the results table: our figure, the references, ratios, min and median; printed as
text while the benchmark runs, and written as JSON and a Markdown table at the end.

Conventions. A *timed* series holds one wall time per run and the work each run did (files
or bytes); it is shown as a rate (files/s, MB/s) or as seconds. A *latency* series holds
many request latencies and is shown as p50 / p99. "x speed" of a reference is
reference time ÷ our time (median over runs; p50 for latencies): above 1 we are faster.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

Unit = Literal["files/s", "MB/s", "s", "ms", "MiB"]


@dataclass
class Series:
    label: str
    unit: Unit
    samples: list[float] = field(default_factory=list)  # seconds per run, or ms / MiB values
    amount: float = 0.0  # files or bytes per run, for rates
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
        return ordered[index]

    def value(self, seconds: float) -> float:
        if self.unit == "files/s":
            return self.amount / seconds
        if self.unit == "MB/s":
            return self.amount / seconds / 1e6
        return seconds

    def text(self) -> str:
        if not self.samples:
            return "n/a"
        runs = len(self.samples)
        if self.unit in ("files/s", "MB/s"):
            return (
                f"{self.value(self.median):,.0f} {self.unit} (best {self.value(self.best):,.0f};"
                f" median {self.median:.2f} s, min {self.best:.2f} s; n={runs})"
            )
        if self.unit == "s":
            return f"{self.median:.3f} s (min {self.best:.3f} s; n={runs})"
        if self.unit == "ms":
            return (
                f"p50 {self.pct(50):.1f} ms, p99 {self.pct(99):.1f} ms "
                f"(min {self.best:.1f}, max {max(self.samples):.1f}; n={runs})"
            )
        return f"{max(self.samples):.1f} MiB max (min {self.best:.1f}; n={runs})"

    def typical(self) -> float:
        """The figure ratios are taken on: median time, p50 latency, max memory."""
        if self.unit == "ms":
            return self.pct(50)
        if self.unit == "MiB":
            return max(self.samples)
        return self.median


@dataclass
class Row:
    key: str
    title: str
    ours: Series
    refs: list[Series]
    target: str
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    def ratio(self, ref: Series) -> float | None:
        """How many times faster (or leaner) we are than `ref` (>1: better)."""
        if not ref.samples or not self.ours.samples:
            return None
        ours, theirs = self.ours.typical(), ref.typical()
        if self.ours.unit == "MiB":
            if max(ours, theirs) < 1:
                return None  # both within noise: no meaningful ratio
            ours = max(ours, 1.0)  # below 1 MiB is noise: count it as 1 MiB
        if ref.unit in ("files/s", "MB/s") and ref.amount != self.ours.amount:
            # Different work: compare rates.
            return ref_rate_ratio(self.ours, ref)
        return theirs / ours if ours > 0 else math.inf


def ref_rate_ratio(ours: Series, ref: Series) -> float:
    return ours.value(ours.median) / ref.value(ref.median)


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def met_text(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[met]


def print_row(row: Row) -> None:
    print(f"\n== {row.title}", flush=True)
    print(f"   ours: {row.ours.label}: {row.ours.text()}")
    for ref in row.refs:
        print(f"   ref:  {ref.label}: {ref.text()}   ours vs ref: {fmt_ratio(row.ratio(ref))}")
    print(f"   target: {row.target} -> met: {met_text(row.met)}")
    for note in row.notes:
        print(f"   note: {note}")
    print(flush=True)


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| scenario | ours | reference | ours vs ref | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        refs: list[Series | None] = [*row.refs] or [None]
        for i, ref in enumerate(refs):
            first = i == 0
            lines.append(
                "| "
                + " | ".join(
                    [
                        row.title if first else "",
                        f"{row.ours.label}: {row.ours.text()}" if first else "",
                        f"{ref.label}: {ref.text()}" if ref else "—",
                        fmt_ratio(row.ratio(ref)) if ref else "—",
                        row.target if first else "",
                        met_text(row.met) if first else "",
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    def out(args: list[str]) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(__import__("os").sched_getaffinity(0)),
        "rclone": out(["rclone", "version"]).splitlines()[:1],
        "curl": out(["curl", "--version"]).splitlines()[:1],
        "git_commit": out(["git", "rev-parse", "HEAD"]),
        "git_dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no"])),
    }


def write_results(
    rows: list[Row],
    out_dir: Path,
    profile: str,
    started: datetime,
    extra: dict[str, Any],
    complete: bool = True,
) -> tuple[Path, Path]:
    """bench-PROFILE-STAMP.{json,md}; also latest-PROFILE.* when `complete` (every group,
    no profiler attached)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    data = {
        "profile": profile,
        "started": started.isoformat(),
        "finished": datetime.now(timezone.utc).isoformat(),
        "machine": machine_info(),
        "extra": extra,
        "rows": [
            {
                **asdict(row),
                "ours_text": row.ours.text(),
                "refs_text": [r.text() for r in row.refs],
                "ratios": [row.ratio(r) for r in row.refs],
            }
            for row in rows
        ],
    }
    json_path = out_dir / f"bench-{profile}-{stamp}.json"
    json_path.write_text(json.dumps(data, indent=1, default=str))
    md_path = out_dir / f"bench-{profile}-{stamp}.md"
    md_path.write_text(markdown_table(rows) + "\n")
    if complete:
        (out_dir / f"latest-{profile}.json").write_text(json_path.read_text())
        (out_dir / f"latest-{profile}.md").write_text(md_path.read_text())
    return json_path, md_path
