"""Which project paths sync leaves alone: built-in defaults plus the project's `.projectignore`.

`.projectignore` uses gitignore syntax (through `pathspec.GitIgnoreSpec`, last matching
pattern wins, `!pattern` re-includes). One deliberate difference from git: patterns are
matched against each file path, so `!data/keep.csv` re-includes that file even when `data/`
is ignored (git would keep it ignored because its parent directory is).

The soft defaults (`.ipynb_checkpoints/`, `.~*`, `__pycache__/`, `.DS_Store`) come first, so
a project can re-include them with a negation. The extension's own folder `.aext-project/`
(temp files, trash, the marker) is always ignored, at any depth, whatever the project file
says, and the root `.projectignore` itself is never ignored: it is synced like any other file.

A path ending in `/` asks about a folder: "is every file under it ignored?", so a folder walk
can skip it. That answer stays conservative: while the rules hold any `!` negation, only the
extension's folder is skipped, because a negation may re-include a file deep inside an
ignored folder, and a file the walk never saw would look deleted to the planner.

A sync asks about every path twice, in the snapshot walk and then in the planner, with the
same rules: the rules remember their answers, so the second question costs a dict lookup
instead of a pathspec match (about 2 µs, 20 ms for 10,000 files).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pathspec

__all__ = [
    "DEFAULT_PATTERNS",
    "EXTENSION_FOLDER",
    "PROJECTIGNORE",
    "IgnoreRules",
    "ignore_rules",
    "is_ignored",
    "is_ignored_folder",
]

EXTENSION_FOLDER = ".aext-project"
PROJECTIGNORE = ".projectignore"
DEFAULT_PATTERNS: tuple[str, ...] = (
    ".ipynb_checkpoints/",
    ".~*",
    "__pycache__/",
    ".DS_Store",
)


@dataclass(frozen=True, slots=True)
class IgnoreRules:
    """Compiled ignore patterns of one project; build with `ignore_rules`."""

    spec: pathspec.GitIgnoreSpec
    projectignore_text: str
    has_negations: bool
    answers: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)


def ignore_rules(projectignore_text: str | None = None) -> IgnoreRules:
    """Rules from the defaults plus the text of the project's `.projectignore` (if any)."""
    text = projectignore_text or ""
    lines = [*DEFAULT_PATTERNS, *text.splitlines()]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    has_negations = any(pattern.include is False for pattern in spec.patterns)
    return IgnoreRules(spec=spec, projectignore_text=text, has_negations=has_negations)


def is_ignored(rules: IgnoreRules, path: str) -> bool:
    """True when sync must neither transfer nor delete `path` (a project-relative path).

    With a trailing `/`, `path` is a folder and the answer is `is_ignored_folder`.
    """
    answer = rules.answers.get(path)
    if answer is None:
        answer = rules.answers[path] = _is_ignored(rules, path)
    return answer


def _is_ignored(rules: IgnoreRules, path: str) -> bool:
    if path.endswith("/"):
        return is_ignored_folder(rules, path)
    normalized = path.strip("/")
    if normalized == PROJECTIGNORE:
        return False
    if EXTENSION_FOLDER in normalized.split("/"):
        return True
    return bool(rules.spec.match_file(normalized))


def is_ignored_folder(rules: IgnoreRules, folder: str) -> bool:
    """True when every file under `folder` is certainly ignored, so a walk may skip it."""
    normalized = folder.strip("/")
    if not normalized:
        return False
    if EXTENSION_FOLDER in normalized.split("/"):
        return True
    return not rules.has_negations and bool(rules.spec.match_file(normalized + "/"))
