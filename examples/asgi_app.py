"""A health check served through ASGI: alone under uvicorn, or mounted in a FastAPI app.

    uvicorn examples.asgi_app:application --port 9090   # skiesish alone
    uvicorn examples.asgi_app:app --port 9090           # FastAPI, health at /health/
    curl -i http://127.0.0.1:9090/health/

The sync check runs on a worker thread; the ``async def`` check is awaited on
an event loop of its own and cancelled if it outlives its 2 s deadline. The
event loop serving requests waits on neither.
"""

import asyncio
import contextlib

from fastapi import FastAPI

import skiesish


async def localhost_resolves() -> bool:
    """An async check: the resolver answers for localhost."""
    addresses = await asyncio.get_running_loop().getaddrinfo("localhost", 80)
    return bool(addresses)


application = skiesish.contexts.asgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {
            "services": ["memory_backend"],
            "checks": {"resolver": skiesish.Check(localhost_resolves, timeout=2)},
        },
    )
)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    """Starlette sends no lifespan events to mounted apps: close the health check here."""
    yield
    application.close()


app = FastAPI(lifespan=lifespan)
app.mount("/health", application)


@app.get("/")
def index() -> dict[str, str]:
    """The application's own route, beside the mounted health check."""
    return {"service": "example"}
