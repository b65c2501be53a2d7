"""Masking of person ids, which may be national ID numbers (身份证号).

Outputs meant for people (explain sheets, error messages of the command line, logs) show
ids masked by default: the first four and last four characters are kept and the rest are
replaced by ``*`` — ``210202198005011234`` becomes ``2102**********1234``. Ids of eight
characters or fewer keep only their last two.
"""

from __future__ import annotations

__all__ = ["mask_id"]


def mask_id(person_id: str) -> str:
    """``person_id`` with its middle hidden."""
    n = len(person_id)
    if n <= 2:
        return "*" * n
    if n <= 8:
        return "*" * (n - 2) + person_id[-2:]
    return person_id[:4] + "*" * (n - 8) + person_id[-4:]
