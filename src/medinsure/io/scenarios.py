"""Scenario files: "this person, these claims, these expected amounts".

The format is a public contract (``docs/scenarios.md``). :func:`load_cases` reads a file and
raises :class:`~medinsure.errors.ScenarioError` for anything that makes the file unusable: a
file that cannot be read, an unknown key, an unknown component, an expectation for a claim
that is not there. :func:`run_case` settles a case and compares every expected amount;
:func:`check_paths` is ``medinsure check``.

Claim and patient *values* are validated when the case runs, so that a case can expect a
claim to be refused as invalid input (``error: TEXT``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from medinsure.errors import InvalidInput, MedinsureError, ReadError, ScenarioError, UnknownJurisdiction
from medinsure.io.data import line_of, read_data_file
from medinsure.model import BasicResult, Claim, Patient, identifier
from medinsure.money import amount, fmt
from medinsure.rules.names import COMPONENTS
from medinsure.settlement.result import Settlement
from medinsure.settlement.years import PersonYears

if TYPE_CHECKING:
    from medinsure.settlement.engine import Engine

__all__ = ["Case", "CaseResult", "Failure", "check_paths", "find_case_files", "load_cases", "run_case"]

CASE_KEYS = ("name", "jurisdiction", "reference", "patient", "claims", "expect")
SUFFIXES = (".yaml", ".yml", ".json")


@attrs.frozen
class Case:
    """One scenario: a patient, claims in settlement order, and expectations per claim."""

    name: str
    jurisdiction: str
    patient: Mapping[str, Any]
    claims: tuple[Mapping[str, Any], ...]
    expect: Mapping[str, Mapping[str, Any]]
    file: str
    line: int | None = None
    reference: str = ""


@attrs.frozen
class Failure:
    """An expectation that was not met."""

    case: Case
    claim: str
    component: str
    expected: str
    actual: str

    def __str__(self) -> str:
        where = f"{self.case.file}:{self.case.line}" if self.case.line else self.case.file
        return (
            f"{where}: case {self.case.name!r}, claim {self.claim}, {self.component}:"
            f" expected {self.expected}, actual {self.actual}"
        )


@attrs.frozen
class CaseResult:
    case: Case
    settlements: tuple[Settlement, ...]
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def _keys(data: Any, allowed: Iterable[str], file: str, case: str | None, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError(file, f"{what}: expected a mapping", case=case, line=line_of(data))
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            raise ScenarioError(
                file, f"{what}: unknown key {key!r} (allowed: {', '.join(allowed)})", case=case, line=line_of(data, key)
            )
    return data


def load_cases(path: str | Path) -> list[Case]:
    """Read the cases of one scenario file (YAML or JSON)."""
    path = Path(path)
    file = str(path)
    try:
        data = read_data_file(path)
    except ReadError as exc:
        raise ScenarioError(file, str(exc), line=exc.line) from None
    if isinstance(data, Mapping):
        _keys(data, ("cases",), file, None, "file")
        data = data.get("cases")
    if not isinstance(data, list) or not data:
        raise ScenarioError(file, "expected a non-empty list of cases (or a mapping with a 'cases:' list)")
    cases = []
    names: set[str] = set()
    for index, raw in enumerate(data):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        label = name if isinstance(name, str) else f"#{index + 1}"
        c = _keys(raw, CASE_KEYS, file, label, "case")
        for key in ("name", "jurisdiction", "patient", "claims"):
            if c.get(key) is None:
                raise ScenarioError(file, f"missing key {key!r}", case=label, line=line_of(c))
        if not isinstance(c["name"], str) or not isinstance(c["jurisdiction"], str):
            raise ScenarioError(file, "name and jurisdiction are text", case=label, line=line_of(c))
        if label in names:
            raise ScenarioError(file, "two cases have this name", case=label, line=line_of(c))
        names.add(label)
        patient = _keys(c["patient"], Patient.FIELDS, file, label, "patient")
        for i, contribution in enumerate(patient.get("contributions") or []):
            _keys(contribution, ("paid_on", "from", "to"), file, label, f"patient.contributions[{i}]")
        claims = c["claims"]
        if not isinstance(claims, list) or not claims:
            raise ScenarioError(file, "claims: expected a non-empty list", case=label, line=line_of(c, "claims"))
        ids: list[str] = []
        claim_ids: set[str] = set()  # a case is one person's claims: each id once
        for i, claim in enumerate(claims):
            _keys(claim, Claim.FIELDS, file, label, f"claims[{i}]")
            if isinstance(claim.get("basic"), Mapping):
                _keys(claim["basic"], attrs.fields_dict(BasicResult), file, label, f"claims[{i}].basic")
            ids.append(str(claim.get("id")))
            try:
                claim_id = identifier(claim.get("id"), "claim.id")
            except InvalidInput:
                continue  # refused with its reason when the case runs (a case may expect that)
            if claim_id in claim_ids:
                raise ScenarioError(
                    file, f"claims[{i}].id={claim_id!r}: claim id given twice", case=label, line=line_of(claim, "id")
                )
            claim_ids.add(claim_id)
        expect = _expectations(c.get("expect") or {}, ids, file, label)
        cases.append(
            Case(
                name=label,
                jurisdiction=c["jurisdiction"],
                patient=patient,
                claims=tuple(claims),
                expect=expect,
                file=file,
                line=line_of(c),
                reference=str(c.get("reference") or ""),
            )
        )
    return cases


def _expectations(data: Any, ids: list[str], file: str, case: str) -> dict[str, dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise ScenarioError(file, "expect: expected a mapping of claim id to amounts", case=case, line=line_of(data))
    out: dict[str, dict[str, Any]] = {}
    for claim_id, components in data.items():
        if str(claim_id) not in ids:
            raise ScenarioError(
                file,
                f"expect: unknown claim id {claim_id!r} (claims: {', '.join(ids)})",
                case=case,
                line=line_of(data, claim_id),
            )
        comp = _keys(components, (*COMPONENTS, "error"), file, case, f"expect.{claim_id}")
        values: dict[str, Any] = {}
        for name, value in comp.items():
            if name == "error":
                if not isinstance(value, str) or not value:
                    raise ScenarioError(
                        file, f"expect.{claim_id}.error: expected text", case=case, line=line_of(comp, name)
                    )
                values[name] = value
                continue
            try:
                values[name] = amount(value, f"expect.{claim_id}.{name}", allow_negative=True)
            except InvalidInput as exc:
                raise ScenarioError(file, str(exc), case=case, line=line_of(comp, name)) from None
        out[str(claim_id)] = values
    return out


def run_case(engine: Engine, case: Case) -> CaseResult:
    """Settle the case's claims in order and compare them with its expectations.

    Raises :class:`~medinsure.errors.ScenarioError` when the jurisdiction is unknown.
    """
    try:
        engine.rules(case.jurisdiction)
    except UnknownJurisdiction as exc:
        raise ScenarioError(case.file, f"jurisdiction: {exc}", case=case.name, line=case.line) from None
    failures: list[Failure] = []
    settlements: list[Settlement] = []
    years = PersonYears(engine)
    patient: Patient | None = None
    patient_error: MedinsureError | None = None
    try:
        patient = Patient.from_mapping(case.patient)
    except MedinsureError as exc:
        patient_error = exc
    for raw in case.claims:
        claim_id = str(raw.get("id"))
        expected = case.expect.get(claim_id, {})
        try:
            if patient_error is not None:
                raise patient_error
            assert patient is not None
            claim = Claim.from_mapping(raw)
            settlement = years.settle(patient, claim, jurisdiction=case.jurisdiction)
        except MedinsureError as exc:
            message = str(exc)
            want = expected.get("error")
            if want is None:
                failures.append(Failure(case, claim_id, "error", "a settlement", f"refused: {message}"))
            elif want not in message:
                failures.append(
                    Failure(case, claim_id, "error", f"an error containing {want!r}", f"refused: {message}")
                )
            continue
        settlements.append(settlement)
        if "error" in expected:
            failures.append(Failure(case, claim_id, "error", f"an error containing {expected['error']!r}", "settled"))
            continue
        for component, value in expected.items():
            actual = settlement[component]
            if actual != value:
                failures.append(Failure(case, claim_id, component, fmt(value), fmt(actual)))
    return CaseResult(case, tuple(settlements), tuple(failures))


def find_case_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The scenario files named, or found below the folders named (sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
        else:
            yield path


def check_paths(engine: Engine, paths: Iterable[str | Path], out: TextIO, err: TextIO, *, verbose: bool = False) -> int:
    """Run every case of the files; return the exit code of ``medinsure check`` (0, 1 or 2)."""
    files = list(find_case_files(paths))
    if not files:
        print("medinsure check: no scenario files found", file=err)
        return 2
    loaded: list[Case] = []
    for file in files:
        if not file.exists():
            print(f"medinsure check: {file}: no such file", file=err)
            return 2
        try:
            loaded.extend(load_cases(file))
        except ScenarioError as exc:
            print(f"medinsure check: {exc}", file=err)
            return 2
    failed = passed = 0
    for case in loaded:
        try:
            result = run_case(engine, case)
        except ScenarioError as exc:
            print(f"medinsure check: {exc}", file=err)
            return 2
        if result.passed:
            passed += 1
            if verbose:
                print(f"ok   {case.file}: {case.name}", file=out)
        else:
            failed += 1
            for failure in result.failures:
                print(f"FAIL {failure}", file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed else 0
