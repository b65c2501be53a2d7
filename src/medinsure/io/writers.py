"""Settlements written out: a table for people, JSON and CSV for systems, the shipped schemas.

:func:`write_settlements` writes settlements (from :func:`medinsure.io.records.settle_file`,
say) as a table, JSON or CSV, one at a time; :func:`settlement_record` is the JSON object of
one settlement, with the national platform's fields on request (:mod:`medinsure.io.national`).
A settlement resting on a value carried forward past its source's dates says so in every
format: a line under its row of the table, ``carried_forward`` and each line's ``trust`` in
JSON, a ``carried_forward`` column in CSV; so do its warnings.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from medinsure.errors import MedinsureError
from medinsure.io.masking import mask_id
from medinsure.io.national import NATIONAL_FIELDS, national_record, setlinfo
from medinsure.money import fmt
from medinsure.settlement.result import Settlement

__all__ = [
    "FORMATS",
    "TABLE_AMOUNTS",
    "load_schema",
    "settlement_record",
    "table_header",
    "table_notices",
    "table_row",
    "write_settlements",
]

FORMATS = ("table", "json", "csv", "jsonl")


def settlement_record(settlement: Settlement, *, national: bool = False) -> dict[str, Any]:
    """The JSON object of one settlement: ids, every component, lines, rule versions.

    With ``national``, also ``national``: the platform's ``setlinfo`` and ``setldetail``
    (:func:`medinsure.io.national.national_record`), and ``account`` when the claim gave one.
    """
    data = settlement.to_dict()
    if national:
        data["national"] = national_record(settlement)
    return data


_TABLE = ("claim_id", "patient", "year", "total", "deductible", "basic_pool", "critical_illness", "burden_subsidy", "large_amount", "medical_assistance", "fund_total", "patient_total")  # fmt: skip
#: The amounts of the ``table`` format after the claim's total, in order.
TABLE_AMOUNTS = _TABLE[4:]
_TABLE_HEADER = ("claim", "patient", "year", "total", "deductible", "basic pool", "critical ill.", "burden sub.", "large amount", "assistance", "funds", "patient")  # fmt: skip
_WIDTHS = (10, 20, 4, 13, 10, 12, 13, 12, 12, 10, 13, 12)


def table_notices(settlement: Settlement) -> list[str]:
    """The lines printed under a settlement's row of the table: carried-forward values, warnings."""
    out = []
    carried = settlement.carried_forward_refs
    if carried:
        listed = ", ".join(f"{r.version_id} (its source speaks to {r.until})" for r in carried)
        trust = settlement.trust
        out.append(
            f"carried forward: {listed}; lines resting on it: {trust.carried_forward} of {trust.lines},"
            " unverified for this claim"
        )
    out += [f"warning: {text}" for text in settlement.warnings]
    return out


def table_header() -> str:
    """The header line of the ``table`` format."""
    return table_row(_TABLE_HEADER)


def table_row(cells: Iterable[str]) -> str:
    """One line of the ``table`` format: claim, person, year, total and the amounts, aligned."""
    parts = []
    for i, (cell, width) in enumerate(zip(cells, _WIDTHS, strict=True)):
        parts.append(f"{cell:<{width}}" if i < 2 else f"{cell:>{width}}")
    return " ".join(parts).rstrip()


def write_settlements(
    settlements: Iterable[Settlement],
    out: TextIO,
    *,
    format: str = "table",
    national: bool = False,
    mask: bool = False,
    progress: Any = None,
) -> int:
    """Write settlements one at a time as ``table``, ``json`` (a list), ``jsonl`` (one object a
    line, flushed) or ``csv``; return the count.

    ``mask`` hides the middle of person ids (table output only; JSON and CSV are data for
    systems that already hold the ids). ``progress`` is called with the count after each one.
    """
    if format not in FORMATS:
        raise MedinsureError(f"format={format!r}: expected one of {', '.join(FORMATS)}")
    count = 0
    writer: Any = None
    if format == "json":
        out.write("[")
    for settlement in settlements:
        if format == "json":
            out.write("\n" if count == 0 else ",\n")
            out.write(json.dumps(settlement_record(settlement, national=national), ensure_ascii=False))
        elif format == "jsonl":
            out.write(json.dumps(settlement_record(settlement, national=national), ensure_ascii=False) + "\n")
            out.flush()
        elif format == "csv":
            row = {
                "claim_id": settlement.claim.id,
                "patient_id": settlement.patient_id,
                "jurisdiction": settlement.jurisdiction,
                "year": settlement.claim.year,
                "total": str(settlement.claim.total),
                **{name: str(value) for name, value in settlement.amounts().items()},
                "plugin": f"{settlement.plugin} {settlement.plugin_version}",
                "rule_versions": ";".join(settlement.rule_versions),
                "refusals": ";".join(r.reason for r in settlement.refusals),
                "carried_forward": ";".join(settlement.carried_forward),
                "warnings": ";".join(settlement.warnings),
            }
            if national:
                row.update({name: "" if value is None else value for name, value in setlinfo(settlement).items()})
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow(row)
        else:
            person = mask_id(settlement.patient_id) if mask else settlement.patient_id
            cells = [settlement.claim.id, person, str(settlement.claim.year), fmt(settlement.claim.total)]
            cells += [fmt(settlement[name]) for name in TABLE_AMOUNTS]
            if count == 0:
                out.write(table_header() + "\n")
            out.write(table_row(cells) + "\n")
            for notice in table_notices(settlement):
                out.write(f"    {notice}\n")
            if national:
                fields = setlinfo(settlement)
                shown = ("setl_id", *NATIONAL_FIELDS)
                out.write("    " + "  ".join(f"{k}={'null' if fields[k] is None else fields[k]}" for k in shown) + "\n")
        count += 1
        if progress is not None:
            progress(count)
    if format == "json":
        out.write("\n]\n" if count else "]\n")
    return count


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with the package: ``claim-input``, ``settlement`` or ``service``."""
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(
        (files("medinsure.io") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    )
    return schema
