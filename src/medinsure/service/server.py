"""How uvicorn serves the application: :func:`serve`, its log configuration and its protocol.

With one worker, uvicorn runs the application made here (with the engine already built); with
more, it starts worker processes that each make the application from the configuration in
:data:`~medinsure.service.config.ENV` (:func:`~medinsure.service.app.app_from_environment`).

:class:`NoDelayProtocol` is uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every
connection. uvicorn's multi-worker mode binds its listening socket without naming TCP, so
asyncio does not turn Nagle's algorithm off on the connections it accepts, and a response sent
in two writes (headers, then body) waits for the client's delayed acknowledgement: some 40 ms
a request on Linux. Setting ``TCP_NODELAY`` on each connection removes that wait whatever the
number of workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from medinsure.service.app import create_app
from medinsure.service.config import ENV, ServiceConfig
from medinsure.settlement.engine import Engine

__all__ = ["NoDelayProtocol", "log_config", "serve"]


class NoDelayProtocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` set on the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def log_config(level: str = "info") -> dict[str, Any]:
    """One line per record on standard error, with the request id; uvicorn's access log off."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "medinsure.service.app.LogContext"}},
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["context"],
            }
        },
        "loggers": {
            **{
                name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
                for name in ("medinsure", "uvicorn")
            },
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


def serve(config: ServiceConfig, engine: Engine, *, log_level: str = "info") -> None:
    """Serve until stopped (SIGINT or SIGTERM): the request in progress ends, then the workers."""
    options: dict[str, Any] = {
        "host": config.host.strip("[]"),
        "port": config.port,
        "http": f"{__name__}:NoDelayProtocol",
        "log_config": log_config(log_level),
        "log_level": log_level,
        "access_log": False,
        "server_header": False,
        "proxy_headers": True,
        "timeout_graceful_shutdown": int(config.timeout) + 1,
    }
    if config.workers == 1:
        uvicorn.run(create_app(config, engine=engine), **options)
        return
    os.environ[ENV] = config.to_json()
    uvicorn.run("medinsure.service.app:app_from_environment", factory=True, workers=config.workers, **options)
