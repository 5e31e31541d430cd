"""Every class of file name through the real snapshot (a real folder) and the planner.

Each row writes its local names into a project folder as the bytes a file system holds
(`os.fsencode`, so a Latin-1 name is `b'caf\\xe9.txt'` on disk), snapshots it with
`take_snapshot`, builds the cloud listing with `index_remote` and plans a two-way sync. It
checks the operations (kind, the cloud's name, the name on disk) and the names skipped with
their reason.

Case-insensitivity: this machine's ext4/overlay folders are case-sensitive, so the rows for
a case-insensitive folder replace `file_names.folder_is_case_insensitive` (the one place the
snapshot asks) with a function answering True; the probe itself is tested on the real
folder. Windows' rules are applied with `windows=True`, the parameter the listing takes.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from aext_project_filebrowser_server.schemas.files import CloudFile, UnfitFile
from aext_project_filebrowser_server.services.sync import file_names
from aext_project_filebrowser_server.services.sync.file_names import name_key
from aext_project_filebrowser_server.services.sync.ignore import ignore_rules
from aext_project_filebrowser_server.services.sync.plan import Plan, on_disk, plan_sync
from aext_project_filebrowser_server.services.sync.snapshot import marker_path, take_snapshot
from aext_project_filebrowser_server.services.sync.states import BaseFile
from aext_project_filebrowser_server.services.sync.unsyncable import index_remote

NOW = datetime(2026, 11, 22, 14, 3, tzinfo=timezone.utc)
WHO, WHERE = "alice", "lab-server"
NFC = unicodedata.normalize("NFC", "café.txt")
NFD = unicodedata.normalize("NFD", "café.txt")
assert NFC != NFD
LONG_PART = "x" * 250
OVER_LONG_LOCAL = "/".join([LONG_PART] * 5) + "/f.txt"  # each part fits; > 1024 bytes
OVER_LONG_CLOUD = "y" * 300 + ".txt"  # one part over 255 bytes


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Row:
    local: dict[bytes | str, bytes] = field(default_factory=dict)
    remote: dict[str, bytes] = field(default_factory=dict)
    base: dict[str, bytes] = field(default_factory=dict)  # synced before: same version ids
    unfit: tuple[str, ...] = ()  # cloud entries whose fields do not fit
    case_insensitive: bool = False
    windows: bool = False
    # (kind, cloud path, name on disk)
    ops: set[tuple[str, str, str]] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)  # name as shown -> reason part


def version(path: str, data: bytes) -> str:
    return f"v-{sha(path.encode() + data)[:12]}"


def plan_row(tmp_path: Path, row: Row, monkeypatch: pytest.MonkeyPatch) -> Plan:
    root = tmp_path / "project"
    marker_path(root).parent.mkdir(parents=True)
    marker_path(root).write_text("{}")
    for name, data in row.local.items():
        target = os.path.join(os.fsencode(root), os.fsencode(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
    monkeypatch.setattr(file_names, "folder_is_case_insensitive", lambda _: row.case_insensitive)
    snapshot = take_snapshot(root, {}).snapshot
    listed: list[CloudFile] = [
        CloudFile(path=p, file_version_id=version(p, d), sha256=sha(d), size=len(d))
        for p, d in row.remote.items()
    ]
    listed += [
        UnfitFile.model_construct(path=p, file_version_id="-", reason="no version id")
        for p in row.unfit
    ]
    remote = index_remote(listed, windows=row.windows)
    base = {name_key(p): BaseFile(p, sha(d), version(p, d), len(d), 1) for p, d in row.base.items()}
    return plan_sync(
        snapshot,
        remote,
        base,
        direction="sync",
        force=False,
        rules=ignore_rules(),
        now=NOW,
        who=WHO,
        where=WHERE,
    )


ROWS: dict[str, Row] = {
    "nfc local only: uploaded": Row(local={NFC: b"1"}, ops={("upload", NFC, NFC)}),
    "nfd local only: uploaded under NFC, read from the NFD name": Row(
        local={NFD: b"1"}, ops={("upload", NFC, NFD)}
    ),
    "nfd local, nfc cloud, same bytes: one file, base recorded": Row(
        local={NFD: b"1"}, remote={NFC: b"1"}, ops={("record_base", NFC, NFD)}
    ),
    "nfd local, nfc cloud, synced before: nothing to do": Row(
        local={NFD: b"1"}, remote={NFC: b"1"}, base={NFC: b"1"}
    ),
    "nfd local, nfc cloud changed: downloaded onto the NFD name": Row(
        local={NFD: b"1"}, remote={NFC: b"2"}, base={NFC: b"1"}, ops={("download", NFC, NFD)}
    ),
    "nfd local changed: uploaded from the NFD name": Row(
        local={NFD: b"2"}, remote={NFC: b"1"}, base={NFC: b"1"}, ops={("upload", NFC, NFD)}
    ),
    "nfd local, nfc cloud differ, no base: a conflict on the NFD name": Row(
        local={NFD: b"mine"}, remote={NFC: b"theirs"}, ops={("conflict", NFC, NFD)}
    ),
    "nfd local, deleted in the cloud: trashed (the other side deleted it)": Row(
        local={NFD: b"1", "kept.txt": b"k"},
        remote={"kept.txt": b"k"},
        base={NFC: b"1", "kept.txt": b"k"},
        ops={("trash_local", NFC, NFD)},
    ),
    "nfc cloud only: downloaded": Row(remote={NFC: b"1"}, ops={("download", NFC, NFC)}),
    "nfd cloud only (a cloud that does not normalize): its own name": Row(
        remote={NFD: b"1"}, ops={("download", NFD, NFD)}
    ),
    "nfd and nfc both local: a clash, neither synced, cloud file left alone": Row(
        local={NFD: b"1", NFC: b"2", "other.txt": b"o"},
        remote={NFC: b"3"},
        base={NFC: b"3"},
        ops={("upload", "other.txt", "other.txt")},
        skipped={NFC: "Unicode form", NFD: "Unicode form"},
    ),
    "nfd and nfc both in the cloud: neither synced, local file left alone": Row(
        local={NFC: b"1"},
        remote={NFC: b"1", NFD: b"2"},
        skipped={NFC: "twice", NFD: "twice"},
    ),
    "undecodable bytes: skipped, the rest syncs": Row(
        local={b"caf\xe9.txt": b"latin-1", "ok.txt": b"ok"},
        ops={("upload", "ok.txt", "ok.txt")},
        skipped={"caf\\xe9.txt": "not valid UTF-8"},
    ),
    "undecodable folder: its files skipped": Row(
        local={b"d\xfcr/a.txt": b"a"}, skipped={"d\\xfcr/a.txt": "not valid UTF-8"}
    ),
    "control character: skipped": Row(
        local={"a\nb.txt": b"x", "tab\there.txt": b"t"},
        skipped={"a\nb.txt": "control character", "tab\there.txt": "control character"},
    ),
    "backslash: skipped": Row(local={"a\\b.txt": b"x"}, skipped={"a\\b.txt": "backslash"}),
    "over-long local path: skipped": Row(
        local={OVER_LONG_LOCAL: b"x"}, skipped={OVER_LONG_LOCAL: "longer than the cloud"}
    ),
    "over-long cloud name: skipped, not downloaded": Row(
        remote={OVER_LONG_CLOUD: b"x"}, skipped={OVER_LONG_CLOUD: "longer than this folder"}
    ),
    "reserved names on Windows: skipped": Row(
        remote={"CON": b"1", "aux.txt": b"2", "dots.": b"3", "space ": b"4", "a:b": b"5"},
        windows=True,
        skipped={
            "CON": "reserves",
            "aux.txt": "reserves",
            "dots.": "dot or a space",
            "space ": "dot or a space",
            "a:b": "does not allow",
        },
    ),
    "reserved names off Windows: downloaded": Row(
        remote={"CON": b"1", "aux.txt": b"2"},
        ops={("download", "CON", "CON"), ("download", "aux.txt", "aux.txt")},
    ),
    "case variants in the cloud, case-sensitive folder: both downloaded": Row(
        remote={"Data.csv": b"1", "data.csv": b"2"},
        ops={("download", "Data.csv", "Data.csv"), ("download", "data.csv", "data.csv")},
    ),
    "case variants in the cloud, case-insensitive folder: one, the other skipped": Row(
        remote={"Data.csv": b"1", "data.csv": b"2"},
        case_insensitive=True,
        ops={("download", "Data.csv", "Data.csv")},
        skipped={"data.csv": "differs only in case from 'Data.csv'"},
    ),
    "case variants, case-insensitive folder: the one on disk keeps syncing": Row(
        local={"data.csv": b"2"},
        remote={"Data.csv": b"1", "data.csv": b"3"},
        base={"data.csv": b"2"},
        case_insensitive=True,
        ops={("download", "data.csv", "data.csv")},
        skipped={"Data.csv": "differs only in case from 'data.csv'"},
    ),
    "case variants in folders, case-insensitive folder: skipped": Row(
        remote={"Raw/a.csv": b"1", "raw/A.csv": b"2"},
        case_insensitive=True,
        ops={("download", "Raw/a.csv", "Raw/a.csv")},
        skipped={"raw/A.csv": "differs only in case"},
    ),
    "unfit cloud entry with a local copy and a base: left alone on both sides": Row(
        local={"broken.txt": b"1", "fine.txt": b"f"},
        base={"broken.txt": b"1", "fine.txt": b"f"},
        remote={"fine.txt": b"f"},
        unfit=("broken.txt",),
        skipped={"broken.txt": "does not fit"},
    ),
    "unfit cloud entry, local edit: not uploaded over it": Row(
        local={"broken.txt": b"edited"},
        base={"broken.txt": b"1"},
        unfit=("broken.txt",),
        skipped={"broken.txt": "does not fit"},
    ),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_name_class(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row = ROWS[name]
    plan = plan_row(tmp_path, row, monkeypatch)
    assert plan.gate is None
    assert {(op.kind, op.path, on_disk(op)) for op in plan.operations} == row.ops
    skipped = {s.path: s.reason for s in plan.skipped}
    assert set(skipped) == set(row.skipped)
    for path, part in row.skipped.items():
        assert part in skipped[path], (path, skipped[path])


def test_a_clash_of_spellings_never_trashes_or_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's loop: an NFD file whose NFC twin is in the cloud with the same bytes."""
    row = Row(local={NFD: b"same"}, remote={NFC: b"same"}, base={})
    plan = plan_row(tmp_path, row, monkeypatch)
    kinds = {op.kind for op in plan.operations}
    assert kinds == {"record_base"}
    assert not kinds & {"trash_local", "download", "upload", "conflict"}


def test_local_names_with_undecodable_bytes_never_reach_the_cache(tmp_path: Path) -> None:
    """The stat cache (SQLite) and JSON hold only valid Unicode: such a name is not hashed."""
    root = tmp_path / "p"
    root.mkdir()
    with open(os.fsencode(root) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"x")
    (root / "ok.txt").write_bytes(b"ok")
    result = take_snapshot(root, {})
    assert [r.path for r in result.cache_updates] == ["ok.txt"]
    assert dict(result.snapshot.unsyncable) == {
        "caf\\xe9.txt": file_names.local_name_problem(os.fsdecode(b"caf\xe9.txt"))
    }
    for text in result.snapshot.unsyncable:
        text.encode("utf-8")  # displayable


def test_the_case_probe_on_this_folder(tmp_path: Path) -> None:
    """The real probe on this machine's (case-sensitive) folder, leaving nothing behind."""
    (tmp_path / ".aext-project").mkdir()
    assert file_names.folder_is_case_insensitive(tmp_path) is False
    assert list((tmp_path / ".aext-project" / "tmp").iterdir()) == []


def test_the_case_probe_answers_true_when_it_cannot_write(tmp_path: Path) -> None:
    """An unwritable project folder, or one without its own folder (unmounted, wiped): the
    conservative answer (skip case variants), and nothing made in it."""
    blocker = tmp_path / "p"
    blocker.write_text("a file where the folder should be")
    assert file_names.folder_is_case_insensitive(blocker) is True
    wiped = tmp_path / "wiped"
    wiped.mkdir()
    assert file_names.folder_is_case_insensitive(wiped) is True
    assert list(wiped.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain.txt", "plain.txt"),
        (os.fsdecode(b"caf\xe9.txt"), "caf\\xe9.txt"),
        ("\ud800x", "\\ud800x"),
        (NFD, NFD),
    ],
)
def test_display_name(name: str, shown: str) -> None:
    assert file_names.display_name(name) == shown
