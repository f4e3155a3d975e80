"""Serving a health check from Tornado, as py-healthcheck's ``TornadoHandler`` does.

Example:
    >>> import tornado.web
    >>> from skiesish.integrations.healthcheck import HealthCheck
    >>> from skiesish.integrations.tornado import TornadoHandler
    >>> health = HealthCheck()
    >>> app = tornado.web.Application([("/healthcheck", TornadoHandler, dict(checker=health))])
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, Protocol

from ..exceptions import MissingExtraError
from ..responses import JSON_CONTENT_TYPE, NO_BODY_STATUSES, json_body

try:
    import tornado.web
    from tornado.ioloop import IOLoop
except ImportError as error:
    raise MissingExtraError(
        f"skiesish.integrations.tornado needs tornado ({error}): pip install 'skiesish[tornado]'"
    ) from error

__all__ = ["Checker", "CheckerBody", "CheckerHeaders", "TornadoHandler"]

#: The body ``run()`` returns: text, bytes, or a dict sent as JSON.
CheckerBody = str | bytes | Mapping[str, Any]
#: The headers ``run()`` returns: a mapping, or ``(name, value)`` pairs.
CheckerHeaders = Mapping[str, str] | Iterable[tuple[str, str]]


class Checker(Protocol):
    """What :class:`TornadoHandler` runs: anything with py-healthcheck's ``run()``.

    :class:`skiesish.integrations.healthcheck.HealthCheck` and
    ``EnvironmentDump`` are checkers, and so are py-healthcheck's own classes.
    """

    def run(self, *args: Any, **kwargs: Any) -> tuple[CheckerBody, int, CheckerHeaders]:
        """Run the checks; return ``(body, status code, headers)``."""
        ...


class TornadoHandler(tornado.web.RequestHandler):
    """A Tornado handler answering with ``checker.run()``, which runs on a worker thread.

    Route it with ``dict(checker=health)``; the URL pattern's groups are
    passed to ``run()`` as py-healthcheck does. The checks are run by the
    event loop's default executor (``IOLoop.run_in_executor``), so a slow
    check never delays the other handlers on the same loop; an answer that
    needs no check run (every result fresh, ``run_if_fresh()``) is made on
    the loop, without the thread hop. ``HEAD`` gets
    the headers of ``GET`` and no body, and answers are never turned into
    ``304 Not Modified`` (a probe must see the current status).

    Example:
        >>> tornado.web.Application([(r"/healthcheck", TornadoHandler, dict(checker=health))])
    """

    checker: Checker

    def initialize(self, checker: Checker) -> None:
        """Keep ``checker`` (Tornado calls this with the route's ``dict(checker=...)``)."""
        self.checker = checker

    def prepare(self) -> None:
        """Refuse a checker without ``run()``, naming what was expected (answered as a 500).

        Raises:
            TypeError: ``checker`` has no ``run()`` method.
        """
        if not callable(getattr(self.checker, "run", None)):
            raise TypeError(
                "TornadoHandler needs checker=<an object with a run() method returning "
                f"(body, status, headers)>, such as a HealthCheck; got {type(self.checker).__name__} "
                f"{self.checker!r:.80}"
            )

    def get(self, *args: str, **kwargs: str) -> Awaitable[None] | None:
        """Answer with what the checker returns, run off the event loop unless it is answered fresh.

        A plain method rather than a coroutine: when the checker answers from
        fresh results (``run_if_fresh``), the answer is written at once and
        Tornado has no coroutine to create and await; otherwise it gets one
        that runs the checker on a worker thread.
        """
        run_if_fresh = getattr(self.checker, "run_if_fresh", None)  # skiesish's HealthCheck has it
        answer: tuple[CheckerBody, int, CheckerHeaders] | None = (
            run_if_fresh(*args, **kwargs) if callable(run_if_fresh) else None
        )
        if answer is None:
            return self._run_off_loop(args, kwargs)
        self._write_answer(answer)
        return None

    def head(self, *args: str, **kwargs: str) -> Awaitable[None] | None:
        """Answer as ``GET`` does, without the body (Tornado keeps ``Content-Length``)."""
        return self.get(*args, **kwargs)

    async def _run_off_loop(self, args: tuple[str, ...], kwargs: dict[str, str]) -> None:
        run = functools.partial(self.checker.run, *args, **kwargs)
        self._write_answer(await IOLoop.current().run_in_executor(None, run))

    def _write_answer(self, answer: tuple[CheckerBody, int, CheckerHeaders]) -> None:
        body, status_code, headers = answer
        # The common types are tested first: an isinstance test against an ABC (Mapping) costs
        # several times one against a class, on every probe.
        if not isinstance(body, (str, bytes)):
            if not isinstance(body, Mapping):
                raise TypeError(
                    "TornadoHandler: checker.run() must return (body, status, headers) with a body of "
                    f"str, bytes or dict, got a body of type {type(body).__name__}"
                )
            # As py-healthcheck's handler (through Tornado's write) and Flask do; the checker's
            # own Content-Type, set below, wins over this one.
            self.set_header("Content-Type", JSON_CONTENT_TYPE)
            body = json_body(body)
        if status_code != HTTPStatus.OK:  # a new response is 200 OK already
            self.set_status(status_code)
        pairs = headers.items() if isinstance(headers, (dict, Mapping)) else headers
        for name, value in pairs:
            self.set_header(name, value)
        if status_code not in NO_BODY_STATUSES:
            self.write(body)

    def compute_etag(self) -> None:
        """No ETag: a health answer is never 304'd against an earlier one."""
        return None
