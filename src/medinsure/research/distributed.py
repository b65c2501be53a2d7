"""Settle claims on a Dask cluster: partitions by person, each settled by the batch code.

Dask was chosen over Spark because it is pure Python (no JVM), partitions are pandas frames, so
:func:`~medinsure.research.batch.settle_frame` runs unchanged in every partition, and the same code runs
on a laptop (``LocalCluster``), a batch scheduler or Kubernetes. An engine is plain data
(rule tables) and is shipped to the workers by pickling; the plugins need not be installed
there.

:func:`settle_dask` keeps every person's claims in one partition (a shuffle on
``patient_id`` read as the engine reads ids: NFKC-normalised and stripped, so that ``Ｋ1`` and
``K1`` meet) and the claims of a person in their input order (a global ``_order`` column), so
every partition holds whole person-years in settlement order and the result is the
single-machine result, row for row. :func:`collect` computes it and restores the input order.
A claim id given twice is refused within a partition, so for one person; the same claim id for
two persons in different partitions is not looked for (that would take a second shuffle).
"""

from __future__ import annotations

import json
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

__all__ = ["collect", "merge_provenance", "settle_dask"]

_STRIDE = 1 << 40  # rows per partition in the global order


def _number(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows' global order, and the person as compared (NFKC, stripped) to shuffle on."""
    number = 0 if partition_info is None else int(partition_info["number"])
    person = part["patient_id"].astype(str).str.normalize("NFKC").str.strip(WHITESPACE)
    return part.assign(_order=np.arange(len(part), dtype=np.int64) + number * _STRIDE, _person=person)


def _settle(part: pd.DataFrame, engine: Engine, jurisdiction: str | None, reform: str | None) -> pd.DataFrame:
    part = part.sort_values("_order", kind="stable")
    order = part["_order"].to_numpy()
    result = settle_frame(part.drop(columns=["_order", "_person"]), engine=engine, jurisdiction=jurisdiction)
    info = dict(result.attrs["medinsure"])
    if reform is not None:
        info["reform"] = reform
    if len(part):  # where each jurisdiction first appears, to order them as settle_frame does
        codes = part["jurisdiction"].astype(str).str.strip().to_numpy() if jurisdiction is None else None
        info["first"] = {
            code: int(order[0] if codes is None else order[np.flatnonzero(codes == code)[0]])
            for code in info["jurisdictions"]
        }
    result = result.reset_index(drop=True)
    result.insert(0, "_order", order)
    # the partition's provenance rides on its first row, for collect to merge
    result["_info"] = pd.Series([json.dumps(info)] + [None] * (len(result) - 1) if len(result) else [], dtype=object)
    return result


def _meta(claim_id: Any) -> pd.DataFrame:
    columns: dict[str, Any] = {"_order": pd.Series([], dtype=np.int64), "claim_id": pd.Series([], dtype=claim_id)}
    for name in OUTPUT_COLUMNS[1:]:
        columns[name] = pd.Series([], dtype=np.int64)
    columns["_info"] = pd.Series([], dtype=object)
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
    import dask
    import dask.dataframe as dd

    if engine is None:
        engine = Engine.shared()
    reform = None
    if overrides is not None:
        engine, applied = apply_reform(engine, overrides)
        reform = applied.name
    with dask.config.set({"dataframe.convert-string": False}):  # the input's dtypes, as settle_frame keeps them
        if isinstance(claims, pd.DataFrame):
            claims = dd.from_pandas(claims.reset_index(drop=True), npartitions=npartitions or 8, sort=False)
        meta = {**claims.dtypes.to_dict(), "_order": np.int64, "_person": object}
        numbered = claims.map_partitions(_number, meta=meta)
        # on the id as the engine compares it: " P1" and "P1" are one person, in one partition
        shuffled = numbered.shuffle(on="_person", npartitions=npartitions or claims.npartitions)
        return shuffled.map_partitions(_settle, engine, jurisdiction, reform, meta=_meta(claims.dtypes["claim_id"]))


def collect(result: dd.DataFrame) -> pd.DataFrame:
    """Compute a :func:`settle_dask` result: a pandas frame in input order, with the dtypes and the
    provenance (``attrs["medinsure"]``) that ``settle_frame`` gives for the same claims."""
    frame = result.compute().sort_values("_order", kind="stable")
    infos = [json.loads(text) for text in frame["_info"].dropna()]
    out = frame.drop(columns=["_order", "_info"]).reset_index(drop=True)
    out.attrs["medinsure"] = merge_provenance(infos, len(out))
    return out


def merge_provenance(infos: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """The provenance of the whole frame from its partitions': rows and fallback rows added up,
    jurisdictions in order of first appearance in the input, the carried-forward rule versions
    of every partition."""
    first: dict[str, int] = {}
    jurisdictions: dict[str, Any] = {}
    for info in infos:
        for code, position in info.get("first", {}).items():
            first[code] = min(position, first.get(code, position))
            jurisdictions[code] = info["jurisdictions"][code]
    merged: dict[str, Any] = {
        "rows": rows,
        "fallback_rows": sum(int(info["fallback_rows"]) for info in infos),
        "jurisdictions": {code: jurisdictions[code] for code in sorted(first, key=first.__getitem__)},
        "carried_forward": sorted({text for info in infos for text in info.get("carried_forward", ())}),
    }
    reforms = {info["reform"] for info in infos if "reform" in info}
    if reforms:
        merged["reform"] = reforms.pop()
    return merged
