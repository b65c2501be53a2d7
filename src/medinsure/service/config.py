"""The options of a settlement service and the rules they keep: :class:`ServiceConfig`.

A server binds the loopback address (``127.0.0.1``) unless told otherwise, and any other
address needs a bearer token (``--token-file``) or an explicit ``--insecure``. A request body
is at most :data:`MAX_BODY` bytes and a request takes at most :data:`TIMEOUT` seconds unless
configured otherwise. Without a ledger no endpoint writes anything.

A configuration travels to uvicorn's worker processes as JSON in the environment variable
:data:`ENV` (:meth:`ServiceConfig.to_json`); the token itself does not: each worker reads the
token file.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from medinsure.errors import UsageError

if TYPE_CHECKING:
    from medinsure.settlement.engine import Engine

__all__ = ["ENV", "LEDGER_CONNECTIONS", "MAX_BODY", "MIN_TOKEN", "TIMEOUT", "ServiceConfig", "is_loopback"]

#: The environment variable that carries a configuration to worker processes.
ENV = "MEDINSURE_SERVICE_CONFIG"
#: The largest request body accepted by default, in bytes (1 MiB: thousands of claims).
MAX_BODY = 1_048_576
#: The longest a request may take by default, in seconds.
TIMEOUT = 30.0
#: Ledger connections each worker keeps open at most, by default.
LEDGER_CONNECTIONS = 4
#: The fewest characters a bearer token may have.
MIN_TOKEN = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``) or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen
class ServiceConfig:
    """How one server runs: where it listens, its ledger, its token, its limits, its plugins."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    ledger: str | None = None
    token_file: str | None = None
    insecure: bool = False
    allow_show_ids: bool = False
    max_body: int = MAX_BODY
    timeout: float = TIMEOUT
    ledger_connections: int = LEDGER_CONNECTIONS
    plugins: tuple[str, ...] = attrs.field(default=(), converter=_names)
    entry_points: bool = True
    allow: tuple[str, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else _names(v))
    block: tuple[str, ...] = attrs.field(default=(), converter=_names)
    #: Strict mode of the engine (``medinsure serve --strict``): None, "unverified" or "carried-forward".
    strict: str | None = None

    def check(self) -> None:
        """Refuse, with a one-line :class:`~medinsure.errors.UsageError`, options that cannot serve."""
        if not 1 <= self.port <= 65535:
            raise UsageError(f"--port {self.port}: expected a port number (1 to 65535)")
        if self.workers < 1:
            raise UsageError(f"--workers {self.workers}: expected at least 1")
        if self.max_body < 1:
            raise UsageError(f"--max-body {self.max_body}: expected a number of bytes, at least 1")
        if not self.timeout > 0:
            raise UsageError(f"--timeout {self.timeout}: expected a number of seconds above 0")
        if self.ledger_connections < 1:
            raise UsageError(f"--ledger-connections {self.ledger_connections}: expected at least 1")
        if not is_loopback(self.host) and self.token_file is None and not self.insecure:
            raise UsageError(
                f"--host {self.host}: refusing to serve an address other than 127.0.0.1 without a token;"
                " give --token-file FILE (bearer token) or --insecure"
            )
        self.read_token()

    def read_token(self) -> str | None:
        """The bearer token of ``token_file`` (None without one); a bad file is a UsageError."""
        if self.token_file is None:
            return None
        where = f"--token-file {self.token_file}"
        try:
            text = Path(self.token_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{where}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{where}: not UTF-8 text") from None
        token = text.strip()
        if len(token) < MIN_TOKEN or any(c.isspace() for c in token) or not token.isprintable():
            raise UsageError(
                f"{where}: expected one token of at least {MIN_TOKEN} printable characters, no spaces"
                " (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return token

    def engine(self) -> Engine:
        """The engine over the configured plugins (built once per worker process)."""
        from medinsure.plugins.discovery import import_plugin_modules
        from medinsure.settlement.engine import Engine

        return Engine.from_plugins(
            *import_plugin_modules(self.plugins),
            entry_points=self.entry_points,
            allow=None if self.allow is None else list(self.allow),
            block=list(self.block),
            strict=self.strict,
        )

    def to_json(self) -> str:
        """The configuration as JSON (for :data:`ENV`)."""
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        """The configuration :meth:`to_json` wrote."""
        return cls(**json.loads(text))
