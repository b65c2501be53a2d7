"""Pictures of a :class:`~medinsure.research.comparison.Comparison`, drawn with matplotlib (Agg backend).

The ``*_data`` functions compute what is plotted, so it can be tested and reused; the ``plot_*``
functions draw one panel each on a matplotlib axes, and :func:`plot` draws the four panels
together and writes a PNG. Every panel gives a scenario the same colour
(:func:`scenario_colours`, in the order of the summary), and every title says what is plotted.
Labels are English, and a CJK-capable font is chosen when one is installed
(:data:`CJK_FONTS`), so Chinese scenario names and labels read as well. Shares and bin edges
are floats: they are pictures, not amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medinsure.research.comparison import Comparison
from medinsure.rules.tables import Schedule
from medinsure.settlement import formulas

__all__ = [
    "CJK_FONTS",
    "COST_EDGES",
    "curve_data",
    "distribution_data",
    "fund_cost_data",
    "plot",
    "plot_curves",
    "plot_distribution",
    "plot_fund_cost",
    "plot_tiers",
    "scenario_colours",
    "tier_data",
    "use_cjk_font",
]

#: Bin edges (yuan) of annual in-scope cost for the reimbursement curves.
COST_EDGES = (0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 10_000_000)
#: Fonts with Chinese glyphs, in order of preference; the first installed one is used.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Arial Unicode MS",
)  # fmt: skip


def scenario_colours(comparison: Comparison) -> dict[str, Any]:
    """One colour per scenario, in the order of the summary (the same in every panel)."""
    from matplotlib import colormaps

    palette: Any = colormaps["tab10"].colors  # type: ignore[attr-defined]
    return {str(s): palette[i % len(palette)] for i, s in enumerate(comparison.summary.index)}


def use_cjk_font() -> str | None:
    """Put the first installed font of :data:`CJK_FONTS` first in matplotlib's sans-serif list."""
    import matplotlib as mpl
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    chosen = next((name for name in CJK_FONTS if name in installed), None)
    if chosen is not None:
        current = [f for f in mpl.rcParams["font.sans-serif"] if f != chosen]
        mpl.rcParams["font.sans-serif"] = [chosen, *current]
        mpl.rcParams["font.family"] = "sans-serif"
        mpl.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack the minus sign
    return chosen


def _years(comparison: Comparison) -> pd.DataFrame:
    return comparison.person_years()


def curve_data(comparison: Comparison, edges: tuple[float, ...] = COST_EDGES) -> pd.DataFrame:
    """Effective reimbursement curves: per scenario and bin of annual in-scope cost (yuan), the
    patient's share of the in-scope cost, ``1 − funds / in-scope`` over the person-years of the
    bin (ratio of weighted sums); empty bins are left out."""
    years = _years(comparison)
    years = years[years["in_scope_fen"] > 0]
    cost = years["in_scope_fen"].to_numpy() / 100
    bins = np.digitize(cost, edges[1:-1])
    weight = years["weight"].to_numpy()
    years = years.assign(
        bin=bins,
        w_in_scope=years["in_scope_fen"].to_numpy() * weight,
        w_funds=years["fund_total_fen"].to_numpy() * weight,
    )
    sums = years.groupby(["scenario", "bin"], observed=True)[["w_in_scope", "w_funds", "weight"]].sum().reset_index()
    low = np.asarray(edges, dtype=float)[sums["bin"].to_numpy()]
    high = np.asarray(edges, dtype=float)[sums["bin"].to_numpy() + 1]
    return pd.DataFrame(
        {
            "scenario": sums["scenario"].astype(str),
            "low": low,
            "high": high,
            "mid": np.sqrt(np.maximum(low, 1) * high),
            "person_years": sums["weight"].to_numpy(),
            "patient_share": 1 - sums["w_funds"].to_numpy() / sums["w_in_scope"].to_numpy(),
        }
    )


def distribution_data(comparison: Comparison, bins: int = 20) -> pd.DataFrame:
    """Distribution of the patient's annual payments (yuan, all costs): per scenario, the share
    of (weighted) person-years in each of ``bins`` logarithmic bins between 100 yuan and the largest."""
    years = _years(comparison)
    paid = years["patient_total_fen"].to_numpy() / 100
    top = max(float(paid.max()) if len(paid) else 1.0, 1000.0)
    edges = np.concatenate([[0.0], np.geomspace(100, top * 1.0001, bins)])
    rows = []
    for scenario, group in years.groupby("scenario", observed=True, sort=False):
        weight = group["weight"].to_numpy()
        counts, _ = np.histogram(group["patient_total_fen"].to_numpy() / 100, bins=edges, weights=weight)
        share = counts / max(float(weight.sum()), 1e-300)
        for i in range(len(counts)):
            rows.append({"scenario": str(scenario), "low": edges[i], "high": edges[i + 1], "share": share[i]})
    return pd.DataFrame(rows)


def fund_cost_data(comparison: Comparison) -> pd.DataFrame:
    """Per scenario: the fund cost and the patient cost in yuan (floats, for a picture)."""
    s = comparison.summary
    return pd.DataFrame(
        {
            "scenario": [str(i) for i in s.index],
            "fund_cost": s["fund_cost_fen"].to_numpy(dtype=float) / 100,
            "patient_cost": s["patient_cost_fen"].to_numpy(dtype=float) / 100,
        }
    )


def tier_data(
    comparison: Comparison, schedules: Mapping[str, Schedule], benefit: str = "critical_illness"
) -> pd.DataFrame:
    """A benefit by tier: per scenario and tier of its schedule, ``rate × the part of each
    person-year's base inside the tier``, summed over the person-years the benefit paid (yuan).

    ``schedules`` maps each scenario to plot to the benefit's :class:`Schedule` in force for it
    (``engine.rules(code).find_table("critical_illness.schedule")``, say). The base of a
    person-year is its in-scope self-pay (the base of critical illness and the over-burden
    subsidy). The amounts are before rounding to the fen and the schedule's annual cap, so
    their sum may differ from the benefit paid by a few fen per person-year, or by what a cap cut.
    """
    claims = comparison.claims
    paid_col = f"{benefit}_fen"
    keys = ["scenario", "patient_id", "year"]
    grouped = claims.groupby(keys, observed=True, sort=False)
    years = grouped[["in_scope_self_pay_fen", paid_col]].sum()
    years["weight"] = grouped["weight"].first()
    years = years.reset_index()
    rows = []
    for scenario, schedule in schedules.items():
        part = years[(years["scenario"].astype(str) == scenario) & (years[paid_col] > 0)]
        tiers = formulas.Tiers.of(schedule)
        base = part["in_scope_self_pay_fen"].to_numpy()
        weight = part["weight"].to_numpy()
        for (start, end, n), tier in zip(tiers.bands, schedule.tiers, strict=True):
            inside = np.clip(base - (tiers.offset + start), 0, None if end is None else end - start)
            amount = float(np.dot(inside * n / 10**tiers.k, weight)) / 100
            label = f"{tier.start:,.0f}–{'' if tier.end is None else f'{tier.end:,.0f}'} at {tier.rate * 100:g}%"
            rows.append({"scenario": scenario, "tier": label, "amount": amount})
    return pd.DataFrame(rows, columns=["scenario", "tier", "amount"])


def plot_curves(comparison: Comparison, ax: Any, colours: Mapping[str, Any] | None = None) -> None:
    """The patient's share of the in-scope cost by annual in-scope cost, one line per scenario."""
    colours = colours or scenario_colours(comparison)
    curves = curve_data(comparison)
    for scenario in colours:
        c = curves[curves["scenario"] == scenario]
        if len(c):
            ax.plot(c["mid"], c["patient_share"], marker="o", label=scenario, color=colours[scenario])
    ax.set_xscale("log")
    ax.set_xlabel("annual in-scope cost (yuan)")
    ax.set_ylabel("patient share of in-scope cost")
    ax.set_ylim(0, 1)
    ax.set_title("Patient's share of in-scope cost, by annual cost")
    ax.legend(fontsize=8)


def plot_distribution(comparison: Comparison, ax: Any, colours: Mapping[str, Any] | None = None) -> None:
    """The distribution of the patient's annual payments, one step line per scenario."""
    colours = colours or scenario_colours(comparison)
    dist = distribution_data(comparison)
    for scenario in colours:
        d = dist[dist["scenario"] == scenario]
        if len(d):
            ax.step(d["high"], d["share"], where="pre", label=scenario, color=colours[scenario])
    ax.set_xscale("symlog", linthresh=100)
    ax.set_xlabel("patient's annual payments (yuan)")
    ax.set_ylabel("share of person-years")
    ax.set_title("Distribution of patients' annual payments")
    ax.legend(fontsize=8)


def plot_fund_cost(comparison: Comparison, ax: Any, colours: Mapping[str, Any] | None = None) -> None:
    """The funds' cost per scenario, one bar each."""
    colours = colours or scenario_colours(comparison)
    data = fund_cost_data(comparison)
    ax.bar(
        data["scenario"],
        data["fund_cost"] / 1e6,
        color=[colours[s] for s in data["scenario"]],
        label=list(data["scenario"]),
    )
    ax.set_ylabel("million yuan")
    ax.set_title("Fund cost by scenario")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)


def plot_tiers(
    comparison: Comparison,
    ax: Any,
    schedules: Mapping[str, Schedule],
    benefit: str = "critical_illness",
    colours: Mapping[str, Any] | None = None,
) -> None:
    """A benefit by tier of its schedule (:func:`tier_data`), grouped bars per scenario."""
    colours = colours or scenario_colours(comparison)
    data = tier_data(comparison, schedules, benefit)
    scenarios = list(dict.fromkeys(data["scenario"]))
    width = 0.8 / max(len(scenarios), 1)
    most = 0
    for i, scenario in enumerate(scenarios):
        d = data[data["scenario"] == scenario]
        most = max(most, len(d))
        ax.bar(np.arange(len(d)) + i * width, d["amount"] / 1e6, width=width, label=scenario, color=colours[scenario])
    ax.set_xticks(np.arange(most) + (len(scenarios) - 1) * width / 2, [f"tier {t + 1}" for t in range(most)])
    ax.set_ylabel("million yuan")
    ax.set_title(f"{benefit.replace('_', ' ').capitalize()} by tier of its schedule")
    ax.legend(fontsize=8)


def plot(
    comparison: Comparison,
    out: str | Path | None = None,
    *,
    schedules: Mapping[str, Schedule] | None = None,
    benefit: str = "critical_illness",
) -> Any:
    """Draw the reimbursement curves, the payment distributions, the fund cost by scenario and,
    given ``schedules`` (see :func:`tier_data`), a benefit by tier; write a PNG to ``out``.

    Returns the matplotlib figure; each scenario has one colour in every panel.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_cjk_font()
    colours = scenario_colours(comparison)
    if schedules:
        fig, grid = plt.subplots(2, 2, figsize=(11, 8), dpi=80)
        axes = list(grid.flat)
    else:
        fig, row = plt.subplots(1, 3, figsize=(15, 4.2), dpi=80)
        axes = list(row)
    plot_curves(comparison, axes[0], colours)
    plot_distribution(comparison, axes[1], colours)
    plot_fund_cost(comparison, axes[2], colours)
    if schedules:
        plot_tiers(comparison, axes[3], schedules, benefit, colours)
    fig.tight_layout()
    if out is not None:
        fig.savefig(out)
    plt.close(fig)
    return fig
