"""Settle claims on a Dask cluster: partitions by person, each settled by the batch code.

Dask was chosen over Spark because it is pure Python (no JVM), partitions are pandas frames, so
:func:`~medinsure.research.batch.settle_frame` runs unchanged in every partition, and the same code runs
on a laptop (``LocalCluster``), a batch scheduler or Kubernetes. An engine is plain data
(rule tables) and is shipped to the workers by pickling; the plugins need not be installed
there.

:func:`settle_dask` keeps every person's claims in one partition (a shuffle on
``patient_id``, stripped as the engine compares ids) and the claims of a person in their input
order (a global ``_order`` column), so every partition holds whole person-years in settlement
order and the result is the single-machine result, row for row. :func:`collect` computes it and restores the input order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from medinsure.model import WHITESPACE
from medinsure.research.batch import OUTPUT_COLUMNS, settle_frame
from medinsure.rules.reforms import apply_reform
from medinsure.settlement.engine import Engine

if TYPE_CHECKING:
    import dask.dataframe as dd

    from medinsure.rules.reforms import Reform

__all__ = ["collect", "settle_dask"]

_STRIDE = 1 << 40  # rows per partition in the global order


def _number(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows' global order, and the person as compared (stripped text) to shuffle on."""
    number = 0 if partition_info is None else int(partition_info["number"])
    person = part["patient_id"].astype(str).str.strip(WHITESPACE)
    return part.assign(_order=np.arange(len(part), dtype=np.int64) + number * _STRIDE, _person=person)


def _settle(part: pd.DataFrame, engine: Engine, jurisdiction: str | None) -> pd.DataFrame:
    part = part.sort_values("_order", kind="stable")
    order = part["_order"].to_numpy()
    result = settle_frame(part.drop(columns=["_order", "_person"]), engine=engine, jurisdiction=jurisdiction)
    result = result.reset_index(drop=True)
    result.insert(0, "_order", order)
    return result


def _meta(claim_id: Any) -> pd.DataFrame:
    columns: dict[str, Any] = {"_order": pd.Series([], dtype=np.int64), "claim_id": pd.Series([], dtype=claim_id)}
    for name in OUTPUT_COLUMNS[1:]:
        columns[name] = pd.Series([], dtype=np.int64)
    return pd.DataFrame(columns)


def settle_dask(
    claims: dd.DataFrame | pd.DataFrame,
    *,
    engine: Engine | None = None,
    overrides: Reform | Mapping[str, Any] | None = None,
    jurisdiction: str | None = None,
    npartitions: int | None = None,
) -> dd.DataFrame:
    """A lazy Dask frame of settlements: ``_order`` (the input position), ``claim_id`` and the
    components in fen, as :func:`~medinsure.research.batch.settle_frame` returns them.

    ``claims`` is a Dask or pandas frame with the flat CSV columns; a pandas frame is split
    into ``npartitions`` (default 8). Compute it with the active Dask scheduler or client.
    """
    import dask.dataframe as dd

    if engine is None:
        engine = Engine.from_installed()
    if overrides is not None:
        engine, _reform = apply_reform(engine, overrides)
    if isinstance(claims, pd.DataFrame):
        claims = dd.from_pandas(claims.reset_index(drop=True), npartitions=npartitions or 8, sort=False)
    meta = {**claims.dtypes.to_dict(), "_order": np.int64, "_person": object}
    numbered = claims.map_partitions(_number, meta=meta)
    # on the id as the engine compares it: " P1" and "P1" are one person, in one partition
    shuffled = numbered.shuffle(on="_person", npartitions=npartitions or claims.npartitions)
    return shuffled.map_partitions(_settle, engine, jurisdiction, meta=_meta(claims.dtypes["claim_id"]))


def collect(result: dd.DataFrame) -> pd.DataFrame:
    """Compute a :func:`settle_dask` result: a pandas frame in input order, as ``settle_frame`` gives."""
    frame = result.compute().sort_values("_order", kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)
