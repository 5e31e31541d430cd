"""Tornado handlers: parse, authorize, call a service, serialize."""

from .account import default_handlers as _account
from .auto_sync import default_handlers as _auto_sync
from .deleted import default_handlers as _deleted
from .health import default_handlers as _health
from .history import default_handlers as _history
from .notebook_diff import default_handlers as _notebook_diff
from .openapi import default_handlers as _openapi
from .projects import default_handlers as _projects
from .toolbox import default_handlers as _toolbox
from .ws import default_handlers as _ws

default_handlers = [
    *_health,
    *_ws,
    *_projects,
    *_openapi,
    *_history,
    *_account,
    *_deleted,
    *_notebook_diff,
    *_auto_sync,
    *_toolbox,
]
