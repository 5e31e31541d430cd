"""Tornado handlers: parse, authorize, call a service, serialize."""

from .health import default_handlers as _health
from .ws import default_handlers as _ws

default_handlers = [*_health, *_ws]
