"""Ways to call an application: ``wsgi`` (production), ``test`` (in process), ``cli`` (once)."""

from .cli import CLIContext, cli
from .context import Context
from .test import TestContext, test
from .wsgi import WSGIContext, wsgi

__all__ = ["CLIContext", "Context", "TestContext", "WSGIContext", "cli", "test", "wsgi"]
