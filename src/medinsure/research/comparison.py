"""Compare jurisdictions and reforms on one population of claims.

:func:`compare` settles the same claims under every scenario — each jurisdiction asked for
(``dalian``), and each reform applied to each of those jurisdictions it changes
(``dalian+threshold15k``; a reform of a parent does not reach its children, whose rules are
resolved on their own) — with the batch path, and returns a
:class:`Comparison`: a tidy frame with one row per claim and scenario, and a summary per
scenario.

Units follow the research API's one convention: a column named ``X_fen`` holds int64 fen
(``fund_cost_fen``), a column without the suffix holds no amount (a count or a share) or, in
files written for people, yuan text.

Definitions (amounts are exact; shares and means are floats, statistics and not amounts):

- *fund cost*: the sum of ``fund_total_fen`` over the claims;
- *patient share* of a claim: ``patient_total / total`` (claims with a total of 0 are left out);
- *catastrophic expenditure*: a person-year is catastrophic when the patient's payments of the
  year (the sum of ``patient_total_fen``) reach ``catastrophic_threshold`` yuan (20,000 by default:
  pass the capacity to pay that suits the study, e.g. 40% of a household's non-food spending,
  or the region's per-capita disposable income); the *catastrophic share* is the share of
  person-years that are catastrophic;
- *effective reimbursement curve*: person-years binned by their annual in-scope cost; in each
  bin, the patient's share of the in-scope cost, ``1 − funds / in-scope`` (ratio of sums).

**Weights.** A sample stands for a population: a ``weight`` column says how many persons each
claim row stands for (the microsimulation convention of OpenFisca and PolicyEngine: one weight
per sampled unit, every sum and share weighted by it). Every row of one person carries the same
weight. The summary then counts and sums over the population the sample stands for: with whole
weights it equals the summary of the expanded population, each person repeated ``weight`` times.
Fractional weights give sums of fen rounded half up to the fen (estimates, no longer exact).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from medinsure.errors import InputError, MedinsureError
from medinsure.money import amount, fmt
from medinsure.research.batch import FEN_COLUMNS, amount_fen, prepare, rows_named, settle_frame, to_decimal, yuan
from medinsure.research.frames import read_frame, yuan_text
from medinsure.rules.reforms import Reform
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import COMPONENTS

__all__ = ["Comparison", "compare", "read_claims", "weighted_quantile"]

DEFAULT_CATASTROPHIC = Decimal(20000)
#: The summary's columns holding amounts (int64 fen, or fen rounded to whole fen with fractional weights).
SUMMARY_AMOUNTS = ("fund_cost_fen", "patient_cost_fen")
#: The summary's statistics, in order (the tidy form of :meth:`Comparison.summary_long` lists these).
SUMMARY_MEASURES = (
    "claims", "person_years", "fund_cost_fen", "patient_cost_fen", "mean_patient_share",
    "median_patient_share", "p90_patient_share", "catastrophic_share", "fallback_rows",
)  # fmt: skip


def read_claims(path: str | Path) -> pd.DataFrame:
    """A flat claim file (``.csv`` as text, amounts exact; or ``.parquet``) as a frame."""
    return read_frame(path)


@attrs.frozen
class Comparison:
    """The result of :func:`compare`.

    ``claims``: one row per claim and scenario — ``scenario``, ``jurisdiction``, ``reform``,
    ``patient_id``, ``claim_id``, ``year``, ``weight`` (1 unless the claims carry weights),
    ``total_fen`` and ``in_scope_fen`` and every component as int64 fen (``fund_total_fen``…).
    ``summary``: one row per scenario (see the module documentation), numeric columns only
    besides the jurisdiction and reform. ``provenance``: per scenario, the plugin, version,
    overridden tables, reform and fallback rows; also in ``claims.attrs["medinsure"]`` and
    ``summary.attrs["medinsure"]``, and written by :meth:`write_metadata`.
    """

    claims: pd.DataFrame
    summary: pd.DataFrame
    provenance: Mapping[str, Any]
    catastrophic_threshold: Decimal
    weighted: bool = False

    def person_years(self) -> pd.DataFrame:
        """Per scenario and person-year: its weight, in-scope cost, funds and patient payments (fen)."""
        cols = ["in_scope_fen", "total_fen", "fund_total_fen", "patient_total_fen"]
        keys = ["scenario", "patient_id", "year"]
        grouped = self.claims.groupby(keys, observed=True, sort=False)
        sums = grouped[cols].sum()
        sums.insert(0, "weight", grouped["weight"].first())
        return sums.reset_index()

    def summary_long(self) -> pd.DataFrame:
        """The summary in tidy (long) form: one row per scenario and measure (``scenario, jurisdiction,
        reform, measure, value``), for plotting libraries that take long data (seaborn, plotnine)."""
        wide = self.summary.reset_index()
        long = wide.melt(
            id_vars=["scenario", "jurisdiction", "reform"],
            value_vars=list(SUMMARY_MEASURES),
            var_name="measure",
            value_name="value",
        )
        long["value"] = long["value"].astype(float)
        long.attrs = dict(self.summary.attrs)
        return long

    def metadata(self) -> dict[str, Any]:
        """What produced the comparison: per scenario its jurisdiction, plugins and versions, reform,
        overridden tables and fallback rows; the catastrophic threshold and whether rows are weighted."""
        return {
            "medinsure": _version(),
            "catastrophic_threshold": str(self.catastrophic_threshold),
            "weighted": self.weighted,
            "units": "columns named X_fen hold int64 fen; other columns hold no amount",
            "scenarios": {
                str(label): {
                    "jurisdiction": str(self.summary.loc[label, "jurisdiction"]),
                    "reform": str(self.summary.loc[label, "reform"]),
                    **self.provenance[label],
                }
                for label in self.summary.index
            },
        }

    def write_metadata(self, path: str | Path) -> None:
        """Write :meth:`metadata` as a JSON file beside the exported tables."""
        Path(path).write_text(json.dumps(self.metadata(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def _repr_html_(self) -> str:
        table = yuan(self.summary).to_html(float_format=lambda v: f"{v:.4g}")
        rows = []
        for label, info in self.provenance.items():
            plugins = ", ".join(
                f"{code}: {j['plugin']} {j['plugin_version']}"
                + (f" (overrides {', '.join(j['overrides'])})" if j["overrides"] else "")
                for code, j in info["jurisdictions"].items()
            )
            rows.append(f"<li><b>{html.escape(str(label))}</b>: {html.escape(plugins)}</li>")
        weighted = " weighted by the <code>weight</code> column;" if self.weighted else ""
        return (
            f"<div><p>Comparison of {len(self.summary)} scenarios over "
            f"{len(self.claims) // max(len(self.summary), 1):,} claims;{weighted} catastrophic threshold "
            f"{html.escape(fmt(self.catastrophic_threshold))} yuan. Amounts in yuan.</p>{table}"
            f"<ul>{''.join(rows)}</ul></div>"
        )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("medinsure")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "unknown"


def _scenarios(
    jurisdictions: Sequence[str | None], reforms: Mapping[str, Reform | Mapping[str, Any]]
) -> list[tuple[str, str | None, str, Reform | None]]:
    out: list[tuple[str, str | None, str, Reform | None]] = [(j or "as given", j, "", None) for j in jurisdictions]
    for name, reform in reforms.items():
        r = reform if isinstance(reform, Reform) else Reform.from_mapping(reform, name=name)
        changed = [j for j in jurisdictions if j is None or j in r.changes]
        if not changed:
            raise MedinsureError(
                f"reform {name!r} changes {', '.join(r.changes)}, none of the jurisdictions compared"
                f" ({', '.join(str(j) for j in jurisdictions)})"
            )
        out += [(f"{j}+{name}" if j else name, j, name, r) for j in changed]
    return out


def compare(
    claims: pd.DataFrame | str | Path,
    *,
    jurisdictions: Iterable[str] | None = None,
    reforms: Mapping[str, Reform | Mapping[str, Any]] | None = None,
    engine: Engine | None = None,
    catastrophic_threshold: Decimal | str | int = DEFAULT_CATASTROPHIC,
    progress: Any = None,
) -> Comparison:
    """Settle ``claims`` under every jurisdiction and every reform of each; tidy result and summary.

    ``claims`` is a frame with the flat CSV columns (and optionally ``weight``) or the path of a
    CSV or Parquet file. Without ``jurisdictions`` the claims' own ``jurisdiction`` column is the
    only baseline. ``progress`` is called with the number of claims settled after each scenario.
    """
    frame = read_claims(claims) if isinstance(claims, str | Path) else claims
    engine = engine or Engine.shared()
    threshold = amount(catastrophic_threshold, "catastrophic_threshold")
    codes: list[str | None] = list(jurisdictions) if jurisdictions is not None else [None]
    if not codes:
        raise MedinsureError("jurisdictions: give at least one jurisdiction")
    scenarios = _scenarios(codes, reforms or {})
    weighted = "weight" in frame.columns
    weight = _weights(frame) if weighted else np.ones(len(frame), dtype=np.int64)
    claims_only = frame.drop(columns="weight") if weighted else frame
    prepared = prepare(claims_only)  # amounts, dates and ids read once, not once per scenario
    in_scope = _in_scope(prepared)
    # a frame without the column is refused by settle_frame below, naming it
    years = prepared["discharged"].dt.year.to_numpy() if "discharged" in prepared.columns else None
    parts = []
    rows = []
    provenance: dict[str, Any] = {}
    done = 0
    for label, code, reform_name, reform in scenarios:
        result = settle_frame(prepared, engine=engine, overrides=reform, jurisdiction=code)
        provenance[label] = result.attrs["medinsure"]
        part = pd.DataFrame(
            {
                "scenario": label,
                "jurisdiction": code if code else frame["jurisdiction"].to_numpy(),
                "reform": reform_name,
                "patient_id": frame["patient_id"].to_numpy(),
                "claim_id": result["claim_id"].to_numpy(),
                "year": years,
                "weight": weight,
            }
        )
        part["total_fen"] = result["fund_total_fen"].to_numpy() + result["patient_total_fen"].to_numpy()
        part["in_scope_fen"] = in_scope
        for name in COMPONENTS:
            part[FEN_COLUMNS[name]] = result[FEN_COLUMNS[name]].to_numpy()
        parts.append(part)
        rows.append(_summary(label, code or "as given", reform_name, part, threshold, result.attrs["medinsure"]))
        done += len(frame)
        if progress is not None:
            progress(done)
    tidy = pd.concat(parts, ignore_index=True)
    for name in ("scenario", "jurisdiction", "reform"):
        tidy[name] = tidy[name].astype("category")
    summary = pd.DataFrame(rows).set_index("scenario")
    if not weighted or pd.api.types.is_integer_dtype(weight):
        for name in ("claims", "person_years"):
            summary[name] = summary[name].astype(np.int64)
    tidy.attrs["medinsure"] = summary.attrs["medinsure"] = provenance
    return Comparison(
        claims=tidy, summary=summary, provenance=provenance, catastrophic_threshold=threshold, weighted=weighted
    )


def _weights(frame: pd.DataFrame) -> np.ndarray:
    """The ``weight`` column: non-negative, finite, one per person (every row of a person alike)."""
    values = frame["weight"]
    where = rows_named(frame)
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        try:
            values = pd.to_numeric(values.astype("string").str.strip(), errors="raise")
        except (ValueError, TypeError):
            bad = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").isna()
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(where(row), f"weight={values.iloc[row]!r}: expected a number of persons") from None
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(where(row), "weight: required on every row when the column is given (how many persons)")
    arr = values.to_numpy()
    if pd.api.types.is_float_dtype(arr) and (arr == np.round(arr)).all() and np.abs(arr).max(initial=0) < 2**53:
        arr = arr.astype(np.int64)  # whole weights read as floats: counted exactly
    bad = ~np.isfinite(arr.astype(float)) | (arr < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(where(row), f"weight={arr[row].item()!r}: must be a finite number, not negative")
    person = frame["patient_id"].astype("string").str.strip()
    first = pd.Series(arr).groupby(person.to_numpy(), sort=False).transform("first").to_numpy()
    differs = first != arr
    if differs.any():
        row = int(np.flatnonzero(differs)[0])
        raise InputError(
            where(row),
            f"weight={arr[row].item()!r} differs from the weight of an earlier row of person {person.iloc[row]!r}:"
            " a weight is the number of persons a sampled person stands for",
        )
    return arr


def _in_scope(frame: pd.DataFrame) -> np.ndarray:
    """Each claim's in-scope cost in fen (``basic_pool + basic_in_scope_self_pay`` when not given)."""

    def column(name: str) -> np.ndarray:
        fen = amount_fen(frame, name)
        return np.full(len(frame), -1, dtype=np.int64) if fen is None else fen

    given = column("in_scope")
    derived = column("basic_pool") + column("basic_in_scope_self_pay")
    return np.where(given >= 0, given, derived)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values``, each counted ``weights`` times (numpy's default, linear).

    With whole weights this is ``np.quantile(np.repeat(values, weights), q)``, without
    materialising the repeated values.
    """
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if not len(values):
        return float("nan")
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    ends = np.cumsum(weights)  # the last position (1-based) of each value in the expanded order
    h = (ends[-1] - 1) * q
    low = int(np.floor(h))
    lo = values[np.searchsorted(ends, low + 1)]
    hi = values[min(int(np.searchsorted(ends, low + 2)), len(values) - 1)]
    return float(lo + (h - low) * (hi - lo))


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> int:
    """Σ weight × fen: exact with whole weights, rounded half up to the fen with fractional ones."""
    if pd.api.types.is_integer_dtype(weights):
        return int(np.dot(values.astype(object), weights.astype(object))) if len(values) else 0
    total = Decimal(0)
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        total += Decimal(value) * Decimal(weight)
    return int(total.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _summary(
    label: str, code: str, reform: str, part: pd.DataFrame, threshold: Decimal, attrs_: Mapping[str, Any]
) -> dict[str, Any]:
    weight = part["weight"].to_numpy()
    total = part["total_fen"].to_numpy()
    patient = part["patient_total_fen"].to_numpy()
    positive = total > 0
    share = patient[positive] / total[positive]
    share_w = weight[positive]
    grouped = part.groupby(["patient_id", "year"], sort=False)
    years = grouped["patient_total_fen"].sum().to_numpy()
    years_w = grouped["weight"].first().to_numpy()
    limit = int(threshold * 100)
    share_total = share_w.sum()
    years_total = years_w.sum()
    return {
        "scenario": label,
        "jurisdiction": code,
        "reform": reform,
        "claims": weight.sum(),
        "person_years": years_total,
        "fund_cost_fen": _weighted_sum(part["fund_total_fen"].to_numpy(), weight),
        "patient_cost_fen": _weighted_sum(patient, weight),
        "mean_patient_share": float(np.dot(share, share_w) / share_total) if share_total else float("nan"),
        "median_patient_share": weighted_quantile(share, share_w, 0.5),
        "p90_patient_share": weighted_quantile(share, share_w, 0.9),
        "catastrophic_share": float(years_w[years >= limit].sum() / years_total) if years_total else float("nan"),
        "fallback_rows": int(attrs_["fallback_rows"]),
    }


def summary_text(comparison: Comparison) -> str:
    """The summary as a plain-text table (amounts in yuan)."""
    s = to_decimal(comparison.summary)
    head = (
        f"{'scenario':<24}{'claims':>8}{'fund cost':>18}{'patient cost':>18}"
        f"{'mean share':>12}{'median':>9}{'p90':>8}{'catastrophic':>14}{'fallback':>10}"
    )
    lines = [head]
    for scenario, row in s.iterrows():
        lines.append(
            f"{scenario!s:<24}{row['claims']:>8,.0f}{row['fund_cost']:>18,.2f}{row['patient_cost']:>18,.2f}"
            f"{row['mean_patient_share']:>12.1%}{row['median_patient_share']:>9.1%}{row['p90_patient_share']:>8.1%}"
            f"{row['catastrophic_share']:>14.1%}{row['fallback_rows']:>10}"
        )
    weighted = "; claims, costs and shares weighted by the weight column" if comparison.weighted else ""
    lines.append(
        f"amounts in yuan; patient share = patient_total / total per claim; catastrophic = person-years whose"
        f" patient payments reach {fmt(comparison.catastrophic_threshold)} yuan{weighted}"
    )
    return "\n".join(lines)


def write_claims(comparison: Comparison, path: str | Path) -> None:
    """Write the per-claim table: ``.parquet`` keeps int64 ``_fen`` columns; CSV has yuan text
    under the names without ``_fen`` (``fund_total``), exact."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        comparison.claims.to_parquet(path, index=False)
        return
    table = comparison.claims.copy()
    for column in [c for c in table.columns if str(c).endswith("_fen")]:
        fen = table.pop(column).to_numpy()
        table[str(column).removesuffix("_fen")] = yuan_text(fen)
    table.to_csv(path, index=False)
