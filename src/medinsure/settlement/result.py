"""The result of settling one claim: components, the lines that produced them, provenance.

Every line rests on the rule versions it names, and so has a *trust* (:data:`TRUST`):
``verified`` when every one of them is verified against its source and used within the dates
its source speaks for; ``carried_forward`` when one is used past those dates (such a line is
unverified for that claim whatever its source says); ``unverified`` when one is not verified;
``none`` when the line rests on no rule (an amount given with the claim, a refusal, a total).
:class:`TrustSummary` counts them for a settlement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from medinsure.errors import InvalidInput
from medinsure.model import Claim, Patient
from medinsure.money import ZERO
from medinsure.rules.names import COMPONENTS
from medinsure.rules.tables import Provenance
from medinsure.settlement.accumulator import Accumulator, Amounts, Delta

_CJK_TERMS = re.compile(r"[\u3400-\u9fff\uff08\uff09\u3001]+")

__all__ = ["TRUST", "AccountResult", "BenefitResult", "Line", "Refusal", "RuleRef", "Settlement", "TrustSummary"]

#: The trusts a line may have (see the module documentation).
TRUST = ("verified", "unverified", "carried_forward", "none")


@attrs.frozen
class RuleRef:
    """A rule version used for a settlement: which value, from which source."""

    rule_id: str
    version: str
    value: str
    provenance: Provenance
    carried_forward: bool = False
    #: The last date the source speaks for (``YYYY-MM-DD``), when the version states one.
    until: str | None = None

    @property
    def version_id(self) -> str:
        return f"{self.rule_id}@{self.version}"

    @property
    def verified(self) -> bool:
        """Verified for this claim: verified against its source and used within the source's dates."""
        return self.provenance.verified and not self.carried_forward

    def to_dict(self) -> dict[str, Any]:
        src = self.provenance.source
        return {
            "rule": self.rule_id,
            "version": self.version,
            "until": self.until,
            "value": self.value,
            "source": {
                "publication": src.publication,
                "document": src.document,
                "date": src.date.isoformat() if src.date else None,
                "url": src.url,
            },
            "verified": self.verified,
            "source_verified": self.provenance.verified,
            "note": self.provenance.note,
            "quote": self.provenance.quote,
            "carried_forward": self.carried_forward,
        }


@attrs.frozen(eq=False)
class Line:
    """One step of a settlement: the amount it gives a component and the rules behind it.

    The texts are formatted when read: ``template`` and ``template_zh`` are ``str.format``
    templates over ``args`` (plain texts when ``args`` is empty), so settling many claims does
    not pay for sheets nobody reads. Two lines are equal when their rendered texts are.
    """

    component: str
    amount: Decimal
    template: str
    rules: tuple[RuleRef, ...] = ()
    template_zh: str = ""
    args: tuple[Any, ...] = ()

    @property
    def text(self) -> str:
        """How the amount was computed, in English."""
        return self.template.format(*self.args) if self.args else self.template

    @property
    def text_zh(self) -> str:
        """How the amount was computed, in Chinese."""
        return self.template_zh.format(*self.args) if self.args else self.template_zh

    @property
    def trust(self) -> str:
        """``verified``, ``unverified``, ``carried_forward`` or ``none`` (see :data:`TRUST`)."""
        if not self.rules:
            return "none"
        if any(r.carried_forward for r in self.rules):
            return "carried_forward"
        if all(r.provenance.verified for r in self.rules):
            return "verified"
        return "unverified"

    def _key(self) -> tuple[Any, ...]:
        return (self.component, self.amount, self.text, self.rules, self.text_zh)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Line):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "amount": str(self.amount),
            "text": self.text,
            "text_zh": self.text_zh,
            "trust": self.trust,
            "rules": [r.to_dict() for r in self.rules],
        }


@attrs.frozen
class Refusal:
    """An eligibility rule that refused the claim (``applies_to="claim"``) or part of it."""

    rule_id: str
    applies_to: str | tuple[str, ...]
    reason: str
    provenance: Provenance
    #: The reason in Chinese ("" when the rule has none: :attr:`text_zh` falls back).
    reason_zh: str = ""

    @property
    def text_zh(self) -> str:
        """The reason for a Chinese reader: the Chinese reason, else the Chinese terms the English one names."""
        if self.reason_zh:
            return self.reason_zh
        terms = [t for t in _CJK_TERMS.findall(self.reason)]
        return "不符合待遇享受条件" + (f"（{'、'.join(terms)}）" if terms else "")

    def covers(self, target: str) -> bool:
        """Whether it refuses ``target``: ``basic``, a benefit key or a fund."""
        return self.applies_to == "claim" or (isinstance(self.applies_to, tuple) and target in self.applies_to)


@attrs.frozen
class BenefitResult:
    """What one benefit did for a claim: the base it added and what it paid."""

    key: str
    component: str
    base_added: Decimal
    base_before: Decimal
    target: Decimal
    paid_before: Decimal
    paid: Decimal


@attrs.frozen
class TrustSummary:
    """How many lines of a settlement rest on verified, unverified and carried-forward values.

    ``unverified`` counts every line resting on a value that is unverified or carried forward
    (a carried-forward value is unverified for the claim); ``carried_forward`` counts, among
    those, the lines resting on a carried-forward value; ``without_rule`` the lines resting on
    no rule (amounts given with the claim, refusals). ``refused_by_unverified`` counts the
    refusals made by an eligibility rule that is not verified.
    """

    lines: int
    verified: int
    unverified: int
    carried_forward: int
    without_rule: int
    refused_by_unverified: int = 0

    @property
    def verified_only(self) -> bool:
        """Whether every line with a rule rests on verified values used within their dates."""
        return self.unverified == 0 and self.refused_by_unverified == 0

    def to_dict(self) -> dict[str, int]:
        return attrs.asdict(self)


@attrs.frozen
class AccountResult:
    """How the patient's share was paid: personal account (个人账户), family mutual aid, cash.

    ``payable`` is what the account may pay of the share (a jurisdiction table decides whether
    the costs outside the policy scope count); ``account`` (``acct_pay``) and ``mutual_aid``
    (``acct_mulaid_pay``) are paid from the balances given, ``cash`` (``psn_cash_pay``) is the
    rest; ``balance`` (``balc``) is the account's balance afterwards, None when not given.
    """

    payable: Decimal
    account: Decimal
    mutual_aid: Decimal
    cash: Decimal
    balance: Decimal | None


@attrs.frozen
class Settlement:
    """A settled claim.

    ``components`` holds every component of the scenario contract (``deductible``,
    ``basic_pool``, ``in_scope_self_pay``, ``critical_illness``, ``burden_subsidy``,
    ``large_amount``, ``medical_assistance``, ``fund_total``, ``patient_total``); the amounts
    are also attributes (``settlement.basic_pool``). ``fund_total + patient_total == total``
    exactly. ``rule_versions`` lists every rule version used, ``carried_forward`` those used
    after the last date their source speaks for, ``trust`` counts the lines by the trust of
    their rules; ``warnings`` are facts about the input a reader should see (a basic settlement
    given above what the annual pool cap allows, say).
    """

    claim: Claim
    patient_id: str
    jurisdiction: str
    plugin: str
    plugin_version: str
    components: Amounts
    lines: tuple[Line, ...]
    refusals: tuple[Refusal, ...]
    benefits: tuple[BenefitResult, ...]
    rules: tuple[RuleRef, ...]
    accumulator_before: Accumulator
    accumulator_after: Accumulator
    delta: Delta
    overrides: tuple[str, ...] = ()
    #: The personal account and cash, when the claim gives an account (None: all in cash).
    account: AccountResult | None = None
    #: The insured person as settled (None only in records written before it was kept).
    patient: Patient | None = None
    warnings: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Decimal:
        if name in COMPONENTS:
            return self.components[name]
        raise AttributeError(name)

    def __getitem__(self, component: str) -> Decimal:
        if component not in COMPONENTS:
            raise KeyError(component)
        return self.components[component]

    @property
    def total(self) -> Decimal:
        return self.claim.total

    @property
    def eligible(self) -> bool:
        """False when an eligibility rule refused the whole claim."""
        return not any(r.applies_to == "claim" for r in self.refusals)

    @property
    def rule_versions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.version_id for r in self.rules))

    @property
    def carried_forward(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.version_id for r in self.rules if r.carried_forward))

    @property
    def carried_forward_refs(self) -> tuple[RuleRef, ...]:
        """The rule versions used past the last date their source speaks for, each once."""
        return tuple({r.version_id: r for r in self.rules if r.carried_forward}.values())

    @property
    def trust(self) -> TrustSummary:
        """The lines counted by the trust of the rules they rest on (see :class:`TrustSummary`)."""
        counts = dict.fromkeys(TRUST, 0)
        for line in self.lines:
            counts[line.trust] += 1
        return TrustSummary(
            lines=len(self.lines),
            verified=counts["verified"],
            unverified=counts["unverified"] + counts["carried_forward"],
            carried_forward=counts["carried_forward"],
            without_rule=counts["none"],
            refused_by_unverified=sum(1 for r in self.refusals if not r.provenance.verified),
        )

    def amounts(self) -> dict[str, Decimal]:
        """Every component of the contract, zero where nothing was paid."""
        paid = dict(self.components.items_)
        return {name: paid.get(name, ZERO) for name in COMPONENTS}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: amounts as decimal strings."""
        return {
            "claim_id": self.claim.id,
            "patient_id": self.patient_id,
            "jurisdiction": self.jurisdiction,
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "year": self.claim.year,
            "total": str(self.claim.total),
            **{name: str(value) for name, value in self.amounts().items()},
            "eligible": self.eligible,
            "refusals": [
                {"rule": r.rule_id, "reason": r.reason, "verified": r.provenance.verified, "quote": r.provenance.quote}
                for r in self.refusals
            ],
            "lines": [line.to_dict() for line in self.lines],
            "rule_versions": list(self.rule_versions),
            "carried_forward": list(self.carried_forward),
            "trust": self.trust.to_dict(),
            "warnings": list(self.warnings),
            "overrides": list(self.overrides),
            "accumulator_before": self.accumulator_before.to_dict(),
            "accumulator_after": self.accumulator_after.to_dict(),
        }

    def __repr__(self) -> str:
        return (
            f"<Settlement claim {self.claim.id!r} of {self.patient_id!r}, {self.jurisdiction}"
            f" ({self.plugin} {self.plugin_version}): total {self.claim.total}, funds {self.components['fund_total']},"
            f" patient {self.components['patient_total']}>"
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the amounts, the lines that produced them and the rule versions."""
        from html import escape

        from medinsure.money import fmt

        amounts = "".join(
            f"<tr><td>{name}</td><td style='text-align:right'>{fmt(value)}</td></tr>"
            for name, value in self.amounts().items()
        )
        lines = "".join(
            f"<tr><td>{escape(line.component)}</td><td style='text-align:right'>{fmt(line.amount)}</td>"
            f"<td>{escape(line.text)}</td></tr>"
            for line in self.lines
        )
        refused = "".join(f"<li>refused: {escape(r.reason)}</li>" for r in self.refusals)
        overrides = f"; overridden tables: {escape(', '.join(self.overrides))}" if self.overrides else ""
        return (
            f"<div><p><b>Claim {escape(self.claim.id)}</b> of {escape(self.patient_id)}, "
            f"{escape(self.jurisdiction)} ({escape(self.plugin)} {escape(self.plugin_version)}), "
            f"year {self.claim.year}: total {fmt(self.claim.total)} yuan{overrides}</p><ul>{refused}</ul>"
            f"<table><tr><th>component</th><th>yuan</th></tr>{amounts}</table>"
            f"<details><summary>{len(self.lines)} lines, {len(self.rule_versions)} rule versions</summary>"
            f"<table><tr><th>component</th><th>yuan</th><th>how</th></tr>{lines}</table>"
            f"<p>{escape(', '.join(self.rule_versions))}</p></details></div>"
        )

    def applied_to(self, accumulator: Accumulator) -> Accumulator:
        """``accumulator`` after this claim; it must be the state the claim was settled against."""
        if accumulator != self.accumulator_before:
            raise InvalidInput(
                "accumulator",
                f"{accumulator.person_id}/{accumulator.year}",
                f"settlement of claim {self.claim.id!r} was computed against a different accumulator state",
            )
        return accumulator.plus(self.delta)

    def explain(self, *, lang: str = "en", copy: str = "audit", names: Mapping[str, str] | None = None) -> str:
        """The settlement sheet as text (:func:`medinsure.io.sheets.render_text`, ids shown).

        ``copy`` is ``audit`` (every step, rule and source) or ``patient``; ``names`` maps
        jurisdiction codes to the names a Chinese sheet shows (``{"dalian": "大连市"}``).
        """
        from medinsure.io.sheets import render_text

        return render_text(self, lang=lang, mask=False, copy=copy, names=names)
