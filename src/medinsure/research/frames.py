"""Claim files as frames for the batch path: flat CSV read by Arrow's reader, and Parquet.

:func:`read_frame` reads a flat claim file (the columns of :mod:`medinsure.io.records`) into a
:class:`pandas.DataFrame` ready for :func:`~medinsure.research.batch.settle_frame`: CSV cells as
text (Arrow-backed strings, so amounts stay exact and are parsed by Arrow compute), Parquet as
stored (integer ``_fen`` columns and dictionary-encoded ids stay what they are: categoricals).
The file is read whole; errors name the file and, where they can, the row (the header is row 1,
the first claim row 2; in Parquet the first claim is row 1), here and in what settles the frame
(``frame.attrs["medinsure.rows"]``).
:func:`write_frame` writes a result as Parquet.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from medinsure.errors import InputError
from medinsure.io.masking import mask_id
from medinsure.io.records import COLUMN_ALIASES, MAX_HEADER_CHARS
from medinsure.research.batch import ROWS
from medinsure.rules.names import COMPONENTS

__all__ = ["FRAME_SUFFIXES", "SETTLED_COLUMNS", "read_frame", "settled", "write_frame", "write_settled", "yuan_text"]

#: The file types the batch path reads and writes, by extension.
FRAME_SUFFIXES = (".csv", ".parquet")


def read_frame(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` (every cell text; empty cells empty text) or ``.parquet`` claim file as a frame;
    the platform's column names (``psn_no``, ``insutype``, …) read as medinsure's, as the command
    line reads them."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FRAME_SUFFIXES:
        raise InputError(str(path), f"expected a flat claim file ({', '.join(FRAME_SUFFIXES)})")
    if not path.is_file():
        raise InputError(str(path), "cannot read file: No such file or directory")
    frame = _read_parquet(path) if suffix == ".parquet" else _read_csv(path)
    frame.attrs[ROWS] = {"file": str(path), "first": 1 if suffix == ".parquet" else 2}
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(str(path), f"cannot read Parquet: {exc}") from None
    frame = table.to_pandas(types_mapper=_strings)
    frame.columns = [COLUMN_ALIASES.get(str(c), str(c)) for c in frame.columns]
    return frame


def _strings(arrow_type: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    return None


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("rb") as handle:
        head = handle.read(4)
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InputError(str(path), "the file is empty (expected a header row)")
    try:
        names = _header(path)
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"malformed CSV: {' '.join(str(exc).split())}") from None
    frame = table.to_pandas(types_mapper=_strings)
    frame.columns = [COLUMN_ALIASES.get(str(c).strip(), str(c).strip()) for c in frame.columns]
    seen: set[str] = set()
    for column in frame.columns:
        if column in seen:
            raise InputError(f"{path}: row 1", f"column {column!r} given twice")
        seen.add(column)
    if not len(frame):
        raise InputError(str(path), "no claim rows after the header")
    return frame


def _header(path: Path) -> list[str]:
    import csv

    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline(MAX_HEADER_CHARS + 1)
    if len(first) > MAX_HEADER_CHARS:
        raise InputError(f"{path}: row 1", f"the header is longer than {MAX_HEADER_CHARS:,} characters")
    return next(csv.reader(io.StringIO(first)))


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as Parquet (int64 ``_fen`` columns stay int64; no index), its
    ``attrs["medinsure"]`` (the provenance) kept in the file's metadata under ``medinsure``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if "medinsure" in frame.attrs:
        meta = dict(table.schema.metadata or {})
        meta[b"medinsure"] = json.dumps(frame.attrs["medinsure"], ensure_ascii=False).encode()
        table = table.replace_schema_metadata(meta)
    pq.write_table(table, path)


#: The columns of :func:`settled`: who and when, then the claim's total and every component in fen.
SETTLED_COLUMNS = ("claim_id", "patient_id", "jurisdiction", "year", "total_fen", *(f"{c}_fen" for c in COMPONENTS))


def settled(claims: pd.DataFrame, result: pd.DataFrame, jurisdiction: str | None = None) -> pd.DataFrame:
    """The settlement of ``claims`` (a ``settle_frame`` ``result``) with the claim's person,
    jurisdiction, policy year and total beside its amounts: the rows the command line writes."""
    person = claims["patient_id"].astype("string").str.strip()
    if jurisdiction is not None:
        codes: Any = jurisdiction.strip()
    else:
        codes = claims["jurisdiction"].astype("string").str.strip()
    discharged = claims["discharged"]
    if pd.api.types.is_datetime64_any_dtype(discharged):
        year = discharged.dt.year.to_numpy(dtype=np.int64)
    else:  # text the batch path has accepted as YYYY-MM-DD
        year = discharged.astype("string").str.strip().str.slice(0, 4).astype(np.int64).to_numpy()
    out = pd.DataFrame(
        {
            "claim_id": result["claim_id"].astype("string").str.strip().to_numpy(),
            "patient_id": person.to_numpy(),
            "jurisdiction": codes if isinstance(codes, str) else codes.to_numpy(),
            "year": year,
            "total_fen": result["fund_total_fen"].to_numpy() + result["patient_total_fen"].to_numpy(),
        },
        index=result.index,
    )
    for name in COMPONENTS:
        out[f"{name}_fen"] = result[f"{name}_fen"].to_numpy()
    out.attrs = dict(result.attrs)
    return out


def yuan_text(fen: np.ndarray, grouped: bool = False) -> Any:
    """Fen as yuan text, ``1234.50`` (or ``1,234.50`` grouped for people); Arrow kernels for a
    whole column of amounts that are not negative, Python's formatting otherwise."""
    if grouped or (len(fen) and int(fen.min()) < 0):
        spec = "," if grouped else ""
        return [f"{'-' if v < 0 else ''}{abs(v) // 100:{spec}}.{abs(v) % 100:02d}" for v in fen.tolist()]
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pc.cast(pa.array(fen // 100), pa.string())
    cents = pc.utf8_lpad(pc.cast(pa.array(fen % 100), pa.string()), 2, "0")
    return pd.arrays.ArrowStringArray(pc.binary_join_element_wise(whole, cents, "."))


def _write_csv(frame: pd.DataFrame, out: TextIO, rows: int = 1 << 16) -> None:
    """``frame`` as CSV by Arrow's writer (cells quoted where needed), a batch of rows at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    # quotes only where a cell needs them, as Python's csv module writes: Arrow quotes every
    # text cell or none, so none unless some cell holds a separator, a quote or a line break
    special = any(
        pc.any(pc.match_substring(column, mark)).as_py()
        for column in table.columns
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        for mark in (",", '"', "\n", "\r")
    )
    out.write(",".join(table.column_names) + "\n")  # plain names: Arrow would quote them
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed" if special else "none")
    for batch in table.to_batches(max_chunksize=rows):
        sink = io.BytesIO()
        pacsv.write_csv(pa.Table.from_batches([batch]), sink, options)
        out.write(sink.getvalue().decode("utf-8"))


def write_settled(table: pd.DataFrame, out: TextIO, *, format: str = "table", mask: bool = False) -> int:
    """Write :func:`settled` rows as ``table``, ``csv`` or ``json``: the amounts only (yuan text),
    without the per-claim lines and rule versions of the full settlement output; return the count.

    ``mask`` hides the middle of person ids (table output only, as for full settlements).
    """
    from medinsure.io.writers import TABLE_AMOUNTS, table_header, table_row

    n = len(table)
    plugins = {
        code: f"{j['plugin']} {j['plugin_version']}" for code, j in table.attrs["medinsure"]["jurisdictions"].items()
    }
    columns: dict[str, Any] = {
        "claim_id": table["claim_id"].to_numpy(),
        "patient_id": table["patient_id"].to_numpy(),
        "jurisdiction": table["jurisdiction"].to_numpy(),
        "year": table["year"].to_numpy(),
    }
    if format == "table":
        people = [mask_id(p) for p in columns["patient_id"]] if mask else columns["patient_id"]
        amounts = [yuan_text(table[f"{name}_fen"].to_numpy(), grouped=True) for name in ("total", *TABLE_AMOUNTS)]
        if n:
            out.write(table_header() + "\n")
        for i, (claim, person, year) in enumerate(zip(columns["claim_id"], people, columns["year"], strict=True)):
            out.write(table_row([str(claim), str(person), str(year), *(a[i] for a in amounts)]) + "\n")
        return n
    text = pd.DataFrame(columns, index=table.index)
    text["total"] = yuan_text(table["total_fen"].to_numpy())
    for name in COMPONENTS:
        text[name] = yuan_text(table[f"{name}_fen"].to_numpy())
    text["plugin"] = pd.Series(columns["jurisdiction"], index=table.index).map(plugins)
    if format == "csv":
        _write_csv(text, out)
    else:
        records = text.to_dict(orient="records")
        out.write("[")
        for i, record in enumerate(records):
            record["year"] = int(record["year"])
            out.write(("\n" if i == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        out.write("\n]\n" if records else "]\n")
    return n
