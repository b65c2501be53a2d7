"""The ``medinsure`` command line: :func:`main`, and one module per group of commands.

- :mod:`.main`: the parser, ``settle``, ``explain``, ``check``, ``plugins``, ``rules``;
- :mod:`.ledger`: ``settle --ledger``, ``reverse``, ``correct``, ``ledger show|verify``;
- :mod:`.compare`: ``compare`` (the research extra);
- :mod:`.kit`: ``new-plugin``;
- :mod:`.serve`: ``serve`` (the service extra).
"""

from __future__ import annotations

from medinsure.cli.main import main

__all__ = ["main"]
