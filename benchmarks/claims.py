"""The claims the throughput benchmarks settle: Dalian inpatient claims of 2021 in date order.

Only numpy and pandas, so that a benchmark using it runs against earlier versions too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CODE = "dalian"


def build(n: int, seed: int = 11) -> pd.DataFrame:
    """``n`` pre-settled claims of one year in date order; about three claims per person."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, max(n // 3, 1), size=n)
    days = np.sort(rng.integers(0, 365, size=n))
    in_scope = rng.integers(100_00, 20_000_000, size=n, dtype=np.int64)
    pool = (in_scope * rng.integers(40, 90, size=n)) // 100
    birth = np.datetime64("1940-01-01") + ((person * 7919) % 25_000).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "jurisdiction": CODE,
            "patient_id": pd.array([f"2102{p:014d}" for p in person], dtype="str"),  # 18 characters, as ids are
            "scheme": np.where(person % 2 == 0, "resident", "employee"),
            "birth_date": birth.astype(str),
            "claim_id": pd.array([f"C{i:09d}" for i in range(n)], dtype="str"),
            "kind": "inpatient",
            "discharged": (np.datetime64("2021-01-01") + days.astype("timedelta64[D]")).astype(str),
            "total_fen": in_scope + rng.integers(0, 100_000, size=n),
            "in_scope_fen": in_scope,
            "basic_pool_fen": pool,
            "basic_in_scope_self_pay_fen": in_scope - pool,
        }
    )


def yuan_text(fen: np.ndarray) -> list[str]:
    return [f"{v // 100}.{v % 100:02d}" for v in fen.tolist()]


def as_csv(frame: pd.DataFrame, path: Path) -> None:
    text = frame.drop(columns=[c for c in frame.columns if c.endswith("_fen")])
    for name in ("total", "in_scope", "basic_pool", "basic_in_scope_self_pay"):
        text[name] = yuan_text(frame[f"{name}_fen"].to_numpy())
    text.to_csv(path, index=False)
