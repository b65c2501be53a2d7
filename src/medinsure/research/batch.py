"""Settle a whole table of claims at once, identical to the scalar engine to the fen.

:func:`settle_frame` takes a :class:`pandas.DataFrame` with the flat CSV columns of the command
line (see :mod:`medinsure.io.records`), rows in settlement order per person, and returns one row
per claim: ``claim_id`` and one ``int64`` column of **fen** per settlement component, named
with the suffix ``_fen`` (``fund_total_fen``: the research API's one unit convention, in and
out). Integer fen keep the amounts exact, make the arithmetic vectorisable and cost 8 bytes
per amount; :func:`to_decimal` turns the result into ``Decimal`` yuan when a caller wants them,
:func:`yuan` into text to read.

How it works, and why the result equals the scalar engine's:

1. **Rules per group.** Rows are grouped by everything a rule can match on: jurisdiction,
   scheme, status, kind, hospital level, location, referral, filed, designated, categories,
   conditions, tags, years of service, whether a basic settlement is given, the *epoch* of the
   service date (the interval between two consecutive dates at which any rule version,
   eligibility window or jurisdiction start changes) and the *age band* (between two
   consecutive age bounds of any rule). Rows of one group resolve every table to the same row and version, so the scalar
   engine is asked once per group, on the group's first row: it settles that claim (raising
   exactly the error every row of the group would raise) and reports the eligibility
   refusals, the deductible, ratio and cap, each benefit's schedule and each combined cap's rate.
2. **Arrays per person-year.** Amounts are integer fen; rates are scaled to integers (at most
   six decimals) and every product is rounded half up exactly in integer arithmetic. Within a
   person-year (rows of one person and calendar year, as the scalar accumulator), cumulative
   quantities come from grouped cumulative sums: the basic pool paid before a claim is
   ``min(cap, cumulative uncapped)``; a benefit pays ``F(cumulative base) − F(previous)``,
   computed on the rows the benefit covers only. Persons are numbered in order of first
   appearance from runs of equal ids (only a run's first id is hashed, none when the runs are
   sorted by id or the column is categorical), so rows already grouped by person are never
   sorted.
3. **Fallback.** Those closed forms hold unless a sequential-only effect binds. The person-years
   where one does are settled again by the scalar engine, so the result is equal by
   construction. They are: the pool cap binds while the capped claims of the year do not share
   one cap or other claims add to the pool; a benefit's schedule changes within the year; a
   benefit's payment would exceed what the patient still owes in scope; a combined cap binds;
   the person-year spans two jurisdictions; a basic settlement given elsewhere brings the year's
   pool to its cap exactly (or, in strict mode, above it); an amount exceeds 10⁹ yuan; a rate
   has more than six decimals; or a jurisdiction has an eligibility check given as Python code. The share of
   rows that took the fallback is in ``result.attrs["medinsure"]["fallback_rows"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from medinsure.errors import InputError, InvalidInput, MedinsureError, RowInputError
from medinsure.io.records import BASIC_COLUMNS, CSV_COLUMNS, REQUIRED_COLUMNS, record_from_row, settle_records
from medinsure.model import MAX_ID_LENGTH, WHITESPACE, Claim, Patient, identifier, whole_years
from medinsure.money import MAX_AMOUNT, amount, fen_text, fmt, from_fen, to_fen
from medinsure.rules.names import BASES, COMPONENTS, FUNDS
from medinsure.rules.reforms import apply_reform
from medinsure.settlement import formulas
from medinsure.settlement.engine import Engine
from medinsure.settlement.plan import Plan, rules_used
from medinsure.settlement.years import PersonYears

if TYPE_CHECKING:
    from medinsure.rules.reforms import Reform

__all__ = [
    "AMOUNT_COLUMNS",
    "BATCH_COLUMNS",
    "FEN_COLUMNS",
    "OUTPUT_COLUMNS",
    "prepare",
    "settle_frame",
    "settle_frame_scalar",
    "to_decimal",
    "yuan",
    "yuan_to_fen",
]

#: Input columns holding amounts in yuan (``str``, ``Decimal`` or ``int``; never ``float``).
AMOUNT_COLUMNS = ("total", "in_scope", "class_b_self_pay", *BASIC_COLUMNS)
#: The columns the batch path reads. The other columns of a flat file (the platform's ids, a
#: personal account, interim settlements, fee-line totals, the patient's name and codes for the
#: sheets) are read by the scalar engine only: a frame with a value in one of them is refused,
#: naming it, rather than settled as if it were empty.
BATCH_COLUMNS = (
    "jurisdiction", "patient_id", "scheme", "status", "birth_date", "categories", "conditions", "service_years",
    "claim_id", "kind", "admitted", "discharged", "hospital_level", "referral", "location", "filed", "designated",
    "total", "in_scope", "class_b_self_pay", "tags", *BASIC_COLUMNS,
)  # fmt: skip
#: The output column of each component: int64 fen, named with the suffix ``_fen``.
FEN_COLUMNS = {name: f"{name}_fen" for name in COMPONENTS}
#: Output columns: the claim id and one int64 column of fen per component (``fund_total_fen``...).
OUTPUT_COLUMNS = ("claim_id", *FEN_COLUMNS.values())

_MAX_FEN = int(MAX_AMOUNT * 100)  # 10⁹ yuan: every product of an amount and a scaled rate stays within int64
_MAX_YUAN = int(MAX_AMOUNT)
_MAX_DECIMALS = 6
_EPOCH = dt.date(1970, 1, 1)
_KEY_COLUMNS = (
    "jurisdiction", "scheme", "status", "kind", "hospital_level", "referral", "location", "filed",
    "designated", "categories", "conditions", "tags", "service_years",
)  # fmt: skip


# -- amounts -----------------------------------------------------------------------------------


#: How to read a claim file with pandas so that amounts stay exact, for the hints of errors.
READ_HINT = (
    "read the file with pd.read_csv(path, dtype=str, keep_default_na=False)"
    " or medinsure.research.read_frame(path), or give {name}_fen as integer fen"
)


def _float_message(field: str, value: Any) -> str:
    name = field.rpartition(".")[2]
    value = float(value)
    why = "an empty cell read as NaN" if value != value else "a number read as a float"
    return f"{field}={value!r}: {why}; floats are not accepted (inexact): {READ_HINT.format(name=name)}"


def yuan_to_fen(values: Any, field: str = "amount", where: Callable[[int], str] | None = None) -> np.ndarray:
    """Exact fen (int64) from yuan given as text, ``Decimal`` or whole ``int``; floats are refused.

    Missing cells (``None``, ``NaN`` in a column of text, empty text) become ``-1``; any other
    value that is not a non-negative amount with at most two decimals raises
    :class:`InvalidInput` naming it (a :class:`RowInputError` naming ``where(row)`` too, when
    given; the row is a position). Text is parsed with Arrow compute, without a Python call per value.
    """
    series = pd.Series(values, copy=False)
    if not len(series):
        return np.zeros(0, dtype=np.int64)

    def refuse(row: int, value: Any, reason: str) -> Exception:
        return RowInputError(where(row), field, value, reason) if where else InvalidInput(field, value, reason)

    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_float_dtype(series):
        nan = series.isna().to_numpy()
        fraction = np.zeros(len(series), dtype=bool) if nan.all() else series.fillna(0).to_numpy() % 1 != 0
        # the cell that made the column a float column: an empty one, a fraction, or else the first
        row = int(np.flatnonzero(nan)[0]) if nan.any() else int(np.argmax(fraction))
        value = series.iloc[row]
        raise refuse(row, float(value), _float_message(field, value).partition(": ")[2])
    too_large = f"above the largest amount accepted ({MAX_AMOUNT:,.0f})"  # as the scalar rules say it
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        arr = series.to_numpy(dtype=np.int64)
        wrong = (arr < 0) | (arr > _MAX_YUAN)  # checked before scaling, which could overflow
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0])
            raise refuse(row, int(arr[row]), "must not be negative" if arr[row] < 0 else too_large)
        return arr * 100
    fen, bad = _text_fen(series)
    large = fen > _MAX_FEN
    # other spellings (Decimal exponents, signs): the scalar rules decide; the first row in error is named
    for i in np.flatnonzero(bad | large) if large.any() else np.flatnonzero(bad):
        value = series.iloc[i]
        if not bad[i]:
            raise refuse(int(i), value, too_large)
        if isinstance(value, float):
            raise refuse(int(i), value, _float_message(field, value).partition(": ")[2])
        try:
            fen[i] = int(amount(value, field) * 100)
        except InvalidInput as exc:
            raise refuse(int(i), value, exc.reason) from None
    return fen


_WHOLE_DIGITS = 16  # at most 10**16 yuan as text on the fast path: every fen fits int64


def _text_fen(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Fen of text amounts by Arrow compute (-1 where empty or missing), and the rows it could not read.

    Plain amounts (digits, one dot, at most two decimals) are read by Arrow's kernels without a
    regular expression: the dot found and removed, the digits checked and cast to integers,
    scaled by the decimals given. Any other spelling is left to the scalar rules.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(series.array, pd.arrays.ArrowStringArray):
        arrow: Any = series.array.__arrow_array__()
    else:
        try:
            arrow = pa.array(series.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # Decimal, int and text mixed: as text
            arrow = pa.array(
                [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in series],
                type=pa.large_string(),
            )
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    fen = _plain_fen(arrow)
    if fen is not None:
        return fen, np.zeros(len(fen), dtype=bool)
    padded = _maybe_padded(arrow)
    text = pc.utf8_trim(arrow, characters=WHITESPACE) if padded is None or padded.any() else arrow
    length = np.asarray(pc.fill_null(pc.binary_length(text), 0), dtype=np.int64)
    empty = length == 0
    # plain amounts, "123" or "123.4" or "123.45": one dot at most, and digits around it
    dot = np.asarray(pc.fill_null(pc.find_substring(text, "."), -1), dtype=np.int64)  # -1: none
    digits = pc.replace_substring(text, ".", "", max_replacements=1)
    only_digits = np.asarray(pc.fill_null(pc.ascii_is_decimal(digits), False), dtype=bool)
    decimals = np.where(dot < 0, 0, length - dot - 1)
    whole = np.where(dot < 0, length, dot)
    plain = only_digits & (whole >= 1) & (whole <= _WHOLE_DIGITS) & ((dot < 0) | (decimals >= 1)) & (decimals <= 2)
    readable = digits if plain.all() else pc.if_else(pa.array(plain), digits, "0")
    fen = np.asarray(pc.cast(readable, pa.int64()), dtype=np.int64).copy()
    fen *= np.where(decimals == 0, 100, np.where(decimals == 1, 10, 1))
    fen[empty] = -1
    return fen, ~(plain | empty)


def _plain_fen(arrow: Any) -> np.ndarray | None:
    """Fen of an Arrow text column in which every row is a plain amount (digits, and a dot
    followed by one or two of them: ``123``, ``123.4``, ``123.45``), or None for any other column.

    The rows are checked on the column's bytes (only digits and dots, a digit first and last,
    each dot one or two places from the end, at most 16 digits before it) and converted by
    Arrow's cast to a decimal of two places, whose 128-bit integers are the fen.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    found = _text_buffers(arrow)
    if found is None or arrow.null_count or not len(arrow):
        return None
    bounds, data = found
    lengths = np.diff(bounds)
    if data is None or int(lengths.min()) < 1 or int(lengths.max()) > _WHOLE_DIGITS + 3:
        return None
    raw = _row_bytes(data, bounds)
    low, high = _byte_range(raw)
    if low < 0x2E or high > 0x39 or (raw == 0x2F).any():  # "." and "0" to "9" only
        return None
    ends = bounds[1:] - bounds[0]
    if (raw[ends - lengths] < 0x30).any() or (raw[ends - 1] < 0x30).any():  # a digit first and last
        return None
    one = (lengths >= 3) & (raw[np.maximum(ends - 2, 0)] == 0x2E)  # "123.4"
    two = (lengths >= 4) & (raw[np.maximum(ends - 3, 0)] == 0x2E)  # "123.45"
    if int(np.count_nonzero(raw == 0x2E)) != int(np.count_nonzero(one)) + int(np.count_nonzero(two)):
        return None  # a dot elsewhere, or two in a row
    whole = lengths - np.where(one, 2, np.where(two, 3, 0))
    if int(whole.max()) > _WHOLE_DIGITS:
        return None
    try:
        decimal = pc.cast(arrow, pa.decimal128(_WHOLE_DIGITS + 2, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # two dots in one row, say
        return None
    words = np.frombuffer(decimal.buffers()[1], dtype=np.int64).reshape(-1, 2)
    return words[decimal.offset : decimal.offset + len(decimal), 0].copy()  # little-endian: the low word


def amount_fen(df: pd.DataFrame, name: str, where: Callable[[int], str] | None = None) -> np.ndarray | None:
    """Fen of amount ``name`` of each row (-1 where a cell is empty); None when ``df`` lacks it.

    Read from ``{name}_fen`` (integer fen, the batch path's native form) when there is one,
    else from the yuan column ``name``. ``where(row)`` names a row in errors.
    """
    if f"{name}_fen" in df.columns:
        values = df[f"{name}_fen"]
        if not pd.api.types.is_integer_dtype(values):
            raise InputError("frame", f"column {name}_fen: expected integer fen, not {values.dtype}")
        missing = values.isna().to_numpy()
        arr = values.to_numpy(dtype=np.int64, na_value=0)
        if (arr < 0).any():
            row = int(np.flatnonzero(arr < 0)[0])
            message = f"claim.{name}: must not be negative"
            raise InputError(where(row) if where else f"row {row}", message)
        return np.where(missing, -1, arr) if missing.any() else arr
    if name in df.columns:
        return yuan_to_fen(df[name], f"claim.{name}", where)
    return None


#: Date columns, read once by :func:`prepare`.
_DATE_COLUMNS = {"discharged": "claim.discharged", "admitted": "claim.admitted", "birth_date": "patient.birth_date"}


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The same claims in the batch path's native form, for settling them many times.

    Reading text is most of the work of :func:`settle_frame` on a frame read from CSV:
    parsing amounts and dates, hashing person ids. ``prepare`` does it once, for a reform
    sweep or a comparison that settles the same claims again and again. Each amount column
    becomes a column of fen (``total`` → ``total_fen``: int64, or the nullable ``Int64`` where
    some cells are empty), each date column ``datetime64``, and ``patient_id`` and every column
    a rule can match on a categorical. :func:`settle_frame` gives ``prepare(df)`` the same
    result as ``df``; invalid amounts or dates are refused here, naming the field and value.
    """
    out: dict[str, Any] = {}
    where = rows_named(df)
    for column in df.columns:
        values = df[column]
        name = str(column)
        if name in AMOUNT_COLUMNS and f"{name}_fen" not in df.columns:
            fen = yuan_to_fen(values, f"claim.{name}", where)
            empty = fen < 0
            out[f"{name}_fen"] = pd.arrays.IntegerArray(np.where(empty, 0, fen), empty) if empty.any() else fen
        elif name in _DATE_COLUMNS and not pd.api.types.is_datetime64_any_dtype(values):
            days = _days(values, _DATE_COLUMNS[name], where)
            dates = days.astype("datetime64[D]")
            dates[days == np.iinfo(np.int64).min] = np.datetime64("NaT")
            out[name] = dates.astype("datetime64[s]")
        elif name in ("patient_id", *_KEY_COLUMNS) and not isinstance(values.dtype, pd.CategoricalDtype):
            out[name] = values.astype("category")
        else:
            out[name] = values
    prepared = pd.DataFrame(out, index=df.index, copy=False)
    if ROWS in df.attrs:
        prepared.attrs[ROWS] = df.attrs[ROWS]
    return prepared


#: ``df.attrs[ROWS]``: the file a frame was read from and the row of its first line
#: (``{"file": "claims.csv", "first": 2}``, the header being row 1), set by
#: :func:`~medinsure.research.frames.read_frame`: errors then name the file and the row of the
#: file, as ``medinsure settle`` does, whatever rows were taken from the frame since.
ROWS = "medinsure.rows"


def rows_named(df: pd.DataFrame) -> Callable[[int], str]:
    """How errors name the row at position ``i`` of ``df``: by file and line when the frame
    says where it was read from (:data:`ROWS`), else by position and claim id."""
    source = df.attrs.get(ROWS)
    if isinstance(source, Mapping) and pd.api.types.is_integer_dtype(df.index.dtype):
        file, first = source["file"], int(source["first"])
        return lambda i: f"{file}: row {int(df.index[i]) + first}"
    if "claim_id" in df.columns:
        return lambda i: f"row {i} (claim {_python(df['claim_id'].iloc[i])!r})"
    return lambda i: f"row {i}"


def _python(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``1``, not ``np.int64(1)``, in messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _fen_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if str(c).endswith("_fen") and pd.api.types.is_integer_dtype(frame[c])]


def _yuan_column(frame: pd.DataFrame, column: str, convert: Callable[[Decimal], Any]) -> list[Any]:
    values = frame[column]
    missing = values.isna().to_numpy()
    fen = values.to_numpy(dtype=np.int64, na_value=0)
    return [None if gone else convert(from_fen(v)) for v, gone in zip(fen.tolist(), missing.tolist(), strict=True)]


def _without_fen(frame: pd.DataFrame, convert: Callable[[Decimal], Any]) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    fen = set(_fen_columns(frame))
    for column in frame.columns:
        name = str(column)
        if name in fen:
            columns[name.removesuffix("_fen")] = _yuan_column(frame, name, convert)
        else:
            columns[name] = frame[column]
    out = pd.DataFrame(columns, index=frame.index)
    out.attrs = dict(frame.attrs)
    return out


def to_decimal(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every integer ``X_fen`` column as ``X``: exact ``Decimal`` yuan.

    The one unit convention of the research API: a column named ``X_fen`` holds int64 fen, a
    column named ``X`` holds yuan (``Decimal`` or text). Missing cells become ``None``.
    """
    return _without_fen(frame, lambda value: value)


def yuan(frame: pd.DataFrame) -> pd.DataFrame:
    """A view of ``frame`` for reading: every integer ``X_fen`` column as ``X``, yuan text ``12,345.60``."""
    return _without_fen(frame, fmt)


def _rate(rate: Decimal) -> tuple[int, int] | None:
    """``rate`` as ``(n, k)``, ``rate == n / 10**k``; None when it needs more than six decimals."""
    n, k = formulas.rate_parts(rate)
    return None if k > _MAX_DECIMALS else (n, k)


# -- rules per group -------------------------------------------------------------------------


@attrs.frozen
class _Group:
    """What the rules say for every row of one group, in fen: from the plan of its first row."""

    refused_all: bool
    basic_given: bool
    deductible: int | None  # fen, where basic insurance is computed
    ratio: tuple[int, int] | None
    cap: int | None
    schedules: tuple[formulas.Tiers | None, ...]  # per benefit of the plan, None: pays nothing
    cap_rates: tuple[tuple[int, int] | None, ...]  # per combined cap
    exotic: bool  # a rate with more than six decimals, or an eligibility check in Python
    given_cap: int | None = None  # fen: the annual cap a basic settlement given elsewhere counts toward
    carried: tuple[str, ...] = ()  # the rule versions it uses past their sources' dates (and those dates)

    @classmethod
    def of(cls, plan: Plan) -> _Group:
        basic = plan.basic
        exotic = not plan.rules.checks_are_builtin
        ratio = None
        if basic is not None:
            ratio = _rate(basic.ratio.value)
            exotic |= ratio is None
        schedules: list[formulas.Tiers | None] = []
        for item in plan.benefits:
            if not item.pays:
                schedules.append(None)
                continue
            assert item.schedule is not None
            schedule = item.schedule.value
            exotic |= any(_rate(tier.rate) is None for tier in schedule.tiers)
            schedules.append(formulas.Tiers.of(schedule))
        cap_rates: list[tuple[int, int] | None] = []
        for cap in plan.caps:
            rate = None if cap.rate is None else _rate(cap.rate.value)
            exotic |= cap.rate is not None and rate is None
            cap_rates.append(rate)
        return cls(
            refused_all=plan.refused_all,
            basic_given=plan.basic_note == "given",
            deductible=None if basic is None else to_fen(basic.deductible.value),
            ratio=ratio,
            cap=None if basic is None or basic.cap is None else to_fen(basic.cap.value),
            schedules=tuple(schedules),
            cap_rates=tuple(cap_rates),
            exotic=exotic,
            given_cap=None if plan.given is None or plan.given.cap is None else to_fen(plan.given.cap.value),
            carried=tuple(
                f"{found.version_id} (its source speaks to {found.version.end})"
                for found in rules_used(plan)
                if found.carried_forward
            ),
        )

    @property
    def computes_basic(self) -> bool:
        return self.ratio is not None and not self.exotic


def _cut_points(rules_list: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Dates (days since 1970) where any rule changes, and age bounds, over the given rules."""
    days = {d for rules in rules_list for d in rules.change_dates}
    ages = {a for rules in rules_list for a in rules.age_bounds}
    day_cuts = np.array(sorted((d - _EPOCH).days for d in days), dtype=np.int64)
    return day_cuts, np.array(sorted(ages), dtype=np.int64)


# -- the frame -------------------------------------------------------------------------------


_NO_DAY = np.iinfo(np.int64).min


def _days(values: pd.Series, field: str, where: Callable[[int], str] | None = None) -> np.ndarray:
    """Days since 1970 of a date column (text YYYY-MM-DD or datetime); missing is INT64 min.
    ``where(row)`` names the row of a refused date.

    Text is read per distinct value (a column of dates holds few): each is parsed once and the
    days are gathered back, so a million rows cost one hashing pass, not a million parses.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        arr = values.to_numpy(dtype="datetime64[D]")
        out = arr.astype(np.int64)
        out[np.isnat(arr)] = _NO_DAY
        return out
    runs = _runs(values)
    if runs is not None:  # claims in date order: each run of one date read once
        heads = np.flatnonzero(runs)
        at = (lambda row: where(int(heads[row]))) if where is not None else None
        return _days(values.iloc[heads].reset_index(drop=True), field, at)[_numbers(runs)]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype="string").str.strip()
    text = text.where(text != "", None)
    try:
        parsed = pd.to_datetime(text, format="%Y-%m-%d")
    except (ValueError, TypeError):
        bad = text[pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").isna() & text.notna()]
        value = bad.iloc[0] if len(bad) else None
        if where is not None and len(bad):
            row = int(np.flatnonzero(codes == bad.index[0])[0])
            raise RowInputError(where(row), field, value, "expected a date written YYYY-MM-DD") from None
        raise InvalidInput(field, value, "expected a date written YYYY-MM-DD") from None
    arr = parsed.to_numpy(dtype="datetime64[D]")
    distinct = arr.astype(np.int64)
    distinct[np.isnat(arr)] = _NO_DAY
    return np.append(distinct, _NO_DAY)[codes]  # code -1 (missing): the last


def _runs(values: pd.Series) -> np.ndarray | None:
    """Where each run of equal texts starts, for an Arrow text column of one width whose rows
    mostly repeat the row before (dates of claims in date order); None for any other column."""
    if len(values) < 64 or not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    first = values.iloc[:1024].tolist()  # the first rows tell whether it pays
    if sum(a != b for a, b in zip(first[1:], first[:-1], strict=False)) * 4 > len(first):
        return None
    words = _fixed_width_words(values)
    if words is None:
        return None
    starts = np.zeros(len(values), dtype=bool)
    starts[0] = True
    for column in words:
        starts[1:] |= column[1:] != column[:-1]
    return starts if np.count_nonzero(starts) * 8 <= len(values) else None


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month-day (``month × 32 + day``) of days since 1970, in integer arithmetic.

    The proleptic Gregorian calendar as ``datetime.date`` counts it (the days-to-civil
    algorithm of H. Hinnant's date library), without datetime64 unit casts.
    """
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month * 32 + day


def _civil_lookup(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_civil` of many days: of each day in their range once, then gathered per row."""
    lo, hi = int(days.min()), int(days.max())
    if hi - lo >= min(len(days), 1 << 21):  # a range wider than the rows: directly
        return _civil(days)
    year, month_day = _civil(np.arange(lo, hi + 1, dtype=np.int64))
    index = days - lo
    return year[index], month_day[index]


def _age(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Age in whole years on ``day`` of persons born on ``birth`` (both days since 1970)."""
    if not len(birth):
        return np.zeros(0, dtype=np.int64)
    return whole_years(*_civil_lookup(birth), *_civil_lookup(day))


def _year(day: int) -> int:
    return (_EPOCH + dt.timedelta(days=day)).year


#: Whether a byte starts, in UTF-8, one of the characters ``str.strip`` removes; and ends one.
WHITESPACE_FIRST = np.zeros(256, dtype=bool)
WHITESPACE_FIRST[[c.encode()[0] for c in WHITESPACE]] = True
WHITESPACE_LAST = np.zeros(256, dtype=bool)
WHITESPACE_LAST[[c.encode()[-1] for c in WHITESPACE]] = True


def _text_buffers(chunk: Any) -> tuple[np.ndarray, Any] | None:
    """The offsets (one more than the rows) and the data buffer of an Arrow (large) string array."""
    import pyarrow as pa

    if pa.types.is_large_string(chunk.type):
        width: Any = np.int64
    elif pa.types.is_string(chunk.type):
        width = np.int32
    else:
        return None
    _validity, offsets, data = chunk.buffers()
    return np.frombuffer(offsets, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1], data


def _maybe_padded(arrow: Any, trailing: bool = True) -> np.ndarray | None:
    """Rows of an Arrow string array that are empty or may start (or end) with whitespace.

    Read from the array's buffers: only those rows can change when stripped (every other row
    certainly cannot). None for an Arrow type other than (large) string.
    """
    parts = [np.zeros(0, dtype=bool)]
    for chunk in getattr(arrow, "chunks", [arrow]):
        found = _text_buffers(chunk)
        if found is None:
            return None
        bounds, data = found
        starts, ends = bounds[:-1], bounds[1:]
        maybe = ends == starts  # empty
        if data is not None and data.size and not maybe.any():
            low, high = _byte_range(_row_bytes(data, bounds))
            if low > 0x20 and high <= 0x7E:  # visible ASCII alone: no whitespace at all
                parts.append(maybe)
                continue
        if data is not None and data.size:
            text = np.frombuffer(data, dtype=np.uint8)
            maybe |= WHITESPACE_FIRST[text[np.minimum(starts, data.size - 1)]]
            if trailing:
                maybe |= WHITESPACE_LAST[text[np.clip(ends - 1, 0, data.size - 1)]]
        parts.append(maybe)
    return np.concatenate(parts)


def _blank(values: pd.Series) -> np.ndarray:
    """Per row: the text of the value is empty once stripped (missing values are not flagged)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = _blank(pd.Series(values.cat.categories.to_numpy(dtype=object)))
        return np.r_[categories, False][values.cat.codes.to_numpy()]
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return np.zeros(len(values), dtype=bool)
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        arrow = values.array.__arrow_array__()
        candidates = _maybe_padded(arrow, trailing=False)  # a blank text starts with whitespace
        if candidates is not None:
            candidates &= ~values.isna().to_numpy()
            rows = np.flatnonzero(candidates)
            if len(rows) <= 1000:  # few: decide each as Python does
                blank = np.zeros(len(values), dtype=bool)
                blank[rows] = [not str(values.iloc[i]).strip() for i in rows]
                return blank
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim(arrow, characters=WHITESPACE)
        return np.asarray(pc.fill_null(pc.equal(pc.utf8_length(trimmed), 0), False), dtype=bool)
    text = values.astype("string").str.strip()
    return (text == "").fillna(False).to_numpy(dtype=bool)


#: An id problem: the position of the first bad value and what is wrong with it.
Problem = tuple[int, str]


def _byte_range(raw: np.ndarray) -> tuple[int, int]:
    """The least and greatest byte of ``raw`` (0xFF and 0x00 when it is empty, so that any
    range holds them): printable ASCII is one range, 0x20 (the space) to 0x7E."""
    return (int(raw.min()), int(raw.max())) if raw.size else (0xFF, 0x00)


def _row_bytes(data: Any, bounds: np.ndarray) -> np.ndarray:
    """The bytes of the rows within ``bounds`` of an Arrow data buffer."""
    return np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]]


def _plain(values: Any) -> bool:
    """Every (non-missing) value printable ASCII of at most :data:`MAX_ID_LENGTH` characters:
    ids that :func:`~medinsure.model.identifier` leaves as they are, once stripped."""
    array = values.array if isinstance(values, pd.Index | pd.Series) else values
    if isinstance(array, pd.arrays.ArrowStringArray):
        import pyarrow.compute as pc

        arrow = array.__arrow_array__()
        chunks = [_text_buffers(chunk) for chunk in getattr(arrow, "chunks", [arrow])]
        if all(found is not None for found in chunks):  # the bytes themselves: no text made
            for bounds, data in chunks:  # type: ignore[misc]
                if len(bounds) < 2 or data is None or bounds[-1] == bounds[0]:
                    continue
                if int(np.diff(bounds).max()) > MAX_ID_LENGTH:  # bytes: printable ASCII is a byte each
                    return False
                low, high = _byte_range(_row_bytes(data, bounds))
                if low < 0x20 or high > 0x7E:
                    return False
            return True
        longest = pc.max(pc.utf8_length(arrow)).as_py()
        return bool(
            pc.all(pc.string_is_ascii(arrow)).as_py() is not False
            and pc.all(pc.ascii_is_printable(arrow)).as_py() is not False
            and (longest is None or longest <= MAX_ID_LENGTH)
        )
    return all(
        not isinstance(v, str) or (v.isascii() and v.isprintable() and len(v) <= MAX_ID_LENGTH)
        for v in array
        if v is not None and v is not pd.NA and v == v
    )


def _identified(texts: pd.Series, blank: np.ndarray, field: str) -> tuple[list[str], Problem | None]:
    """Each text as :func:`~medinsure.model.identifier` reads it (blanks left empty); or the
    first one it refuses."""
    out = []
    for i, text in enumerate(texts.tolist()):
        if blank[i]:
            out.append("")
            continue
        try:
            out.append(identifier(text, field))
        except InvalidInput as exc:
            return out, (i, str(exc))
    return out, None


def _canonical(
    values: pd.Index | pd.Series, field: str = "patient.id"
) -> tuple[np.ndarray, np.ndarray, Problem | None]:
    """For distinct ids: a code per id, equal for ids that are one id as
    :func:`~medinsure.model.identifier` reads them (stripped, NFKC: ``Ｋ1`` is ``K1``); blanks;
    and the first id it refuses (a control or format character, too long), if any."""
    if pd.api.types.is_integer_dtype(values.dtype):  # distinct integers: distinct, never blank
        return np.arange(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool), None
    string = isinstance(values.dtype, pd.StringDtype)
    array = values.array if isinstance(values, pd.Index | pd.Series) else values
    if isinstance(array, pd.arrays.ArrowStringArray):
        maybe = _maybe_padded(array.__arrow_array__())
        if maybe is not None and not maybe.any() and _plain(array):  # nothing to strip, nothing blank
            return np.arange(len(values), dtype=np.int64), maybe, None
    text = pd.Series(values, dtype=None if string else object).astype(str)
    stripped = text.str.strip(WHITESPACE)
    blank = (stripped == "").to_numpy(dtype=bool)
    if not _plain(stripped):
        normalised, problem = _identified(stripped, blank, field)
        if problem is not None:
            return np.zeros(0, dtype=np.int64), blank, problem
        stripped = pd.Series(normalised, dtype=object)
    elif string and not (stripped != text).any():
        return np.arange(len(values), dtype=np.int64), blank, None
    merged, _ = pd.factorize(stripped)  # one id once read: one person
    return merged.astype(np.int64), blank, None


def _claim_id_problem(values: pd.Series, padded: np.ndarray | None = None) -> Problem | None:
    """The first claim id that :func:`~medinsure.model.identifier` refuses, or that is given a
    second time (as it reads them); None when every claim id is good and given once.
    ``padded``: :func:`_maybe_padded` of the column, when the caller has it."""
    texts: Any
    if pd.api.types.is_integer_dtype(values.dtype):
        texts = values.to_numpy()
    else:
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if padded is None and isinstance(values.array, pd.arrays.ArrowStringArray):
            padded = _maybe_padded(values.array.__arrow_array__())
        if padded is not None and not padded.any() and _plain(values):
            texts = values.array  # as they are: compared in Arrow
        else:
            stripped = pd.Series(values.to_numpy(dtype=object), dtype=object).astype(str).str.strip(WHITESPACE)
            if not _plain(stripped):
                normalised, problem = _identified(stripped, np.zeros(len(stripped), dtype=bool), "claim.id")
                if problem is not None:
                    return problem
                stripped = pd.Series(normalised, dtype=object)
            texts = stripped.to_numpy()
    if len(texts) < 2 or _increasing(texts) or (texts is values.array and _all_different(values)):
        return None  # in order, or all different: each given once
    again = pd.Series(texts).duplicated().to_numpy(dtype=bool)
    if not again.any():
        return None
    row = int(np.flatnonzero(again)[0])
    value = texts[row]
    first = int(np.flatnonzero((pd.Series(texts) == value).to_numpy(dtype=bool))[0])
    return row, f"claim.id={str(value)!r}: claim id given twice in one file (first at row {first})"


def _numbers(starts: np.ndarray) -> np.ndarray:
    """The number of the run each row is in, runs starting where ``starts`` is True."""
    out = np.cumsum(starts, dtype=np.int64)
    out -= 1
    return out


def _increasing(values: Any) -> bool:
    """Each value greater than the one before (False when they cannot be compared)."""
    try:
        rising = values[1:] > values[:-1]
    except TypeError:
        return False
    if not isinstance(rising, np.ndarray):
        rising = rising.to_numpy(dtype=bool, na_value=False)
    return bool(rising.all())


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _one_width(values: pd.Series) -> tuple[Any, np.ndarray, int] | None:
    """The data buffer, the offsets and the byte length of an Arrow text column whose values
    all have one byte length (1 to 64), none missing; None for any other column."""
    import pyarrow as pa

    if not isinstance(values.array, pd.arrays.ArrowStringArray) or values.hasnans:
        return None
    arrow: Any = values.array.__arrow_array__()
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    found = _text_buffers(arrow)
    if found is None:
        return None
    bounds, data = found
    n = len(arrow)
    w = int(bounds[1] - bounds[0]) if n else 0
    if not n or not 0 < w <= 64 or int(bounds[-1] - bounds[0]) != n * w:
        return None
    if not (np.diff(bounds) == w).all():
        return None
    return data, bounds, w


#: The unsigned integer type of each word size (bytes) that :func:`_windows` reads.
_WORD_TYPES: dict[int, Any] = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}


def _windows(data: Any, bounds: np.ndarray, w: int, size: int) -> list[np.ndarray]:
    """The values of :func:`_one_width` (``w`` bytes each, ``w`` at least ``size``) as columns of
    ``size``-byte words read in place, the last word of a value overlapping the one before where
    ``size`` does not divide ``w``: two values are equal when all their words are."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    n = len(bounds) - 1
    starts = [size * j for j in range(w // size)] + ([w - size] if w % size else [])
    return [
        np.ndarray((n,), dtype=_WORD_TYPES[size], buffer=buffer, offset=int(bounds[0]) + start, strides=(w,))
        for start in starts
    ]


def _words(data: Any, bounds: np.ndarray, w: int) -> list[np.ndarray]:
    """The values of :func:`_one_width` as columns of 64-bit words: :func:`_windows` of 8 bytes,
    or, for values under 8 bytes, one column of copies zero-filled to 8."""
    if w >= 8:
        return _windows(data, bounds, w, 8)
    n = len(bounds) - 1
    padded = np.zeros((n, 8), dtype=np.uint8)
    padded[:, :w] = _row_bytes(data, bounds).reshape(n, w)
    return [padded.view(np.uint64)[:, 0]]


def _fixed_width_words(values: pd.Series) -> list[np.ndarray] | None:
    """The :func:`_words` of Arrow text ids all of one byte length (at most 64), none missing,
    blank or padded, and all printable ASCII (national and hospital ids usually are). None when
    the column is not so."""
    found = _one_width(values)
    if found is None:
        return None
    data, bounds, w = found
    raw = _row_bytes(data, bounds).reshape(-1, w)  # bounds[-1] is bounds[0] + n × w
    low, high = _byte_range(raw)
    if low < 0x20 or high > 0x7E:
        return None  # beyond printable ASCII: the general path reads each id as identifier() does
    if low == 0x20 and ((raw[:, 0] == 0x20).any() or (raw[:, -1] == 0x20).any()):
        return None  # some id is padded with spaces: the general path strips it
    return _words(data, bounds, w)


#: How many first rows :func:`_few_codes` looks at for the values of a column.
_SAMPLE = 1024
#: The most distinct values :func:`_few_codes` numbers by comparing rows with each.
_FEW = 8


def _few_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes (int8) of an Arrow text column of a few values of one byte length, none missing,
    and the first row of each code; None when the column is not so.

    The values are those of the first rows; every row is compared, word by word, with each of
    them, with no hashing. A row equal to none of them (a value first met later, or more than
    :data:`_FEW` values) gives None, and the caller hashes the column as before. Equal codes
    are equal bytes, so equal texts: the codes are exact.
    """
    found = _one_width(values)
    if found is None:
        return None
    data, bounds, w = found
    words = _windows(data, bounds, w, min(8, 1 << (w.bit_length() - 1)))  # the widest word in w
    head = np.stack([column[:_SAMPLE] for column in words], axis=1)
    _, first = np.unique(head, axis=0, return_index=True)
    if len(first) > _FEW:
        return None
    first.sort()  # codes in order of first appearance
    codes = np.zeros(len(words[0]), dtype=np.int8)
    matched: np.ndarray | None = None
    for code, row in enumerate(first):
        hit = words[0] == words[0][row]
        for column in words[1:]:
            hit &= column == column[row]
        if matched is None:
            matched = hit
        else:  # the rows of different values are apart: adding sets each row's code once
            matched |= hit
            codes += hit.view(np.int8) * np.int8(code)
    return (codes, first) if matched is not None and bool(matched.all()) else None


def _mixed(words: list[np.ndarray]) -> np.ndarray:
    """One 64-bit number per id from its words: equal ids give equal numbers (different ids
    almost always different ones)."""
    mixed = words[0].copy()
    for column in words[1:]:
        mixed *= _MIX
        mixed ^= column
    return mixed


def _same_as(words: list[np.ndarray], rows: np.ndarray) -> bool:
    """Whether every id equals the id of the row ``rows`` names for it, word by word."""
    return all(bool((column == column[rows]).all()) for column in words)


def _fixed_width_codes(values: pd.Series) -> np.ndarray | None:
    """Codes in order of first appearance for the ids :func:`_fixed_width_words` reads; None
    when the column is not so, or when two different ids met in one number.

    Each id's words are mixed into one number, the numbers are numbered by a hash table of
    integers, and every id is then compared, word by word, with the first id of its number: two
    different ids that met in one number (a collision) send the column down the general path,
    so the codes are exact.
    """
    words = _fixed_width_words(values)
    if words is None:
        return None
    n = len(words[0])
    mixed = _mixed(words)
    # runs of one number (a person's claims in a row): each run is numbered once
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(mixed[1:], mixed[:-1], out=starts[1:])
    runs = int(np.count_nonzero(starts))
    codes = pd.factorize(mixed if runs == n else mixed[starts])[0].astype(np.int64)
    if runs != n:
        codes = codes[_numbers(starts)]
    # a code's first row is where it exceeds every code before it (codes number first appearances)
    first = np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])
    if not _same_as(words, first[codes]):  # every row, the runs' rows included
        return None
    return codes


def _all_different(values: pd.Series) -> bool | None:
    """Whether no two of the ids :func:`_fixed_width_words` reads are equal (None when the
    column is not so). Ids with different numbers differ; only the ids that share a number with
    another are compared byte for byte."""
    words = _fixed_width_words(values)
    if words is None:
        return None
    shared = pd.Series(_mixed(words), copy=False).duplicated(keep=False).to_numpy(dtype=bool)
    if not shared.any():
        return True
    rows = np.stack([column[shared] for column in words], axis=1)
    return len(np.unique(rows, axis=0)) == len(rows)


_REQUIRED = "patient_id: required"


def _person_codes(values: pd.Series) -> tuple[np.ndarray, Problem | None]:
    """One int64 code per person, ids compared as :func:`~medinsure.model.identifier` reads them;
    or the first row without an id, or with an id it refuses.

    Codes are numbered in order of first appearance, so that rows already grouped by person
    need no sorting. Rows of one person usually follow each other: only the first row of every
    run of equal ids is hashed, and runs of one person that are apart get the same code.
    """
    missing = values.isna().to_numpy()
    if missing.any():
        return np.zeros(0, dtype=np.int64), (int(np.flatnonzero(missing)[0]), _REQUIRED)
    fixed = _fixed_width_codes(values)
    if fixed is not None:
        return fixed, None
    categorical = isinstance(values.dtype, pd.CategoricalDtype)
    if categorical:
        merged, blank, problem = _canonical(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        if problem is not None:
            return np.zeros(0, dtype=np.int64), (int(np.flatnonzero(codes == problem[0])[0]), problem[1])
        if blank.any():
            return np.zeros(0, dtype=np.int64), (int(np.flatnonzero(blank[codes])[0]), _REQUIRED)
        array: Any = codes if (merged == np.arange(len(merged))).all() else merged[codes]
    else:
        array = values.array
    starts = np.empty(len(array), dtype=bool)
    starts[0] = True
    changes = array[1:] != array[:-1]
    starts[1:] = changes if isinstance(changes, np.ndarray) else changes.to_numpy(dtype=bool, na_value=True)
    heads = np.flatnonzero(starts)
    if categorical:
        head_codes = array[heads]
        if np.bincount(head_codes).max() == 1:  # each person in one run: number the runs
            return _numbers(starts), None
        run_codes = pd.factorize(head_codes)[0].astype(np.int64)
    else:
        head_ids = array[heads]
        if _increasing(head_ids):  # sorted by id: distinct without hashing
            run_codes, uniques = np.arange(len(heads), dtype=np.int64), head_ids
        else:
            run_codes, uniques = pd.factorize(head_ids)
            run_codes = run_codes.astype(np.int64)
        merged, blank, problem = _canonical(uniques)
        if problem is not None:
            return np.zeros(0, dtype=np.int64), (int(heads[np.flatnonzero(run_codes == problem[0])[0]]), problem[1])
        if blank.any():
            return np.zeros(0, dtype=np.int64), (int(heads[np.flatnonzero(blank[run_codes])[0]]), _REQUIRED)
        if not (merged == np.arange(len(merged))).all():
            run_codes = pd.factorize(merged[run_codes])[0].astype(np.int64)  # first appearance again
        elif len(uniques) == len(heads):  # each person in one run: number the runs
            return _numbers(starts), None
    if len(heads) == len(array):
        return run_codes, None
    return run_codes[_numbers(starts)], None


def _jurisdictions(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A code per row (-1 when missing) and the stripped jurisdiction code of each."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        categories = [str(c).strip() for c in values.cat.categories]
        used = np.flatnonzero(np.bincount(codes + 1, minlength=len(categories) + 1)[1:])
        if len(used) == len(categories):
            return codes, categories
        renumber = np.full(len(categories) + 1, -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        return renumber[codes], [categories[u] for u in used]
    codes, uniques = _coded(values)
    return codes, [str(c).strip() for c in uniques]


def _codes(values: pd.Series) -> np.ndarray:
    """Small integer codes of a key column (missing is -1), equal values equal codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    return _coded(values)[0]


def _coded(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes of a column that is not categorical, in order of first appearance (missing is -1),
    and the value of each code.

    A text column of a few values (:func:`_few_codes`) or a column of one value throughout (a
    frame of one jurisdiction or claim kind) is coded by comparing rows, without hashing.
    """
    few = _few_codes(values)
    if few is not None:
        return few[0], [values.iloc[int(row)] for row in few[1]]
    if _constant(values):
        return np.zeros(len(values), dtype=np.int8), [values.iloc[0]] if len(values) else []
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64, copy=False), list(uniques)


def _constant(values: pd.Series) -> bool:
    """Whether every row holds the same value, none missing."""
    if not len(values):
        return True
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        import pyarrow.compute as pc

        arrow = values.array.__arrow_array__()
        first = arrow[0]
        return bool(first.is_valid and pc.all(pc.fill_null(pc.equal(arrow, first), False)).as_py())
    array = values.to_numpy()
    if array.dtype == object and isinstance(array[0], str):
        return bool((array == array[0]).all())
    if array.dtype.kind in "iub":
        return bool((array == array[0]).all())
    return False


def _groups(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """First row and group number of each row for the distinct combinations of ``parts``."""
    n = len(parts[0])
    key: np.ndarray | None = None
    radix = 1
    for part in parts:
        low, high = int(part.min()), int(part.max())
        if low == high:  # constant: adds nothing to the key
            continue
        width = high - low + 1
        if radix * width >= 2**62:
            _, first, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_index=True, return_inverse=True)
            return first, inverse.reshape(-1)
        if key is None:
            key = part.astype(np.int64)
            key -= low
        else:
            key *= width
            key += part
            key -= low
        radix *= width
    if key is None:
        return np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if radix <= 1 << 22:
        present = np.bincount(key, minlength=radix) > 0
        group = (np.cumsum(present) - 1)[key]
    else:
        group = pd.factorize(key)[0].astype(np.int64)
    count = int(group.max()) + 1
    if count <= 8:  # a few groups: a scan each is quicker
        return np.array([np.argmax(group == g) for g in range(count)], dtype=np.int64), group
    first = np.full(count, n, dtype=np.int64)
    np.minimum.at(first, group, np.arange(n))
    return first, group


def _stable_order(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stable sorting order of non-negative ``key`` and the sorted keys.

    Each key is made unique by its position (``key × n + position``) and the numbers sorted
    with numpy's (fast, unstable) sort: equal keys keep their input order, as a stable argsort
    gives them, several times faster. Keys too large for that take the stable argsort.
    """
    n = len(key)
    if int(key.max()) < (2**62) // max(n, 1):
        unique = key * n
        unique += np.arange(n, dtype=np.int64)
        unique.sort()
        order, key_sorted = np.divmod(unique, n)[::-1]
        return order, key_sorted
    order = np.argsort(key, kind="stable")
    return order, key[order]


def _group_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``values`` over its (contiguous) group up to and including it."""
    out = values.copy()
    out[starts[1:]] -= np.add.reduceat(values, starts)[:-1]  # each group starts from zero
    np.cumsum(out, out=out)
    return out


def _group_any(flags: np.ndarray, starts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    if not flags.any():
        return np.zeros(len(flags), dtype=bool)
    return np.logical_or.reduceat(flags, starts)[gid]


def _increase(tiers: formulas.Tiers, after: np.ndarray, added: np.ndarray) -> np.ndarray:
    """``F(after) − F(after − added)``: what a benefit's annual function adds for each claim."""
    paid = formulas.annual(tiers, after)
    paid -= formulas.annual(tiers, after - added)
    return paid


def settle_frame(
    df: pd.DataFrame,
    *,
    engine: Engine | None = None,
    overrides: Reform | Mapping[str, Any] | None = None,
    jurisdiction: str | None = None,
    rows: Callable[[int], str] | None = None,
) -> pd.DataFrame:
    """Settle every claim of ``df``; the result equals the scalar engine's to the fen.

    ``df`` has the flat CSV columns (``jurisdiction, patient_id, scheme, …, claim_id, kind,
    discharged, …, total, in_scope, …, basic_pool, basic_in_scope_self_pay``); amounts are
    yuan as text, ``Decimal`` or whole ``int`` (never ``float``). Rows are in settlement order
    per person. ``overrides`` is a :class:`~medinsure.rules.reforms.Reform` (or its mapping) applied
    to ``engine`` (by default one over the installed plugins); ``jurisdiction`` settles every
    row under one jurisdiction, as ``--jurisdiction`` does.
    ``rows(i)`` names the row at position ``i`` in errors (default: :func:`rows_named`), for
    a frame that is part of a larger one.

    Returns a frame with the index of ``df``, a ``claim_id`` column and one int64 column of
    fen per component (:data:`~medinsure.settlement.result.COMPONENTS`). ``result.attrs["medinsure"]``
    holds the provenance: per jurisdiction the plugin, its version and the overridden tables,
    the number of rows settled by the scalar fallback, and ``carried_forward``: the rule
    versions some row uses past the last date their sources speak for (with that date).
    """
    if engine is None:
        engine = Engine.shared()
    if overrides is not None:
        engine, reform = apply_reform(engine, overrides)
        result = _Batch(engine, df, jurisdiction, rows).run()
        result.attrs["medinsure"]["reform"] = reform.name
        return result
    return _Batch(engine, df, jurisdiction, rows).run()


def settle_frame_scalar(
    df: pd.DataFrame, *, engine: Engine | None = None, jurisdiction: str | None = None
) -> pd.DataFrame:
    """The reference for :func:`settle_frame`: every row through the scalar engine, one by one.

    Same input and output as :func:`settle_frame` (integer ``_fen`` columns read as fen, as
    there); it is what ``medinsure settle`` does for a CSV file, and far slower.
    """
    if engine is None:
        engine = Engine.shared()
    columns = list(df.columns)
    records = (
        record_from_row(f"row {i}", {c: _cell_text(c, v) for c, v in zip(columns, values, strict=True)})
        for i, values in enumerate(df.itertuples(index=False, name=None))
    )
    out: dict[str, list[Any]] = {name: [] for name in COMPONENTS}
    for s in settle_records(engine, records, jurisdiction=jurisdiction):
        for name in COMPONENTS:
            out[name].append(to_fen(s.components[name]))
    result = pd.DataFrame({"claim_id": df["claim_id"].to_numpy()}, index=df.index)
    for name in COMPONENTS:
        result[FEN_COLUMNS[name]] = np.asarray(out[name], dtype=np.int64)
    return result


class _Batch:
    def __init__(
        self, engine: Engine, df: pd.DataFrame, jurisdiction: str | None, rows: Callable[[int], str] | None = None
    ) -> None:
        self.engine = engine
        self.df = df
        self.jurisdiction = jurisdiction
        self._where = rows or rows_named(df)

    # -- input ---------------------------------------------------------------------------------

    def _check_columns(self) -> None:
        for column in self.df.columns:
            if column not in CSV_COLUMNS and column.removesuffix("_fen") not in AMOUNT_COLUMNS:
                raise InputError("frame", f"unknown column {column!r} (columns: {', '.join(CSV_COLUMNS)})")
        for column in REQUIRED_COLUMNS:
            if column not in self.df.columns:
                raise InputError("frame", f"missing column {column!r}")
        for column in self.df.columns:
            if column in BATCH_COLUMNS or column.removesuffix("_fen") in AMOUNT_COLUMNS:
                continue
            values = self.df[column]
            given = ~(values.isna().to_numpy() | _blank(values))
            if given.any():
                raise InputError(
                    self._where(int(np.flatnonzero(given)[0])),
                    f"column {column!r} is read by the scalar engine only: settle these claims with"
                    " settle_frame_scalar (or medinsure settle ... --format json), or leave the column out",
                )
        if self.jurisdiction is None and "jurisdiction" not in self.df.columns:
            raise InputError("frame", "no jurisdiction: give a jurisdiction column or jurisdiction=")

    def _amount(self, name: str) -> np.ndarray | None:
        return amount_fen(self.df, name, self._where)

    def _fail(self, row: int, message: str) -> InputError:
        return InputError(self._where(row), message)

    def run(self) -> pd.DataFrame:
        self._check_columns()
        df = self.df
        n = len(df)
        info: dict[str, Any] = {"rows": n, "fallback_rows": 0, "jurisdictions": {}, "carried_forward": []}
        if n == 0:
            return self._result({name: np.zeros(0, dtype=np.int64) for name in COMPONENTS}, info)
        amounts = {name: self._amount(name) for name in AMOUNT_COLUMNS}
        claim_ids = df["claim_id"]
        padded = (
            _maybe_padded(claim_ids.array.__arrow_array__())
            if isinstance(claim_ids.array, pd.arrays.ArrowStringArray)
            else None
        )
        missing = np.array(claim_ids.isna(), dtype=bool)
        if padded is None or padded.any():  # an empty or padded text may be blank
            missing |= _blank(claim_ids)
        if missing.any():
            raise self._fail(int(np.flatnonzero(missing)[0]), "claim_id: required")
        problem = _claim_id_problem(claim_ids, padded)
        if problem is not None:
            raise self._fail(*problem)
        person_codes, problem = _person_codes(df["patient_id"])
        if problem is not None:
            raise self._fail(*problem)
        days = _days(df["discharged"], "claim.discharged", self._where)
        if (days == np.iinfo(np.int64).min).any():
            raise self._fail(int(np.flatnonzero(days == np.iinfo(np.int64).min)[0]), "claim.discharged: required")

        # basic settlement given: in_scope and total default as in Claim.from_mapping
        needed = ("total", "in_scope", "basic_pool", "basic_in_scope_self_pay")
        if any(amounts[name] is None for name in needed):
            absent = np.full(n, -1, dtype=np.int64)
        else:  # only columns read when present are absent
            absent = np.empty(0, dtype=np.int64)
        column = {name: absent if values is None else values for name, values in amounts.items()}
        given = np.zeros(n, dtype=bool)
        for name in BASIC_COLUMNS:
            if amounts[name] is not None:
                given |= column[name] >= 0
        any_given = bool(given.any())
        pool_in = column["basic_pool"] if any_given else np.zeros(n, dtype=np.int64)
        isp_in = column["basic_in_scope_self_pay"] if any_given else pool_in
        in_scope = column["in_scope"]
        if any_given and (given & (in_scope < 0)).any():
            in_scope = np.where((in_scope < 0) & given, pool_in + isp_in, in_scope)
        total = column["total"] if amounts["total"] is not None else in_scope
        if amounts["total"] is not None and (total < 0).any():
            total = np.where(total < 0, in_scope, total)
        ded_in = amounts["basic_deductible"]
        deductible_given = ded_in is not None
        ded_in = np.zeros(n, dtype=np.int64) if ded_in is None else np.maximum(ded_in, 0)
        for name, arr in (("total", total), ("in_scope", in_scope)):
            if (arr < 0).any():
                hint = {
                    "total": "give total (yuan) or total_fen; without it, total is in_scope",
                    "in_scope": "give in_scope (yuan) or in_scope_fen, or basic_pool and basic_in_scope_self_pay",
                }[name]
                raise self._fail(int(np.flatnonzero(arr < 0)[0]), f"claim.{name}: required: an empty cell; {hint}")
        problems = [(in_scope > total, "claim.in_scope: above claim.total")]
        if amounts["class_b_self_pay"] is not None:
            class_b = np.maximum(column["class_b_self_pay"], 0)
            problems.append(
                (in_scope + class_b > total, "claim.class_b_self_pay: in_scope + class_b_self_pay exceeds total")
            )
        if any_given:
            problems += [
                (given & ((pool_in < 0) | (isp_in < 0)), "basic_pool and basic_in_scope_self_pay are both required"),
                (given & (pool_in + isp_in != in_scope), "claim.basic: pool + in_scope_self_pay != claim.in_scope"),
            ]
        for mask, message in problems:
            if mask.any():
                raise self._fail(int(np.flatnonzero(mask)[0]), message)
        if "admitted" in df.columns:
            admitted = _days(df["admitted"], "claim.admitted", self._where)
            late = admitted > days
            if late.any():
                raise self._fail(int(np.flatnonzero(late)[0]), "claim.discharged: before admitted")

        # person-years, contiguous in a stable order
        py_key = person_codes
        first_day, last_day = int(days.min()), int(days.max())
        if _year(first_day) != _year(last_day):  # several years: the year is part of the key
            year_starts = np.array(
                [(dt.date(y, 1, 1) - _EPOCH).days for y in range(_year(first_day) + 1, _year(last_day) + 1)]
            )
            py_key = person_codes * (len(year_starts) + 1) + np.searchsorted(year_starts, days, side="right")
        if len(py_key) < 2 or (py_key[1:] >= py_key[:-1]).all():
            order = None
            key_sorted = py_key
        else:
            order, key_sorted = _stable_order(py_key)
        is_start = np.empty(n, dtype=bool)
        is_start[0] = True
        np.not_equal(key_sorted[1:], key_sorted[:-1], out=is_start[1:])
        starts = np.flatnonzero(is_start)
        gid = _numbers(is_start)

        def perm(arr: np.ndarray) -> np.ndarray:
            return arr if order is None else arr[order]

        # rule groups
        juris_codes: np.ndarray
        if self.jurisdiction is not None:
            juris_codes, codes = np.zeros(n, dtype=np.int8), [self.jurisdiction.strip()]
        else:
            juris_codes, codes = _jurisdictions(df["jurisdiction"])
            if (juris_codes < 0).any():
                raise self._fail(int(np.flatnonzero(juris_codes < 0)[0]), "no jurisdiction")
        rules_list = []
        for j, c in enumerate(codes):
            try:
                rules_list.append(self.engine.rules(c))
            except MedinsureError as exc:
                raise self._fail(int(np.flatnonzero(juris_codes == j)[0]), str(exc)) from None
        day_cuts, age_cuts = _cut_points(rules_list)
        epoch = np.searchsorted(day_cuts, days, side="right")
        key_parts = [juris_codes, epoch, given]
        if len(age_cuts) and "birth_date" in df.columns:
            birth = _days(df["birth_date"], "patient.birth_date", self._where)
            known = birth != np.iinfo(np.int64).min
            age = _age(np.where(known, birth, 0), days)
            band = np.where(known, np.searchsorted(age_cuts, age, side="right"), -1)
            key_parts.append(band)
        for name in _KEY_COLUMNS[1:]:
            if name in df.columns:
                key_parts.append(_codes(df[name]))
        first_rows, group_of = _groups(key_parts)
        plans: list[_Group] = [None] * len(first_rows)  # type: ignore[list-item]
        columns = list(df.columns)
        for g in np.argsort(first_rows):  # the first row in error is the one named
            i = int(first_rows[g])
            code = codes[juris_codes[i]]
            record = self._record(i, columns, code)
            try:
                patient = Patient.from_mapping(record.patient)
                claim = Claim.from_mapping(record.claim)
                plans[g] = _Group.of(self.engine.plan(patient, claim, jurisdiction=code))
            except MedinsureError as exc:
                raise self._fail(i, str(exc)) from None
        info["carried_forward"] = sorted({text for p in plans for text in p.carried})

        # settle, per jurisdiction, on the person-year order
        group_s = perm(group_of)
        in_scope_s = perm(in_scope)
        fallback = np.zeros(n, dtype=bool)
        big = total > _MAX_FEN
        if big.any():
            fallback |= _group_any(perm(big), starts, gid)
        if len(codes) > 1:  # a person-year in two jurisdictions: the scalar engine
            juris_s = perm(juris_codes)
            fallback |= _group_any(np.r_[False, juris_s[1:] != juris_s[:-1]] & ~is_start, starts, gid)
        del amounts, column, key_parts, person_codes, py_key, days
        sorted_out: dict[str, np.ndarray] = {}
        if any_given:
            pool_s = perm(pool_in)  # a deductible not given is zero in any order
            ded_s = perm(ded_in) if deductible_given else np.zeros(n, dtype=np.int64)
        else:
            pool_s = ded_s = np.zeros(n, dtype=np.int64)
        for j, code in enumerate(codes):
            if len(codes) == 1:  # every row: no subsets to take
                ctx = _Juris(rules_list[j], plans, group_s, in_scope_s, pool_s, ded_s, starts, gid)
                ctx.strict = self.engine.strict is not None
                sorted_out, bad = ctx.settle()
                fallback |= bad
            else:
                rows = np.flatnonzero(juris_s == j)
                sub_start = np.r_[True, gid[rows][1:] != gid[rows][:-1]]
                sub_starts = np.flatnonzero(sub_start)
                sub_gid = np.cumsum(sub_start) - 1
                ctx = _Juris(
                    rules=rules_list[j],
                    plans=plans,
                    group=group_s[rows],
                    in_scope=in_scope_s[rows],
                    pool_given=pool_s[rows],
                    ded_given=ded_s[rows],
                    starts=sub_starts,
                    gid=sub_gid,
                    strict=self.engine.strict is not None,
                )
                values, bad = ctx.settle()
                for name, paid in values.items():
                    sorted_out.setdefault(name, np.zeros(n, dtype=np.int64))[rows] = paid
                fallback[rows] |= bad
                del values
            rules = rules_list[j]
            info["jurisdictions"][code] = {
                "plugin": rules.plugin,
                "plugin_version": rules.plugin_version,
                "overrides": list(rules.overrides),
            }
        # back to the input order: only what the person-year order computed (a given pool and
        # deductible are the input's own), then the rest, claim by claim, in the input order
        out: dict[str, np.ndarray] = {}
        for name, arranged in sorted_out.items():
            if arranged is pool_s and any_given:
                out[name] = pool_in
            elif arranged is ded_s and any_given:
                out[name] = ded_in
            elif order is None:
                out[name] = arranged
            else:  # each row's value put back where the row came from
                out[name] = np.empty_like(arranged)
                out[name][order] = arranged
        del sorted_out
        pool = out["basic_pool"]
        fund_total = pool.copy()
        for name in FUNDS[1:]:  # the benefits, after the pool
            if name in out:
                fund_total += out[name]
            else:
                out[name] = np.zeros(n, dtype=np.int64)
        out["fund_total"] = fund_total
        out["patient_total"] = total - fund_total
        # a result column may still be the input's own memory (a given pool, say): copy those
        out = {name: values if values.base is None else values.copy() for name, values in out.items()}
        # fallback person-years: the scalar engine, in the person-year order
        fb = np.flatnonzero(fallback)
        if len(fb):
            self._scalar(fb if order is None else order[fb], out, columns, codes, juris_codes)
        info["fallback_rows"] = len(fb)
        return self._result(out, info)

    def _result(self, out: dict[str, np.ndarray], info: dict[str, Any]) -> pd.DataFrame:
        columns = {"claim_id": self.df["claim_id"], **{FEN_COLUMNS[name]: out[name] for name in COMPONENTS}}
        result = pd.DataFrame(columns, index=self.df.index, copy=False)
        result.attrs["medinsure"] = info
        return result

    def _record(self, i: int, columns: list[str], code: str) -> Any:
        row = {}
        for c in columns:
            text = _cell_text(c, self.df[c].iloc[i])
            row[c.removesuffix("_fen") if c.endswith("_fen") and c not in CSV_COLUMNS else c] = text
        row["jurisdiction"] = code
        return record_from_row(f"row {i}", row)

    def _scalar(
        self,
        original: np.ndarray,
        out: dict[str, np.ndarray],
        columns: list[str],
        codes: list[str],
        juris_codes: np.ndarray,
    ) -> None:
        years = PersonYears(self.engine.without_lines())  # the amounts are all it needs
        for i in original.tolist():
            record = self._record(i, columns, codes[juris_codes[i]])
            try:
                patient = Patient.from_mapping(record.patient)
                claim = Claim.from_mapping(record.claim)
                s = years.settle(patient, claim, jurisdiction=codes[juris_codes[i]])
            except MedinsureError as exc:
                raise self._fail(i, str(exc)) from None
            for name in COMPONENTS:
                out[name][i] = to_fen(s.components[name])


def _cell_text(column: str, value: Any) -> str:
    """A cell as the scalar rules read it: an integer ``_fen`` amount as yuan text."""
    if column.endswith("_fen") and column not in CSV_COLUMNS:
        text = _text(value)
        if not text or not isinstance(value, int | np.integer) or isinstance(value, bool | np.bool_):
            return text  # empty, or refused as an amount by the scalar rules, naming the value
        return fen_text(int(value))
    return _text(value)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, frozenset | set | list | tuple):
        return ",".join(sorted(value))
    return str(value)


@attrs.define
class _Juris:
    """The vectorised settlement of one jurisdiction's rows, in person-year order."""

    rules: Any
    plans: list[_Group]
    group: np.ndarray
    in_scope: np.ndarray
    pool_given: np.ndarray
    ded_given: np.ndarray
    starts: np.ndarray
    gid: np.ndarray
    _subsets: dict[tuple[bool, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = attrs.field(factory=dict)
    strict: bool = False  # the engine refuses untrusted values: every rule a row reads must be checked

    def per_row(self, values: list[Any], dtype: Any = np.int64) -> np.ndarray:
        return np.asarray(values, dtype=dtype)[self.group]

    def settle(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        plans, m = self.plans, len(self.group)
        starts, gid = self.starts, self.gid
        bad = self.per_row([p.exotic for p in plans], bool)
        refused_all = self.per_row([p.refused_all for p in plans], bool)
        given = self.per_row([p.basic_given for p in plans], bool)
        fixed = given & ~refused_all  # the basic settlement is given and taken as it is
        in_scope = self.in_scope
        if fixed.all():
            pool, deductible = self.pool_given, self.ded_given
        else:
            pool, deductible = np.where(fixed, self.pool_given, 0), np.where(fixed, self.ded_given, 0)
        over_cap = None  # in-scope cost above the pool's cap
        if any(p.computes_basic for p in plans):
            pool, deductible, over_cap = self.basic(pool, deductible, bad)
        if any(p.given_cap is not None for p in plans):  # a given pool reaching its cap: the scalar engine
            limit = self.per_row([-1 if p.given_cap is None else p.given_cap for p in plans])
            after = _group_cumsum(pool, starts)
            reach = fixed & (limit >= 0) & (after >= limit)
            if not self.strict:  # a pool above what remained changes no amount: only reaching the cap does
                reach &= (after == limit) | (pool == 0)
            bad |= _group_any(reach, starts, gid)
        del fixed

        # benefits, stage by stage (the plans list them in that order), each on the rows it covers
        owed = in_scope - pool
        in_scope_self_pay = owed
        paid_to: dict[str, np.ndarray] = {}
        year_bad = np.zeros(len(starts), dtype=bool)
        # a plan's schedules follow the benefits of each stage in turn
        in_order = [benefit for stage in BASES for _owner, benefit in self.rules.benefits if benefit.base == stage]
        for stage in BASES:
            if stage == "self_pay":
                in_scope_self_pay, owed = owed, owed.copy()  # owed changes in place from here
            for b, benefit in enumerate(in_order):
                if benefit.base != stage:
                    continue
                schedules: list[formulas.Tiers] = []
                index: list[int] = []
                for p in plans:
                    s = p.schedules[b] if len(p.schedules) > b else None  # (groups of other jurisdictions)
                    if s is None:
                        index.append(-1)
                    else:
                        if s not in schedules:
                            schedules.append(s)
                        index.append(schedules.index(s))
                if not schedules:
                    continue
                rows, sub_starts, _ = self.subset(tuple(i >= 0 for i in index))
                if rows is not None and not len(rows):
                    continue
                base_of = {"self_pay": in_scope_self_pay, "over_cap": over_cap, "residual": owed}[stage]
                if base_of is None:
                    continue
                base = base_of if rows is None else base_of[rows]
                if not base.any():  # F(x) - F(x) = 0 everywhere
                    continue
                after = _group_cumsum(base, sub_starts)
                if len(schedules) == 1:
                    paid = _increase(schedules[0], after, base)
                else:
                    sid = np.asarray(index)[self.group if rows is None else self.group[rows]]
                    lo = np.minimum.reduceat(sid, sub_starts)
                    hi = np.maximum.reduceat(sid, sub_starts)
                    year_gid = self.gid if rows is None else self.gid[rows]
                    year_bad[year_gid[sub_starts[lo != hi]]] = True  # the schedule changes within the year
                    paid = np.zeros(len(base), dtype=np.int64)
                    for s_index, schedule in enumerate(schedules):
                        these = np.flatnonzero(sid == s_index)
                        paid[these] = _increase(schedule, after[these], base[these])
                del after, base
                owed_here = owed if rows is None else owed[rows]
                over = paid > owed_here
                if over.any():  # the closed form would pay more than is owed: the scalar engine decides
                    year_bad[(self.gid if rows is None else self.gid[rows])[over]] = True
                    paid = formulas.least(paid, formulas.most(owed_here, 0))
                owed_here -= paid
                if rows is not None:
                    owed[rows] = owed_here
                total = paid_to.get(benefit.component)
                if total is None:
                    paid_to[benefit.component] = total = paid if rows is None else np.zeros(m, dtype=np.int64)
                    if rows is not None:
                        total[rows] = paid
                elif rows is None:
                    total += paid
                else:
                    total[rows] += paid
        components = {name: paid_to[name] if name in paid_to else np.zeros(m, dtype=np.int64) for name in FUNDS}
        components["basic_pool"] = pool

        if self.rules.combined_caps:
            self.combined_caps(components, refused_all, bad)
        # what the person-year order computes; the totals follow in the input order
        values = {"deductible": deductible, "basic_pool": pool, "in_scope_self_pay": in_scope_self_pay, **paid_to}
        return values, _group_any(bad, starts, gid) | year_bad[gid]

    def subset(self, active: tuple[bool, ...]) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """The rows of the groups marked active, with their person-years' starts and numbers."""
        if all(active):
            return None, self.starts, self.gid
        if active not in self._subsets:
            rows = np.flatnonzero(np.asarray(active, dtype=bool)[self.group])
            years = self.gid[rows]
            start = np.r_[True, years[1:] != years[:-1]] if len(rows) else np.zeros(0, dtype=bool)
            self._subsets[active] = (rows, np.flatnonzero(start), _numbers(start))
        return self._subsets[active]

    def basic(
        self, pool: np.ndarray, deductible: np.ndarray, bad: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pool, deductible and cost above the cap, computed where no settlement is given; fills ``bad``."""
        plans, m = self.plans, len(self.group)
        starts, gid = self.starts, self.gid
        compute = self.per_row([p.computes_basic for p in plans], bool)
        ded_value = self.per_row([p.deductible or 0 for p in plans])
        rates = [p.ratio if p.computes_basic and p.ratio is not None else (0, 0) for p in plans]
        k = max((r[1] for r in rates), default=0)
        ratio_n = self.per_row([n * 10 ** (k - kk) for n, kk in rates])
        has_cap = self.per_row([p.cap is not None for p in plans], bool) & compute
        cap = self.per_row([p.cap if p.cap is not None else 0 for p in plans])

        in_scope = self.in_scope
        own_deductible = np.where(compute, formulas.deductible_applied(in_scope, ded_value), 0)
        deductible = np.where(compute, own_deductible, deductible)
        base = in_scope - own_deductible
        uncapped = np.where(compute, formulas.pool_share(in_scope, own_deductible, ratio_n, k), 0)
        contribution = uncapped + pool
        over_cap = np.zeros(m, dtype=np.int64)
        if not has_cap.any():
            return contribution, deductible, over_cap
        cum = _group_cumsum(contribution, starts)
        binding_year = _group_any(has_cap & (cum > cap), starts, gid)
        if not binding_year.any():
            return contribution, deductible, over_cap
        # closed form when the capped claims of the year share one cap and nothing else pays
        cap_min = np.minimum.reduceat(np.where(has_cap, cap, np.iinfo(np.int64).max), starts)[gid]
        cap_max = np.maximum.reduceat(np.where(has_cap, cap, -1), starts)[gid]
        others = _group_any(~has_cap & (contribution != 0), starts, gid)
        simple = binding_year & (cap_min == cap_max) & ~others
        bad |= binding_year & ~simple
        before = np.minimum(cap_min, cum - contribution)
        capped_pool = formulas.within_cap(uncapped, cap_min, before)
        pool = np.where(simple & has_cap, capped_pool, contribution)
        if (pool < uncapped).any():
            over_cap = formulas.above_cap(base, pool, uncapped, ratio_n, k)
        return pool, deductible, over_cap

    def combined_caps(self, components: dict[str, np.ndarray], refused_all: np.ndarray, bad: np.ndarray) -> None:
        """Flag in ``bad`` the rows of person-years where a combined cap binds."""
        plans, m = self.plans, len(self.group)
        starts, gid = self.starts, self.gid
        in_scope = self.in_scope
        eligible_in_scope = np.where(refused_all, 0, in_scope)
        year_in_scope = _group_cumsum(eligible_in_scope, starts) - eligible_in_scope + in_scope
        for c, (_owner, combined) in enumerate(self.rules.combined_caps):
            rates = [p.cap_rates[c] if len(p.cap_rates) > c else None for p in plans]
            parts = [r if r is not None else (0, 0) for r in rates]
            kc = max((r[1] for r in parts), default=0)
            rate_n = self.per_row([n * 10 ** (kc - kk) for n, kk in parts])
            has = self.per_row([r is not None for r in rates], bool)
            if not has.any():
                continue
            limit = formulas.combined_limit(year_in_scope, rate_n, kc)
            claim_paid = sum((components[name] for name in combined.components), np.zeros(m, dtype=np.int64))
            paid_year = _group_cumsum(claim_paid, starts) - claim_paid
            allowed = np.maximum(0, limit - paid_year)
            bad |= _group_any(has & ~refused_all & (claim_paid > allowed), starts, gid)
