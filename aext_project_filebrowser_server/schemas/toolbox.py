"""REST bodies of the Anaconda Toolbox adoption: what the old product left, and adopting it.

Kept flat on purpose: the panel shows one row per project with an "Adopt" button.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .projects import LocalProject
from .rest import CloudStatus


class ToolboxProject(BaseModel):
    """One project of Anaconda Toolbox's state database and its folder.

    `adoptable` is false when `problem` says why (no folder, unreadable row, already
    downloaded here into another folder); `adopted` when this folder is already ours.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    name: str | None
    #: The folder (`<root>/anaconda_projects/<id>`), absolute.
    folder: str
    #: The folder as a contents-API path relative to Jupyter's root.
    contents_path: str | None
    folder_exists: bool
    #: File entries the old database lists for the project (its last known state).
    stored_files: int
    #: Whether this server already keeps the project in a folder (`local_path`).
    adopted: bool
    local_path: str | None = None
    adoptable: bool
    problem: str | None = None


class ToolboxProjects(BaseModel):
    """`GET toolbox/projects`. `database` is null when no Toolbox database was found;
    `problem` says why a database that exists could not be read (nothing is listed then)."""

    model_config = ConfigDict(frozen=True)

    database: str | None
    problem: str | None = None
    projects: tuple[ToolboxProject, ...] = ()


class AdoptBody(BaseModel):
    """`POST toolbox/projects/{id}/adopt`. `move`: move the folder under `projects_root`
    (a readable name from the title); by default it stays where Toolbox put it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    move: bool = False


class AdoptResult(BaseModel):
    """The adopted project; `cloud_status` says whether the cloud confirmed it (`ok`) or
    the stored copy was used until the next refresh."""

    model_config = ConfigDict(frozen=True)

    project: LocalProject
    moved_from: str | None = None
    cloud_status: CloudStatus
