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
A claim id given twice is refused wherever the two rows are: a second, smaller shuffle on the
claim ids (read as the engine reads them) brings the copies of an id together, and the first
repeat found stops every partition with the error ``settle_frame`` gives. Errors name a row by
its position in a pandas input (``row 5``), or by partition and position in a Dask input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from medinsure.errors import InputError
from medinsure.model import WHITESPACE
from medinsure.research.batch import OUTPUT_COLUMNS, settle_frame
from medinsure.rules.reforms import apply_reform
from medinsure.settlement.engine import Engine

if TYPE_CHECKING:
    import dask.dataframe as dd

    from medinsure.rules.reforms import Reform

__all__ = ["collect", "merge_provenance", "settle_dask"]

_STRIDE = 1 << 40  # rows per partition in the global order


def _as_read(values: pd.Series) -> pd.Series:
    """Ids as the engine compares them: NFKC-normalised and stripped; missing ones None."""
    text = values.astype("string").str.normalize("NFKC").str.strip(WHITESPACE)
    return text.astype(object).where(text.notna(), None)


def _number(part: pd.DataFrame, numbered: bool, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows' global order (kept when ``numbered``: a pandas input, numbered by position),
    and the person and claim ids as compared, to shuffle on."""
    if not numbered:
        number = 0 if partition_info is None else int(partition_info["number"])
        part = part.assign(_order=np.arange(len(part), dtype=np.int64) + number * _STRIDE)
    return part.assign(_person=_as_read(part["patient_id"]), _claim=_as_read(part["claim_id"]))


def _row(order: int, numbered: bool) -> str:
    """The name of the row with global ``order``: its position in the input, or its partition
    and position there."""
    return f"row {order}" if numbered else f"partition {order // _STRIDE}, row {order % _STRIDE}"


def _repeats(ids: pd.DataFrame) -> pd.Series:
    """For every row of ``ids`` (all copies of each claim id it holds) that repeats an earlier
    row's claim id: its row and the first row of that id (20 digits each, so that the least
    text names the first repeat of the input), then the claim id as read and as given (JSON)."""
    ids = ids[ids["_claim"].notna() & (ids["_claim"] != "")]  # a blank claim id: settle_frame names it
    ids = ids.sort_values("_order", kind="stable")
    again = ids["_claim"].duplicated()
    if not again.any():
        return pd.Series([], dtype=object)
    first = ids.groupby("_claim", sort=False)["_order"].transform("min")[again].tolist()
    found = ids[again]
    rows = zip(found["_order"].tolist(), first, found["_claim"].tolist(), found["claim_id"].tolist(), strict=True)
    return pd.Series(
        [f"{row:020d}{start:020d}{json.dumps([claim, given])}" for row, start, claim, given in rows], dtype=object
    )


def _texts(data: pd.Series | pd.DataFrame) -> list[str]:
    return [value for value in data.to_numpy().ravel().tolist() if isinstance(value, str)]


def _least(part: pd.Series) -> pd.Series:
    """The least text of a partition (none when it holds none)."""
    texts = _texts(part)
    return pd.Series([min(texts)] if texts else [], dtype=object)


def _least_text(parts: pd.Series | pd.DataFrame) -> str | None:
    """The least text of the partitions' least (None when there is none)."""
    texts = _texts(parts)
    return min(texts) if texts else None


def _settle(
    part: pd.DataFrame,
    engine: Engine,
    jurisdiction: str | None,
    reform: str | None,
    numbered: bool,
    repeat: Any = None,
) -> pd.DataFrame:
    if isinstance(repeat, str):  # a claim id given twice somewhere in the input: no partition settles
        row, first, (claim, given) = int(repeat[:20]), int(repeat[20:40]), json.loads(repeat[40:])
        raise InputError(
            f"{_row(row, numbered)} (claim {given!r})",
            f"claim.id={claim!r}: claim id given twice in one file (first at {_row(first, numbered)})",
        )
    part = part.sort_values("_order", kind="stable")
    order = part["_order"].to_numpy()
    claim_ids = part["claim_id"]
    result = settle_frame(
        part.drop(columns=["_order", "_person", "_claim"]),
        engine=engine,
        jurisdiction=jurisdiction,
        rows=lambda i: f"{_row(int(order[i]), numbered)} (claim {claim_ids.iloc[i : i + 1].tolist()[0]!r})",
    )
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
    claim_ids_once: bool = True,
) -> dd.DataFrame:
    """A lazy Dask frame of settlements: ``_order`` (the input position), ``claim_id`` and the
    components in fen, as :func:`~medinsure.research.batch.settle_frame` returns them.

    ``claims`` is a Dask or pandas frame with the flat CSV columns; a pandas frame is split
    into ``npartitions`` (default 8). Compute it with the active Dask scheduler or client.
    A claim id given twice is refused when the result is computed (an
    :class:`~medinsure.errors.InputError` naming both rows), wherever the two rows are;
    ``claim_ids_once=False`` leaves out the shuffle of claim ids that finds them, for claims
    whose ids are known to be unique (a claim id given twice for one person is still refused).
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
        numbered_rows = isinstance(claims, pd.DataFrame)
        if isinstance(claims, pd.DataFrame):  # rows numbered by their position in the input
            claims = claims.reset_index(drop=True)
            claims = dd.from_pandas(
                claims.assign(_order=np.arange(len(claims), dtype=np.int64)), npartitions=npartitions or 8, sort=False
            )
        claim_dtype = claims.dtypes["claim_id"]
        meta = {**claims.dtypes.to_dict(), "_order": np.int64, "_person": object, "_claim": object}
        numbered = claims.map_partitions(_number, numbered_rows, meta=meta)
        partitions = npartitions or claims.npartitions
        repeat = None
        if claim_ids_once:  # the copies of a claim id meet in one partition
            ids = numbered[["_claim", "_order", "claim_id"]].shuffle(on="_claim", npartitions=partitions)
            found = ids.map_partitions(_repeats, meta=pd.Series([], dtype=object))
            repeat = found.reduction(chunk=_least, aggregate=_least_text, meta=object)
        # on the id as the engine compares it: " P1" and "P1" are one person, in one partition
        shuffled = numbered.shuffle(on="_person", npartitions=partitions)
        return shuffled.map_partitions(
            _settle, engine, jurisdiction, reform, numbered_rows, repeat, meta=_meta(claim_dtype)
        )


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
