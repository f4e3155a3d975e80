"""Serve one app module on one event loop, under uvicorn (ASGI) or Tornado, on an ephemeral 127.0.0.1 port.

Usage: ``python serve_event_loop.py MODULE --server uvicorn|tornado --threads N --port-file PATH``
(run by the harness for an ``App`` whose ``server`` is not waitress). ``MODULE``
exposes ``application``: an ASGI callable for uvicorn, a
``tornado.web.Application`` for Tornado. One process, one event loop, no
access log, the lifespan protocol off; ``--threads`` sizes the loop's default
executor, where skiesish answers what it cannot answer on the loop. The port
is written to ``PATH`` once the socket is listening. Only the standard
library, waitress (through ``serve.write_port``) and the chosen server are
imported, so both virtualenvs can run it.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import importlib
import socket
import sys
from pathlib import Path
from typing import Any

from serve import write_port


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Read the module, the server, the executor's threads and where to write the port."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module", help="e.g. apps.bare_asgi; it must expose `application`")
    parser.add_argument("--server", choices=("uvicorn", "tornado"), required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    return parser.parse_args(argv)


def use_threads(threads: int) -> None:
    """Give the running loop a default executor of ``threads`` threads."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="executor")
    asyncio.get_running_loop().set_default_executor(executor)


def serve_uvicorn(application: Any, threads: int, port_file: Path) -> None:
    """uvicorn with one worker, binding port 0 itself; its loop and HTTP parser are uvicorn's defaults."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            use_threads(threads)
            await super().startup(sockets)
            write_port(port_file, int(self.servers[0].sockets[0].getsockname()[1]))

    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=0,
        workers=1,
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    Server(config).run()


def serve_tornado(application: Any, threads: int, port_file: Path) -> None:
    """Tornado's HTTPServer in a single process, on asyncio's loop."""
    import tornado.httpserver
    import tornado.netutil

    async def run() -> None:
        use_threads(threads)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        tornado.httpserver.HTTPServer(application).add_sockets(sockets)
        write_port(port_file, int(sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    asyncio.run(run())


def main(argv: list[str]) -> None:
    """Import the app, listen, publish the port and serve until terminated."""
    arguments = parse_arguments(argv)
    application = importlib.import_module(arguments.module).application
    serve = serve_uvicorn if arguments.server == "uvicorn" else serve_tornado
    serve(application, arguments.threads, arguments.port_file)


if __name__ == "__main__":
    main(sys.argv[1:])
