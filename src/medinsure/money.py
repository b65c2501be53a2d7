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

__all__ = [
    "FEN",
    "MAX_AMOUNT",
    "MAX_NUMBER_TEXT",
    "ZERO",
    "Amount",
    "amount",
    "capital",
    "fen_text",
    "fmt",
    "from_fen",
    "pct",
    "rate",
    "round_fen",
    "shortened",
    "to_fen",
]

Amount = Decimal
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount medinsure accepts: one thousand million yuan (10⁹). Larger figures are
#: typing errors, and refusing them keeps every product of an amount and a rate exact.
MAX_AMOUNT = Decimal("1000000000.00")
#: The longest text read as a number (characters, spaces included).
MAX_NUMBER_TEXT = 40


def _to_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidInput(
            field, value, f"{type(value).__name__} is not accepted (floats are inexact); give a str, int or Decimal"
        )
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int):
        if abs(value) > MAX_AMOUNT:  # before Decimal(), which a 5,000-digit integer would slow
            raise InvalidInput(field, shortened(value), f"above the largest amount accepted ({MAX_AMOUNT:,.0f})")
        dec = Decimal(value)
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise InvalidInput(field, shortened(value), f"longer than {MAX_NUMBER_TEXT} characters: not an amount")
        try:
            dec = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(field, value, "not a number") from None
    else:
        raise InvalidInput(field, value, f"expected a number, got {type(value).__name__}")
    if not dec.is_finite():
        raise InvalidInput(field, value, "not a finite number")
    if abs(dec) > MAX_AMOUNT:
        raise InvalidInput(field, shortened(value), f"above the largest amount accepted ({MAX_AMOUNT:,.0f})")
    if dec.is_zero():
        return ZERO  # "-0" and "0E+5" are the one zero
    return dec


def shortened(value: object, limit: int = MAX_NUMBER_TEXT) -> object:
    """A value as an error message shows it: text over ``limit`` characters cut to its first 20
    and its length, so that the message stays one line."""
    if isinstance(value, int):  # str() of a 5,000-digit integer fails, and says nothing useful
        digits = len(str(value)) if value.bit_length() < 100 else int(value.bit_length() * 0.30103) + 1
        return value if digits <= limit else f"an integer of about {digits} digits"
    text = str(value)
    return value if len(text) <= limit else f"{text[:20]}…({len(text)} characters)"


def amount(value: object, field: str = "amount", *, allow_negative: bool = False) -> Decimal:
    """Return ``value`` as a non-negative amount with exactly two decimals.

    >>> amount("12345.6")
    Decimal('12345.60')
    """
    dec = _to_decimal(value, field)  # at most MAX_AMOUNT: quantizing to the fen cannot overflow
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


def fen_text(fen: int) -> str:
    """Whole fen as yuan text, as files carry amounts (no grouping): ``-123456`` → ``"-1234.56"``."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def fmt(value: Decimal, *, short: bool = False) -> str:
    """An amount as people read it: thousands separated, two decimals (``12,345.60``).

    With ``short``, a whole amount loses its decimals (``50,000``), as in a tier breakdown.
    """
    if short and value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("", "万", "亿", "万亿")


def _group(value: int) -> str:
    """Four digits or fewer in capitals, without leading zeros: ``1010`` → 壹仟零壹拾."""
    out: list[str] = []
    zero = False
    for digit, place in zip(f"{value:04d}", _PLACES, strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[int(digit)] + place)
    return "".join(out)


def capital(value: Decimal) -> str:
    """An amount in Chinese capitals (大写金额), as on a receipt: ``33250.00`` → 叁万叁仟贰佰伍拾元整.

    Zeros inside the number are read once (``10005`` → 壹万零伍元整); 角 and 分 follow the yuan,
    and ``整`` ends an amount without them.
    """
    fen = to_fen(round_fen(value))
    if fen < 0:
        return "负" + capital(-value)
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    text = ""
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group(group) + _GROUPS[index]
        pending_zero = False
    if text:
        text += "元"
    if not jiao and not cents:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if cents:
        text += ("零" if text and not jiao else "") + _DIGITS[cents] + "分"
    return text
