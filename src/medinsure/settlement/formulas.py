"""The settlement's arithmetic, once, in integer fen: for one claim or for many at once.

Every function takes and returns whole fen: a Python ``int`` for one claim (the scalar engine,
:mod:`medinsure.settlement.engine`) or a numpy ``int64`` array with one element per claim (the
batch path, :mod:`medinsure.research.batch`). The functions use only what means the same on
both — ``+ - * //``, comparisons, and the helpers :func:`least`, :func:`most` and
:func:`choose` — so the two paths run the same formulas and agree to the fen by
construction. numpy is never imported here.

A rate is an exact fraction ``n / 10**k`` (:func:`rate_parts`: ``0.65`` is ``(65, 2)``).
Products are rounded half up to the fen, exactly, at three points only: a basic pool payment
(:func:`pool_share`), a benefit's annual function ``F`` (:func:`annual`) and the limit of a
combined cap (:func:`combined_limit`). The cost above the pool's cap is rounded half up too
(:func:`above_cap`).

With Python ints every amount and every rate is exact. With int64 arrays the caller keeps
amounts below 10**11 fen and rates to at most six decimals, so that no product leaves int64
(the batch path settles anything beyond that with the scalar engine).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import attrs

from medinsure.rules.tables import Schedule

__all__ = [
    "Tiers",
    "above_cap",
    "account_payable",
    "annual",
    "at_rate",
    "band_parts",
    "benefit_payment",
    "choose",
    "combined_limit",
    "deductible_applied",
    "least",
    "most",
    "pool_share",
    "rate_parts",
    "within_cap",
]


def least(a: Any, b: Any) -> Any:
    """The smaller of ``a`` and ``b``, element by element."""
    if type(a) is int and type(b) is int:
        return a if a <= b else b
    if hasattr(a, "clip"):
        return a.clip(None, b)
    if hasattr(b, "clip"):
        return b.clip(None, a)
    return a if a <= b else b


def most(a: Any, b: Any) -> Any:
    """The larger of ``a`` and ``b``, element by element."""
    if type(a) is int and type(b) is int:
        return a if a >= b else b
    if hasattr(a, "clip"):
        return a.clip(b, None)
    if hasattr(b, "clip"):
        return b.clip(a, None)
    return a if a >= b else b


def choose(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true`` where ``condition`` holds, else ``if_false``, element by element."""
    return if_false + (if_true - if_false) * condition


def _clip_own(value: Any, low: int | None, high: int | None) -> Any:
    """``value`` bounded to [low, high]; an array made by the caller is bounded in place."""
    if type(value) is not int and getattr(value, "ndim", False):
        return value.clip(low, high, out=value)
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


@functools.lru_cache(maxsize=1024)
def rate_parts(rate: Decimal) -> tuple[int, int]:
    """``rate`` as ``(n, k)`` with ``rate == n / 10**k`` exactly and ``k`` as small as it can be."""
    _sign, digits, exponent = rate.normalize().as_tuple()
    assert isinstance(exponent, int)
    n = int("".join(map(str, digits)) or "0")
    if exponent >= 0:
        return n * 10**exponent, 0
    return n, -exponent


def at_rate(amount: Any, n: Any, k: int) -> Any:
    """``amount × n / 10**k`` rounded half up to the fen (``amount`` is not negative)."""
    if k == 0:
        return amount * n
    scale = 10**k
    return (amount * n + scale // 2) // scale


# -- basic insurance ------------------------------------------------------------------------------


def deductible_applied(in_scope: Any, deductible: Any) -> Any:
    """The deductible a claim bears: the table's deductible, at most the in-scope cost."""
    return least(deductible, in_scope)


def pool_share(in_scope: Any, deductible: Any, n: Any, k: int) -> Any:
    """What the basic pool pays of a claim before its annual cap: ``(in_scope − deductible) × ratio``."""
    return at_rate(in_scope - deductible, n, k)


def within_cap(share: Any, cap: Any, paid_before: Any) -> Any:
    """The pool payment: ``share``, limited to what remains of the annual ``cap`` after ``paid_before``."""
    return least(share, most(cap - paid_before, 0))


def above_cap(base: Any, pool: Any, share: Any, n: Any, k: int) -> Any:
    """The in-scope cost above the pool's annual cap (the large-amount subsidy's base).

    ``base`` is the in-scope cost above the deductible. Where the cap cut the ``share`` to
    ``pool``, the cost the pool did not cover is ``base − pool ÷ ratio``, rounded half up to the
    fen and at least 0 (all of ``base`` for a ratio of 0); where it did not, 0.
    """
    zero = n == 0
    divisor = n + zero  # 1 where the ratio is 0
    excess = base * divisor - pool * 10**k  # (base − pool ÷ ratio) × divisor
    over = choose(zero, base, most((2 * excess + divisor) // (2 * divisor), 0))
    return choose(pool < share, over, 0)


# -- benefits on an annual base -------------------------------------------------------------------


@attrs.frozen
class Tiers:
    """A :class:`~medinsure.rules.tables.Schedule` in integer form, made by :meth:`of`.

    ``F(base) = min(cap, round_half_up(Σ n × overlap(base − offset, band) / 10**k))`` where each
    band is ``(start, end, n)`` in fen (``end`` None: no upper bound) and ``offset`` is the
    threshold when the bands are measured above it (0 when they measure the base itself).
    """

    offset: int
    bands: tuple[tuple[int, int | None, int], ...]
    k: int
    cap: int | None

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def of(schedule: Schedule) -> Tiers:
        parts = [rate_parts(tier.rate) for tier in schedule.tiers]
        k = max(part[1] for part in parts)
        bands = tuple(
            (_fen(tier.start), None if tier.end is None else _fen(tier.end), n * 10 ** (k - kk))
            for tier, (n, kk) in zip(schedule.tiers, parts, strict=True)
        )
        offset = _fen(schedule.threshold) if schedule.basis == "above_threshold" else 0
        return Tiers(offset, bands, k, None if schedule.cap is None else _fen(schedule.cap))


def _fen(value: Decimal) -> int:
    return int(value.scaleb(2))


def annual(tiers: Tiers, base: Any) -> Any:
    """``F(base)``: a benefit's amount for a year whose accumulated base is ``base``.

    Each band's share is summed exactly, the sum rounded half up to the fen once, then capped.
    """
    total = base * 0
    for start, end, n in tiers.bands:
        if n == 0:
            continue
        part = base - (tiers.offset + start)  # the part of the base inside the band, before bounds
        part = _clip_own(part, 0, None if end is None else end - start)
        part *= n
        total += part
    if tiers.k:
        total += 10**tiers.k // 2
        total //= 10**tiers.k
    if tiers.cap is not None:
        total = _clip_own(total, None, tiers.cap)
    return total


def band_parts(tiers: Tiers, base: int) -> list[tuple[int, int]]:
    """The terms :func:`annual` sums for one base: each band's part of it (fen) and its numerator.

    A term's amount is ``at_rate(part, n, tiers.k)``; for explaining ``F``, not for settling
    (``F`` rounds the sum once, so the rounded terms may differ from it by a fen or two).
    """
    out = []
    for start, end, n in tiers.bands:
        part = max(base - (tiers.offset + start), 0)
        if end is not None:
            part = min(part, end - start)
        if part > 0:
            out.append((part, n))
    return out


def benefit_payment(target: Any, paid_before: Any, owed: Any) -> Any:
    """What a benefit pays on a claim: ``F(base after) − paid before``, at least 0, at most ``owed``.

    Summed over a year this is ``F(the year's base)``, whatever the split into claims, unless a
    claim's ``owed`` binds.
    """
    return least(most(target - paid_before, 0), owed)


def combined_limit(year_in_scope: Any, n: Any, k: int) -> Any:
    """A combined cap's limit for the year: ``rate × the year's in-scope cost``, rounded half up."""
    return at_rate(year_in_scope, n, k)


def account_payable(share: Any, outside: Any, n: Any, k: int) -> Any:
    """What the personal account may pay of the patient's ``share``.

    The in-scope part of the share (``share − outside``) and ``n / 10**k`` of ``outside`` (the
    costs outside the policy scope, 全自费 + 超限价), rounded half up to the fen.
    """
    inside = most(share - outside, 0)
    return inside + at_rate(least(outside, share), n, k)
