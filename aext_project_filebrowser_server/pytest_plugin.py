"""Pytest fixtures for this extension (prefixed `pfb_`) and for the cloud replica (`replica_`).

Load with `pytest_plugins = ["aext_project_filebrowser_server.pytest_plugin"]`.
"""

from .cloud.replica.fixtures import *  # noqa: F403
