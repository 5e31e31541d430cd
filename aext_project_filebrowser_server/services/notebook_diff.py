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
from typing import Any

from .errors import ServiceError


def _notebook(raw: Any, side: str) -> Any:
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ServiceError(400, "invalid_notebook", f"{side} is not a notebook (no cells)")
    try:
        # nbdime compares sources as strings; a file stores them as lists of lines. Cells
        # without ids (nbformat < 4.5) stay without: ids made up here would differ per side.
        return rejoin_lines(nbformat.from_dict(raw))  # type: ignore[no-untyped-call]
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
