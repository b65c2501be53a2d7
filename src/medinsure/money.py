"""Exact money.

Amounts are :class:`decimal.Decimal` values in yuan with exactly two decimals (the fen).
They are accepted from ``int``, ``str`` and ``Decimal``; a ``float``, a ``bool``, NaN, an
infinity or a value with more than two decimals is refused, because each of them hides a
rounding that nobody chose.

The settlement's arithmetic is done in integer fen by :mod:`medinsure.settlement.formulas`,
which rounds half up to the fen at three documented points only: a basic pool payment, a
secondary benefit's annual function ``F(x)`` (so a claim's share ``F(after) - F(before)`` is a
difference of two rounded values and the year's total is ``F(total)``), and a combined cap
computed from a rate. :func:`to_fen` and :func:`from_fen` convert exactly between the two
forms; :func:`fmt` is how an amount is shown to people (``12,345.60``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from medinsure.errors import InvalidInput

__all__ = ["FEN", "ZERO", "Amount", "amount", "fmt", "from_fen", "pct", "rate", "round_fen", "to_fen"]

Amount = Decimal
FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def _to_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidInput(
            field, value, f"{type(value).__name__} is not accepted (floats are inexact); give a str, int or Decimal"
        )
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, str):
        try:
            dec = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(field, value, "not a number") from None
    else:
        raise InvalidInput(field, value, f"expected a number, got {type(value).__name__}")
    if not dec.is_finite():
        raise InvalidInput(field, value, "not a finite number")
    return dec


def amount(value: object, field: str = "amount", *, allow_negative: bool = False) -> Decimal:
    """Return ``value`` as a non-negative amount with exactly two decimals.

    >>> amount("12345.6")
    Decimal('12345.60')
    """
    dec = _to_decimal(value, field)
    if dec != dec.quantize(FEN, rounding=ROUND_HALF_UP):
        raise InvalidInput(field, value, "more than two decimals (amounts are exact to the fen)")
    if dec < 0 and not allow_negative:
        raise InvalidInput(field, value, "must not be negative")
    return dec.quantize(FEN)


def rate(value: object, field: str = "rate") -> Decimal:
    """Return ``value`` as a rate within [0, 1] (exact decimal, any precision)."""
    dec = _to_decimal(value, field)
    if dec < 0 or dec > 1:
        raise InvalidInput(field, value, "a rate must be within [0, 1]")
    return dec


def round_fen(value: Decimal) -> Decimal:
    """Round half up to the fen: the library's only rounding."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def pct(value: Decimal) -> str:
    """A rate as a percentage for display: ``Decimal("0.65")`` -> ``"65%"``."""
    text = format((value * 100).normalize(), "f")
    return f"{text}%"


def to_fen(value: Decimal) -> int:
    """An amount of yuan with at most two decimals as whole fen: ``Decimal("12.34")`` -> ``1234``."""
    return int(value.scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Whole fen as yuan with two decimals: ``1234`` -> ``Decimal("12.34")``."""
    return Decimal(fen if type(fen) is int else int(fen)).scaleb(-2)


def fmt(value: Decimal) -> str:
    """An amount as people read it: thousands separated, two decimals (``12,345.60``)."""
    return f"{value:,.2f}"
