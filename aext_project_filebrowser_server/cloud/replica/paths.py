"""Validation and normalisation of project file paths.

A file path is what follows `/files/` in a URL, after percent-decoding. It is normalised to
Unicode NFC *before* validation, storage and lookup, so `é` typed as one code point or as
`e` + combining accent names the same file (macOS file systems hand out NFD names; Linux and
Windows mostly NFC). Rules (any failure is `400 invalid_path`): not empty, relative (no
leading `/`), no empty segment (`a//b`, trailing `/`), no `.` or `..` segment, no backslash,
no control character (Unicode category Cc, which includes NUL and DEL), valid UTF-8 (bad
bytes reach us as lone surrogates, category Cs), at most 1024 UTF-8 bytes in total and 255
per segment (the common file-system limit).
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidPath

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255


def normalize_path(raw: str) -> str:
    """The NFC form of `raw` if it is a valid project file path; raises `InvalidPath`."""
    path = unicodedata.normalize("NFC", raw)
    if not path:
        raise InvalidPath("the file path is empty")
    if path.startswith("/"):
        raise InvalidPath("the file path must be relative")
    if "\\" in path:
        raise InvalidPath("the file path must not contain a backslash")
    categories = {unicodedata.category(ch) for ch in path}
    if "Cs" in categories:
        raise InvalidPath("the file path is not valid UTF-8")
    if "Cc" in categories:
        raise InvalidPath("the file path must not contain control characters")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise InvalidPath(f"the file path is longer than {MAX_PATH_BYTES} bytes")
    for segment in path.split("/"):
        if not segment:
            raise InvalidPath("the file path has an empty segment")
        if segment in (".", ".."):
            raise InvalidPath("the file path must not contain '.' or '..' segments")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidPath(f"a path segment is longer than {MAX_SEGMENT_BYTES} bytes")
    return path


def normalize_prefix(raw: str) -> str:
    """A listing prefix: only NFC-normalised, since a prefix may end inside a segment."""
    return unicodedata.normalize("NFC", raw)
