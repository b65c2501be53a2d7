"""Research at scale (the ``research`` extra: numpy, pandas, matplotlib, Dask).

- :mod:`.batch`: :func:`settle_frame`, a whole table of claims at once, identical to the
  scalar engine to the fen; :func:`prepare`, the same claims read once for many settlements;
- :mod:`.frames`: :func:`read_frame` and :func:`write_frame`, CSV (Arrow's reader) and Parquet;
- :mod:`.comparison`: :func:`compare`, jurisdictions and reforms on one population;
- :mod:`.plotting`: reimbursement curves and payment distributions (matplotlib);
- :mod:`.distributed`: the same settlement on a Dask cluster, partitioned by person.
"""

from __future__ import annotations

from medinsure.research.batch import prepare, settle_frame, settle_frame_scalar, to_decimal, yuan
from medinsure.research.comparison import Comparison, compare
from medinsure.research.frames import read_frame, write_frame

__all__ = [
    "Comparison",
    "compare",
    "prepare",
    "read_frame",
    "settle_frame",
    "settle_frame_scalar",
    "to_decimal",
    "write_frame",
    "yuan",
]
