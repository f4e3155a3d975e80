"""Requests as handlers see them, one object per request."""

from .base import ClientError, InputOutput, shown_path
from .wsgi import WSGIInputOutput

__all__ = ["ClientError", "InputOutput", "WSGIInputOutput", "shown_path"]
