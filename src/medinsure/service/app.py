"""The ASGI application of ``medinsure serve``: :func:`create_app` (Starlette).

Each worker process builds its engine once, when it makes the application, and — with a
ledger — keeps a few ledger connections (:class:`~medinsure.service.operations.LedgerThreads`).
Every request goes through :class:`Guard` first, which

- gives it a request id (the client's ``X-Request-Id`` when it is a plain token, else a new
  one), sent back in the ``X-Request-Id`` header and written on every log line of the request;
- asks for the bearer token on every path but ``/v1/health``, ``/openapi.json`` and ``/docs``
  when the server has one;
- refuses a body above the server's limit (413) and ends a request that takes longer than its
  time limit (503);
- writes one access-log line: request id, method, path with person ids masked, status, time.

Errors of every kind are problem details (:mod:`medinsure.service.problems`); an unexpected
one is logged, with its traceback, under the request id, and the response says only that.
Person ids are masked in everything logged (:class:`LogContext`).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medinsure import __version__
from medinsure.errors import MedinsureError, RequestError, UnknownJurisdiction
from medinsure.io.masking import IdMasker, redact
from medinsure.io.sheets import jurisdiction_names, render_document
from medinsure.io.writers import settlement_record
from medinsure.rules.describe import rules_as_dict
from medinsure.service import operations
from medinsure.service.config import ENV, ServiceConfig
from medinsure.service.openapi import openapi_document
from medinsure.service.pages import docs_page
from medinsure.service.problems import MEDIA_TYPE, Problem, problem_of
from medinsure.service.requests import (
    CaseRequest,
    copy_of,
    flag,
    language,
    query,
    read_json,
    reversal_of,
    year_of,
)
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement

__all__ = ["OPEN_PATHS", "Guard", "LogContext", "Service", "app_from_environment", "create_app"]

log = logging.getLogger("medinsure.service")
access_log = logging.getLogger("medinsure.service.access")

#: Paths that answer without the bearer token.
OPEN_PATHS = ("/v1/health", "/openapi.json", "/docs")

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("medinsure_request_id", default="-")
_PERSONS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("medinsure_persons", default=None)
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_PERSON_PATH = re.compile(r"^(/v1/persons/)(.+?)(/years/[^/]*)?$")
T = TypeVar("T")


class LogContext(logging.Filter):
    """Puts the request id on every log record (``%(request_id)s``) and masks the request's person ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get()
        persons = _PERSONS.get()
        if persons:
            message = record.getMessage()
            masked = redact(message, persons)
            if masked != message:
                record.msg, record.args = masked, None
            if record.exc_info:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text, record.exc_info = redact(text, persons), None
        return True


def _persons(*ids: str) -> None:
    """The request is about these persons: mask them in its log lines."""
    persons = _PERSONS.get()
    if persons is not None:
        persons.update(i for i in ids if i)


@attrs.define
class Service:
    """What one worker holds for its life: the configuration, the engine, the ledger connections."""

    config: ServiceConfig
    engine: Engine
    token: str | None
    document: dict[str, Any]
    page: str
    built: str
    names: dict[str, str]
    ledgers: operations.LedgerThreads | None = None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


# --- responses ------------------------------------------------------------------------------------


def _problem_response(problem: Problem, *, instance: str) -> Response:
    body = problem.to_json(instance=instance, request_id=_REQUEST_ID.get())
    return Response(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def _wants_html(request: Request) -> bool:
    """Whether the client prefers ``text/html`` to JSON (``Accept``, with q-values; ties go to JSON)."""
    best = {"html": 0.0, "json": 0.0}
    for part in request.headers.get("accept", "").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in ("text/html", "text/*"):
            best["html"] = max(best["html"], q)
        if media in ("application/json", "application/*", "*/*"):
            best["json"] = max(best["json"], q)
    return best["html"] > best["json"]


def _settlements(
    request: Request, settlements: list[Settlement], params: dict[str, str], *, status: int = 200, **headers: str
) -> Response:
    """Settlements as the command line's JSON, or as the settlement sheets (``Accept: text/html``)."""
    if _wants_html(request):
        mask = not _show_ids(request, params)
        names = _service(request).names
        page = render_document(settlements, lang=language(params), mask=mask, copy=copy_of(params), names=names)
        return HTMLResponse(page, status_code=status, headers=headers)
    national = flag(params, "national")
    return JSONResponse([settlement_record(s, national=national) for s in settlements], status, headers)


def _show_ids(request: Request, params: dict[str, str]) -> bool:
    if not flag(params, "show_ids"):
        return False
    if not _service(request).config.allow_show_ids:
        raise RequestError(
            403, "Forbidden", "show_ids=true: this server masks person ids (start it with --allow-show-ids)"
        )
    return True


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a thread, with this request's context; a request that times out stops waiting."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(None, functools.partial(context.run, function, *args))


async def _case(request: Request, *, accumulators: bool) -> CaseRequest:
    data = read_json(await request.body(), request.headers.get("content-type"))
    patient = data.get("patient") if isinstance(data, dict) else None
    if isinstance(patient, dict) and isinstance(patient.get("id"), (str, int)):
        _persons(str(patient["id"]).strip())  # masked in the log even if the request is refused
    case = CaseRequest.from_mapping(data, accumulators=accumulators)
    _persons(case.patient.id)
    return case


def _ledgers(request: Request) -> operations.LedgerThreads:
    ledgers = _service(request).ledgers
    if ledgers is None:
        raise RequestError(
            404, "Not Found", "this server has no ledger: start it with --ledger to pre-settle, record and reverse"
        )
    return ledgers


_SHEET = ("national", "lang", "copy", "show_ids")


# --- endpoints -------------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    service = _service(request)
    query(request.query_params.multi_items(), ())
    if service.ledgers is not None:
        await service.ledgers.run(lambda ledger: ledger.entry(""))  # the ledger answers
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "jurisdictions": service.engine.jurisdictions,
            "ledger": service.ledgers is not None,
            "worker": {"pid": os.getpid(), "engine_built": service.built},
        }
    )


async def list_jurisdictions(request: Request) -> Response:
    query(request.query_params.multi_items(), ())
    return JSONResponse(operations.jurisdictions(_service(request).engine))


async def rules(request: Request) -> Response:
    params = query(request.query_params.multi_items(), ("year",))
    year = year_of("query.year", params.get("year"))
    code = request.path_params["code"]
    try:
        found = _service(request).engine.rules(code)
    except UnknownJurisdiction as exc:
        raise RequestError(404, "Not Found", str(exc)) from None
    return JSONResponse(rules_as_dict(found, year=year))


async def settle(request: Request) -> Response:
    params = query(request.query_params.multi_items(), _SHEET)
    case = await _case(request, accumulators=True)
    settlements = await _in_thread(operations.settle, _service(request).engine, case)
    return _settlements(request, settlements, params)


async def presettle(request: Request) -> Response:
    params = query(request.query_params.multi_items(), _SHEET)
    ledgers = _ledgers(request)
    case = await _case(request, accumulators=False)
    settlements = await ledgers.run(lambda ledger: operations.presettle(ledger, case))
    return _settlements(request, settlements, params)


async def record(request: Request) -> Response:
    params = query(request.query_params.multi_items(), _SHEET)
    ledgers = _ledgers(request)
    case = await _case(request, accumulators=False)
    settlements, new = await ledgers.run(lambda ledger: operations.record(ledger, case))
    headers = {}
    if new and len(case.claims) == 1:
        headers["Location"] = f"/v1/settlements/{quote(operations.recorded_id(case.claims[0]), safe='')}"
    return _settlements(request, settlements, params, status=201 if new else 200, **headers)


async def get_settlement(request: Request) -> Response:
    params = query(request.query_params.multi_items(), _SHEET)
    ledgers = _ledgers(request)
    settlement_id = request.path_params["settlement_id"]
    entry = await ledgers.run(lambda ledger: operations.find_entry(ledger, settlement_id))
    _persons(entry.person_id)
    if entry.settlement is None:
        raise RequestError(
            410, "Gone", f"claim.id={settlement_id!r}: reversed (the person-year's audit trail has when)"
        )
    if _wants_html(request):
        return _settlements(request, [entry.settlement], params)
    return JSONResponse(settlement_record(entry.settlement, national=flag(params, "national")))


async def reverse(request: Request) -> Response:
    query(request.query_params.multi_items(), ())
    ledgers = _ledgers(request)
    settlement_id = request.path_params["settlement_id"]
    reversal = reversal_of(read_json(await request.body(), request.headers.get("content-type"), empty=None))
    _persons(reversal.psn_no or "")

    def reverse_in(ledger: Any) -> Any:
        entry = operations.find_entry(ledger, settlement_id)
        _persons(entry.person_id)
        return operations.reverse(ledger, entry, reversal)

    event = await ledgers.run(reverse_in)
    return JSONResponse(operations.event_record(event))


async def person_year(request: Request) -> Response:
    params = query(request.query_params.multi_items(), ("national", "show_ids"))
    person_id = request.path_params["person_id"]
    _persons(person_id)
    year = year_of("year", request.path_params["year"])
    assert year is not None
    show = _show_ids(request, params)
    ledgers = _ledgers(request)
    national = flag(params, "national")
    data = await ledgers.run(lambda ledger: operations.person_year(ledger, person_id, year, national=national))
    return JSONResponse(operations.masked(data, IdMasker(show=show), [person_id]))


async def openapi(request: Request) -> Response:
    query(request.query_params.multi_items(), ())
    return JSONResponse(_service(request).document)


async def docs(request: Request) -> Response:
    query(request.query_params.multi_items(), ("run",))
    return HTMLResponse(_service(request).page)


ROUTES = [
    Route("/v1/health", health, methods=["GET"]),
    Route("/v1/jurisdictions", list_jurisdictions, methods=["GET"]),
    Route("/v1/jurisdictions/{code}/rules", rules, methods=["GET"]),
    Route("/v1/settle", settle, methods=["POST"]),
    Route("/v1/presettle", presettle, methods=["POST"]),
    Route("/v1/settlements", record, methods=["POST"]),
    # ids may hold "/" (sent as %2F): the path converter takes them whole
    Route("/v1/settlements/{settlement_id:path}/reverse", reverse, methods=["POST"]),
    Route("/v1/settlements/{settlement_id:path}", get_settlement, methods=["GET"]),
    Route("/v1/persons/{person_id:path}/years/{year}", person_year, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/docs", docs, methods=["GET"]),
]


# --- errors ---------------------------------------------------------------------------------------


async def _medinsure_error(request: Request, exc: Exception) -> Response:
    problem = problem_of(exc, request_id=_REQUEST_ID.get())
    if problem.name == "internal":  # a plugin's code failed: the whole story, for whoever runs the server
        log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    elif problem.status >= 500:
        log.warning("%s: %s", problem.name, exc)
    return _problem_response(problem, instance=request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    detail = {
        404: f"no such path: {request.url.path} (see /docs)",
        405: f"{request.method} {request.url.path}: the path does not take this method",
    }.get(status, str(exc.detail))
    problem = problem_of(RequestError(status, "", detail), request_id=_REQUEST_ID.get())
    response = _problem_response(problem, instance=request.url.path)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return _problem_response(problem_of(exc, request_id=_REQUEST_ID.get()), instance=request.url.path)


# --- the guard: request ids, token, limits, access log -------------------------------------------------


class Guard:
    """The outermost ASGI layer of the service (see the module's documentation)."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int, timeout: float) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        id_token = _REQUEST_ID.set(request_id)
        persons_token = _PERSONS.set(set())
        started = time.perf_counter()
        status = [0]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                extra = [(b"x-request-id", request_id.encode()), (b"cache-control", b"no-store")]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            refusal = self._refusal(scope, headers)
            if refusal is not None:
                await self._send_problem(refusal, scope, send_with_id)
                return
            try:
                with anyio.fail_after(self.timeout):
                    await self.app(scope, self._limited(receive), send_with_id)
            except TimeoutError:
                if not status[0]:
                    detail = f"the request took longer than the server's limit of {self.timeout:g} s (--timeout)"
                    await self._send_problem(RequestError(503, "", detail), scope, send_with_id)
            except Exception as exc:  # re-raised by Starlette after its handler answered
                if not status[0]:
                    log.error("unexpected error", exc_info=exc)
                    await self._send_problem(exc, scope, send_with_id)
        finally:
            path = _PERSON_PATH.sub(lambda m: m.group(1) + IdMasker()(m.group(2)) + (m.group(3) or ""), scope["path"])
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %d %.1fms", scope["method"], path, status[0], elapsed)
            _PERSONS.reset(persons_token)
            _REQUEST_ID.reset(id_token)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> RequestError | None:
        """Why the request is refused before it is read: no token, or a body declared too large."""
        if self.token is not None and scope["path"] not in OPEN_PATHS:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                return RequestError(401, "", "a bearer token is needed: Authorization: Bearer TOKEN")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return self._too_large(int(length))
        return None

    def _too_large(self, size: int | None) -> RequestError:
        got = f"{size:,} bytes" if size is not None else "more"
        return RequestError(413, "", f"body: {got}, above the server's limit of {self.max_body:,} bytes (--max-body)")

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise self._too_large(None)
            return message

        return limited

    async def _send_problem(self, exc: BaseException, scope: Scope, send: Send) -> None:
        problem = problem_of(exc, request_id=_REQUEST_ID.get())
        body = problem.to_json(instance=scope["path"], request_id=_REQUEST_ID.get())
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
        if problem.status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="medinsure"'))
        await send({"type": "http.response.start", "status": problem.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# --- the application -------------------------------------------------------------------------------------


def create_app(config: ServiceConfig, *, engine: Engine | None = None) -> ASGIApp:
    """The service's ASGI application; builds the engine unless one is given (once per worker)."""
    token = config.read_token()
    engine = engine if engine is not None else config.engine()
    document = openapi_document(token=token is not None)
    service = Service(
        config=config,
        engine=engine,
        token=token,
        document=document,
        page=docs_page(document),
        built=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        names=jurisdiction_names(engine),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.ledger is not None:
            service.ledgers = operations.LedgerThreads(
                config.ledger, engine, size=config.ledger_connections, timeout=config.timeout
            )
        try:
            yield
        finally:
            if service.ledgers is not None:
                await asyncio.get_running_loop().run_in_executor(None, service.ledgers.close)

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        MedinsureError: _medinsure_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
    app = Starlette(routes=ROUTES, exception_handlers=handlers, lifespan=lifespan)
    app.state.service = service
    return Guard(app, token=token, max_body=config.max_body, timeout=config.timeout)


def app_from_environment() -> ASGIApp:
    """The application of a worker process, configured by :data:`~medinsure.service.config.ENV`."""
    return create_app(ServiceConfig.from_json(os.environ[ENV]))
