"""Claim files as frames for the batch path: flat CSV read by Arrow's reader, and Parquet.

:func:`read_frame` reads a flat claim file (the columns of :mod:`medinsure.io.records`) into a
:class:`pandas.DataFrame` ready for :func:`~medinsure.research.batch.settle_frame`: CSV cells as
text (Arrow-backed strings, so amounts stay exact and are parsed by Arrow compute), Parquet as
stored (integer ``_fen`` columns and dictionary-encoded ids stay what they are: categoricals).
The file is read whole; errors name the file and, where they can, the row (the header is row 1).
:func:`write_frame` writes a result as Parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from medinsure.errors import InputError

__all__ = ["FRAME_SUFFIXES", "read_frame", "write_frame"]

#: The file types the batch path reads and writes, by extension.
FRAME_SUFFIXES = (".csv", ".parquet")


def read_frame(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` (every cell text; empty cells empty text) or ``.parquet`` claim file as a frame."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FRAME_SUFFIXES:
        raise InputError(str(path), f"expected a flat claim file ({', '.join(FRAME_SUFFIXES)})")
    if not path.is_file():
        raise InputError(str(path), "cannot read file: No such file or directory")
    if suffix == ".parquet":
        return _read_parquet(path)
    return _read_csv(path)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(str(path), f"cannot read Parquet: {exc}") from None
    return table.to_pandas(types_mapper=_strings)


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
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _header(path: Path) -> list[str]:
    import csv
    import io

    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    return next(csv.reader(io.StringIO(first)))


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as Parquet (int64 ``_fen`` columns stay int64; no index)."""
    frame.to_parquet(path, index=False)
