"""The process environment, plus an optional ``.env`` file."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

import dotenv

from .exceptions import ConfigurationError

__all__ = ["Environment"]


class Environment:
    """Read settings from ``os.environ``, falling back to a ``.env`` file.

    Real environment variables win over the file, as twelve-factor apps
    expect. The file is read once, on first use, with python-dotenv.

    Args:
        env_file: path of the ``.env`` file; a missing file is simply empty.
        environ: the mapping to read first (``os.environ`` by default).
    """

    def __init__(
        self, env_file: str | os.PathLike[str] = ".env", environ: Mapping[str, str] | None = None
    ) -> None:
        self._env_file = Path(env_file)
        self._environ = os.environ if environ is None else environ
        self._file_values: dict[str, str] | None = None
        self._lock = threading.Lock()

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the value of ``name``, or ``default`` when it is set nowhere."""
        if name in self._environ:
            return self._environ[name]
        return self._from_file().get(name, default)

    def require(self, name: str) -> str:
        """Return the value of ``name``, raising a clear error when it is set nowhere."""
        value = self.get(name)
        if value is None:
            raise ConfigurationError(
                f"the setting {name!r} is required: set it in the environment or in {self._env_file}"
            )
        return value

    def _from_file(self) -> dict[str, str]:
        if self._file_values is None:
            with self._lock:
                if self._file_values is None:
                    values = dotenv.dotenv_values(self._env_file) if self._env_file.is_file() else {}
                    self._file_values = {key: value for key, value in values.items() if value is not None}
        return self._file_values
