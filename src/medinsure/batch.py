"""Settle a whole table of claims at once, identical to the scalar engine to the fen.

:func:`settle_frame` takes a :class:`pandas.DataFrame` with the flat CSV columns of the command
line (see :mod:`medinsure.inputs`), rows in settlement order per person, and returns one row
per claim: ``claim_id`` and one ``int64`` column of **fen** per settlement component. Integer
fen keep the amounts exact, make the arithmetic vectorisable and cost 8 bytes per amount;
:func:`to_decimal` turns the result into ``Decimal`` yuan when a caller wants them.

How it works, and why the result equals the scalar engine's:

1. **Rules per group.** Rows are grouped by everything a rule can match on: jurisdiction,
   scheme, status, kind, hospital level, location, referral, filed, designated, categories,
   conditions, tags, whether a basic settlement is given, the *epoch* of the service date (the
   interval between two consecutive dates at which any rule version, eligibility window or
   jurisdiction start changes) and the *age band* (between two consecutive age bounds of any
   rule). Rows of one group resolve every table to the same row and version, so the scalar
   engine is asked once per group, on the group's first row: it settles that claim (raising
   exactly the error every row of the group would raise) and reports the eligibility
   refusals, the deductible, ratio and cap, each benefit's schedule and each combined cap's rate.
2. **Arrays per person-year.** Amounts are integer fen; rates are scaled to integers (at most
   six decimals) and every product is rounded half up exactly in integer arithmetic. Within a
   person-year (rows of one person and calendar year, as the scalar accumulator), cumulative
   quantities come from grouped cumulative sums: the basic pool paid before a claim is
   ``min(cap, cumulative uncapped)``; a benefit pays ``F(cumulative base) − F(previous)``.
3. **Fallback.** Those closed forms hold unless a sequential-only effect binds. The person-years
   where one does are settled again by the scalar engine, so the result is equal by
   construction. They are: the pool cap binds while the capped claims of the year do not share
   one cap or other claims add to the pool; a benefit's schedule changes within the year; a
   benefit's payment would exceed what the patient still owes in scope; a combined cap binds;
   the person-year spans two jurisdictions; an amount exceeds 10⁹ yuan; a rate has more than
   six decimals; or a jurisdiction has an eligibility check given as Python code. The share of
   rows that took the fallback is in ``result.attrs["medinsure"]["fallback_rows"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from medinsure.accumulator import Accumulator
from medinsure.engine import _STAGES, Engine, _Run
from medinsure.errors import InvalidInput, MedinsureError
from medinsure.inputs import BASIC_COLUMNS, CSV_COLUMNS, REQUIRED_COLUMNS, InputError, _record
from medinsure.model import Claim, Patient
from medinsure.rules import Match, Schedule
from medinsure.settlement import COMPONENTS, FUNDS

if TYPE_CHECKING:
    from medinsure.reforms import Reform

__all__ = ["AMOUNT_COLUMNS", "OUTPUT_COLUMNS", "settle_frame", "settle_frame_scalar", "to_decimal", "yuan_to_fen"]

#: Input columns holding amounts in yuan (``str``, ``Decimal`` or ``int``; never ``float``).
AMOUNT_COLUMNS = ("total", "in_scope", "class_b_self_pay", *BASIC_COLUMNS)
#: Output columns: the claim id and one int64 column of fen per component.
OUTPUT_COLUMNS = ("claim_id", *COMPONENTS)

_MAX_FEN = 10**11  # 10⁹ yuan: every product of an amount and a scaled rate stays within int64
_MAX_DECIMALS = 6
_KEY_COLUMNS = (
    "jurisdiction", "scheme", "status", "kind", "hospital_level", "referral", "location", "filed",
    "designated", "categories", "conditions", "tags",
)  # fmt: skip


# -- amounts -----------------------------------------------------------------------------------


def yuan_to_fen(values: Any, field: str = "amount") -> np.ndarray:
    """Exact fen (int64) from yuan given as text, ``Decimal`` or whole ``int``; floats are refused.

    Missing cells (``None``, ``NaN``, empty text) become ``-1``; any other value that is not a
    non-negative amount with at most two decimals raises :class:`InvalidInput` naming it.
    """
    from medinsure.money import amount

    series = pd.Series(values, copy=False)
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_float_dtype(series):
        raise InvalidInput(field, series.iloc[0] if len(series) else None, "floats are not accepted (inexact)")
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        arr = series.to_numpy(dtype=np.int64)
        if (arr < 0).any():
            raise InvalidInput(field, int(arr[arr < 0][0]), "must not be negative")
        return arr * 100
    text = series.astype("string").str.strip().fillna("")
    empty = (text == "").to_numpy()
    ok = text.str.fullmatch(r"\d+(\.\d{1,2})?").fillna(False).to_numpy(dtype=bool) | empty
    plain = text.where(ok, "0")
    parts = plain.str.partition(".")
    whole = pd.to_numeric(parts[0].where(parts[0] != "", "0")).to_numpy(dtype=np.int64)
    cents = pd.to_numeric(parts[2].str.ljust(2, "0").where(parts[2] != "", "0")).to_numpy(dtype=np.int64)
    fen = whole * 100 + cents
    for i in np.flatnonzero(~ok):  # other spellings (Decimal exponents, signs): the scalar rules decide
        value = series.iloc[i]
        if isinstance(value, float):
            raise InvalidInput(field, value, "floats are not accepted (inexact)")
        fen[i] = int(amount(value, field) * 100)
    fen[empty] = -1
    return fen


def to_decimal(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a result with every component column as ``Decimal`` yuan (two decimals)."""
    out = frame.copy()
    for name in COMPONENTS:
        if name in out.columns:
            out[name] = [Decimal(int(v)).scaleb(-2) for v in out[name].to_numpy()]
    return out


def _scaled(rate: Decimal) -> tuple[int, int] | None:
    """``rate == n / 10**k`` with integer ``n``; None when it needs more than six decimals."""
    _sign, digits, exponent = rate.normalize().as_tuple()
    assert isinstance(exponent, int)
    n = int("".join(map(str, digits)) or "0")
    if exponent >= 0:
        return n * 10**exponent, 0
    if -exponent > _MAX_DECIMALS:
        return None
    return n, -exponent


def _fen(value: Decimal) -> int:
    return int(value * 100)


# -- rules per group -------------------------------------------------------------------------


@attrs.frozen
class _Plan:
    """What the rules say for every row of one group."""

    refused_all: bool
    basic_given: bool
    basic_refused: bool
    deductible: int | None
    ratio: Decimal | None
    cap: int | None
    schedules: tuple[Schedule | None, ...]  # per benefit of the jurisdiction, None = no result
    cap_rates: tuple[Decimal | None, ...]  # per combined cap
    exotic: bool  # a rate with more than six decimals, or an eligibility check in Python


def _plan(engine: Engine, code: str, patient: Patient, claim: Claim) -> _Plan:
    rules = engine.rules(code)
    engine.settle_claim(patient, claim, jurisdiction=code)  # raises what every row of the group raises
    run = _Run(rules, patient, claim, Accumulator.empty(patient.id, claim.year))
    refusals = run.eligibility()
    refused_all = any(r.applies_to == "claim" for r in refusals)

    def refused(target: str) -> bool:
        return any(
            r.applies_to == "claim" or (isinstance(r.applies_to, tuple) and target in r.applies_to) for r in refusals
        )

    ratio = ded = cap = None
    if not refused_all and claim.basic is None and not refused("basic"):
        found = run.lookup("basic.ratio")
        if found is not None:
            ratio = found.value
            ded_found = run.lookup("basic.deductible")
            assert ded_found is not None  # the scalar settlement above raised otherwise
            ded = _fen(ded_found.value)
            cap_found = run.lookup("basic.pool_cap")
            cap = None if cap_found is None else _fen(cap_found.value)
    schedules: list[Schedule | None] = []
    exotic = ratio is not None and _scaled(ratio) is None
    # an eligibility check written in Python may read anything: not decidable per group
    exotic |= any(not isinstance(rule.check, str) for _owner, rule in rules.eligibility)
    for owner, benefit in rules.benefits:
        schedule = None
        if (
            not refused_all
            and patient.scheme in benefit.schemes
            and claim.kind in benefit.counts
            and not refused(benefit.key)
            and not refused(benefit.component)
        ):
            found = run.lookup_table(benefit.schedules, owner)
            schedule = None if found is None else found.value
        if schedule is not None and any(_scaled(t.rate) is None for t in schedule.tiers):
            exotic = True
        schedules.append(schedule)
    cap_rates: list[Decimal | None] = []
    for owner, combined in rules.combined_caps:
        found = None if refused_all else run.lookup_table(combined.rate, owner)
        cap_rates.append(None if found is None else found.value)
        if found is not None and _scaled(found.value) is None:
            exotic = True
    return _Plan(
        refused_all=refused_all,
        basic_given=claim.basic is not None,
        basic_refused=refused("basic"),
        deductible=ded,
        ratio=ratio,
        cap=cap,
        schedules=tuple(schedules),
        cap_rates=tuple(cap_rates),
        exotic=exotic,
    )


def _cut_points(rules_list: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Dates (days since 1970) where any rule changes, and age bounds, over the given rules."""
    days: set[dt.date] = set()
    ages: set[int] = set()

    def match(m: Match) -> None:
        if m.age_min is not None:
            ages.add(m.age_min)
        if m.age_max is not None:
            ages.add(m.age_max + 1)

    def table(t: Any) -> None:
        for row in t.rows:
            match(row.when)
            for version in row.versions:
                days.add(version.start)

    for rules in rules_list:
        if rules.start is not None:
            days.add(rules.start)
        for _owner, t in rules.tables.values():
            table(t)
        for _owner, b in rules.benefits:
            table(b.schedules)
        for _owner, c in rules.combined_caps:
            table(c.rate)
        for _owner, e in rules.eligibility:
            match(e.when)
            if e.start is not None:
                days.add(e.start)
            if e.end is not None:
                days.add(e.end + dt.timedelta(days=1))
    epoch = dt.date(1970, 1, 1)
    day_cuts = np.array(sorted((d - epoch).days for d in days), dtype=np.int64)
    return day_cuts, np.array(sorted(ages), dtype=np.int64)


# -- the frame -------------------------------------------------------------------------------


def _column(df: pd.DataFrame, name: str) -> pd.Series | None:
    return df[name] if name in df.columns else None


def _days(values: pd.Series, field: str) -> np.ndarray:
    """Days since 1970 of a date column (text YYYY-MM-DD or datetime); missing is INT64 min."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype("string").str.strip()
        text = text.where(text != "", None)
        try:
            parsed = pd.to_datetime(text, format="%Y-%m-%d")
        except (ValueError, TypeError):
            bad = text[pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").isna() & text.notna()]
            raise InvalidInput(field, bad.iloc[0] if len(bad) else None, "expected a date written YYYY-MM-DD") from None
    arr = parsed.to_numpy(dtype="datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = np.iinfo(np.int64).min
    return out


def _age(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Age in whole years on ``day`` of persons born on ``birth`` (both days since 1970)."""
    b, d = birth.astype("datetime64[D]"), day.astype("datetime64[D]")

    def parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        year = x.astype("datetime64[Y]")
        month = x.astype("datetime64[M]")
        month_day = (month - year.astype("datetime64[M]")).astype(np.int64) * 32 + (
            x - month.astype("datetime64[D]")
        ).astype(np.int64)
        return year.astype(np.int64), month_day

    by, bmd = parts(b)
    dy, dmd = parts(d)
    return dy - by - (dmd < bmd)


def _groups(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """First row and group number of each row for the distinct combinations of ``parts``."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    radix = 1
    for part in parts:
        width = int(part.max()) + 2 if len(part) else 1
        if radix * width >= 2**62:
            stacked = np.stack(parts, axis=1)
            _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
            return first, inverse.reshape(-1)
        key = key * width + (part.astype(np.int64) + 1)
        radix *= width
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _group_sum_before(values: np.ndarray, starts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``values`` over the earlier rows of its (contiguous) group."""
    cs = np.cumsum(values)
    prev = cs - values
    return prev - prev[starts][gid]


def _group_any(flags: np.ndarray, starts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    if not flags.any():
        return np.zeros(len(flags), dtype=bool)
    return np.logical_or.reduceat(flags, starts)[gid]


def _round_mul(amounts: np.ndarray, rate_n: np.ndarray, k: int) -> np.ndarray:
    """``round_half_up(amounts × rate_n / 10**k)`` for non-negative amounts, exactly."""
    if k == 0:
        return amounts * rate_n
    scale = 10**k
    return (amounts * rate_n + scale // 2) // scale


def _annual(schedule: Schedule, base: np.ndarray) -> np.ndarray:
    """``F(base)`` of a schedule over an array of fen, exactly as :meth:`Schedule.annual`."""
    scaled = [_scaled(t.rate) for t in schedule.tiers]
    k = max(s[1] for s in scaled if s is not None)
    measured = base - _fen(schedule.threshold) if schedule.basis == "above_threshold" else base
    total = np.zeros(len(base), dtype=np.int64)
    for tier, s in zip(schedule.tiers, scaled, strict=True):
        assert s is not None
        n = s[0] * 10 ** (k - s[1])
        if n == 0:
            continue
        seg = measured - _fen(tier.start)
        if tier.end is not None:
            seg = np.minimum(seg, _fen(tier.end) - _fen(tier.start))
        total += np.maximum(seg, 0) * n
    value = (total + (10**k) // 2) // (10**k) if k else total
    if schedule.cap is not None:
        value = np.minimum(value, _fen(schedule.cap))
    return value


def settle_frame(
    df: pd.DataFrame,
    *,
    engine: Engine | None = None,
    overrides: Reform | Mapping[str, Any] | None = None,
    jurisdiction: str | None = None,
) -> pd.DataFrame:
    """Settle every claim of ``df``; the result equals the scalar engine's to the fen.

    ``df`` has the flat CSV columns (``jurisdiction, patient_id, scheme, …, claim_id, kind,
    discharged, …, total, in_scope, …, basic_pool, basic_in_scope_self_pay``); amounts are
    yuan as text, ``Decimal`` or whole ``int`` (never ``float``). Rows are in settlement order
    per person. ``overrides`` is a :class:`~medinsure.reforms.Reform` (or its mapping) applied
    to ``engine`` (by default one over the installed plugins); ``jurisdiction`` settles every
    row under one jurisdiction, as ``--jurisdiction`` does.

    Returns a frame with the index of ``df``, a ``claim_id`` column and one int64 column of
    fen per component (:data:`~medinsure.settlement.COMPONENTS`). ``result.attrs["medinsure"]``
    holds the provenance: per jurisdiction the plugin, its version and the overridden tables,
    and the number of rows settled by the scalar fallback.
    """
    if engine is None:
        engine = Engine.from_installed()
    if overrides is not None:
        from medinsure.reforms import Reform

        reform = overrides if isinstance(overrides, Reform) else Reform.from_mapping(overrides)
        engine = reform.apply(engine)
        result = _Batch(engine, df, jurisdiction).run()
        result.attrs["medinsure"]["reform"] = reform.name
        return result
    return _Batch(engine, df, jurisdiction).run()


def settle_frame_scalar(
    df: pd.DataFrame, *, engine: Engine | None = None, jurisdiction: str | None = None
) -> pd.DataFrame:
    """The reference for :func:`settle_frame`: every row through the scalar engine, one by one.

    Same input and output as :func:`settle_frame` (without ``_fen`` columns); it is what
    ``medinsure settle`` does for a CSV file, and far slower.
    """
    from medinsure.files import settle_records

    if engine is None:
        engine = Engine.from_installed()
    columns = list(df.columns)
    records = (
        _record(f"row {i}", {c: _text(v) for c, v in zip(columns, values, strict=True)})
        for i, values in enumerate(df.itertuples(index=False, name=None))
    )
    out: dict[str, list[Any]] = {name: [] for name in OUTPUT_COLUMNS}
    for s in settle_records(engine, records, jurisdiction=jurisdiction):
        out["claim_id"].append(s.claim.id)
        for name in COMPONENTS:
            out[name].append(_fen(s.components[name]))
    result = pd.DataFrame({"claim_id": df["claim_id"].to_numpy()}, index=df.index)
    for name in COMPONENTS:
        result[name] = np.asarray(out[name], dtype=np.int64)
    return result


class _Batch:
    def __init__(self, engine: Engine, df: pd.DataFrame, jurisdiction: str | None) -> None:
        self.engine = engine
        self.df = df
        self.jurisdiction = jurisdiction

    # -- input ---------------------------------------------------------------------------------

    def _check_columns(self) -> None:
        for column in self.df.columns:
            if column not in CSV_COLUMNS and column.removesuffix("_fen") not in AMOUNT_COLUMNS:
                raise InputError("frame", f"unknown column {column!r} (columns: {', '.join(CSV_COLUMNS)})")
        for column in REQUIRED_COLUMNS:
            if column not in self.df.columns:
                raise InputError("frame", f"missing column {column!r}")
        if self.jurisdiction is None and "jurisdiction" not in self.df.columns:
            raise InputError("frame", "no jurisdiction: give a jurisdiction column or jurisdiction=")

    def _amount(self, name: str) -> np.ndarray:
        df = self.df
        if f"{name}_fen" in df.columns:  # the batch's native form: int64 fen
            values = df[f"{name}_fen"]
            if not pd.api.types.is_integer_dtype(values) or values.isna().any():
                raise InputError("frame", f"column {name}_fen: expected int64 fen without missing values")
            arr = values.to_numpy(dtype=np.int64)
            if (arr < 0).any():
                raise self._fail(int(np.flatnonzero(arr < 0)[0]), f"claim.{name}: must not be negative")
            return arr
        if name in df.columns:
            return yuan_to_fen(df[name], f"claim.{name}")
        return np.full(len(df), -1, dtype=np.int64)

    def _fail(self, row: int, message: str) -> InputError:
        return InputError(f"row {row} (claim {self.df['claim_id'].iloc[row]!r})", message)

    def run(self) -> pd.DataFrame:
        self._check_columns()
        df = self.df
        n = len(df)
        info: dict[str, Any] = {"rows": n, "fallback_rows": 0, "jurisdictions": {}}
        if n == 0:
            return self._result({name: np.zeros(0, dtype=np.int64) for name in COMPONENTS}, info)
        amounts = {name: self._amount(name) for name in AMOUNT_COLUMNS}
        person = df["patient_id"]
        for column in ("patient_id", "claim_id"):
            ids = df[column]
            stripped = ids.astype("string").str.strip()
            missing = ids.isna().to_numpy() | (stripped == "").fillna(True).to_numpy()
            if missing.any():
                raise self._fail(int(np.flatnonzero(missing)[0]), f"{column}: required")
            if column == "patient_id" and (stripped != ids.astype("string")).any():
                person = stripped  # ids are compared stripped, as Patient does
        days = _days(df["discharged"], "claim.discharged")
        if (days == np.iinfo(np.int64).min).any():
            raise self._fail(int(np.flatnonzero(days == np.iinfo(np.int64).min)[0]), "claim.discharged: required")
        years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

        # basic settlement given: in_scope and total default as in Claim.from_mapping
        given = np.zeros(n, dtype=bool)
        for name in BASIC_COLUMNS:
            given |= amounts[name] >= 0
        pool_in, isp_in = amounts["basic_pool"], amounts["basic_in_scope_self_pay"]
        in_scope = np.where((amounts["in_scope"] < 0) & given, pool_in + isp_in, amounts["in_scope"])
        total = np.where(amounts["total"] < 0, in_scope, amounts["total"])
        class_b = np.maximum(amounts["class_b_self_pay"], 0)
        ded_in = np.maximum(amounts["basic_deductible"], 0)
        for name, arr in (("total", total), ("in_scope", in_scope)):
            if (arr < 0).any():
                raise self._fail(int(np.flatnonzero(arr < 0)[0]), f"claim.{name}: required")
        problems = (
            (in_scope > total, "claim.in_scope: above claim.total"),
            (in_scope + class_b > total, "claim.class_b_self_pay: in_scope + class_b_self_pay exceeds total"),
            (given & ((pool_in < 0) | (isp_in < 0)), "basic_pool and basic_in_scope_self_pay are both required"),
            (given & (pool_in + isp_in != in_scope), "claim.basic: pool + in_scope_self_pay != claim.in_scope"),
        )
        for mask, message in problems:
            if mask.any():
                raise self._fail(int(np.flatnonzero(mask)[0]), message)
        if "admitted" in df.columns:
            admitted = _days(df["admitted"], "claim.admitted")
            late = admitted > days
            if late.any():
                raise self._fail(int(np.flatnonzero(late)[0]), "claim.discharged: before admitted")

        # person-years, contiguous in a stable order
        pid_codes, _ = pd.factorize(person)
        py_key = pid_codes.astype(np.int64) * 10_000 + (years - years.min())
        if (np.diff(py_key) >= 0).all():
            order = None
            key_sorted = py_key
        else:
            order = np.argsort(py_key, kind="stable")
            key_sorted = py_key[order]
        is_start = np.empty(n, dtype=bool)
        is_start[0] = True
        np.not_equal(key_sorted[1:], key_sorted[:-1], out=is_start[1:])
        starts = np.flatnonzero(is_start)
        gid = np.cumsum(is_start) - 1

        def perm(arr: np.ndarray) -> np.ndarray:
            return arr if order is None else arr[order]

        # rule groups
        codes_col = (
            pd.Series(np.full(n, self.jurisdiction, dtype=object), index=df.index)
            if self.jurisdiction is not None
            else df["jurisdiction"]
        )
        juris_codes, juris_uniques = pd.factorize(codes_col)
        if (juris_codes < 0).any():
            raise self._fail(int(np.flatnonzero(juris_codes < 0)[0]), "no jurisdiction")
        codes = [str(c).strip() for c in juris_uniques]
        rules_list = []
        for j, c in enumerate(codes):
            try:
                rules_list.append(self.engine.rules(c))
            except MedinsureError as exc:
                raise self._fail(int(np.flatnonzero(juris_codes == j)[0]), str(exc)) from None
        day_cuts, age_cuts = _cut_points(rules_list)
        epoch = np.searchsorted(day_cuts, days, side="right")
        key_parts = [juris_codes.astype(np.int32), epoch.astype(np.int32), given.astype(np.int32)]
        if len(age_cuts) and "birth_date" in df.columns:
            birth = _days(df["birth_date"], "patient.birth_date")
            known = birth != np.iinfo(np.int64).min
            age = _age(np.where(known, birth, 0), days)
            band = np.where(known, np.searchsorted(age_cuts, age, side="right"), -1)
            key_parts.append(band.astype(np.int32))
        for name in _KEY_COLUMNS[1:]:
            if name in df.columns:
                key_parts.append(pd.factorize(df[name])[0].astype(np.int32) + 1)
        first_rows, group_of = _groups(key_parts)
        plans: list[_Plan] = []
        columns = list(df.columns)
        for g in range(len(first_rows)):
            i = int(first_rows[g])
            record = self._record(i, columns, codes[juris_codes[i]])
            try:
                patient = Patient.from_mapping(record.patient)
                claim = Claim.from_mapping(record.claim)
                plans.append(_plan(self.engine, codes[juris_codes[i]], patient, claim))
            except MedinsureError as exc:
                raise self._fail(i, str(exc)) from None

        # settle, per jurisdiction, on the person-year order
        juris_s = perm(juris_codes)
        group_s = perm(group_of)
        in_scope_s, total_s = perm(in_scope), perm(total)
        mixed = _group_any(np.r_[False, juris_s[1:] != juris_s[:-1]] & ~is_start, starts, gid)
        fallback = mixed | _group_any(total_s > _MAX_FEN, starts, gid)
        del amounts, key_parts, pid_codes, py_key, days, years
        out: dict[str, np.ndarray] = {}
        pool_s, ded_s = perm(pool_in), perm(ded_in)
        for j, code in enumerate(codes):
            if len(codes) == 1:  # every row: no subsets to take
                ctx = _Juris(rules_list[j], plans, group_s, in_scope_s, total_s, pool_s, ded_s, starts, gid)
                out, bad = ctx.settle()
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
                    total=total_s[rows],
                    pool_given=pool_s[rows],
                    ded_given=ded_s[rows],
                    starts=sub_starts,
                    gid=sub_gid,
                )
                values, bad = ctx.settle()
                for name in COMPONENTS:
                    out.setdefault(name, np.zeros(n, dtype=np.int64))[rows] = values[name]
                fallback[rows] |= bad
                del values
            rules = rules_list[j]
            info["jurisdictions"][code] = {
                "plugin": rules.plugin,
                "plugin_version": rules.plugin_version,
                "overrides": list(rules.overrides),
            }
        # fallback person-years: the scalar engine
        fb = np.flatnonzero(fallback)
        if len(fb):
            original = fb if order is None else order[fb]
            self._scalar(original, out, fb, columns, codes, juris_codes)
        info["fallback_rows"] = len(fb)
        if order is not None:
            inverse = np.empty(n, dtype=np.int64)
            inverse[order] = np.arange(n)
            out = {name: out[name][inverse] for name in COMPONENTS}
        return self._result(out, info)

    def _result(self, out: dict[str, np.ndarray], info: dict[str, Any]) -> pd.DataFrame:
        claim_ids = self.df["claim_id"]
        result = pd.DataFrame({"claim_id": claim_ids}, index=self.df.index)
        for name in COMPONENTS:
            result[name] = out[name]
        result.attrs["medinsure"] = info
        return result

    def _record(self, i: int, columns: list[str], code: str) -> Any:
        row = {}
        for c in columns:
            value = self.df[c].iloc[i]
            if c.endswith("_fen") and c not in CSV_COLUMNS:
                row[c.removesuffix("_fen")] = f"{int(value) // 100}.{int(value) % 100:02d}"
            else:
                row[c] = _text(value)
        row["jurisdiction"] = code
        return _record(f"row {i}", row)

    def _scalar(
        self,
        original: np.ndarray,
        out: dict[str, np.ndarray],
        positions: np.ndarray,
        columns: list[str],
        codes: list[str],
        juris_codes: np.ndarray,
    ) -> None:
        state: dict[tuple[str, int], Accumulator] = {}
        for pos, i in zip(positions, original, strict=True):
            i = int(i)
            record = self._record(i, columns, codes[juris_codes[i]])
            try:
                patient = Patient.from_mapping(record.patient)
                claim = Claim.from_mapping(record.claim)
                s = self.engine.settle_claim(
                    patient,
                    claim,
                    jurisdiction=codes[juris_codes[i]],
                    accumulator=state.get((patient.id, claim.year)),
                )
            except MedinsureError as exc:
                raise self._fail(i, str(exc)) from None
            state[(patient.id, claim.year)] = s.accumulator_after
            for name in COMPONENTS:
                out[name][pos] = _fen(s.components[name])


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
    plans: list[_Plan]
    group: np.ndarray
    in_scope: np.ndarray
    total: np.ndarray
    pool_given: np.ndarray
    ded_given: np.ndarray
    starts: np.ndarray
    gid: np.ndarray

    def per_row(self, values: list[Any], dtype: Any = np.int64) -> np.ndarray:
        return np.asarray(values, dtype=dtype)[self.group]

    def settle(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        plans, m = self.plans, len(self.group)
        starts, gid = self.starts, self.gid
        bad = self.per_row([p.exotic for p in plans], bool)
        refused_all = self.per_row([p.refused_all for p in plans], bool)
        given = self.per_row([p.basic_given for p in plans], bool)
        compute = self.per_row([p.ratio is not None and not p.exotic for p in plans], bool)
        ded_value = self.per_row([p.deductible or 0 for p in plans])
        scaled = [(_scaled(p.ratio) or (0, 0)) if p.ratio is not None else (0, 0) for p in plans]
        k = max((s[1] for s in scaled), default=0)
        ratio_n = self.per_row([s[0] * 10 ** (k - s[1]) for s in scaled])
        has_cap = self.per_row([p.cap is not None for p in plans], bool) & compute
        cap = self.per_row([p.cap if p.cap is not None else 0 for p in plans])

        # basic insurance
        in_scope = self.in_scope
        deductible = np.where(compute, np.minimum(ded_value, in_scope), 0)
        base = in_scope - deductible
        uncapped = np.where(compute, _round_mul(base, ratio_n, k), 0)
        pool_fixed = np.where(given & ~refused_all, self.pool_given, 0)
        contribution = uncapped + pool_fixed
        cum = _group_sum_before(contribution, starts, gid) + contribution
        binds = has_cap & (cum > cap)
        binding_year = _group_any(binds, starts, gid)
        pool = contribution.copy()
        over_cap = np.zeros(m, dtype=np.int64)
        if binding_year.any():
            # closed form when the capped claims of the year share one cap and nothing else pays
            cap_min = np.minimum.reduceat(np.where(has_cap, cap, np.iinfo(np.int64).max), starts)[gid]
            cap_max = np.maximum.reduceat(np.where(has_cap, cap, -1), starts)[gid]
            others = _group_any(~has_cap & (contribution != 0), starts, gid)
            simple = binding_year & (cap_min == cap_max) & ~others
            bad |= binding_year & ~simple
            before = np.minimum(cap_min, cum - contribution)
            capped_pool = np.minimum(uncapped, np.maximum(0, cap_min - before))
            pool = np.where(simple & has_cap, capped_pool, pool)
            short = simple & has_cap & (pool < uncapped)
            if short.any():
                ratio_zero = ratio_n == 0
                scale = 10**k
                safe_n = np.where(ratio_zero, 1, ratio_n)
                num = base * safe_n - pool * scale  # (base - pool / ratio) × n, over n
                rounded = np.where(num >= 0, (2 * num + safe_n) // (2 * safe_n), 0)
                over_cap = np.where(short, np.where(ratio_zero, base, np.maximum(rounded, 0)), 0)
        deductible = np.where(given & ~refused_all, self.ded_given, deductible)
        del uncapped, contribution, cum, binds, binding_year, ded_value, cap, has_cap, base, compute

        # benefits, stage by stage
        owed = in_scope - pool
        in_scope_self_pay = owed
        components = {name: np.zeros(m, dtype=np.int64) for name in FUNDS}
        components["basic_pool"] = pool
        benefits = self.rules.benefits
        for stage in _STAGES:
            if stage == "self_pay":
                in_scope_self_pay = owed.copy()
            for b, (_owner, benefit) in enumerate(benefits):
                if benefit.base != stage:
                    continue
                schedules: list[Schedule] = []
                index: list[int] = []
                for p in plans:
                    s = p.schedules[b] if len(p.schedules) > b else None
                    if s is None:
                        index.append(-1)
                    else:
                        if s not in schedules:
                            schedules.append(s)
                        index.append(schedules.index(s))
                sid = self.per_row(index)
                active = sid >= 0
                if not active.any():
                    continue
                base_added = {"self_pay": in_scope_self_pay, "over_cap": over_cap, "residual": owed}[stage]
                base_added = np.where(active, base_added, 0)
                after = _group_sum_before(base_added, starts, gid) + base_added
                if len(schedules) > 1:
                    lo = np.minimum.reduceat(np.where(active, sid, len(schedules)), starts)[gid]
                    hi = np.maximum.reduceat(np.where(active, sid, -1), starts)[gid]
                    bad |= _group_any(active & (lo != hi), starts, gid)
                paid = np.zeros(m, dtype=np.int64)
                for s_index, schedule in enumerate(schedules):
                    rows = np.flatnonzero(sid == s_index)
                    if len(rows) == 0 or any(_scaled(t.rate) is None for t in schedule.tiers):
                        continue
                    a = after[rows]
                    paid[rows] = _annual(schedule, a) - _annual(schedule, a - base_added[rows])
                bad |= _group_any(paid > owed, starts, gid)
                paid = np.minimum(paid, np.maximum(owed, 0))
                owed = owed - paid
                components[benefit.component] = components[benefit.component] + paid

        # combined caps: detect the person-years where one binds
        eligible_in_scope = np.where(refused_all, 0, in_scope)
        year_in_scope = _group_sum_before(eligible_in_scope, starts, gid) + in_scope
        for c, (_owner, combined) in enumerate(self.rules.combined_caps):
            rates = [p.cap_rates[c] if len(p.cap_rates) > c else None for p in plans]
            scaled_rates = [(_scaled(r) or (0, 0)) if r is not None else (0, 0) for r in rates]
            kc = max((s[1] for s in scaled_rates), default=0)
            rate_n = self.per_row([s[0] * 10 ** (kc - s[1]) for s in scaled_rates])
            has = self.per_row([r is not None for r in rates], bool)
            if not has.any():
                continue
            limit = _round_mul(year_in_scope, rate_n, kc)
            claim_paid = sum((components[name] for name in combined.components), np.zeros(m, dtype=np.int64))
            paid_year = _group_sum_before(claim_paid, starts, gid)
            allowed = np.maximum(0, limit - paid_year)
            bad |= _group_any(has & ~refused_all & (claim_paid > allowed), starts, gid)

        fund_total = sum((components[name] for name in FUNDS), np.zeros(m, dtype=np.int64))
        values = {
            "deductible": deductible,
            **components,
            "in_scope_self_pay": in_scope_self_pay,
            "fund_total": fund_total,
            "patient_total": self.total - fund_total,
        }
        return values, _group_any(bad, starts, gid)
