"""Readable, filesystem-safe names for conflict copies.

`analysis.ipynb` edited on both sides becomes
`analysis (conflict, alice on lab-server, 2026-11-22 14-03).ipynb`: who made the local edit,
on which server, and when the conflict was found. The copy stays in the same folder and keeps
its extension so it still opens with the same editor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import datetime

__all__ = ["conflict_copy_path", "is_conflict_copy"]

_UNSAFE = frozenset('/\\:*?"<>|')
_PART_MAX_BYTES = 60  # keeps the label short enough to leave room for the original name
_NAME_MAX_BYTES = 255  # the usual per-component limit (ext4, APFS, NTFS in UTF-16 units)
_EXTENSION = re.compile(r"\.[0-9A-Za-z_-]{1,10}")
_COMPOUND_STEMS = (".tar",)  # "data.tar.gz" keeps ".tar.gz" together
_CONFLICT_NAME = re.compile(
    r".* \(conflict, .+ on .+, \d{4}-\d{2}-\d{2} \d{2}-\d{2}\)"  # the label
    r"( \d+)?"  # the collision counter
    r"((\.tar)?\.[0-9A-Za-z_-]{1,10})?"  # the extension
)


def conflict_copy_path(
    path: str, who: str, where: str, when: datetime, taken: Collection[str]
) -> str:
    """A path next to `path` for the local side of a conflict, unique among `taken`.

    `taken` holds every path already in use (local, remote, base and copies planned earlier);
    the comparison ignores case, because macOS and Windows file systems do.
    """
    folder, _, name = path.rpartition("/")
    stem, extension = _split_extension(name)
    label = f"conflict, {_safe_part(who)} on {_safe_part(where)}, {when:%Y-%m-%d %H-%M}"
    used = {t.casefold() for t in taken}
    counter = 1
    while True:
        suffix = f" ({label})" + (f" {counter}" if counter > 1 else "") + extension
        candidate = _fit(stem, suffix)
        full = f"{folder}/{candidate}" if folder else candidate
        if full.casefold() not in used:
            return full
        counter += 1


def is_conflict_copy(path: str) -> bool:
    """True when the file name has the shape `conflict_copy_path` produces."""
    return _CONFLICT_NAME.fullmatch(path.rpartition("/")[2]) is not None


def _split_extension(name: str) -> tuple[str, str]:
    """`("analysis", ".ipynb")`; dotfiles and odd suffixes (`"v1.final draft"`) get no ext."""
    dot = name.rfind(".")
    if dot <= 0 or not _EXTENSION.fullmatch(name[dot:]):
        return name, ""
    stem, extension = name[:dot], name[dot:]
    for compound in _COMPOUND_STEMS:
        if stem.endswith(compound) and len(stem) > len(compound):
            return stem[: -len(compound)], compound + extension
    return stem, extension


def _safe_part(text: str) -> str:
    """`who`/`where` without path separators, reserved characters or control characters."""
    cleaned = "".join(_safe_char(ch) for ch in unicodedata.normalize("NFC", text))
    collapsed = " ".join(cleaned.split()).strip(" .-")
    shortened = collapsed.encode()[:_PART_MAX_BYTES].decode(errors="ignore")
    return shortened.strip(" .-") or "unknown"


def _safe_char(ch: str) -> str:
    if ch in _UNSAFE:
        return "-"
    return " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch


def _fit(stem: str, suffix: str) -> str:
    """`stem + suffix`, shortening the stem so the name fits in one path component."""
    room = _NAME_MAX_BYTES - len(suffix.encode())
    encoded = stem.encode()
    if len(encoded) <= room:
        return stem + suffix
    return encoded[:room].decode(errors="ignore").rstrip() + suffix
