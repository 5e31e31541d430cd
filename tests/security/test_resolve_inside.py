"""Suite 6: `resolve_inside` is the one door to the project folder; no path walks through it
to the outside.

The property runs against a real folder laid out to tempt escapes: a sibling whose name starts
with the project's (`/x/proj` vs `/x/proj-evil`), symlinks out of the project (to a folder, to
a file, to `/`), a symlink loop, a link back inside. Every accepted path's real location has
the project folder as its common path (and is not the folder itself); everything else is
refused with ValueError, the one exception callers treat as "refused".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aext_project_filebrowser_server.services.sync.local_files import resolve_inside

EXAMPLES_DEFAULT = 10_000
EXAMPLES_LONG = 200_000

SEGMENTS = st.sampled_from(
    [
        "..",
        ".",
        "",
        "sub",
        "proj",
        "proj-evil",
        "x",
        "link-out",
        "link-file-out",
        "link-root",
        "link-in",
        "link-sibling-prefix",
        "loop",
        "loop-a",
        "secret.txt",
        "..\\..",
        "C:",
        "C:\\Windows",
        "\x00",
        "a\x00b",
        "e\u0301",
        "\u00e9",
        "\u212a",  # Kelvin sign: NFKC-folds to "K"
        "~",
        "$HOME",
        "%2e%2e",
        "\u2024\u2024",  # one-dot leaders that look like ".."
        "n" * 255,
        "n" * 300,
    ]
)
PATHS = st.one_of(
    st.lists(SEGMENTS, min_size=1, max_size=6).map("/".join),
    st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.text(max_size=24),
    st.text(alphabet="./\\~\x00ab", max_size=24),
)


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`<base>/x/proj` with escape hatches around it; returns the project folder."""
    x = tmp_path_factory.mktemp("resolve") / "x"
    root = x / "proj"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "file.txt").write_text("inside")
    evil = x / "proj-evil"
    evil.mkdir()
    (evil / "secret.txt").write_text("outside")
    (x / "secret.txt").write_text("outside")
    os.symlink(evil, root / "link-out")
    os.symlink(x / "secret.txt", root / "link-file-out")
    os.symlink("/", root / "link-root")
    os.symlink(root / "sub", root / "link-in")
    os.symlink("../proj-evil", root / "sub" / "link-sibling-prefix")
    os.symlink("../proj-evil", root / "link-sibling-prefix")
    os.symlink("loop", root / "loop")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    return root


def check(root: Path, relative: str) -> None:
    real_root = os.path.realpath(root)
    try:
        accepted = resolve_inside(root, relative)
    except ValueError:
        return  # refused: the only acceptable way to say no
    real = os.path.realpath(accepted)
    assert os.path.commonpath([real_root, real]) == real_root, (relative, real)
    assert real != real_root, relative
    # The same walk the OS does when a caller opens the path: never outside.
    assert Path(real).is_relative_to(real_root)
    assert not Path(real).is_relative_to(os.path.realpath(root.parent / "proj-evil"))


@settings(
    max_examples=EXAMPLES_DEFAULT,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(relative=PATHS)
@example(relative="../proj-evil/secret.txt")
@example(relative="link-out/secret.txt")
@example(relative="link-sibling-prefix/secret.txt")
@example(relative="sub/link-sibling-prefix/secret.txt")
@example(relative="link-file-out")
@example(relative="link-root/etc/passwd")
@example(relative="/etc/passwd")
@example(relative="loop")
@example(relative="loop-a/x")
@example(relative="sub/../..")
@example(relative="sub/..")
@example(relative=".")
def test_every_accepted_path_stays_in_the_project(layout: Path, relative: str) -> None:
    check(layout, relative)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(
    max_examples=EXAMPLES_LONG,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(relative=PATHS)
def test_every_accepted_path_stays_in_the_project_long(layout: Path, relative: str) -> None:
    check(layout, relative)


@pytest.mark.parametrize(
    ("relative", "inside"),
    [
        ("sub/file.txt", "sub/file.txt"),
        ("link-in/file.txt", "sub/file.txt"),
        ("sub/deeper/../file.txt", "sub/file.txt"),
        ("new/folder/file.txt", "new/folder/file.txt"),
        ("C:\\Windows\\system32", "C:\\Windows\\system32"),  # one odd name on POSIX, inside
        ("..\\..\\etc\\passwd", "..\\..\\etc\\passwd"),
    ],
)
def test_paths_inside_are_accepted(layout: Path, relative: str, inside: str) -> None:
    """The property is not vacuous: ordinary (and odd but harmless) names get through."""
    accepted = resolve_inside(layout, relative)
    assert os.path.realpath(accepted) == os.path.realpath(layout / inside)


@pytest.mark.parametrize(
    "relative",
    [
        "../proj-evil/secret.txt",
        "link-out/secret.txt",
        "link-sibling-prefix",
        "link-file-out",
        "link-root/etc/passwd",
        "/etc/passwd",
        str(Path("/") / "tmp"),
        "sub/../..",
        "",
        ".",
        "a\x00b",
        "loop",
        "loop-a/x",
    ],
)
def test_escapes_are_refused(layout: Path, relative: str) -> None:
    with pytest.raises(ValueError):
        resolve_inside(layout, relative)
