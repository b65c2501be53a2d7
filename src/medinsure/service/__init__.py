"""The settlement service: medinsure over HTTP, for hospital and insurer systems in any language.

``medinsure serve`` (the ``service`` extra: Starlette on uvicorn) answers JSON over HTTP under
``/v1`` and describes itself in an OpenAPI 3.1 document assembled from the JSON Schemas the
package ships. Its modules, in the order a request meets them:

- :mod:`.config`: :class:`~medinsure.service.config.ServiceConfig`, the options of a server and
  the rules they must keep (a token off the loopback address, limits);
- :mod:`.server`: uvicorn serving it (workers, logging, the HTTP protocol);
- :mod:`.app`: the ASGI application, its limits, logging and routes;
- :mod:`.requests`: request bodies read by the library's own ``from_mapping`` constructors;
- :mod:`.operations`: settling, and the ledger's operations for a request;
- :mod:`.problems`: errors as RFC 9457 ``application/problem+json``;
- :mod:`.openapi` and :mod:`.pages`: the OpenAPI document and the interactive docs page.

This package imports nothing at import time, so ``medinsure`` works without the extra.
"""
