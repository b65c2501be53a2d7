"""Compare jurisdictions and reforms on one population of claims.

:func:`compare` settles the same claims under every scenario — each jurisdiction asked for
(``dalian``), and each reform applied to each of those jurisdictions it changes
(``dalian+threshold15k``; a reform of a parent does not reach its children, whose rules are
resolved on their own) — with the batch path, and returns a
:class:`Comparison`: a tidy frame with one row per claim and scenario, and a summary per
scenario.

Definitions (amounts are exact; shares and means are floats, statistics and not amounts):

- *fund cost*: the sum of ``fund_total`` over the claims (``Decimal`` yuan);
- *patient share* of a claim: ``patient_total / total`` (claims with a total of 0 are left out);
- *catastrophic expenditure*: a person-year is catastrophic when the patient's payments of the
  year (the sum of ``patient_total``) reach ``catastrophic_threshold`` yuan (20,000 by default:
  pass the capacity to pay that suits the study, e.g. 40% of a household's non-food spending,
  or the region's per-capita disposable income); the *catastrophic share* is the share of
  person-years that are catastrophic;
- *effective reimbursement curve*: person-years binned by their annual in-scope cost; in each
  bin, the patient's share of the in-scope cost, ``1 − funds / in-scope`` (ratio of sums).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from medinsure.errors import MedinsureError
from medinsure.money import amount, fmt
from medinsure.research.batch import amount_fen, prepare, settle_frame
from medinsure.rules.reforms import Reform
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import COMPONENTS

__all__ = ["Comparison", "compare", "read_claims"]

DEFAULT_CATASTROPHIC = Decimal(20000)


def read_claims(path: str | Path) -> pd.DataFrame:
    """A flat CSV claim file as a frame of text (amounts stay exact)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise MedinsureError(f"{path}: compare reads flat CSV files (.csv)")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise MedinsureError(f"{path}: cannot read: {exc}") from None


@attrs.frozen
class Comparison:
    """The result of :func:`compare`.

    ``claims``: one row per claim and scenario — ``scenario``, ``jurisdiction``, ``reform``,
    ``patient_id``, ``claim_id``, ``year``, ``total`` and ``in_scope`` and every component as
    int64 fen. ``summary``: one row per scenario (see the module documentation).
    ``provenance``: per scenario, the plugin, version, overridden tables and fallback rows.
    """

    claims: pd.DataFrame
    summary: pd.DataFrame
    provenance: Mapping[str, Any]
    catastrophic_threshold: Decimal

    def person_years(self) -> pd.DataFrame:
        """Per scenario and person-year: in-scope cost, funds and patient payments (fen)."""
        cols = ["in_scope", "total", "fund_total", "patient_total"]
        grouped = self.claims.groupby(["scenario", "patient_id", "year"], observed=True, sort=False)[cols].sum()
        return grouped.reset_index()


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
) -> Comparison:
    """Settle ``claims`` under every jurisdiction and every reform of each; tidy result and summary.

    ``claims`` is a frame with the flat CSV columns or the path of a CSV file. Without
    ``jurisdictions`` the claims' own ``jurisdiction`` column is the only baseline.
    """
    frame = read_claims(claims) if isinstance(claims, str | Path) else claims
    engine = engine or Engine.from_installed()
    threshold = amount(catastrophic_threshold, "catastrophic_threshold")
    codes: list[str | None] = list(jurisdictions) if jurisdictions is not None else [None]
    if not codes:
        raise MedinsureError("jurisdictions: give at least one jurisdiction")
    scenarios = _scenarios(codes, reforms or {})
    prepared = prepare(frame)  # amounts, dates and ids read once, not once per scenario
    in_scope = _in_scope(prepared)
    # a frame without the column is refused by settle_frame below, naming it
    years = prepared["discharged"].dt.year.to_numpy() if "discharged" in prepared.columns else None
    parts = []
    rows = []
    provenance: dict[str, Any] = {}
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
            }
        )
        part["total"] = result["fund_total"].to_numpy() + result["patient_total"].to_numpy()
        part["in_scope"] = in_scope
        for name in COMPONENTS:
            part[name] = result[name].to_numpy()
        parts.append(part)
        rows.append(_summary(label, code or "as given", reform_name, part, threshold, result.attrs["medinsure"]))
    tidy = pd.concat(parts, ignore_index=True)
    for name in ("scenario", "jurisdiction", "reform"):
        tidy[name] = tidy[name].astype("category")
    summary = pd.DataFrame(rows).set_index("scenario")
    return Comparison(claims=tidy, summary=summary, provenance=provenance, catastrophic_threshold=threshold)


def _in_scope(frame: pd.DataFrame) -> np.ndarray:
    """Each claim's in-scope cost in fen (``basic_pool + basic_in_scope_self_pay`` when not given)."""

    def column(name: str) -> np.ndarray:
        fen = amount_fen(frame, name)
        return np.full(len(frame), -1, dtype=np.int64) if fen is None else fen

    given = column("in_scope")
    derived = column("basic_pool") + column("basic_in_scope_self_pay")
    return np.where(given >= 0, given, derived)


def _summary(
    label: str, code: str, reform: str, part: pd.DataFrame, threshold: Decimal, attrs_: Mapping[str, Any]
) -> dict[str, Any]:
    total = part["total"].to_numpy()
    patient = part["patient_total"].to_numpy()
    share = patient[total > 0] / total[total > 0]
    years = part.groupby(["patient_id", "year"], sort=False)["patient_total"].sum().to_numpy()
    limit = int(threshold * 100)
    return {
        "scenario": label,
        "jurisdiction": code,
        "reform": reform,
        "claims": len(part),
        "person_years": len(years),
        "fund_cost": Decimal(int(part["fund_total"].sum())).scaleb(-2),
        "patient_cost": Decimal(int(patient.sum())).scaleb(-2),
        "mean_patient_share": float(share.mean()) if len(share) else float("nan"),
        "median_patient_share": float(np.median(share)) if len(share) else float("nan"),
        "p90_patient_share": float(np.quantile(share, 0.9)) if len(share) else float("nan"),
        "catastrophic_share": float((years >= limit).mean()) if len(years) else float("nan"),
        "fallback_rows": int(attrs_["fallback_rows"]),
    }


def summary_text(comparison: Comparison) -> str:
    """The summary as a plain-text table."""
    s = comparison.summary
    head = (
        f"{'scenario':<24}{'claims':>8}{'fund cost':>18}{'patient cost':>18}"
        f"{'mean share':>12}{'median':>9}{'p90':>8}{'catastrophic':>14}{'fallback':>10}"
    )
    lines = [head]
    for scenario, row in s.iterrows():
        lines.append(
            f"{scenario!s:<24}{row['claims']:>8}{row['fund_cost']:>18,.2f}{row['patient_cost']:>18,.2f}"
            f"{row['mean_patient_share']:>12.1%}{row['median_patient_share']:>9.1%}{row['p90_patient_share']:>8.1%}"
            f"{row['catastrophic_share']:>14.1%}{row['fallback_rows']:>10}"
        )
    lines.append(
        f"patient share = patient_total / total per claim; catastrophic = person-years whose patient payments"
        f" reach {fmt(comparison.catastrophic_threshold)} yuan"
    )
    return "\n".join(lines)


def write_claims(comparison: Comparison, path: str | Path) -> None:
    """Write the per-claim table as CSV with amounts in yuan (exact text)."""
    table = comparison.claims.copy()
    for name in ("total", "in_scope", *COMPONENTS):
        table[name] = [f"{v // 100}.{v % 100:02d}" if v >= 0 else f"-{-v // 100}.{-v % 100:02d}" for v in table[name]]
    table.to_csv(path, index=False)
