"""The settlement pipeline: :class:`Engine`.

For each claim, in order: eligibility → basic insurance (or a basic settlement made
elsewhere) → benefits on the cost above the basic cap (large-amount subsidy) → benefits on
the accumulated in-scope self-pay (critical illness, over-burden subsidy) → benefits on the
residual (medical assistance) → combined caps → totals. Every amount comes from a table the
jurisdiction registered; the engine holds no amount of its own.

A claim is settled in two steps: its :class:`~medinsure.settlement.plan.Plan` (the rule
versions that apply to it) and then the arithmetic of :mod:`medinsure.settlement.formulas`
on the plan and the person-year's accumulator, in integer fen, with a line of explanation for
every amount. The batch path uses the same plans and formulas for many claims at once.
"""

from __future__ import annotations

import bisect
import copy
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from medinsure.errors import InvalidInput
from medinsure.model import Claim, Patient
from medinsure.money import ZERO, fmt, from_fen, pct, to_fen
from medinsure.rules.names import FEES_CLASS_B_RATIO, FUND_NAMES_ZH, PERSONAL_ACCOUNT_SCOPE
from medinsure.rules.registry import JurisdictionRules, Registry
from medinsure.rules.tables import ParameterTable, Resolved, Schedule, Version, claim_profile
from medinsure.settlement import formulas, trust
from medinsure.settlement.accumulator import Accumulator, Amounts, Delta
from medinsure.settlement.plan import BasicPlan, BenefitPlan, GivenBasicPlan, Plan, describe_claim, make_plan
from medinsure.settlement.result import AccountResult, BenefitResult, Line, RuleRef, Settlement
from medinsure.settlement.years import PersonYears

__all__ = ["Engine"]

_PLANS = 1 << 14  # plans an engine remembers (a pure cache: clearing it changes no result)


class Engine:
    """Settles claims with the rules of a :class:`~medinsure.rules.registry.Registry`.

    Build one with :meth:`from_installed` (the plugins installed in the environment) or
    :meth:`from_plugins` (plugin objects you pass, e.g. in tests). An engine is immutable
    once built and safe to share between threads.

    ``strict`` refuses settlements resting on values the user does not trust
    (:mod:`medinsure.settlement.trust`): ``True`` (or ``"unverified"``) any value not verified
    against its source or carried forward past its source's dates, ``"carried-forward"`` only
    the latter. A refused claim raises :class:`~medinsure.errors.StrictRefusal`.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        overrides: Mapping[str, JurisdictionRules] | None = None,
        strict: bool | str | None = False,
    ) -> None:
        registry.check()
        self.registry = registry
        self.strict = trust.strict_mode(strict)
        self._terms = registry.known_terms()
        self._overrides = dict(overrides or {})
        self._plans: dict[tuple[object, ...], tuple[JurisdictionRules, Plan]] = {}
        self.lines = True

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_plugins(
        cls, *plugins: object, entry_points: bool = False, strict: bool | str | None = False, **options: Any
    ) -> Engine:
        """An engine over the given plugin objects (modules or instances with hookimpls).

        With ``entry_points=True`` the installed plugins are loaded as well; ``options`` are
        passed to :func:`medinsure.plugins.host.make_plugin_manager` (``allow``, ``block``);
        ``strict`` as for the constructor.
        """
        from medinsure.plugins.host import collect_registry, make_plugin_manager

        mode = trust.strict_mode(strict)  # a bad value is refused before any plugin loads
        pm = make_plugin_manager(plugins=plugins, entry_points=entry_points, **options)
        return cls(collect_registry(pm), strict=mode)

    @classmethod
    def from_installed(cls, **options: Any) -> Engine:
        """An engine over every installed plugin (entry-point group ``medinsure``); ``strict=`` as above."""
        return cls.from_plugins(entry_points=True, **options)

    @classmethod
    def shared(cls, *, refresh: bool = False) -> Engine:
        """The process's one engine over the installed plugins, built on first use and then reused.

        What ``settle_frame`` and the command line use when given no engine: an engine is
        immutable, so sharing it is safe, and its plans cache serves every caller.
        ``refresh=True`` builds it again (after installing a plugin in the running process).
        """
        if refresh:
            _shared_engine.cache_clear()
        return _shared_engine()

    def without_lines(self) -> Engine:
        """The same engine, settling without lines of explanation (``Settlement.lines`` is empty).

        For callers that need only the amounts, the accumulators and the rule versions used
        (a research fallback, a bulk export): every amount is the same, and settling is
        faster. It shares this engine's rules and caches.
        """
        other = copy.copy(self)
        other.lines = False
        return other

    def __repr__(self) -> str:
        overrides = f", overrides for {', '.join(self._overrides)}" if self._overrides else ""
        return f"<Engine: {', '.join(self.registry.codes) or 'no jurisdictions'}{overrides}>"

    def _repr_html_(self) -> str:
        """A notebook's view: each jurisdiction, its plugin and version, and the overridden tables."""
        from html import escape

        rows = []
        for code in self.registry.codes:
            plugin, version = self.registry.plugin_of(code)
            j = self.registry.jurisdiction(code)
            changed = ", ".join(self._overrides[code].overrides) if code in self._overrides else ""
            rows.append(
                f"<tr><td>{escape(code)}</td><td>{escape(j.name)}</td><td>{escape(j.parent or '')}</td>"
                f"<td>{escape(plugin)} {escape(str(version))}</td><td>{escape(changed)}</td></tr>"
            )
        head = "<tr><th>jurisdiction</th><th>name</th><th>parent</th><th>plugin</th><th>overridden tables</th></tr>"
        return f"<div><p><b>Engine</b> over {len(rows)} jurisdictions</p><table>{head}{''.join(rows)}</table></div>"

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
        return Engine(self.registry, overrides={**self._overrides, code: rules}, strict=self.strict)

    def with_strict(self, strict: bool | str | None) -> Engine:
        """The same engine (overrides included) with another strict mode.

        It shares this engine's rules and plan cache: strictness is checked each time a plan is
        used, never stored in it.
        """
        other = copy.copy(self)
        other.strict = trust.strict_mode(strict)
        return other

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
        years = PersonYears(self, lambda _person, year: state.get(year))
        seen: set[str] = set()
        results = []
        for index, claim in enumerate(claims):
            if not isinstance(claim, Claim):
                raise InvalidInput(f"claims[{index}]", claim, "expected a Claim (use Claim.from_mapping)")
            if claim.id in seen:
                raise InvalidInput(f"claims[{index}].id", claim.id, "claim id given twice")
            seen.add(claim.id)
            results.append(years.settle(patient, claim, jurisdiction=jurisdiction))
        return results

    def settle_claim(
        self, patient: Patient, claim: Claim, *, jurisdiction: str, accumulator: Accumulator | None = None
    ) -> Settlement:
        """Settle one claim against the accumulator of its person-year (empty if None).

        Fee lines of class B without a self-pay ratio take the jurisdiction's default
        (:data:`~medinsure.rules.names.FEES_CLASS_B_RATIO`) first; the settlement's claim has
        it filled in, and its rule versions name it.
        """
        found: list[Resolved[Any]] = []
        if isinstance(claim, Claim) and claim.items and claim.pending_ratio and isinstance(patient, Patient):
            ratio = _lookup(self.rules(jurisdiction), FEES_CLASS_B_RATIO, patient, claim)
            if ratio is None:
                raise InvalidInput(
                    "claim.items",
                    next(i.code for i in claim.items if i.needs_ratio),
                    f"a class-B line without self_pay_ratio, and jurisdiction {jurisdiction!r} has no default"
                    f" ({FEES_CLASS_B_RATIO})",
                )
            claim = claim.with_default_ratio(ratio.value)
            found.append(ratio)
        plan = self.plan(patient, claim, jurisdiction=jurisdiction)
        acc = accumulator if accumulator is not None else Accumulator.empty(patient.id, claim.year)
        if acc.person_id != patient.id or acc.year != claim.year:
            raise InvalidInput(
                "accumulator",
                f"{acc.person_id}/{acc.year}",
                f"belongs to another person-year than claim {claim.id!r} ({patient.id}/{claim.year})",
            )
        settling = _Settling(plan, patient, claim, acc, keep_lines=self.lines)
        for ref in found:
            settling.ref(ref, pct(ref.value))
        settlement = settling.settle()
        if self.strict is not None:
            trust.check_settlement(self.strict, settlement)
        return settlement

    def plan(self, patient: Patient, claim: Claim, *, jurisdiction: str) -> Plan:
        """The rule versions that apply to ``claim`` (see :mod:`medinsure.settlement.plan`).

        Raises every error that settling the claim would raise, strict mode's included (for
        the rules every settlement of the claim uses).
        """
        if not isinstance(patient, Patient):
            raise InvalidInput("patient", patient, "expected a Patient (use Patient.from_mapping)")
        if not isinstance(claim, Claim):
            raise InvalidInput("claim", claim, "expected a Claim (use Claim.from_mapping)")
        rules = self.rules(jurisdiction)
        # Claims alike in everything the rules look at get the same plan: the same profile, a
        # basic settlement given or not, a service date between the same two change dates — when
        # no eligibility check reads more (a contribution history, a plugin's own code).
        key = None
        if not patient.contributions and rules.checks_are_builtin:
            day = claim.service_date
            epoch = bisect.bisect_right(rules.change_dates, day)
            key = (id(rules), claim_profile(patient, claim), claim.basic is None, epoch)
            cached = self._plans.get(key)
            if cached is not None and cached[0] is rules:
                if self.strict is not None:
                    trust.check_plan(self.strict, cached[1], claim.service_date)
                return cached[1]
        self._check_terms(patient, claim)
        plan = make_plan(rules, patient, claim)
        if key is not None:
            if len(self._plans) >= _PLANS:
                self._plans.clear()
            self._plans[key] = (rules, plan)
        if self.strict is not None:
            trust.check_plan(self.strict, plan, claim.service_date)
        return plan

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


@attrs.frozen
class _Compiled:
    """What a plan says in integer form, with the records of its rule versions: worked out once
    per plan, and reused by every claim that shares the plan."""

    looked_up: tuple[RuleRef, ...]
    deductible: int = 0
    ratio: tuple[int, int] = (0, 0)
    cap: int | None = None
    deductible_ref: RuleRef | None = None
    ratio_ref: RuleRef | None = None
    cap_ref: RuleRef | None = None
    benefits: tuple[tuple[formulas.Tiers, RuleRef] | None, ...] = ()

    @classmethod
    def of(cls, plan: Plan) -> _Compiled:
        found = _compiled.get(id(plan))
        if found is not None and found[0] is plan:
            return found[1]
        basic = plan.basic
        options: dict[str, Any] = {}
        if basic is not None:
            ratio = basic.ratio.value
            options = {
                "deductible": to_fen(basic.deductible.value),
                "ratio": formulas.rate_parts(ratio),
                "cap": None if basic.cap is None else to_fen(basic.cap.value),
                "deductible_ref": _ref(basic.deductible),
                "ratio_ref": _ref(basic.ratio, pct(ratio)),
                "cap_ref": None if basic.cap is None else _ref(basic.cap),
            }
        benefits = tuple(
            None
            if item.schedule is None
            else (formulas.Tiers.of(item.schedule.value), _ref(item.schedule, item.schedule.value.describe()))
            for item in plan.benefits
        )
        compiled = cls(tuple(_ref(f) for f in plan.looked_up), benefits=benefits, **options)
        if len(_compiled) >= _PLANS:
            _compiled.clear()
        _compiled[id(plan)] = (plan, compiled)
        return compiled


#: Compiled plans by the identity of their plan (a pure cache: clearing it changes no result).
_compiled: dict[int, tuple[Plan, _Compiled]] = {}


def _ref(found: Resolved[Any], value: str | None = None) -> RuleRef:
    return _rule_ref(found.table, found.jurisdiction, found.row, found.version, found.carried_forward, value)


@attrs.define
class _Settling:
    """One claim being settled from its plan and its person-year's accumulator."""

    plan: Plan
    patient: Patient
    claim: Claim
    acc: Accumulator
    keep_lines: bool = True
    lines: list[Line] = attrs.field(factory=list)
    refs: list[RuleRef] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)
    compiled: _Compiled = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.compiled = _Compiled.of(self.plan)

    def ref(self, found: Resolved[Any], value: str | None = None) -> RuleRef:
        ref = _ref(found, value)
        self.refs.append(ref)
        return ref

    def line(
        self, component: str, amount: Decimal, text: str, zh: str, *refs: RuleRef, args: tuple[Any, ...] = ()
    ) -> None:
        """Record a line; with ``args``, ``text`` and ``zh`` are templates formatted when read."""
        if self.keep_lines:
            self.lines.append(Line(component, amount, text, tuple(refs), zh, args))

    def settle(self) -> Settlement:
        plan, claim, acc = self.plan, self.claim, self.acc
        self.refs.extend(self.compiled.looked_up)
        refusals = plan.refusals
        refused_all = plan.refused_all
        deductible = pool = over_cap = 0
        if refused_all:
            self.line("basic_pool", ZERO, f"not paid: {refusals[0].reason}", f"不予支付：{refusals[0].text_zh}")
        elif plan.basic_note == "given":
            assert claim.basic is not None
            pool, deductible = to_fen(claim.basic.pool), to_fen(claim.basic.deductible or ZERO)
            if claim.basic.deductible is None:
                self.line(
                    "deductible",
                    ZERO,
                    "basic settlement made elsewhere: deductible not given",
                    "基本医保已另行结算：未给出起付线",
                )
            else:
                self.line(
                    "deductible",
                    claim.basic.deductible,
                    "basic settlement made elsewhere: deductible as given",
                    "基本医保已另行结算：起付线按所给",
                )
            self.line(
                "basic_pool",
                claim.basic.pool,
                "basic settlement made elsewhere: pool payment as given",
                "基本医保已另行结算：统筹支付按所给",
            )
            if plan.given is not None and plan.given.cap is not None:
                over_cap = self.given_cap(plan.given, pool, deductible)
        elif (r := plan.refusal("basic")) is not None:
            self.line("basic_pool", ZERO, f"not paid: {r.reason}", f"不予支付：{r.text_zh}")
        elif plan.basic is None:
            self.line(
                "basic_pool",
                ZERO,
                f"basic insurance has no ratio for this claim ({describe_claim(self.patient, claim)})",
                f"基本医保对此类费用无支付比例（{describe_claim(self.patient, claim)}）",
            )
        else:
            deductible, pool, over_cap = self.basic(plan.basic)
        # benefits, stage by stage (the plan lists them in that order); each is limited to what
        # the patient still owes in scope
        in_scope = to_fen(claim.in_scope)
        owed = in_scope - pool
        in_scope_self_pay = -1  # set when the self-pay stage begins
        paid_by: dict[str, int] = {}
        results: list[BenefitResult] = []
        for index, item in enumerate(plan.benefits):
            benefit = item.benefit
            if in_scope_self_pay < 0 and benefit.base != "over_cap":
                in_scope_self_pay = owed
                self.self_pay_line(in_scope, pool, owed)
            if not item.applies:
                continue
            if item.refusal is not None:
                self.line(
                    benefit.component,
                    ZERO,
                    f"{benefit.key}: not counted, not paid: {item.refusal.reason}",
                    f"{FUND_NAMES_ZH.get(benefit.component, benefit.component)}：不计入累计，不予支付："
                    f"{item.refusal.text_zh}",
                )
                continue
            if item.schedule is None:
                continue
            base = benefit.base
            base_added = in_scope_self_pay if base == "self_pay" else over_cap if base == "over_cap" else owed
            result, paid = self.benefit(item, index, base_added, owed)
            owed -= paid
            paid_by[benefit.component] = paid_by.get(benefit.component, 0) + paid
            results.append(result)
        if in_scope_self_pay < 0:
            in_scope_self_pay = owed
            self.self_pay_line(in_scope, pool, owed)
        if not refused_all and plan.caps:
            results = self.combined_caps(results, pool)
            paid_by = {}
            for result in results:
                paid_by[result.component] = paid_by.get(result.component, 0) + to_fen(result.paid)

        fund_total = pool + sum(paid_by.values())
        if fund_total > to_fen(claim.total):  # pragma: no cover - guarded by the limits above
            raise AssertionError(f"claim {claim.id}: funds {fund_total} exceed total {claim.total}")
        amounts: dict[str, Decimal] = {
            "deductible": from_fen(deductible),
            "basic_pool": from_fen(pool),
            "in_scope_self_pay": from_fen(in_scope_self_pay),
        }
        funds = {"basic_pool": amounts["basic_pool"]}
        for component, paid in paid_by.items():
            funds[component] = amounts[component] = from_fen(paid)
        amounts["fund_total"] = from_fen(fund_total)
        amounts["patient_total"] = claim.total - amounts["fund_total"]

        eligible = not refused_all
        continued = self.continued
        stay = claim.treatment_id
        stays: tuple[tuple[str, Decimal | None], ...] = ()
        if claim.mid_setl_flag:  # the stay goes on: what its parts have paid of the deductible
            stays = ((stay, (acc.stay_deductible(stay) or ZERO) + from_fen(deductible)),)
        elif continued:
            stays = ((stay, None),)
        delta = Delta(
            in_scope=claim.in_scope if eligible else ZERO,
            basic_pool=amounts["basic_pool"],
            admissions=1 if eligible and claim.kind == "inpatient" and not continued else 0,
            claims=1,
            bases=Amounts.of({r.key: r.base_added for r in results}),
            paid=Amounts.of({r.key: r.paid for r in results}),
            components=Amounts.of(funds),
            stays=stays,
        )
        account = None
        if claim.account_balance is not None or claim.use_account:
            account = self.account(amounts["patient_total"])
        rules = plan.rules
        return Settlement(
            claim=claim,
            patient_id=self.patient.id,
            jurisdiction=rules.code,
            plugin=rules.plugin,
            plugin_version=rules.plugin_version,
            components=Amounts.of(amounts),
            lines=tuple(self.lines),
            refusals=refusals,
            benefits=tuple(results),
            rules=tuple(self.refs),
            accumulator_before=acc,
            accumulator_after=acc.plus(delta),
            delta=delta,
            overrides=rules.overrides,
            account=account,
            patient=self.patient,
            warnings=tuple(self.warnings),
        )

    @property
    def continued(self) -> bool:
        """Whether the claim is a later part of a stay settled in part before (中途结算)."""
        return bool(self.acc.open_stays) and self.acc.stay_deductible(self.claim.treatment_id) is not None

    def account(self, patient_total: Decimal) -> AccountResult | None:
        """The personal account's and the family's mutual-aid payment, and the cash rest."""
        claim = self.claim
        if claim.account_balance is None:
            if claim.use_account:
                raise InvalidInput("claim.use_account", True, "needs account_balance (the account's balance)")
            return None
        if self.patient.scheme != "employee":
            raise InvalidInput(
                "claim.account_balance", str(claim.account_balance), "only employees have a personal account (个人账户)"
            )
        if claim.use_account is False:
            self.line(
                "personal_account",
                ZERO,
                "personal account not used (acct_used_flag 0)",
                "未使用个人账户（不使用个人账户支付）",
            )
            return AccountResult(ZERO, ZERO, ZERO, patient_total, claim.account_balance)
        found = _lookup(self.plan.rules, PERSONAL_ACCOUNT_SCOPE, self.patient, claim)
        if found is None:
            raise InvalidInput(
                "claim.account_balance",
                str(claim.account_balance),
                f"jurisdiction {self.plan.rules.code!r} has no personal-account rule ({PERSONAL_ACCOUNT_SCOPE})",
            )
        ref = self.ref(found, pct(found.value))
        share = to_fen(patient_total)
        outside = to_fen(claim.out_of_scope + claim.over_limit)
        n, k = formulas.rate_parts(found.value)
        payable = formulas.account_payable(share, outside, n, k)
        paid = formulas.least(payable, to_fen(claim.account_balance))
        aid = formulas.least(payable - paid, to_fen(claim.mutual_aid_balance or ZERO))
        self.line(
            "personal_account",
            from_fen(paid),
            "account may pay {0:,.2f} (in-scope share {1:,.2f} + {2} of {3:,.2f} outside the scope); balance {4:,.2f}",
            "个人账户可支付 {0:,.2f}（政策范围内个人负担 {1:,.2f} + 范围外费用 {3:,.2f} × {2}）；账户余额 {4:,.2f}",
            ref,
            args=(_Yuan(payable), _Yuan(share - outside), _Percent(found.value), _Yuan(outside), claim.account_balance),
        )
        if aid:
            self.line(
                "mutual_aid",
                from_fen(aid),
                "family mutual aid pays {0:,.2f} of the {1:,.2f} the own account could not",
                "家庭共济支付 {0:,.2f}（本人账户不足部分 {1:,.2f}）",
                args=(_Yuan(aid), _Yuan(payable - paid)),
            )
        return AccountResult(
            payable=from_fen(payable),
            account=from_fen(paid),
            mutual_aid=from_fen(aid),
            cash=patient_total - from_fen(paid + aid),
            balance=claim.account_balance - from_fen(paid),
        )

    def self_pay_line(self, in_scope: int, pool: int, owed: int) -> None:
        above_cap = in_scope - pool - owed
        self.line(
            "in_scope_self_pay",
            from_fen(owed),
            "in-scope {0:,.2f} − basic pool {1:,.2f}" + (" − large-amount subsidy {2:,.2f}" if above_cap else ""),
            "政策范围内费用 {0:,.2f} − 统筹基金支付 {1:,.2f}" + (" − 大额医疗补助 {2:,.2f}" if above_cap else ""),
            args=(self.claim.in_scope, _Yuan(pool), _Yuan(above_cap)),
        )

    def given_cap(self, given: GivenBasicPlan, pool: int, deductible: int) -> int:
        """A given pool against the year's cap: the cost above the cap it implies, in fen.

        Nothing is read while the year's pool stays below the cap. A pool above what remained
        of the cap is taken as given and flagged: the cap it was settled under is not this one,
        so no cost above the cap is implied. A pool that brings the year to the cap exactly is
        a pool the cap cut, as the engine would have cut it: where a benefit pays the cost above
        the cap, that cost is ``(in_scope − deductible) − pool ÷ ratio``, as for a computed pool.
        """
        assert given.cap is not None
        claim = self.claim
        cap = to_fen(given.cap.value)
        before = to_fen(self.acc.basic_pool)
        remained = max(cap - before, 0)
        if before + pool < cap:
            return 0
        args = (_Yuan(pool), _Yuan(remained), given.cap.value)
        if pool > remained:
            text = (
                "the given pool {0:,.2f} is above the {1:,.2f} that remained of the annual cap {2:,.2f}; taken as given"
            )
            self.warnings.append(text.format(*args))
            zh = "所给统筹支付 {0:,.2f} 超过年度最高支付限额 {2:,.2f} 的本年余额 {1:,.2f}；按所给结算"
            self.line("basic_pool", ZERO, text, zh, self.ref(given.cap), args=args)
            return 0
        text = "the given pool {0:,.2f} reaches the annual cap {2:,.2f}, of which {1:,.2f} remained"
        zh = "所给统筹支付 {0:,.2f} 达到年度最高支付限额 {2:,.2f}（本年尚余 {1:,.2f}）"
        self.line("basic_pool", ZERO, text, zh, self.ref(given.cap), args=args)
        if given.level_missing:
            raise InvalidInput(
                "claim.hospital_level",
                None,
                "required: the given pool reaches the annual cap, and the cost above the cap depends on"
                " the pool ratio of the hospital level",
            )
        if given.ratio is None:
            return 0
        ratio: Decimal = given.ratio.value
        n, k = formulas.rate_parts(ratio)
        in_scope = to_fen(claim.in_scope)
        applied = formulas.deductible_applied(in_scope, deductible)
        share = formulas.pool_share(in_scope, applied, n, k)
        over_cap: int = formulas.above_cap(in_scope - applied, pool, share, n, k)
        self.line(
            "basic_pool",
            ZERO,
            "cost above the annual cap implied by the given pool: ({0:,.2f} − {1:,.2f}) − {2:,.2f} ÷ {3} = {4:,.2f}",
            "所给统筹支付对应的超过年度最高支付限额的费用：（{0:,.2f} − {1:,.2f}）− {2:,.2f} ÷ {3} = {4:,.2f}",
            self.ref(given.ratio, pct(ratio)),
            args=(claim.in_scope, _Yuan(applied), _Yuan(pool), _Percent(ratio), _Yuan(over_cap)),
        )
        return over_cap

    def basic(self, basic: BasicPlan) -> tuple[int, int, int]:
        """Deductible, pool payment and cost above the annual cap, in fen."""
        claim, c = self.claim, self.compiled
        in_scope = to_fen(claim.in_scope)
        ratio: Decimal = basic.ratio.value
        n, k = c.ratio
        assert c.deductible_ref is not None
        assert c.ratio_ref is not None
        self.refs.append(c.deductible_ref)
        stay_paid = self.acc.stay_deductible(claim.treatment_id) if self.acc.open_stays else None
        if stay_paid is not None:  # a later part of a stay: what remains of its deductible
            remaining = max(c.deductible - to_fen(stay_paid), 0)
            deductible = formulas.deductible_applied(in_scope, remaining)
            self.line(
                "deductible",
                from_fen(deductible),
                "deductible {0:,.2f}, of which the interim settlements of stay {1} paid {2:,.2f}",
                "起付标准 {0:,.2f}，本次住院（{1}）中途结算已付 {2:,.2f}",
                c.deductible_ref,
                args=(basic.deductible.value, claim.treatment_id, stay_paid),
            )
        else:
            deductible = formulas.deductible_applied(in_scope, c.deductible)
            self.line(
                "deductible",
                from_fen(deductible),
                "deductible {0:,.2f} (at most the in-scope cost)",
                "起付标准 {0:,.2f}（不超过政策范围内费用）",
                c.deductible_ref,
                args=(basic.deductible.value,),
            )
        share = formulas.pool_share(in_scope, deductible, n, k)
        ratio_ref = c.ratio_ref
        self.refs.append(ratio_ref)
        if basic.cap is None:
            self.line(
                "basic_pool",
                from_fen(share),
                "({0:,.2f} − {1:,.2f}) × {2}, no annual cap",
                "（{0:,.2f} − {1:,.2f}）× {2}，无年度限额",
                ratio_ref,
                args=(claim.in_scope, _Yuan(deductible), _Percent(ratio)),
            )
            return deductible, share, 0
        cap = c.cap
        assert cap is not None
        assert c.cap_ref is not None
        paid_before = to_fen(self.acc.basic_pool)
        pool = formulas.within_cap(share, cap, paid_before)
        cap_ref = c.cap_ref
        self.refs.append(cap_ref)
        self.line(
            "basic_pool",
            from_fen(pool),
            "({0:,.2f} − {1:,.2f}) × {2} = {3:,.2f}, within the annual cap {4:,.2f} of which {5:,.2f} remained",
            "（{0:,.2f} − {1:,.2f}）× {2} = {3:,.2f}，年度最高支付限额 {4:,.2f}，本年尚余 {5:,.2f}",
            ratio_ref,
            cap_ref,
            args=(
                claim.in_scope,
                _Yuan(deductible),
                _Percent(ratio),
                _Yuan(share),
                basic.cap.value,
                _Yuan(max(cap - paid_before, 0)),
            ),
        )
        return deductible, pool, formulas.above_cap(in_scope - deductible, pool, share, n, k)

    def benefit(self, item: BenefitPlan, index: int, base_added: int, owed: int) -> tuple[BenefitResult, int]:
        """What the benefit pays on this claim (and the same in fen)."""
        compiled = self.compiled.benefits[index]
        assert compiled is not None
        assert item.schedule is not None
        benefit, schedule = item.benefit, item.schedule.value
        tiers, ref = compiled
        self.refs.append(ref)
        base_before_yuan = self.acc.bases[benefit.key]
        paid_before_yuan = self.acc.paid[benefit.key]
        base_before, paid_before = to_fen(base_before_yuan), to_fen(paid_before_yuan)
        target = formulas.annual(tiers, base_before + base_added)
        paid = formulas.benefit_payment(target, paid_before, owed)
        text = "{0}: annual base {1:,.2f} + {2:,.2f} = {3:,.2f}; {8:en}; F = {4:,.2f}, already paid {5:,.2f}"
        zh = "{7}：年度累计 {1:,.2f} + {2:,.2f} = {3:,.2f}；{8:zh}；按年度累计应付 {4:,.2f}，已付 {5:,.2f}"
        if paid < target - paid_before:  # what is owed in scope binds
            text += "; limited to the {6:,.2f} the patient still owes in scope"
            zh += "；以个人尚需负担的政策范围内费用 {6:,.2f} 为限"
        added_yuan, target_yuan, paid_yuan = from_fen(base_added), from_fen(target), from_fen(paid)
        args = (
            benefit.key,
            base_before_yuan,
            added_yuan,
            _Yuan(base_before + base_added),
            target_yuan,
            paid_before_yuan,
            _Yuan(owed),
            FUND_NAMES_ZH.get(benefit.component, benefit.component),
            _Breakdown(schedule, base_before + base_added, target),
        )
        self.line(benefit.component, paid_yuan, text, zh, ref, args=args)
        return BenefitResult(
            benefit.key,
            benefit.component,
            base_added=added_yuan,
            base_before=base_before_yuan,
            target=target_yuan,
            paid_before=paid_before_yuan,
            paid=paid_yuan,
        ), paid

    def combined_caps(self, results: list[BenefitResult], pool: int) -> list[BenefitResult]:
        for item in self.plan.caps:
            cap, found = item.cap, item.rate
            if found is None:
                continue
            claim_amounts: dict[str, int] = {"basic_pool": pool}
            for result in results:
                claim_amounts[result.component] = claim_amounts.get(result.component, 0) + to_fen(result.paid)
            year_in_scope = self.acc.in_scope + self.claim.in_scope
            n, k = formulas.rate_parts(found.value)
            limit = formulas.combined_limit(to_fen(year_in_scope), n, k)
            paid_year = sum(to_fen(self.acc.components[c]) for c in cap.components)
            paid_claim = sum(claim_amounts.get(c, 0) for c in cap.components)
            allowed = max(0, limit - paid_year)
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
                paid = to_fen(r.paid)
                if excess <= 0 or paid == 0:
                    continue
                cut = min(excess, paid)
                revised[i] = attrs.evolve(r, paid=from_fen(paid - cut))
                excess -= cut
                funds_zh = " + ".join(FUND_NAMES_ZH.get(c, c) for c in cap.components)
                self.line(
                    r.component,
                    -from_fen(cut),
                    f"{cap.id}: the year's {' + '.join(cap.components)} may not exceed {pct(found.value)}"
                    f" of the year's in-scope cost {fmt(year_in_scope)} = {fmt(from_fen(limit))};"
                    f" {r.key} cut by {fmt(from_fen(cut))}",
                    f"合计支付上限：本年{funds_zh}不超过年度政策范围内费用 {fmt(year_in_scope)} 的"
                    f" {pct(found.value)}，即 {fmt(from_fen(limit))}；{FUND_NAMES_ZH.get(r.component, r.component)}"
                    f"减少 {fmt(from_fen(cut))}",
                    ref,
                )
            results = revised
        return results


@functools.cache
def _shared_engine() -> Engine:
    return Engine.from_installed()


class _Yuan:
    """Whole fen shown as yuan when a line's text is formatted (``{1:,.2f}`` → ``1,234.50``)."""

    __slots__ = ("fen",)

    def __init__(self, fen: int) -> None:
        self.fen = fen

    def __format__(self, spec: str) -> str:
        return format(from_fen(self.fen), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Yuan) and other.fen == self.fen

    def __hash__(self) -> int:
        return hash(self.fen)


class _Breakdown:
    """How ``F`` of a year's base is made, tier by tier: ``{n:zh}`` or ``{n:en}`` in a line's text.

    ``threshold 20,000; 50,000 × 60% = 30,000; 5,000 × 65% = 3,250``, and the remaining annual
    maximum where the schedule has one.
    """

    __slots__ = ("base", "schedule", "target")

    def __init__(self, schedule: Schedule, base: int, target: int) -> None:
        self.schedule = schedule
        self.base = base
        self.target = target

    def __format__(self, spec: str) -> str:
        zh = spec == "zh"
        schedule, tiers = self.schedule, formulas.Tiers.of(self.schedule)
        sep = "；" if zh else "; "
        threshold = fmt(schedule.threshold, short=True)
        parts = [f"起付线 {threshold}" if zh else f"threshold {threshold}"]
        terms = formulas.band_parts(tiers, self.base)
        for part, n in terms:
            rate = Decimal(n).scaleb(-tiers.k)
            amount = formulas.at_rate(part, n, tiers.k)
            parts.append(f"{fmt(from_fen(part), short=True)} × {pct(rate)} = {fmt(from_fen(amount), short=True)}")
        if not terms:
            parts.append("未达起付线" if zh else "below the threshold")
        if schedule.cap is not None:
            left = fmt(max(schedule.cap - from_fen(self.target), ZERO), short=True)
            cap = fmt(schedule.cap, short=True)
            parts.append(f"年度最高支付 {cap}，尚余 {left}" if zh else f"annual maximum {cap}, {left} left")
        return sep.join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Breakdown) and (other.schedule, other.base) == (self.schedule, self.base)

    def __hash__(self) -> int:
        return hash((self.schedule, self.base))


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


def _lookup(rules: JurisdictionRules, name: str, patient: Patient, claim: Claim) -> Resolved[Any] | None:
    """The version of table ``name`` in force for the claim, or None (no table, no row)."""
    entry = rules.table(name)
    return None if entry is None else entry[1].lookup(entry[0], patient, claim)


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
        until=version.end.isoformat() if version.end is not None else None,
    )


def _show(value: Any) -> str:
    return fmt(value) if isinstance(value, Decimal) else str(value)
