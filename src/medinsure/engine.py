"""The settlement pipeline.

For each claim, in order: eligibility → basic insurance (or a basic settlement made
elsewhere) → benefits on the accumulated in-scope self-pay (critical illness, over-burden
subsidy) → benefits on the cost above the basic cap (large-amount subsidy) → benefits on the
residual (medical assistance) → combined caps → totals. Every amount comes from a table the
jurisdiction registered; the engine holds no amount of its own.

Rounding (half up to the fen) happens at three points: the basic pool payment of a claim,
a benefit's annual function ``F`` (see :class:`~medinsure.rules.Schedule`), and the limit of a
combined cap. The cost above the basic cap is the claim's base less the cost the capped pool
payment covers, also rounded to the fen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from medinsure.accumulator import Accumulator, Amounts, Delta
from medinsure.eligibility import BUILTIN_CHECKS
from medinsure.errors import InvalidInput, RuleError
from medinsure.model import HOSPITAL_LEVELS, Claim, Patient
from medinsure.money import ZERO, pct, round_fen
from medinsure.registry import JurisdictionRules, Registry
from medinsure.rules import Benefit, ParameterTable, Resolved, RuleContext, Version
from medinsure.settlement import FUNDS, BenefitResult, Line, Refusal, RuleRef, Settlement

__all__ = ["Engine"]

_STAGES = ("over_cap", "self_pay", "residual")


class Engine:
    """Settles claims with the rules of a :class:`~medinsure.registry.Registry`.

    Build one with :meth:`from_installed` (the plugins installed in the environment) or
    :meth:`from_plugins` (plugin objects you pass, e.g. in tests). An engine is immutable
    once built and safe to share between threads.
    """

    def __init__(self, registry: Registry, *, overrides: Mapping[str, JurisdictionRules] | None = None) -> None:
        registry.check()
        self.registry = registry
        self._terms = registry.known_terms()
        self._overrides = dict(overrides or {})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_plugins(cls, *plugins: object, entry_points: bool = False, **options: Any) -> Engine:
        """An engine over the given plugin objects (modules or instances with hookimpls).

        With ``entry_points=True`` the installed plugins are loaded as well; ``options`` are
        passed to :func:`medinsure.plugins.make_plugin_manager` (``allow``, ``block``).
        """
        from medinsure.plugins import collect_registry, make_plugin_manager

        pm = make_plugin_manager(plugins=plugins, entry_points=entry_points, **options)
        return cls(collect_registry(pm))

    @classmethod
    def from_installed(cls, **options: Any) -> Engine:
        """An engine over every installed plugin (entry-point group ``medinsure``)."""
        return cls.from_plugins(entry_points=True, **options)

    def rules(self, code: str) -> JurisdictionRules:
        """The merged rules in force for jurisdiction ``code`` (parents included)."""
        if code in self._overrides:
            return self._overrides[code]
        return self.registry.resolve(code)

    def with_overrides(self, code: str, *tables: ParameterTable[Any]) -> Engine:
        """A new engine in which ``tables`` replace the tables of the same name for ``code``.

        Use it for what-if reforms and to override an unverified value; every settlement made
        by the new engine lists the overridden tables in ``overrides``.
        """
        rules = self.rules(code)
        for table in tables:
            rules = rules.with_table(table)
        return Engine(self.registry, overrides={**self._overrides, code: rules})

    @property
    def jurisdictions(self) -> list[str]:
        return self.registry.codes

    # -- settlement -----------------------------------------------------------------------

    def settle(
        self,
        patient: Patient,
        claims: Iterable[Claim],
        *,
        jurisdiction: str,
        accumulator: Accumulator | Mapping[int, Accumulator] | None = None,
    ) -> list[Settlement]:
        """Settle ``claims`` of ``patient`` in the order given.

        ``accumulator`` is the state before the first claim: one :class:`Accumulator` (for
        its year) or a mapping of year to accumulator; a year without one starts empty.
        """
        state: dict[int, Accumulator] = {}
        if isinstance(accumulator, Accumulator):
            state[accumulator.year] = accumulator
        elif accumulator is not None:
            state.update(accumulator)
        seen: set[str] = set()
        results = []
        for index, claim in enumerate(claims):
            if not isinstance(claim, Claim):
                raise InvalidInput(f"claims[{index}]", claim, "expected a Claim (use Claim.from_mapping)")
            if claim.id in seen:
                raise InvalidInput(f"claims[{index}].id", claim.id, "claim id given twice")
            seen.add(claim.id)
            settlement = self.settle_claim(patient, claim, jurisdiction=jurisdiction, accumulator=state.get(claim.year))
            state[claim.year] = settlement.accumulator_after
            results.append(settlement)
        return results

    def settle_claim(
        self, patient: Patient, claim: Claim, *, jurisdiction: str, accumulator: Accumulator | None = None
    ) -> Settlement:
        """Settle one claim against the accumulator of its person-year (empty if None)."""
        if not isinstance(patient, Patient):
            raise InvalidInput("patient", patient, "expected a Patient (use Patient.from_mapping)")
        if not isinstance(claim, Claim):
            raise InvalidInput("claim", claim, "expected a Claim (use Claim.from_mapping)")
        rules = self.rules(jurisdiction)
        self._check_terms(patient, claim)
        acc = accumulator if accumulator is not None else Accumulator.empty(patient.id, claim.year)
        if acc.person_id != patient.id or acc.year != claim.year:
            raise InvalidInput(
                "accumulator",
                f"{acc.person_id}/{acc.year}",
                f"belongs to another person-year than claim {claim.id!r} ({patient.id}/{claim.year})",
            )
        return _Run(rules, patient, claim, acc).settle()

    def _check_terms(self, patient: Patient, claim: Claim) -> None:
        for field, values in (
            ("patient.categories", patient.categories),
            ("patient.conditions", patient.conditions),
            ("claim.tags", claim.tags),
        ):
            if not values:
                continue
            known = self._terms[field.split(".")[1]]
            for term in sorted(values - known):
                raise InvalidInput(field, term, f"unknown term (known: {', '.join(sorted(known)) or 'none'})")


@attrs.define
class _Run:
    """The settlement of one claim in progress."""

    rules: JurisdictionRules
    patient: Patient
    claim: Claim
    acc: Accumulator
    lines: list[Line] = attrs.field(factory=list)
    refs: list[RuleRef] = attrs.field(factory=list)

    def ref(self, found: Resolved[Any], value: str | None = None) -> RuleRef:
        ref = _rule_ref(found.table, found.jurisdiction, found.row, found.version, found.carried_forward, value)
        self.refs.append(ref)
        return ref

    def lookup_table(self, table: ParameterTable[Any], owner: str) -> Resolved[Any] | None:
        return table.lookup(owner, self.patient, self.claim)

    def lookup(self, name: str) -> Resolved[Any] | None:
        entry = self.rules.table(name)
        if entry is None:
            return None
        owner, table = entry
        return self.lookup_table(table, owner)

    def line(
        self, component: str, amount: Decimal, text: str, zh: str, *refs: RuleRef, args: tuple[Any, ...] = ()
    ) -> None:
        """Record a line; with ``args``, ``text`` and ``zh`` are templates formatted when read."""
        self.lines.append(Line(component, amount, text, tuple(refs), zh, args))

    # -- steps ----------------------------------------------------------------------------

    def eligibility(self) -> list[Refusal]:
        refusals = []
        day = self.claim.service_date

        def lookup_and_record(name: str) -> Resolved[Any] | None:
            found = self.lookup(name)
            if found is not None:
                self.ref(found)
            return found

        ctx = RuleContext(self.patient, self.claim, lookup_and_record)
        for owner, rule in self.rules.eligibility:
            if rule.start is not None and day < rule.start:
                continue
            if rule.end is not None and day > rule.end:
                continue
            if not rule.when.matches(self.patient, self.claim):
                continue
            check = BUILTIN_CHECKS[rule.check] if isinstance(rule.check, str) else rule.check
            try:
                passed = bool(check(ctx))
            except RuleError as exc:
                raise RuleError(str(exc), jurisdiction=owner, rule=f"eligibility.{rule.id}") from None
            if not passed:
                refusals.append(
                    Refusal(f"{owner}/eligibility.{rule.id}", rule.applies_to, rule.reason, rule.provenance)
                )
        return refusals

    def settle(self) -> Settlement:
        claim, acc = self.claim, self.acc
        refusals = self.eligibility()
        refused_all = any(r.applies_to == "claim" for r in refusals)

        def refused(target: str) -> Refusal | None:
            for r in refusals:
                if r.applies_to == "claim" or (isinstance(r.applies_to, tuple) and target in r.applies_to):
                    return r
            return None

        if (rules_start := self.rules.start) and claim.service_date < rules_start:
            from medinsure.errors import RuleNotInForce

            raise RuleNotInForce(
                f"no rules in force on {claim.service_date.isoformat()}: the jurisdiction's rules start"
                f" {rules_start.isoformat()}",
                jurisdiction=self.rules.code,
                value=claim.service_date.isoformat(),
            )
        deductible = pool = over_cap = ZERO
        if refused_all:
            self.line("basic_pool", ZERO, f"not paid: {refusals[0].reason}", f"不予支付：{refusals[0].reason}")
        elif claim.basic is not None:
            pool, deductible = claim.basic.pool, claim.basic.deductible
            self.line(
                "deductible",
                deductible,
                "basic settlement made elsewhere: deductible as given",
                "基本医保已另行结算：起付线按所给",
            )
            self.line(
                "basic_pool",
                pool,
                "basic settlement made elsewhere: pool payment as given",
                "基本医保已另行结算：统筹支付按所给",
            )
        elif (r := refused("basic")) is not None:
            self.line("basic_pool", ZERO, f"not paid: {r.reason}", f"不予支付：{r.reason}")
        else:
            deductible, pool, over_cap = self.basic()
        # benefits, stage by stage; each is limited to what the patient still owes in scope
        owed = claim.in_scope - pool
        in_scope_self_pay = owed
        results: list[BenefitResult] = []
        for stage in _STAGES:
            if stage == "self_pay":
                in_scope_self_pay = owed
                above_cap = claim.in_scope - pool - owed
                self.line(
                    "in_scope_self_pay",
                    in_scope_self_pay,
                    "in-scope {0:,.2f} − basic pool {1:,.2f}"
                    + (" − large-amount subsidy {2:,.2f}" if above_cap else ""),
                    "政策范围内费用 {0:,.2f} − 统筹基金支付 {1:,.2f}"
                    + (" − 大额医疗补助 {2:,.2f}" if above_cap else ""),
                    args=(claim.in_scope, pool, above_cap),
                )
            for owner, benefit in self.rules.benefits:
                if benefit.base != stage or refused_all:
                    continue
                if self.patient.scheme not in benefit.schemes or claim.kind not in benefit.counts:
                    continue
                r = refused(benefit.key) or refused(benefit.component)
                if r is not None:
                    self.line(
                        benefit.component,
                        ZERO,
                        f"{benefit.key}: not counted, not paid: {r.reason}",
                        f"{benefit.key}：不计入累计，不予支付：{r.reason}",
                    )
                    continue
                base_added = {"self_pay": in_scope_self_pay, "over_cap": over_cap, "residual": owed}[stage]
                result = self.benefit(owner, benefit, base_added, owed)
                if result is not None:
                    owed -= result.paid
                    results.append(result)

        if not refused_all:
            results = self.combined_caps(results, pool)

        amounts: dict[str, Decimal] = {
            "deductible": deductible,
            "basic_pool": pool,
            "in_scope_self_pay": in_scope_self_pay,
        }
        for result in results:
            amounts[result.component] = amounts.get(result.component, ZERO) + result.paid
        fund_total = sum((amounts.get(f, ZERO) for f in FUNDS), ZERO)
        amounts["fund_total"] = fund_total
        amounts["patient_total"] = claim.total - fund_total
        if amounts["patient_total"] < 0:  # pragma: no cover - guarded by the limits above
            raise AssertionError(f"claim {claim.id}: funds {fund_total} exceed total {claim.total}")

        eligible = not refused_all
        delta = Delta(
            in_scope=claim.in_scope if eligible else ZERO,
            basic_pool=pool,
            admissions=1 if eligible and claim.kind == "inpatient" else 0,
            claims=1,
            bases=Amounts.of({r.key: r.base_added for r in results}),
            paid=Amounts.of({r.key: r.paid for r in results}),
            components=Amounts.of({f: amounts[f] for f in FUNDS if f in amounts}),
        )
        return Settlement(
            claim=claim,
            patient_id=self.patient.id,
            jurisdiction=self.rules.code,
            plugin=self.rules.plugin,
            plugin_version=self.rules.plugin_version,
            components=Amounts.of(amounts),
            lines=tuple(self.lines),
            refusals=tuple(refusals),
            benefits=tuple(results),
            rules=tuple(self.refs),
            accumulator_before=acc,
            accumulator_after=acc.plus(delta),
            delta=delta,
            overrides=self.rules.overrides,
        )

    def basic(self) -> tuple[Decimal, Decimal, Decimal]:
        claim = self.claim
        ratio_found = self.lookup("basic.ratio")
        if claim.hospital_level is None and self._needs_level("basic.ratio", ratio_found):
            raise InvalidInput(
                "claim.hospital_level",
                None,
                "required to settle basic insurance for this claim (or give basic: {pool, in_scope_self_pay})",
            )
        if ratio_found is None:
            self.line(
                "basic_pool",
                ZERO,
                f"basic insurance has no ratio for this claim ({_describe(self.patient, claim)})",
                f"基本医保对此类费用无支付比例（{_describe(self.patient, claim)}）",
            )
            return ZERO, ZERO, ZERO
        ratio: Decimal = ratio_found.value
        ded_found = self.lookup("basic.deductible")
        if ded_found is None:
            raise RuleError(
                f"no row of basic.deductible matches the claim ({_describe(self.patient, claim)})",
                jurisdiction=self.rules.code,
                rule="basic.deductible",
            )
        deductible = min(ded_found.value, claim.in_scope)
        self.line(
            "deductible",
            deductible,
            "deductible {0:,.2f} (at most the in-scope cost)",
            "起付标准 {0:,.2f}（不超过政策范围内费用）",
            self.ref(ded_found),
            args=(ded_found.value,),
        )
        base = claim.in_scope - deductible
        uncapped = round_fen(base * ratio)
        ratio_ref = self.ref(ratio_found, f"{pct(ratio)}")
        cap_found = self.lookup("basic.pool_cap")
        if cap_found is None:
            pool = uncapped
            self.line(
                "basic_pool",
                pool,
                "({0:,.2f} − {1:,.2f}) × {2}, no annual cap",
                "（{0:,.2f} − {1:,.2f}）× {2}，无年度限额",
                ratio_ref,
                args=(claim.in_scope, deductible, _Percent(ratio)),
            )
            return deductible, pool, ZERO
        remaining = max(ZERO, cap_found.value - self.acc.basic_pool)
        pool = min(uncapped, remaining)
        cap_ref = self.ref(cap_found)
        self.line(
            "basic_pool",
            pool,
            "({0:,.2f} − {1:,.2f}) × {2} = {3:,.2f}, within the annual cap {4:,.2f} of which {5:,.2f} remained",
            "（{0:,.2f} − {1:,.2f}）× {2} = {3:,.2f}，年度最高支付限额 {4:,.2f}，本年尚余 {5:,.2f}",
            ratio_ref,
            cap_ref,
            args=(claim.in_scope, deductible, _Percent(ratio), uncapped, cap_found.value, remaining),
        )
        over_cap = ZERO
        if pool < uncapped:
            over_cap = base if ratio == 0 else max(ZERO, round_fen(base - pool / ratio))
        return deductible, pool, over_cap

    def _needs_level(self, name: str, found: Resolved[Any] | None) -> bool:
        """Whether the row chosen for a claim without a hospital level would change with one."""
        entry = self.rules.table(name)
        if entry is None:
            return False
        _owner, table = entry
        chosen = None if found is None else found.row
        for level in HOSPITAL_LEVELS:
            probe = attrs.evolve(self.claim, hospital_level=level)
            for row in table.rows:
                if row.when.matches(self.patient, probe):
                    if row.name != chosen:
                        return True
                    break
        return False

    def benefit(self, owner: str, benefit: Benefit, base_added: Decimal, owed: Decimal) -> BenefitResult | None:
        found = self.lookup_table(benefit.schedules, owner)
        if found is None:
            return None
        schedule = found.value
        ref = self.ref(found, schedule.describe())
        base_before = self.acc.bases[benefit.key]
        paid_before = self.acc.paid[benefit.key]
        target = schedule.annual(base_before + base_added)
        due = max(ZERO, target - paid_before)
        paid = min(due, owed)
        text = "{0}: annual base {1:,.2f} + {2:,.2f} = {3:,.2f}; F = {4:,.2f}, already paid {5:,.2f}"
        zh = "{0}：年度累计 {1:,.2f} + {2:,.2f} = {3:,.2f}；按年度累计应付 {4:,.2f}，已付 {5:,.2f}"
        if paid < due:
            text += "; limited to the {6:,.2f} the patient still owes in scope"
            zh += "；以个人尚需负担的政策范围内费用 {6:,.2f} 为限"
        args = (benefit.key, base_before, base_added, base_before + base_added, target, paid_before, owed)
        self.line(benefit.component, paid, text, zh, ref, args=args)
        return BenefitResult(benefit.key, benefit.component, base_added, base_before, target, paid_before, paid)

    def combined_caps(self, results: list[BenefitResult], pool: Decimal) -> list[BenefitResult]:
        for owner, cap in self.rules.combined_caps:
            found = self.lookup_table(cap.rate, owner)
            if found is None:
                continue
            claim_amounts: dict[str, Decimal] = {"basic_pool": pool}
            for result in results:
                claim_amounts[result.component] = claim_amounts.get(result.component, ZERO) + result.paid
            year_in_scope = self.acc.in_scope + self.claim.in_scope
            limit = round_fen(found.value * year_in_scope)
            paid_year = sum((self.acc.components[c] for c in cap.components), ZERO)
            paid_claim = sum((claim_amounts.get(c, ZERO) for c in cap.components), ZERO)
            allowed = max(ZERO, limit - paid_year)
            ref = self.ref(found, f"{pct(found.value)}")
            if paid_claim <= allowed:
                continue
            excess = paid_claim - allowed
            revised = list(results)
            order = [
                i
                for component in cap.reduce
                for i in reversed(range(len(revised)))
                if revised[i].component == component
            ]
            for i in order:
                r = revised[i]
                if excess <= 0 or r.paid == 0:
                    continue
                cut = min(excess, r.paid)
                revised[i] = attrs.evolve(r, paid=r.paid - cut)
                excess -= cut
                self.line(
                    r.component,
                    -cut,
                    f"{cap.id}: the year's {' + '.join(cap.components)} may not exceed {pct(found.value)}"
                    f" of the year's in-scope cost {year_in_scope:,.2f} = {limit:,.2f}; {r.key} cut by {cut:,.2f}",
                    f"{cap.id}：本年 {' + '.join(cap.components)} 不超过年度政策范围内费用 {year_in_scope:,.2f} 的"
                    f" {pct(found.value)}，即 {limit:,.2f}；{r.key} 减少 {cut:,.2f}",
                    ref,
                )
            results = revised
        return results


class _Percent:
    """A rate shown as a percentage when a line's text is formatted (``{2}`` → ``65%``)."""

    __slots__ = ("rate",)

    def __init__(self, rate: Decimal) -> None:
        self.rate = rate

    def __format__(self, spec: str) -> str:
        return pct(self.rate)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Percent) and other.rate == self.rate

    def __hash__(self) -> int:
        return hash(self.rate)


@functools.lru_cache(maxsize=4096)
def _rule_ref(
    table: str, jurisdiction: str, row: str, version: Version[Any], carried: bool, value: str | None
) -> RuleRef:
    """The record of a rule version used; the same row, version and flag give the same record."""
    return RuleRef(
        rule_id=f"{jurisdiction}/{table}[{row}]",
        version=version.start.isoformat(),
        value=value if value is not None else _show(version.value),
        provenance=version.provenance,
        carried_forward=carried,
    )


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _describe(patient: Patient, claim: Claim) -> str:
    parts = [f"scheme={patient.scheme}", f"kind={claim.kind}", f"hospital_level={claim.hospital_level}"]
    if patient.employee_status:
        parts.append(f"status={patient.employee_status}")
    return ", ".join(parts)
