"""Named stores: ``memory_backend`` (in process) and ``cursor_backend`` (SQL)."""

from .base import Backend
from .connection_details import ConnectionDetails
from .cursor_backend import CursorBackend
from .database import Database
from .memory_backend import MemoryBackend

__all__ = ["Backend", "ConnectionDetails", "CursorBackend", "Database", "MemoryBackend"]
