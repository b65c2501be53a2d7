"""``medinsure serve``: the settlement service over HTTP (the ``service`` extra).

::

    medinsure serve [--host 127.0.0.1] [--port 8000] [--workers N] [--ledger PATH|URL]
                    [--token-file FILE | --insecure] [--allow-show-ids]
                    [--max-body BYTES] [--timeout SECONDS] [--ledger-connections N] [--log-level L]

It listens on the loopback address unless told otherwise; any other address needs a bearer
token (``--token-file``) or ``--insecure``, else it stops with a one-line error (exit 2). The
plugins are loaded and checked, and the ledger created or opened, before the server starts,
so a bad option is a one-line error rather than a failing worker. With ``--workers N`` uvicorn
runs N worker processes, each building its engine once.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any, TextIO

from medinsure.cli.output import listed_names
from medinsure.errors import MedinsureError, UsageError
from medinsure.service.config import LEDGER_CONNECTIONS, MAX_BODY, TIMEOUT, ServiceConfig

__all__ = ["add_parser", "config_of", "run"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``serve`` to the command line."""
    serve = sub.add_parser(
        "serve", parents=[common], help="serve settlements over HTTP (OpenAPI 3.1; needs medinsure[service])"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1)")
    serve.add_argument(
        "--ledger", metavar="PATH|URL", help="record settlements in this ledger (a SQLite file or a postgresql:// URL)"
    )
    serve.add_argument("--token-file", metavar="FILE", help="require this bearer token on every data endpoint")
    serve.add_argument("--insecure", action="store_true", help="serve an address other than 127.0.0.1 without a token")
    serve.add_argument(
        "--allow-show-ids", action="store_true", help="let callers ask for unmasked person ids (show_ids=true)"
    )
    serve.add_argument(
        "--max-body", type=int, default=MAX_BODY, metavar="BYTES", help=f"largest request body (default {MAX_BODY})"
    )
    serve.add_argument(
        "--timeout", type=float, default=TIMEOUT, metavar="SECONDS", help=f"longest request (default {TIMEOUT:g})"
    )
    serve.add_argument(
        "--ledger-connections",
        type=int,
        default=LEDGER_CONNECTIONS,
        metavar="N",
        help=f"ledger connections per worker (default {LEDGER_CONNECTIONS})",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")


def config_of(args: argparse.Namespace) -> ServiceConfig:
    """The service configuration of ``medinsure serve``'s options."""
    return ServiceConfig(
        host=args.host,
        port=args.port,
        workers=args.workers,
        ledger=args.ledger,
        token_file=args.token_file,
        insecure=args.insecure,
        allow_show_ids=args.allow_show_ids,
        max_body=args.max_body,
        timeout=args.timeout,
        ledger_connections=args.ledger_connections,
        plugins=args.plugin,
        entry_points=not args.no_entry_points,
        allow=None if args.allow is None else listed_names(args.allow),
        block=listed_names(args.block),
        strict=getattr(args, "strict", None),
    )


def _check_address(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host.strip("[]"), port))
    except OSError as exc:
        raise UsageError(f"--host {host} --port {port}: cannot listen there: {exc.strerror or exc}") from None


def run(args: argparse.Namespace, err: TextIO) -> int:
    """Check the options, load the plugins, open the ledger, then serve until stopped."""
    config = config_of(args)
    config.check()
    try:
        from medinsure.service.server import serve
    except ImportError as exc:
        raise MedinsureError(f"needs the optional extra: pip install 'medinsure[service]' ({exc})") from None
    engine = config.engine()
    if config.ledger is not None:
        from medinsure.ledger import open_ledger

        open_ledger(config.ledger, engine, create=True).close()  # made once here, not by racing workers
    _check_address(config.host, config.port)
    shown = "ledger" if config.ledger else "no ledger"
    token = "bearer token" if config.token_file else "no token"
    print(
        f"medinsure serve: http://{config.host}:{config.port} ({config.workers} worker(s), {shown}, {token});"
        f" docs at /docs, OpenAPI at /openapi.json",
        file=err,
        flush=True,
    )
    serve(config, engine, log_level=args.log_level)
    return 0
