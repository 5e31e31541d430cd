"""How a local name and a cloud name are matched, and which names one side cannot hold.

Project folders get names from macOS (NFD: `e` + combining accent), zip archives, old Windows
or Latin-1 systems (bytes that are not UTF-8) and scripts (a newline in a name). The cloud
keeps names in NFC and refuses control characters, backslashes and over-long names.

- **Matching.** A local name and a cloud name are the same file when their NFC forms are
  equal (`name_key`). The planner, the status and the store key files by that form; the
  local file keeps its on-disk name (`LocalFile.path`), so a download writes to the name
  on disk and nothing is ever renamed because of its normalization.
- **Names one side cannot hold** get a reason (`local_name_problem`, `cloud_name_problem`)
  and the status `unsyncable`: they are skipped, never fail the run, and the path is left
  alone on both sides.
- **Display.** A name with undecodable bytes is shown with them as `\\xNN`
  (`display_name`): JSON, SQLite and logs can hold only valid Unicode.
- **Case.** A case-insensitive folder (macOS, Windows defaults) cannot hold `Data.csv` and
  `data.csv` side by side; `folder_is_case_insensitive` probes each project folder.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
from pathlib import Path

from .ignore import EXTENSION_FOLDER

__all__ = [
    "CLOUD_MAX_PATH_BYTES",
    "MAX_SEGMENT_BYTES",
    "cloud_name_problem",
    "display_name",
    "folder_is_case_insensitive",
    "local_name_problem",
    "name_key",
]

CLOUD_MAX_PATH_BYTES = 1024  # the cloud's limit on a whole path (UTF-8 bytes)
MAX_SEGMENT_BYTES = 255  # one path segment: the usual file-system limit (ext4, APFS, NTFS)
#: Whether the server's own file system has Windows' naming rules (tests pass True instead).
WINDOWS = os.name == "nt"
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')


def name_key(name: str) -> str:
    """The form two names must share to be the same file: NFC."""
    if unicodedata.is_normalized("NFC", name):
        return name
    return unicodedata.normalize("NFC", name)


def display_name(name: str) -> str:
    """`name` as valid Unicode: bytes that were not UTF-8 (lone surrogates from
    `os.fsdecode`) are shown as `\\xNN`. Valid names are returned as they are."""
    if not _has_surrogates(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def local_name_problem(path: str) -> str | None:
    """Why the cloud cannot hold the local file `path` (relative, on-disk), or None."""
    if _has_surrogates(path):
        return "the name is not valid UTF-8 (another system's encoding); the cloud cannot hold it"
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return "the name contains a control character (a newline...); the cloud cannot hold it"
    if "\\" in path:
        return "the name contains a backslash; the cloud cannot hold it"
    return _length_problem(name_key(path), "the cloud")


def cloud_name_problem(path: str, *, windows: bool = WINDOWS) -> str | None:
    """Why this project folder cannot hold the cloud file `path`, or None.

    `windows`: apply Windows' rules (reserved device names such as `CON` or `aux.txt`,
    trailing dots and spaces, `<>:"|?*` and control characters); the default is the
    platform the server runs on.
    """
    if _has_surrogates(path) or "\x00" in path:
        return "the cloud name is not a valid file name"
    problem = _length_problem(path, "this folder")
    if problem is not None or not windows:
        return problem
    for segment in path.split("/"):
        if any(ch in _WINDOWS_FORBIDDEN or unicodedata.category(ch) == "Cc" for ch in segment):
            return f"{segment!r} contains a character Windows does not allow in names"
        if segment.endswith((".", " ")):
            return f"{segment!r} ends with a dot or a space, which Windows drops"
        if segment.split(".")[0].rstrip(" ").lower() in _WINDOWS_RESERVED:
            return f"{segment!r} is a name Windows reserves for a device"
    return None


def _length_problem(path: str, side: str) -> str | None:
    if len(path.encode("utf-8", "surrogateescape")) > CLOUD_MAX_PATH_BYTES:
        return f"the path is longer than {side} allows ({CLOUD_MAX_PATH_BYTES} bytes)"
    for segment in path.split("/"):
        if len(segment.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES:
            return f"a part of the path is longer than {side} allows ({MAX_SEGMENT_BYTES} bytes)"
    return None


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def folder_is_case_insensitive(root: Path) -> bool:
    """Whether `root`'s file system folds case, found by a probe file in the project's own
    folder whose case-swapped name is looked up. Probed per folder (a Linux server may
    hold projects on a mounted case-insensitive share). When the probe cannot be written
    (read-only, or no `.aext-project/` folder: an unmounted or wiped folder, which a probe
    must not make again), the answer is True: that only makes the planner skip names that
    differ by case, never overwrite one with the other.

    Tests force the answer by replacing this function (`monkeypatch.setattr` on this
    module): the test machines' ext4/overlay folders are case-sensitive.
    """
    own = root / EXTENSION_FOLDER
    folder = own / "tmp"
    probe = folder / f"case-probe-{uuid.uuid4().hex}-aB"
    if not own.is_dir():  # an unmounted or wiped folder: never made again by a probe
        return True
    try:
        folder.mkdir(exist_ok=True)
        probe.touch(exist_ok=False)
    except OSError:
        return True
    try:
        return probe.with_name(probe.name.swapcase()).exists()
    finally:
        probe.unlink(missing_ok=True)
