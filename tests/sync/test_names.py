"""Conflict copy names: readable, filesystem-safe, unique."""

from __future__ import annotations

from datetime import datetime

import pytest

from aext_project_filebrowser_server.services.sync.names import conflict_copy_path, is_conflict_copy

WHEN = datetime(2026, 11, 22, 14, 3, 59)


def copy_of(
    path: str, who: str = "alice", where: str = "lab-server", taken: tuple[str, ...] = ()
) -> str:
    return conflict_copy_path(path, who, where, WHEN, taken)


@pytest.mark.parametrize(
    ("path", "copy"),
    [
        ("analysis.ipynb", "analysis (conflict, alice on lab-server, 2026-11-22 14-03).ipynb"),
        ("a/b/notes.txt", "a/b/notes (conflict, alice on lab-server, 2026-11-22 14-03).txt"),
        ("Makefile", "Makefile (conflict, alice on lab-server, 2026-11-22 14-03)"),
        (".env", ".env (conflict, alice on lab-server, 2026-11-22 14-03)"),
        (
            "conf/.projectignore",
            "conf/.projectignore (conflict, alice on lab-server, 2026-11-22 14-03)",
        ),
        ("data.tar.gz", "data (conflict, alice on lab-server, 2026-11-22 14-03).tar.gz"),
        ("v1.final draft", "v1.final draft (conflict, alice on lab-server, 2026-11-22 14-03)"),
        ("naïve café.md", "naïve café (conflict, alice on lab-server, 2026-11-22 14-03).md"),
        (
            "日本語/ノート.ipynb",
            "日本語/ノート (conflict, alice on lab-server, 2026-11-22 14-03).ipynb",
        ),
    ],
)
def test_copy_keeps_folder_and_extension(path: str, copy: str) -> None:
    assert copy_of(path) == copy
    assert is_conflict_copy(copy)


@pytest.mark.parametrize(
    ("who", "where", "label"),
    [
        ('a/b\\c:d*e?f"g<h>i|j', "srv", "a-b-c-d-e-f-g-h-i-j on srv"),
        ("bob\n\t\x00evil", "lab\u202eserver", "bob evil on lab server"),
        ("  ..dots..  ", "x", "dots on x"),
        ("", "///", "unknown on unknown"),
        ("Zoë 🚀", "Łódź", "Zoë 🚀 on Łódź"),
    ],
)
def test_who_and_where_are_sanitised(who: str, where: str, label: str) -> None:
    assert copy_of("n.txt", who, where) == f"n (conflict, {label}, 2026-11-22 14-03).txt"


def test_taken_names_get_a_counter() -> None:
    first = copy_of("d/n.txt")
    second = copy_of("d/n.txt", taken=(first,))
    third = copy_of("d/n.txt", taken=(first, second))

    assert second == "d/n (conflict, alice on lab-server, 2026-11-22 14-03) 2.txt"
    assert third == "d/n (conflict, alice on lab-server, 2026-11-22 14-03) 3.txt"
    assert is_conflict_copy(second) and is_conflict_copy(third)


def test_taken_is_compared_without_case() -> None:
    taken = ("D/N (CONFLICT, ALICE ON LAB-SERVER, 2026-11-22 14-03).TXT",)

    assert copy_of("D/N.TXT", taken=taken).endswith(") 2.TXT")


def test_names_fit_one_path_component() -> None:
    long_name = "é" * 200 + ".ipynb"

    copy = copy_of(long_name, who="🚀" * 100, where="🛰" * 100)

    assert len(copy.encode()) <= 255
    assert copy.endswith("-03).ipynb")
    assert is_conflict_copy(copy)


@pytest.mark.parametrize(
    "path",
    [
        "analysis.ipynb",
        "notes (draft).txt",
        "conflict.txt",
        "a (conflict).txt",
        "x (conflict, a on b, 2026).txt",
    ],
)
def test_ordinary_names_are_not_conflict_copies(path: str) -> None:
    assert not is_conflict_copy(path)
