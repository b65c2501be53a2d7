"""The conformance suite every jurisdiction package runs.

In a plugin's tests (for example ``tests/test_tieling.py``)::

    from medinsure.testing import conformance_tests

    TestConformance = conformance_tests("tieling")

pytest then collects a class of tests that check, for that jurisdiction as installed (found
through its entry point, parents included):

- the plugin is found and its tables are valid (every table re-validated, and rendered);
- loaded on its own, the plugin works when it provides its jurisdiction's parents too, and
  otherwise is refused with an error naming the missing parent (never settling without it);
- every value, inherited ones included, has a source with a publication, a verified flag,
  and a note when it is unverified; every table, benefit and combined cap is described in
  English and in Chinese;
- the scenario files of the package's ``tests/cases`` folder name the jurisdiction and pass;
- a claim with raw costs settles in every year the jurisdiction claims to settle
  (:func:`~medinsure.rules.describe.coverage`), on its first and last day, for every scheme,
  status, claim kind and hospital level;
- under hypothesis, on the jurisdiction's own rules, in every year it claims: funds + patient =
  total to the fen and no amount is negative (conservation); a secondary payment never falls
  when the self-pay rises (monotonicity); the year's secondary total does not depend on how the
  year's costs are split into claims or ordered (split-invariance); the basic pool's annual
  cap, each benefit's annual cap and each combined cap are never exceeded; and a claim settles
  the same whether the library computes its basic insurance or receives the same basic result
  made elsewhere (pre-settled = computed).

The hypothesis settings are modest (``max_examples``, 50 by default, derandomized so that a
run is reproducible) so that a package's suite stays fast; raise them in a nightly run. The
module needs hypothesis (a test dependency, not one of the core's).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medinsure.errors import MedinsureError, PluginError, RuleError
from medinsure.io.scenarios import SUFFIXES, load_cases, run_case
from medinsure.model import CLAIM_KINDS, HOSPITAL_LEVELS, BasicResult, Claim, Patient
from medinsure.money import FEN, round_fen
from medinsure.rules.describe import coverage, rules_as_dict
from medinsure.rules.names import BASIC_POOL_CAP
from medinsure.rules.registry import JurisdictionRules
from medinsure.rules.tables import ParameterTable, Provenance, Row, Version
from medinsure.settlement.engine import Engine

__all__ = ["claimed_years", "conformance_tests", "every_value", "property_year"]
_fen = st.integers(min_value=0, max_value=30_000_000).map(lambda n: Decimal(n) * FEN)


def every_value(rules: JurisdictionRules) -> list[tuple[str, str, Provenance]]:
    """(defining jurisdiction, rule/version id, provenance) of every value in force for ``rules``."""
    found: list[tuple[str, str, Provenance]] = []
    tables: list[tuple[str, ParameterTable[Any]]] = list(rules.tables.values())
    tables += [(owner, b.schedules) for owner, b in rules.benefits]
    tables += [(owner, c.rate) for owner, c in rules.combined_caps]
    for owner, table in tables:
        for row in table.rows:
            for version in row.versions:
                found.append((owner, f"{table.name}[{row.name}]@{version.start}", version.provenance))
    for owner, rule in rules.eligibility:
        found.append((owner, f"eligibility.{rule.id}", rule.provenance))
    return found


def property_year(rules: JurisdictionRules) -> int:
    """The year the properties are checked in: the latest year in which any value takes effect."""
    starts: list[int] = [version.start.year for _, _, version in _versions(rules)]
    if rules.start is not None:
        starts.append(rules.start.year)
    return max(starts)


def claimed_years(rules: JurisdictionRules) -> tuple[int, ...]:
    """The years in which the jurisdiction claims to settle raw costs (:func:`~medinsure.rules.describe.coverage`)."""
    span = coverage(rules).raw_costs
    if span is None:
        return (property_year(rules),)
    return tuple(range(span[0], span[1] + 1))


def _versions(rules: JurisdictionRules) -> list[tuple[str, Row[Any], Version[Any]]]:
    out: list[tuple[str, Row[Any], Version[Any]]] = []
    for name in rules.table_names():
        for row in rules.find_table(name).rows:
            out.extend((name, row, v) for v in row.versions)
    return out


def _caller_cases() -> Path:
    """The ``cases`` folder beside the test module that called :func:`conformance_tests`."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
    if caller is None:  # pragma: no cover - CPython always has frames
        return Path("cases").resolve()
    return Path(caller.f_code.co_filename).resolve().parent / "cases"


def conformance_tests(
    code: str,
    *,
    plugins: Sequence[object] | None = None,
    cases: str | Path | None = None,
    year: int | None = None,
    max_examples: int = 50,
) -> type:
    """A pytest test class checking jurisdiction ``code`` (see the module's documentation).

    ``plugins``: build the engine from these plugin objects instead of the installed plugins.
    ``cases``: the folder of scenario files (default: ``cases`` beside the calling test file).
    ``year``: the policy year of the generated claims (default: each year of
    :func:`claimed_years`, drawn by hypothesis).
    """
    folder = Path(cases) if cases is not None else _caller_cases()
    chosen = tuple(plugins) if plugins is not None else None

    @functools.cache
    def engine() -> Engine:
        return Engine.from_installed() if chosen is None else Engine.from_plugins(*chosen)

    @functools.cache
    def context() -> tuple[Engine, JurisdictionRules, tuple[int, ...], dict[str, frozenset[str]]]:
        eng = engine()
        rules = eng.rules(code)
        return eng, rules, (year,) if year else claimed_years(rules), eng.registry.known_terms()

    def a_year(draw: Callable[..., Any]) -> int:
        years: tuple[int, ...] = context()[2]
        return int(draw(st.sampled_from(years)))

    slow = settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
    )

    def patients(draw: Callable[..., Any], on_year: int, schemes: Sequence[str] = ("resident", "employee")) -> Patient:
        _eng, _rules, _years, terms = context()
        scheme = draw(st.sampled_from(sorted(schemes)))
        return Patient(
            id="P",
            scheme=scheme,
            status=draw(st.sampled_from([None, "in_service", "retired"])) if scheme == "employee" else None,
            birth_date=draw(st.one_of(st.none(), st.dates(dt.date(1930, 1, 1), dt.date(on_year - 1, 12, 31)))),
            categories=draw(st.frozensets(st.sampled_from(sorted(terms["categories"])), max_size=2)),
            conditions=draw(st.frozensets(st.sampled_from(sorted(terms["conditions"])), max_size=1)),
            service_years=draw(st.one_of(st.none(), st.integers(0, 45))),
        )

    def raw_claim(draw: Callable[..., Any], index: int, on_year: int) -> Claim:
        _eng, _rules, _years, terms = context()
        in_scope = draw(_fen)
        extra = draw(st.integers(0, 1_000_000).map(lambda n: Decimal(n) * FEN))
        class_b = draw(st.integers(0, 100_000).map(lambda n: Decimal(n) * FEN))
        tags = sorted(terms["tags"])
        return Claim(
            id=f"C{index}",
            kind=draw(st.sampled_from(CLAIM_KINDS)),
            discharged=draw(st.dates(dt.date(on_year, 1, 1), dt.date(on_year, 12, 31))),
            total=in_scope + class_b + extra,
            in_scope=in_scope,
            class_b_self_pay=class_b,
            hospital_level=draw(st.sampled_from(HOSPITAL_LEVELS)),
            referral=draw(st.sampled_from(["none", "none", "referred_out"])),
            designated=draw(st.sampled_from([True, True, True, False])),
            tags=draw(st.frozensets(st.sampled_from(tags), max_size=1)) if tags else frozenset(),
        )

    def person_year(draw: Callable[..., Any], most: int) -> tuple[Patient, list[Claim]]:
        """A patient and 1 to ``most`` claims with raw costs, in one of the claimed years."""
        on_year = a_year(draw)
        patient = patients(draw, on_year)
        return patient, [raw_claim(draw, i, on_year) for i in range(draw(st.integers(1, most)))]

    def presettled(index: int, self_pay: Decimal, kind: str, day: dt.date) -> Claim:
        return Claim.from_mapping(
            {"id": f"C{index}", "kind": kind, "discharged": day, "basic": {"pool": 0, "in_scope_self_pay": self_pay}}
        )

    def secondary(draw: Callable[..., Any]) -> tuple[Patient, str, str, dt.date]:
        """A patient, a benefit component and a claim kind the benefit counts."""
        _eng, rules, _years, _terms = context()
        on_year = a_year(draw)
        benefits = [b for _, b in rules.benefits if b.base == "self_pay"]
        if not benefits:
            return Patient(id="P", scheme="resident"), "critical_illness", "inpatient", dt.date(on_year, 6, 1)
        benefit = draw(st.sampled_from(benefits))
        patient = patients(draw, on_year, benefit.schemes)
        kind = draw(st.sampled_from(sorted(benefit.counts)))
        return patient, benefit.component, kind, dt.date(on_year, 6, 30)

    class Conformance:
        """Conformance of one jurisdiction: rule data, provenance, scenario files, properties."""

        jurisdiction = code

        def test_jurisdiction_is_installed_and_its_tables_are_valid(self) -> None:
            eng, rules, _years, _terms = context()
            assert code in eng.jurisdictions, f"jurisdiction {code!r} not found (installed: {eng.jurisdictions})"
            assert rules.table_names(), f"{code}: no tables"
            for name in rules.table_names():
                table = rules.find_table(name)
                table.validate(code, rules.plugin)
            rendered = rules_as_dict(rules)
            assert rendered["jurisdiction"] == code

        def test_loaded_alone_it_needs_only_its_parent(self) -> None:
            eng, rules, _years, _terms = context()
            if chosen is None:
                own: Sequence[object] = ()
            else:
                own = [p for p in chosen if (getattr(p, "__name__", None) or type(p).__name__) == rules.plugin]

            def alone(isolate: bool = False) -> Engine:
                if chosen is None:
                    return Engine.from_installed(allow=[rules.plugin], isolate=isolate)
                return Engine.from_plugins(*own)

            parent = rules.jurisdiction.parent
            if parent is None or eng.registry.owner(parent) == rules.plugin:
                assert code in alone().jurisdictions
                return
            refusal = (
                f"plugin {rules.plugin!r}, jurisdiction {code!r}: parent jurisdiction {parent!r} is not installed"
                " (install its plugin first)"
            )
            with pytest.raises(RuleError) as info:
                alone()
            assert str(info.value) == refusal
            if chosen is None:  # installed: by default set aside, and named when it is asked for
                engine = alone(isolate=True)
                assert code not in engine.jurisdictions
                with pytest.raises(PluginError) as unavailable:
                    engine.rules(code)
                assert str(unavailable.value) == f"jurisdiction={code!r}: unavailable: {refusal}"

        def test_every_value_has_provenance(self) -> None:
            eng, rules, _years, _terms = context()
            values = every_value(rules)
            assert values, f"{code}: no values"
            for owner, where, prov in values:
                label = f"{owner}: {where}"
                assert prov.source.publication.strip(), f"{label}: source without a publication"
                assert prov.source.id in eng.registry.sources(owner), f"{label}: source {prov.source.id!r} not listed"
                assert isinstance(prov.verified, bool), f"{label}: verified is not true or false"
                if not prov.verified:
                    assert prov.note.strip(), f"{label}: unverified without a note saying why"
                cite = prov.source.cite()
                # users have the publications, not the files a plugin was written from
                assert not re.search(r"\.(txt|md|html?)\b", cite), f"{label} cites a file: {cite}"

        def test_every_table_is_described_in_english_and_chinese(self) -> None:
            _eng, rules, _years, _terms = context()
            described = [(name, owner, t.description, t.description_zh) for name, (owner, t) in rules.tables.items()]
            described += [(f"benefits.{b.key}", o, b.description, b.description_zh) for o, b in rules.benefits]
            described += [(f"combined_caps.{c.id}", o, c.description, c.description_zh) for o, c in rules.combined_caps]
            for name, owner, english, chinese in described:
                assert english.strip(), f"{owner}: {name} has no description"
                assert chinese.strip(), f"{owner}: {name} has no Chinese description (description_zh)"

        def test_raw_costs_settle_in_every_year_it_claims(self) -> None:
            eng, rules, _years, _terms = context()
            covered = coverage(rules)
            assert covered.settles_from is not None, f"{code}: settles no raw costs"
            assert covered.raw_costs is not None
            first, last = covered.raw_costs
            people = [Patient(id="P", scheme="resident", birth_date=dt.date(1980, 5, 1))]
            people += [Patient(id="P", scheme="resident", birth_date=dt.date(first - 5, 5, 1))]
            people += [
                Patient(id="P", scheme="employee", status=s, service_years=20) for s in ("in_service", "retired")
            ]
            for y in range(first, last + 1):
                for day in (max(dt.date(y, 1, 1), covered.settles_from), dt.date(y, 12, 31)):
                    for patient in people:
                        for kind in CLAIM_KINDS:
                            for level in HOSPITAL_LEVELS:
                                claim = Claim(
                                    id="C",
                                    kind=kind,
                                    discharged=day,
                                    total=Decimal(30000),
                                    in_scope=Decimal(30000),
                                    hospital_level=level,
                                )
                                try:
                                    eng.settle_claim(patient, claim, jurisdiction=code)
                                except MedinsureError as exc:
                                    raise AssertionError(
                                        f"{code} claims to settle raw costs in {first}–{last}, but a {kind} claim"
                                        f" of {day} ({patient.scheme}, {level}) is refused: {exc}"
                                    ) from None

        def test_scenario_files_pass(self) -> None:
            eng, _rules, _years, _terms = context()
            assert folder.is_dir(), f"{code}: no scenario folder {folder}"
            files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
            loaded = [case for path in files for case in load_cases(path)]
            own = [case for case in loaded if case.jurisdiction == code]
            assert own, f"{code}: no scenario file in {folder} settles jurisdiction {code!r}"
            failures = [str(f) for case in loaded for f in run_case(eng, case).failures]
            assert not failures, "\n".join(failures)

        @slow
        @given(st.data())
        def test_conservation(self, data: st.DataObject) -> None:
            eng, _rules, _years, _terms = context()
            patient, claims = person_year(data.draw, 5)
            for s in eng.settle(patient, claims, jurisdiction=code):
                c = s.claim
                funds = s.basic_pool + s.critical_illness + s.burden_subsidy + s.large_amount + s.medical_assistance
                assert funds == s.fund_total
                assert s.fund_total + s.patient_total == c.total
                for name, value in s.amounts().items():
                    assert value >= 0, name
                    assert value == value.quantize(FEN), name
                assert s.fund_total <= c.in_scope
                assert s.patient_total >= c.out_of_scope + c.class_b_self_pay

        @slow
        @given(st.data())
        def test_more_self_pay_never_lowers_a_secondary_payment(self, data: st.DataObject) -> None:
            eng, _rules, _years, _terms = context()
            patient, component, kind, day = secondary(data.draw)
            earlier = data.draw(st.lists(_fen, max_size=4))
            last, more = data.draw(_fen), data.draw(_fen)

            def last_payment(amount: Decimal) -> Decimal:
                claims = [presettled(i, a, kind, day) for i, a in enumerate([*earlier, amount])]
                return eng.settle(patient, claims, jurisdiction=code)[-1][component]

            assert last_payment(last + more) >= last_payment(last)

        @slow
        @given(st.data())
        def test_year_total_does_not_depend_on_split_or_order(self, data: st.DataObject) -> None:
            eng, _rules, _years, _terms = context()
            patient, component, kind, day = secondary(data.draw)
            amounts = data.draw(st.lists(_fen, min_size=1, max_size=5))
            pieces: list[Decimal] = []
            for a in amounts:
                cut = data.draw(st.integers(0, int(a / FEN))) * FEN
                pieces.extend([cut, a - cut])
            pieces = data.draw(st.permutations(pieces))
            totals = set()
            for run in ([sum(amounts, Decimal(0))], amounts, pieces):
                claims = [presettled(i, a, kind, day) for i, a in enumerate(run)]
                totals.add(sum((s[component] for s in eng.settle(patient, claims, jurisdiction=code)), Decimal(0)))
            assert len(totals) == 1, f"{component}: year totals {sorted(totals)} differ with the split"

        @slow
        @given(st.data())
        def test_caps_are_never_exceeded(self, data: st.DataObject) -> None:
            eng, rules, _years, _terms = context()
            patient, claims = person_year(data.draw, 6)
            pool_cap = rules.table(BASIC_POOL_CAP)
            for s in eng.settle(patient, claims, jurisdiction=code):
                after = s.accumulator_after
                if pool_cap is not None and s.basic_pool > 0:
                    cap = pool_cap[1].lookup(code, patient, s.claim)
                    if cap is not None:
                        assert after.basic_pool <= cap.value, "basic.pool_cap exceeded"
                for _, benefit in rules.benefits:
                    found = benefit.schedules.lookup(code, patient, s.claim)
                    if found is not None and found.value.cap is not None and s[benefit.component] > 0:
                        paid = after.paid[benefit.key] if benefit.key in after.paid else Decimal(0)
                        assert paid <= found.value.cap, f"{benefit.key}: annual cap exceeded"
                for _, combined in rules.combined_caps:
                    found_rate = combined.rate.lookup(code, patient, s.claim)
                    if found_rate is None or not any(s[c] > 0 for c in combined.reduce):
                        continue
                    paid = sum((after.components.get(c, Decimal(0)) for c in combined.components), Decimal(0))
                    limit = round_fen(found_rate.value * after.in_scope)  # computed apart from the engine
                    assert paid <= limit, f"{combined.id}: {paid} above {limit}"

        @slow
        @given(st.data())
        def test_presettled_and_computed_basic_settle_alike(self, data: st.DataObject) -> None:
            eng, _rules, _years, _terms = context()
            patient, claims = person_year(data.draw, 6)
            computed = eng.settle(patient, claims, jurisdiction=code)
            given = [
                attrs.evolve(
                    c,
                    basic=BasicResult(
                        pool=s.basic_pool, in_scope_self_pay=c.in_scope - s.basic_pool, deductible=s.deductible
                    ),
                )
                for c, s in zip(claims, computed, strict=True)
            ]
            for a, b in zip(computed, eng.settle(patient, given, jurisdiction=code), strict=True):
                assert a.amounts() == b.amounts(), f"claim {a.claim.id}: computed {a.amounts()}, given {b.amounts()}"

    Conformance.__name__ = Conformance.__qualname__ = f"TestConformance_{code}"
    Conformance.__doc__ = f"Conformance of jurisdiction {code!r}."
    return Conformance
