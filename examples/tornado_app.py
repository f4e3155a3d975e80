"""py-healthcheck's Tornado set-up on skiesish: a health check and an environment dump.

    python examples/tornado_app.py          # serves on 127.0.0.1:9090
    curl -i http://127.0.0.1:9090/healthcheck
    curl -i http://127.0.0.1:9090/environment

The checks run on worker threads under a 2 s deadline, so a slow dependency
never holds up the other handlers on Tornado's event loop. ``HealthCheck``
and ``EnvironmentDump`` come from ``skiesish.integrations.healthcheck``,
which needs no Flask: pip install 'skiesish[tornado]'.
"""

import asyncio
import shutil
import tempfile

import tornado.web

from skiesish.integrations.healthcheck import EnvironmentDump, HealthCheck
from skiesish.integrations.tornado import TornadoHandler


def temporary_folder_has_room() -> tuple[bool, str]:
    """A check in py-healthcheck's form: ``(passed, output)``."""
    free = shutil.disk_usage(tempfile.gettempdir()).free
    return free > 100 * 1024 * 1024, f"{free // (1024 * 1024)} MiB free"


health = HealthCheck(error_timeout=2, success_ttl=10, failed_ttl=5)
health.add_check(temporary_folder_has_room)
environment = EnvironmentDump(include_process=False, application={"name": "tornado example"})

application = tornado.web.Application(
    [
        ("/healthcheck", TornadoHandler, dict(checker=health)),
        ("/environment", TornadoHandler, dict(checker=environment)),
    ]
)


async def main(port: int = 9090) -> None:
    """Serve ``application`` on 127.0.0.1 until interrupted."""
    application.listen(port, address="127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
