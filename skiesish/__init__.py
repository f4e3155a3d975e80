"""skiesish: a small dependency-injection framework whose HealthCheck handler tells the truth.

Example:
    >>> import skiesish
    >>> application = skiesish.contexts.wsgi(skiesish.Application(
    ...     skiesish.handlers.HealthCheck, {"services": ["memory_backend"]},
    ... ))
"""

from . import backends, contexts, di, handlers
from .application import Application
from .di import BindingConfig
from .exceptions import ConfigurationError, HealthError, SkiesishError
from .health import Check

__version__ = "0.1.0"

__all__ = [
    "Application",
    "BindingConfig",
    "Check",
    "ConfigurationError",
    "HealthError",
    "SkiesishError",
    "__version__",
    "backends",
    "contexts",
    "di",
    "handlers",
]
