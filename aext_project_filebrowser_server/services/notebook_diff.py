"""The diff of two notebooks, in nbdime's format, for the panel's "Compare" view.

The panel renders nbdime's own diff widget (the nbdime JupyterLab extension ships it), and
that widget needs the base notebook and nbdime's diff from base to remote. Computing it
here, with the same nbdime the notebook merge uses, keeps one diff algorithm for the whole
product. Parsing and diffing a large notebook takes long enough to stall the event loop, so
both run in a thread. nbdime and nbformat are imported at the first compare, not at start
(every idle server on a hub would pay for them).
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

from .errors import ServiceError


def _notebook(raw: Any, side: str) -> Any:
    import nbformat

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ServiceError(400, "invalid_notebook", f"{side} is not a notebook (no cells)")
    try:
        # reads, not from_dict: it also joins line lists into the strings nbdime compares.
        # Notebooks older than nbformat 4.5 have no cell ids: a warning, not a reason to refuse.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(json.dumps(raw), as_version=4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # nbformat raises many kinds on odd input
        raise ServiceError(400, "invalid_notebook", f"{side} is not a notebook: {exc}") from None


def _diff(body: bytes) -> bytes:
    try:
        parsed = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(400, "invalid_body", "the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise ServiceError(400, "invalid_body", "the body must be {base, remote}")
    base = _notebook(parsed.get("base"), "base")
    remote = _notebook(parsed.get("remote"), "remote")
    from nbdime import diff_notebooks

    try:
        diff = diff_notebooks(base, remote)
    except Exception as exc:  # nbdime on a notebook it cannot read
        raise ServiceError(
            400, "invalid_notebook", f"the notebooks cannot be compared: {exc}"
        ) from None
    return json.dumps({"base": base, "diff": diff}).encode()


async def notebook_diff(body: bytes) -> bytes:
    """`{"base", "remote"}` (two notebooks) → `{"base", "diff"}` as JSON bytes."""
    return await asyncio.to_thread(_diff, body)
