"""Running an application once from the command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from ..input_outputs import InputOutput
from .context import Context

__all__ = ["CLIContext", "cli"]


class CLIContext(Context):
    """Run the handler once, print the body, exit 0 on success and 1 on failure.

    Command-line arguments are read as the request: a first positional
    argument is the path, ``--name=value`` arguments are query parameters.

    Example:
        >>> if __name__ == "__main__":
        ...     skiesish.contexts.cli(application)()
    """

    def __call__(self, argv: Sequence[str] | None = None) -> NoReturn:
        sys.exit(self.run(sys.argv[1:] if argv is None else argv))

    def run(self, argv: Sequence[str] = (), stdout: TextIO | None = None) -> int:
        """Handle one request built from ``argv``; print the body; return the exit status."""
        path = "/"
        query: dict[str, list[str]] = {}
        for argument in argv:
            if argument.startswith("--"):
                name, _, value = argument[2:].partition("=")
                query.setdefault(name, []).append(value)
            else:
                path = argument
        response = self.respond(InputOutput("GET", path, query))
        print(response.body.decode("utf-8"), file=stdout or sys.stdout)
        return 0 if response.status_code < 400 else 1


#: ``skiesish.contexts.cli(application, ...)``: call it to run once and exit.
cli = CLIContext
