"""The ``skiesish`` logger, whose every record passes through the scrubber before any handler sees it.

Log lines leave the process like answers do: to files, collectors and
people who may not see secrets. Check outputs, exception messages and
tracebacks quote connection strings and tokens, so the logger carries a
:class:`ScrubbingFilter`: each record's message, and its traceback, are
scrubbed (and bounded) once, on the logger itself, so that every handler
(a file, the console, a collector) gets the same safe text.

Example:
    >>> from skiesish.log import logger
    >>> logger.warning("cannot reach %s", "postgres://app:hunter2@db/app")  # logged as app:********@db
"""

from __future__ import annotations

import logging
import traceback

from .scrubbing import scrub_text
from .text import bounded

__all__ = ["MAX_MESSAGE_LENGTH", "MAX_TRACE_LENGTH", "ScrubbingFilter", "logger"]

#: The most characters of a log message that are kept.
MAX_MESSAGE_LENGTH = 16_384
#: The most characters of a traceback that are kept.
MAX_TRACE_LENGTH = 8_192


class ScrubbingFilter(logging.Filter):
    """Scrub and bound a record's message and traceback in place; never drop a record.

    The message is formatted once and its arguments dropped; a traceback
    becomes scrubbed ``exc_text`` and ``exc_info`` is cleared, so that no
    handler can format the raw exception again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: let logging report it as it does
            return True
        record.msg = bounded(scrub_text(message), MAX_MESSAGE_LENGTH)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            kind, error, trace = record.exc_info
            text = "".join(traceback.format_exception(kind, error, trace)).rstrip()
            record.exc_text = bounded(scrub_text(text), MAX_TRACE_LENGTH)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = bounded(scrub_text(record.stack_info), MAX_TRACE_LENGTH)
        return True


#: The logger every part of skiesish writes to.
logger = logging.getLogger("skiesish")
if not any(isinstance(existing, ScrubbingFilter) for existing in logger.filters):
    logger.addFilter(ScrubbingFilter())
