"""Ways to call an application: ``wsgi`` and ``asgi`` (production), ``test`` (in process), ``cli`` (once)."""

from .asgi import ASGIContext, asgi
from .cli import CLIContext, cli
from .context import Context
from .test import TestContext, test
from .wsgi import WSGIContext, wsgi

__all__ = [
    "ASGIContext",
    "CLIContext",
    "Context",
    "TestContext",
    "WSGIContext",
    "asgi",
    "cli",
    "test",
    "wsgi",
]
