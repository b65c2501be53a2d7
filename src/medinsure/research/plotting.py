"""Pictures of a :class:`~medinsure.research.comparison.Comparison`, drawn with matplotlib (Agg backend).

:func:`curve_data` and :func:`distribution_data` compute what is plotted, so it can be tested
and reused; :func:`plot` draws both panels from them and writes a PNG. Shares and bin edges
are floats: they are pictures, not amounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medinsure.research.comparison import Comparison

__all__ = ["COST_EDGES", "curve_data", "distribution_data", "plot"]

#: Bin edges (yuan) of annual in-scope cost for the reimbursement curves.
COST_EDGES = (0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 10_000_000)


def curve_data(comparison: Comparison, edges: tuple[float, ...] = COST_EDGES) -> pd.DataFrame:
    """Effective reimbursement curves: per scenario and bin of annual in-scope cost (yuan), the
    patient's share of the in-scope cost, ``1 − funds / in-scope`` over the person-years of the
    bin (ratio of sums); empty bins are left out."""
    years = comparison.person_years()
    years = years[years["in_scope"] > 0]
    cost = years["in_scope"].to_numpy() / 100
    bins = np.digitize(cost, edges[1:-1])
    years = years.assign(bin=bins)
    sums = years.groupby(["scenario", "bin"], observed=True)[["in_scope", "fund_total"]].sum().reset_index()
    counts = years.groupby(["scenario", "bin"], observed=True).size().to_numpy()
    low = np.asarray(edges, dtype=float)[sums["bin"].to_numpy()]
    high = np.asarray(edges, dtype=float)[sums["bin"].to_numpy() + 1]
    return pd.DataFrame(
        {
            "scenario": sums["scenario"].astype(str),
            "low": low,
            "high": high,
            "mid": np.sqrt(np.maximum(low, 1) * high),
            "person_years": counts,
            "patient_share": 1 - sums["fund_total"].to_numpy() / sums["in_scope"].to_numpy(),
        }
    )


def distribution_data(comparison: Comparison, bins: int = 20) -> pd.DataFrame:
    """Distribution of the patient's annual payments (yuan, all costs): per scenario, the share
    of person-years in each of ``bins`` logarithmic bins between 100 yuan and the largest."""
    years = comparison.person_years()
    paid = years["patient_total"].to_numpy() / 100
    top = max(float(paid.max()) if len(paid) else 1.0, 1000.0)
    edges = np.concatenate([[0.0], np.geomspace(100, top * 1.0001, bins)])
    rows = []
    for scenario, group in years.groupby("scenario", observed=True, sort=False):
        counts, _ = np.histogram(group["patient_total"].to_numpy() / 100, bins=edges)
        share = counts / max(len(group), 1)
        for i in range(len(counts)):
            rows.append({"scenario": str(scenario), "low": edges[i], "high": edges[i + 1], "share": share[i]})
    return pd.DataFrame(rows)


def plot(comparison: Comparison, out: str | Path | None = None) -> Any:
    """Draw the reimbursement curves and the payment distributions; write a PNG to ``out``.

    Returns the matplotlib figure (its lines carry exactly :func:`curve_data` and
    :func:`distribution_data`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = curve_data(comparison)
    dist = distribution_data(comparison)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
    for scenario in dict.fromkeys(curves["scenario"]):
        c = curves[curves["scenario"] == scenario]
        left.plot(c["mid"].to_numpy(), c["patient_share"].to_numpy(), marker="o", label=scenario)
    left.set_xscale("log")
    left.set_xlabel("annual in-scope cost (yuan)")
    left.set_ylabel("patient share of in-scope cost")
    left.set_ylim(0, 1)
    left.set_title("Effective reimbursement")
    left.legend(fontsize=8)
    for scenario in dict.fromkeys(dist["scenario"]):
        d = dist[dist["scenario"] == scenario]
        right.step(d["high"].to_numpy(), d["share"].to_numpy(), where="pre", label=scenario)
    right.set_xscale("symlog", linthresh=100)
    right.set_xlabel("patient's annual payments (yuan)")
    right.set_ylabel("share of person-years")
    right.set_title("Patient payments")
    right.legend(fontsize=8)
    fig.tight_layout()
    if out is not None:
        fig.savefig(out)
    plt.close(fig)
    return fig
