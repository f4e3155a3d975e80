"""Requests as handlers see them, one object per request."""

from .base import ClientError, InputOutput
from .wsgi import WSGIInputOutput

__all__ = ["ClientError", "InputOutput", "WSGIInputOutput"]
