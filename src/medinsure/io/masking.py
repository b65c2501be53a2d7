"""Masking of person ids in what people read.

A person id may be a national ID number (居民身份证号码). Output meant for people — logs, error
messages, settlement sheets — shows it masked unless the user asks to see it:

>>> mask_id("210203198001011234")
'2102**********1234'
>>> mask_id("P0001")
'P***1'

:func:`mask_id` keeps at most four characters at each end and never more than a quarter of the
id at either end, so a short id keeps little or nothing. :func:`redact` masks every occurrence
of some known ids in a text, and :class:`IdMasker` is the switch (``--show-ids``) that the
command line passes around.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

__all__ = ["IdMasker", "mask_id", "redact", "redact_url"]


def mask_id(value: str) -> str:
    """``value`` with its middle replaced by ``*``: the first and last ``min(4, len // 4)`` kept."""
    text = str(value)
    keep = min(4, len(text) // 4)
    if keep == 0:
        return "*" * len(text)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def redact(text: str, ids: Iterable[str]) -> str:
    """``text`` with each of ``ids`` masked where it stands as a whole token (longest ids first).

    A whole token: not part of a longer run of letters, digits or ``_`` — so person ``P1`` is
    masked in ``patient P1`` but claim ``P1C1`` is left as it is.
    """
    wanted = sorted({str(i) for i in ids if str(i)}, key=len, reverse=True)
    if not wanted:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(i) for i in wanted) + r")(?!\w)")
    return pattern.sub(lambda m: mask_id(m.group(0)), text)


_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<tail>@)", re.I)


def redact_url(url: str) -> str:
    """A connection URL with its password, if any, replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***{m.group('tail')}", url)


@attrs.frozen
class IdMasker:
    """Shows person ids masked (the default) or, with ``show=True``, as they are."""

    show: bool = False

    def __call__(self, person_id: str) -> str:
        return str(person_id) if self.show else mask_id(person_id)

    def text(self, text: str, ids: Iterable[str]) -> str:
        """``text`` with the ``ids`` in it masked, unless ids are shown."""
        return text if self.show else redact(text, ids)
