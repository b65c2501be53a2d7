"""Claim input for the command line and batch jobs: scenario files and flat CSV, and settling them.

Both forms yield :class:`ClaimRecord` s one at a time, in file order, so a file of any size is
read in bounded memory; :func:`settle_file` settles them in that order, keeping one
accumulator per person and policy year. A CSV file has one row per claim and the scenario-file names as
columns:

``jurisdiction, patient_id, scheme, status, birth_date, categories, conditions, claim_id, kind,
admitted, discharged, hospital_level, referral, location, filed, designated, total, in_scope``,
and optionally ``service_years``, ``psn_type``, ``class_b_self_pay``, ``over_limit``, ``tags``,
the platform's ids ``mdtrt_id``, ``setl_id``, ``mid_setl_flag``, the personal account
``account_balance``, ``use_account``, ``mutual_aid_balance``, the sheet's ``name``, ``sex``,
``hospital_name``, ``hospital_code``, ``admission_no``, ``department``, ``diagnosis`` and, for a basic settlement made
elsewhere, ``basic_pool, basic_in_scope_self_pay`` (and ``basic_deductible``). The platform's
names are read as aliases: ``insutype`` (for ``scheme``), ``med_type`` (``kind``), ``psn_no``
(``patient_id``), ``acct_used_flag`` (``use_account``). Lists are comma-separated inside one
cell; an empty cell means "not given". Unknown columns are an error.

Fee lines come in a second CSV file, one row per line, joined to the claims by ``claim_id``
(:func:`read_lines`): columns ``claim_id, code, class, amount`` and optionally ``name,
quantity, unit_price, price_limit, self_pay_ratio, category`` (aliases: ``chrgitm_lv``,
``det_item_fee_sumamt``, ``cnt``, ``pric``, ``pric_uplmt_amt``, ``selfpay_prop``,
``med_chrgitm_type``). A claim with lines gets its totals from them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from medinsure.errors import InputError, InvalidInput, MedinsureError, ScenarioError
from medinsure.io.scenarios import load_cases
from medinsure.model import Claim, Patient
from medinsure.money import fen_text
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement
from medinsure.settlement.years import PersonYears

__all__ = [
    "BASIC_COLUMNS",
    "COLUMN_ALIASES",
    "CSV_COLUMNS",
    "LINE_COLUMNS",
    "REQUIRED_COLUMNS",
    "ClaimRecord",
    "count_records",
    "read_lines",
    "read_records",
    "record_from_row",
    "settle_file",
    "settle_records",
]

PATIENT_COLUMNS = (
    "patient_id", "scheme", "status", "birth_date", "categories", "conditions", "service_years", "psn_type",
    "name", "sex",
)  # fmt: skip
CLAIM_COLUMNS = (
    "claim_id", "kind", "admitted", "discharged", "hospital_level", "referral", "location", "filed",
    "designated", "total", "in_scope", "class_b_self_pay", "over_limit", "tags", "mdtrt_id", "setl_id",
    "mid_setl_flag", "account_balance", "use_account", "mutual_aid_balance", "hospital_name", "hospital_code",
    "admission_no", "department", "diagnosis",
)  # fmt: skip
#: The platform's column names read as medinsure's.
COLUMN_ALIASES = {"insutype": "scheme", "med_type": "kind", "psn_no": "patient_id", "acct_used_flag": "use_account"}
LINE_COLUMNS = (
    "claim_id", "code", "name", "class", "amount", "quantity", "unit_price", "price_limit", "self_pay_ratio", "category",
)  # fmt: skip
LINE_ALIASES = {
    "chrgitm_lv": "class", "det_item_fee_sumamt": "amount", "cnt": "quantity", "pric": "unit_price",
    "pric_uplmt_amt": "price_limit", "selfpay_prop": "self_pay_ratio", "med_chrgitm_type": "category",
}  # fmt: skip
BASIC_COLUMNS = ("basic_pool", "basic_in_scope_self_pay", "basic_deductible")
CSV_COLUMNS = ("jurisdiction", *PATIENT_COLUMNS, *CLAIM_COLUMNS, *BASIC_COLUMNS)
REQUIRED_COLUMNS = ("patient_id", "scheme", "claim_id", "kind", "discharged")
#: The longest header line read (the known columns need a few hundred characters).
MAX_HEADER_CHARS = 4096


@attrs.frozen
class ClaimRecord:
    """One claim to settle, as read from a file: plain mappings, validated when settled."""

    where: str
    jurisdiction: str | None
    patient: Mapping[str, Any]
    claim: Mapping[str, Any]


def read_records(path: str | Path, *, lines: str | Path | None = None) -> Iterator[ClaimRecord]:
    """The claims of a scenario file (``.yaml``, ``.yml``, ``.json``), a CSV or a Parquet file, in file order.

    ``lines`` is a CSV file of fee lines joined to a CSV file's claims by ``claim_id``
    (:func:`read_lines`); every line must belong to a claim of the file.
    """
    path = Path(path)
    if lines is not None:
        if path.suffix.lower() != ".csv":
            raise InputError(str(lines), "a fee-line file goes with a CSV file of claims (scenario files carry items:)")
        by_claim = read_lines(lines)
        for record in _read_csv(path):
            found = by_claim.pop(str(record.claim.get("id")), None)
            if found is not None:
                rows, items = found
                record = attrs.evolve(
                    record,
                    where=f"{record.where} (fee lines: {lines}: rows {rows})",
                    claim={**record.claim, "items": items},
                )
            yield record
        for claim_id, (rows, _) in by_claim.items():
            raise InputError(f"{lines}: rows {rows}", f"claim_id {claim_id!r} is not a claim of {path}")
        return
    if path.suffix.lower() == ".csv":
        yield from _read_csv(path)
        return
    if path.suffix.lower() == ".parquet":
        yield from _read_parquet(path)
        return
    try:
        cases = load_cases(path)
    except ScenarioError as exc:
        raise InputError(str(path), str(exc).removeprefix(f"{path}: ").removeprefix(f"{path}:")) from None
    for case in cases:
        for i, claim in enumerate(case.claims):
            yield ClaimRecord(f"{path}: case {case.name!r}, claims[{i}]", case.jurisdiction, case.patient, claim)


def read_lines(path: str | Path) -> dict[str, tuple[str, list[dict[str, str]]]]:
    """The fee lines of a CSV file by claim id: the file rows they came from, and the lines."""
    path = Path(path)
    out: dict[str, tuple[str, list[dict[str, str]]]] = {}
    for where, row in _csv_rows(path, LINE_COLUMNS, ("claim_id", "code", "class"), LINE_ALIASES, "fee-line"):
        claim_id = row.pop("claim_id")
        line = {k: v for k, v in row.items() if v}
        rows, items = out.get(claim_id, ("", []))
        number = where.rpartition(" ")[2]
        first = rows.partition("–")[0] if rows else number
        out[claim_id] = (f"{first}–{number}" if first != number else number, [*items, line])
    return out


def _read_csv(path: Path) -> Iterator[ClaimRecord]:
    for where, row in _csv_rows(path, CSV_COLUMNS, REQUIRED_COLUMNS, COLUMN_ALIASES):
        yield record_from_row(where, row)


def _csv_rows(
    path: Path, columns: tuple[str, ...], required: tuple[str, ...], aliases: Mapping[str, str], noun: str = "claim"
) -> Iterator[tuple[str, dict[str, str]]]:
    """The rows of a CSV file as column → stripped text, each named ``FILE: row N``."""
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    with handle:
        try:
            first = handle.readline(MAX_HEADER_CHARS + 1)
        except UnicodeDecodeError as exc:
            raise InputError(str(path), f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
        if not first.strip():
            raise InputError(str(path), "the file is empty (expected a header row)")
        if len(first) > MAX_HEADER_CHARS:
            raise InputError(f"{path}: row 1", f"the header is longer than {MAX_HEADER_CHARS:,} characters")
        try:
            header = next(csv.reader(io.StringIO(first)))
        except csv.Error as exc:
            raise InputError(f"{path}: row 1", f"malformed CSV: {exc}") from None
        header = [aliases.get(h.strip(), h.strip()) for h in header]
        for column in header:
            if column not in columns:
                raise InputError(f"{path}: row 1", f"unknown column {column!r} (columns: {', '.join(columns)})")
        seen: set[str] = set()
        for column in header:
            if column in seen:
                raise InputError(f"{path}: row 1", f"column {column!r} given twice")
            seen.add(column)
        for column in required:
            if column not in header:
                raise InputError(f"{path}: row 1", f"missing column {column!r}")
        reader = csv.reader(handle)
        row_number = 1
        try:
            for cells in reader:
                row_number += 1
                if not any(c.strip() for c in cells):
                    continue
                where = f"{path}: row {row_number}"
                if len(cells) != len(header):
                    raise InputError(where, f"{len(cells)} cells, but the header has {len(header)} columns")
                yield where, dict(zip(header, (c.strip() for c in cells), strict=True))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: row {row_number + 1}", f"not UTF-8 text (byte {exc.start})") from None
        except csv.Error as exc:  # raised while reading the row after the last one counted
            raise InputError(f"{path}: row {row_number + 1}", f"malformed CSV: {exc}") from None
        if row_number == 1:
            raise InputError(str(path), f"no {noun} rows after the header")


def _read_parquet(path: Path) -> Iterator[ClaimRecord]:
    """The claims of a Parquet file with the flat columns (amounts as text, or integer ``_fen``),
    read a batch of rows at a time (needs pyarrow, part of the ``research`` extra)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(str(path), "reading Parquet needs pyarrow (pip install 'medinsure[research]')") from None
    try:
        handle = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(str(path), f"cannot read Parquet: {exc}") from None
    header = [COLUMN_ALIASES.get(name, name) for name in handle.schema_arrow.names]
    for column in header:
        if column not in CSV_COLUMNS and not (column.endswith("_fen") and column.removesuffix("_fen") in CSV_COLUMNS):
            raise InputError(f"{path}: row 1", f"unknown column {column!r} (columns: {', '.join(CSV_COLUMNS)})")
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise InputError(f"{path}: row 1", f"missing column {column!r}")
    for field in handle.schema_arrow:
        if pa.types.is_floating(field.type) or (pa.types.is_decimal(field.type) and field.name.endswith("_fen")):
            raise InputError(
                f"{path}: column {field.name}",
                f"{field.type} values are not accepted (inexact): store amounts as text, or as integer fen in"
                f" {field.name.removesuffix('_fen')}_fen",
            )
    row_number = 1
    for batch in handle.iter_batches(batch_size=4096):
        for values in batch.to_pylist():
            row_number += 1
            row = {COLUMN_ALIASES.get(k, k): _cell(k, v) for k, v in values.items()}
            yield record_from_row(f"{path}: row {row_number}", row)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column.endswith("_fen"):
        if not isinstance(value, int) or isinstance(value, bool):
            return repr(value)  # refused as an amount by the scalar rules, naming the value
        return fen_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value).strip()


def record_from_row(where: str, row: Mapping[str, str]) -> ClaimRecord:
    """The record of one flat row (column → text, empty meaning "not given"), named ``where``."""

    def get(column: str) -> str | None:
        value = row.get(column)
        return value if value else None

    if any(column.endswith("_fen") for column in row):  # integer fen columns, as yuan
        row = {column.removesuffix("_fen"): value for column, value in row.items()}
    patient = {"id": get("patient_id")}
    for column in PATIENT_COLUMNS[1:]:
        if get(column) is not None:
            patient[column] = get(column)
    claim: dict[str, Any] = {"id": get("claim_id")}
    for column in CLAIM_COLUMNS[1:]:
        if get(column) is not None:
            claim[column] = get(column)
    if any(get(c) is not None for c in BASIC_COLUMNS):
        basic = {
            "pool": get("basic_pool"),
            "in_scope_self_pay": get("basic_in_scope_self_pay"),
        }
        if get("basic_deductible") is not None:
            basic["deductible"] = get("basic_deductible")
        for key in ("pool", "in_scope_self_pay"):
            if basic[key] is None:
                raise InputError(where, f"column basic_{key} is empty, but another basic_ column is given")
        claim["basic"] = basic
    return ClaimRecord(where, get("jurisdiction"), patient, claim)


def count_records(path: str | Path) -> int | None:
    """About how many claims a file holds, for a progress bar (None when it cannot tell).

    For CSV this counts non-blank lines after the header, reading bytes only; a quoted cell
    with a line break makes it an overestimate.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            count = 0
            with path.open("rb") as handle:
                for line in handle:
                    if line.strip():
                        count += 1
            return max(count - 1, 0)
        return sum(len(case.claims) for case in load_cases(path))
    except (OSError, MedinsureError):
        return None


def settle_records(
    engine: Engine, records: Iterable[ClaimRecord], *, jurisdiction: str | None = None
) -> Iterator[Settlement]:
    """Settle records in order; ``jurisdiction`` overrides the records' own.

    An error names the record's file and row or case. A claim id given twice in one file is
    refused (the ids are kept in memory: some tens of bytes a claim).
    """
    years = PersonYears(engine)
    seen: dict[str, str] = {}  # claim id -> where it was first given
    for record in records:
        code = jurisdiction or record.jurisdiction
        if not code:
            raise InputError(record.where, "no jurisdiction: give a jurisdiction column or --jurisdiction")
        try:
            patient = Patient.from_mapping(record.patient)
            claim = Claim.from_mapping(record.claim)
            if claim.id in seen:
                raise InvalidInput(
                    "claim.id", claim.id, f"claim id given twice in one file (first at {seen[claim.id]})"
                )
            seen[claim.id] = record.where.rpartition(": ")[2] or record.where
            settlement = years.settle(patient, claim, jurisdiction=code)
        except MedinsureError as exc:
            raise InputError(record.where, str(exc)) from None
        yield settlement


def settle_file(
    path: str | Path, *, engine: Engine, jurisdiction: str | None = None, lines: str | Path | None = None
) -> Iterator[Settlement]:
    """Settle every claim of a scenario or CSV file (with its fee-line file), in file order."""
    return settle_records(engine, read_records(path, lines=lines), jurisdiction=jurisdiction)
