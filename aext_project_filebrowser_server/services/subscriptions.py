"""Which projects the open WebSocket connections follow, for the cloud poll."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


class Subscriptions:
    """Which projects the open WebSocket connections follow (`"*"`: every project).

    A counter, not a set, so two tabs on one project stay subscribed until both close.
    """

    def __init__(self) -> None:
        self._projects: Counter[str] = Counter()
        self._everything = 0

    def add(self, project_ids: Iterable[str] | None) -> None:
        """Follow these projects; None means every project."""
        if project_ids is None:
            self._everything += 1
        else:
            self._projects.update(project_ids)

    def remove(self, project_ids: Iterable[str] | None) -> None:
        if project_ids is None:
            self._everything = max(0, self._everything - 1)
            return
        self._projects.subtract(project_ids)
        self._projects = +self._projects  # drop the ones nobody follows any more

    def watched(self, known: Iterable[str]) -> set[str]:
        """The ids among `known` that some connection follows."""
        if self._everything:
            return set(known)
        return {project_id for project_id in known if self._projects[project_id] > 0}

    @property
    def empty(self) -> bool:
        return not self._everything and not self._projects
