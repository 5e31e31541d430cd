"""aext_project_filebrowser_server: projects kept in a Jupyter folder and in a cloud Project API."""

from typing import Any

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter_server which ExtensionApp this package provides."""
    from .extension import ProjectFileBrowserApp

    return [{"module": "aext_project_filebrowser_server", "app": ProjectFileBrowserApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt Projects panel lives, for `jupyter labextension develop`."""
    return [{"src": "labextension", "dest": "aext-project-filebrowser"}]
