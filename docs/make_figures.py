"""Draw the pictures of docs/research.md from a synthetic population (run from the repository root).

    .venv/bin/python docs/make_figures.py

Needs the research extra and the three jurisdiction plugins. Writes docs/img/compare.png and
prints the summary table and the share of rows the batch path settled by the scalar fallback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from medinsure import Claim, Engine, Patient, Reform
from medinsure.research.comparison import compare, summary_text
from medinsure.research.plotting import plot
from medinsure.rules.tables import Schedule

OUT = Path(__file__).parent / "img" / "compare.png"
LEVELS = np.array(["tertiary", "secondary", "primary", "community"])


def population(people: int = 4000, seed: int = 2025) -> pd.DataFrame:
    """Residents and employees with 1–5 admissions in 2025; in-scope costs log-normal (median ~9,000 yuan)."""
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 6, size=people)
    person = np.repeat(np.arange(people), per)
    n = len(person)
    in_scope = np.minimum(np.round(rng.lognormal(np.log(9000), 1.0, size=n) * 100), 80_000_000).astype(np.int64)
    extra = (in_scope * rng.integers(5, 30, size=n)) // 100
    days = np.datetime64("2025-01-01") + rng.integers(0, 365, size=n).astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "jurisdiction": "dalian",
            "patient_id": [f"P{p}" for p in person],
            "scheme": np.where(person % 3 == 0, "employee", "resident"),
            "claim_id": [f"C{i}" for i in range(n)],
            "kind": "inpatient",
            "discharged": days.astype(str),
            "hospital_level": LEVELS[rng.integers(0, 4, size=n)],
            "total": [f"{v // 100}.{v % 100:02d}" for v in in_scope + extra],
            "in_scope": [f"{v // 100}.{v % 100:02d}" for v in in_scope],
        }
    )
    return frame.sort_values(["patient_id", "discharged"], kind="stable").reset_index(drop=True)


def critical_illness(engine: Engine, code: str) -> Schedule:
    """The critical-illness schedule of a resident's tertiary-hospital claim in mid-2025."""
    plan = engine.plan(
        Patient.from_mapping({"id": "R", "scheme": "resident"}),
        Claim.from_mapping(
            {"id": "C", "kind": "inpatient", "discharged": "2025-07-01", "hospital_level": "tertiary"}
            | {"total": "1", "in_scope": "1"}
        ),
        jurisdiction=code,
    )
    return next(b.schedule.value for b in plan.benefits if b.benefit.component == "critical_illness" and b.schedule)


def main() -> None:
    claims = population()
    reform = Reform.from_mapping(
        {"dalian": {"critical_illness.schedule": {"general": {"threshold": "15000"}}}}, name="threshold15k"
    )
    engine = Engine.shared()
    result = compare(
        claims,
        jurisdictions=["dalian", "yingkou", "liaoning"],
        reforms={"threshold15k": reform},
        engine=engine,
    )
    print(summary_text(result))
    fallback = sum(p["fallback_rows"] for p in result.provenance.values())
    rows = sum(p["rows"] for p in result.provenance.values())
    print(f"scalar fallback: {fallback:,} of {rows:,} rows ({fallback / rows:.2%})")
    OUT.parent.mkdir(exist_ok=True)
    schedules = {code: critical_illness(engine, code) for code in ("dalian", "yingkou", "liaoning")}
    schedules["dalian+threshold15k"] = critical_illness(reform.apply(engine), "dalian")
    plot(result, OUT, schedules=schedules)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
