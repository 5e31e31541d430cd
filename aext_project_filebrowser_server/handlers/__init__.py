"""Tornado handlers: parse, authorize, call a service, serialize."""

from .health import default_handlers as _health

default_handlers = [*_health]
