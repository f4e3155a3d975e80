"""Name-based dependency injection."""

from .additional_config import AdditionalConfig
from .binding_config import BindingConfig
from .di import DI
from .standard_dependencies import StandardDependencies

__all__ = ["DI", "AdditionalConfig", "BindingConfig", "StandardDependencies"]
