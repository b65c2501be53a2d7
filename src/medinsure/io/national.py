"""A settlement in the national medical-security platform's terms: ``setlinfo`` and ``setldetail``.

Hospital software already speaks the platform's settlement output (interfaces 2207 outpatient
and 2304 inpatient). :func:`national_record` gives a settlement in that form, so a hospital
system can put medinsure's result beside the platform's, field for field:

- ``setlinfo``: the identifiers (``mdtrt_id``, ``setl_id``, ``psn_no``, ``insutype``,
  ``psn_type``, ``med_type``, ``setl_time``, ``mid_setl_flag``) and every amount the model
  computes (:data:`SETLINFO_FIELDS`);
- ``setldetail``: one row per fund that applies, with its ``fund_pay_type`` and the steps of
  its calculation in Chinese (``setl_proc_info``).

Amounts are decimal strings with two decimals (``"1234.50"``), exact, never floats. A value
the model does not know is ``null``, never a made-up zero: a basic settlement made elsewhere
whose deductible was not given has ``act_pay_dedc: null``; the civil-servant and enterprise
supplementary funds (``cvlserv_pay``, ``hifes_pay``), which medinsure does not model, are null.

Where each medinsure fund lands (the documentation's "National fields and codes" page has the
whole mapping and the sources of the codes):

| medinsure | ``setlinfo`` | ``fund_pay_type`` |
| --- | --- | --- |
| ``basic_pool`` | ``hifp_pay`` | 310100 employees / 390100 residents |
| ``critical_illness`` of a resident | ``hifmi_pay`` | 390200 |
| ``critical_illness`` of an employee | ``hifob_pay`` (the employees' second layer) | 330100 |
| ``large_amount`` | ``hifob_pay`` | 330100 |
| ``burden_subsidy`` | ``oth_pay`` | 310100 (paid by the employees' basic insurance) |
| ``medical_assistance`` | ``maf_pay`` | 610100 |

Everything here is computed from a :class:`~medinsure.settlement.result.Settlement` alone, so
any path that yields settlements (a file, the ledger, a service) gives the same fields; the
batch path (:mod:`medinsure.research.batch`) yields amounts, not settlements, and has none.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from medinsure.io.codes import FUND_PAY_TYPES, label
from medinsure.money import ZERO, from_fen, to_fen
from medinsure.rules.names import FUNDS

if TYPE_CHECKING:
    from medinsure.settlement.result import Settlement

__all__ = [
    "NATIONAL_FIELDS",
    "SETLDETAIL_FIELDS",
    "SETLINFO_FIELDS",
    "derived_setl_id",
    "interface",
    "national_fields",
    "national_record",
    "psn_type",
    "setl_id",
    "setldetail",
    "setlinfo",
]

#: The identifiers of ``setlinfo``.
ID_FIELDS = ("mdtrt_id", "setl_id", "psn_no", "insutype", "psn_type", "med_type", "setl_time", "mid_setl_flag")
#: The amounts of ``setlinfo``, in the platform's order.
NATIONAL_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "pool_prop_selfpay",
    "cvlserv_pay",
    "hifes_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "hosp_part_amt",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "acct_mulaid_pay",
    "psn_cash_pay",
    "balc",
)
SETLINFO_FIELDS = ID_FIELDS + NATIONAL_FIELDS
SETLDETAIL_FIELDS = (
    "fund_pay_type",
    "fund_pay_type_name",
    "fund_payamt",
    "inscp_scp_amt",
    "crt_payb_lmt_amt",
    "setl_proc_info",
    "medinsure_fund",
)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def setl_id(settlement: Settlement) -> str:
    """The claim's ``setl_id`` as given, or a deterministic one.

    ``MS`` and 20 upper-case hex digits of the SHA-256 of jurisdiction, person and claim id:
    the same claim always gets the same id, and a ledger can find it again.
    """
    return settlement.claim.setl_id or derived_setl_id(
        settlement.jurisdiction, settlement.patient_id, settlement.claim.id
    )


def derived_setl_id(jurisdiction: str, person_id: str, claim_id: str) -> str:
    """The deterministic ``setl_id`` of a claim that gives none (see :func:`setl_id`)."""
    digest = hashlib.sha256(f"{jurisdiction}\x1f{person_id}\x1f{claim_id}".encode()).hexdigest()
    return "MS" + digest[:20].upper()


def interface(kind: str, step: str) -> str:
    """The platform interface of a ``step`` (``presettle``, ``settle``, ``reverse``) for a claim kind."""
    inpatient = kind == "inpatient"
    return {
        "presettle": "2303" if inpatient else "2206",
        "settle": "2304" if inpatient else "2207",
        "reverse": "2305" if inpatient else "2208",
    }[step]


def psn_type(settlement: Settlement) -> str | None:
    """The person type (人员类别): as given, else 11 / 12 for employees; None when not known.

    Residents' types (children and students 14xx, adults 15, the elderly 16) are split by rules
    medinsure does not know, so a resident's type is reported only when the input gives it.
    """
    patient = settlement.patient
    if patient is None:
        return None
    if patient.psn_type is not None:
        return patient.psn_type
    if patient.scheme == "employee":
        return label("status", patient.employee_status or "in_service", form="code")
    return None


def _med_type(settlement: Settlement) -> str | None:
    claim = settlement.claim
    if claim.kind == "inpatient" and claim.referral == "referred_out":
        return "23"
    return label("kind", claim.kind, form="code")


def _scheme(settlement: Settlement) -> str | None:
    return None if settlement.patient is None else settlement.patient.scheme


def _ratio(settlement: Settlement) -> str | None:
    """The basic pool's ratio for the claim (``pool_prop_selfpay``), from its rule version."""
    for ref in settlement.rules:
        if "/basic.ratio[" in ref.rule_id and ref.value.endswith("%"):
            return f"{Decimal(ref.value[:-1]) / 100:.4f}"
    return None


def _pool_limit(settlement: Settlement) -> str | None:
    """What the basic pool could still pay this year before the claim (``crt_payb_lmt_amt``)."""
    for ref in settlement.rules:
        if "/basic.pool_cap[" in ref.rule_id:
            cap = Decimal(ref.value.replace(",", ""))
            return _amount(max(cap - settlement.accumulator_before.basic_pool, ZERO))
    return None


def setlinfo(settlement: Settlement) -> dict[str, str | None]:
    """The platform's ``setlinfo`` for ``settlement``: identifiers, then amounts (strings or null)."""
    claim, amounts = settlement.claim, settlement.components
    scheme = _scheme(settlement)
    employee = scheme == "employee"
    deductible: Decimal | None = amounts["deductible"]
    if claim.basic is not None and claim.basic.deductible is None:
        deductible = None
    account = settlement.account
    patient_total = amounts["patient_total"]
    info: dict[str, str | None] = {
        "mdtrt_id": claim.treatment_id,
        "setl_id": setl_id(settlement),
        "psn_no": settlement.patient_id,
        "insutype": None if scheme is None else label("scheme", scheme, form="code"),
        "psn_type": psn_type(settlement),
        "med_type": _med_type(settlement),
        "setl_time": None,
        "mid_setl_flag": "1" if claim.mid_setl_flag else "0",
        "medfee_sumamt": _amount(claim.total),
        "fulamt_ownpay_amt": _amount(claim.out_of_scope),
        "overlmt_selfpay": _amount(claim.over_limit),
        "preselfpay_amt": _amount(claim.class_b_self_pay),
        "inscp_scp_amt": _amount(claim.in_scope),
        "act_pay_dedc": _amount(deductible),
        "hifp_pay": _amount(amounts["basic_pool"]),
        "pool_prop_selfpay": _ratio(settlement),
        "cvlserv_pay": None,
        "hifes_pay": None,
        "hifmi_pay": _amount(ZERO if employee else amounts["critical_illness"]),
        "hifob_pay": _amount(amounts["large_amount"] + (amounts["critical_illness"] if employee else ZERO)),
        "maf_pay": _amount(amounts["medical_assistance"]),
        "hosp_part_amt": _amount(ZERO),
        "oth_pay": _amount(amounts["burden_subsidy"]),
        "fund_pay_sumamt": _amount(amounts["fund_total"]),
        "psn_part_amt": _amount(patient_total),
        "acct_pay": _amount(ZERO if account is None else account.account),
        "acct_mulaid_pay": _amount(ZERO if account is None else account.mutual_aid),
        "psn_cash_pay": _amount(patient_total if account is None else account.cash),
        "balc": _amount(None if account is None else account.balance),
    }
    return info


def _fund(component: str, scheme: str | None) -> tuple[str, str]:
    """The ``fund_pay_type`` and its name for a medinsure fund."""
    employee = scheme == "employee"
    if component == "basic_pool":
        fund = FUND_PAY_TYPES["employee_pool" if employee else "resident_pool"]
        return fund.code, fund.zh
    if component == "critical_illness":
        fund = FUND_PAY_TYPES["employee_large_amount" if employee else "resident_critical_illness"]
        return fund.code, fund.zh + ("（职工大病保险）" if employee else "")
    if component == "large_amount":
        fund = FUND_PAY_TYPES["employee_large_amount"]
        return fund.code, fund.zh
    if component == "burden_subsidy":
        fund = FUND_PAY_TYPES["employee_pool"]
        return fund.code, fund.zh + "（个人负担过重补助）"
    fund = FUND_PAY_TYPES["medical_assistance"]
    return fund.code, fund.zh


def setldetail(settlement: Settlement) -> list[dict[str, str | None]]:
    """One row per fund that applies: the basic pool, then each fund with a line of its own."""
    scheme = _scheme(settlement)
    funds = ["basic_pool"]
    for line in settlement.lines:
        if line.component in FUNDS and line.component not in funds:
            funds.append(line.component)
    bases: dict[str, int] = {}
    for benefit in settlement.benefits:
        bases[benefit.component] = bases.get(benefit.component, 0) + to_fen(benefit.base_added)
    rows = []
    for component in funds:
        code, name = _fund(component, scheme)
        steps = [line.text_zh for line in settlement.lines if line.component == component and line.text_zh]
        if component == "basic_pool":
            steps = [line.text_zh for line in settlement.lines if line.component in ("deductible", "basic_pool")]
        rows.append(
            {
                "fund_pay_type": code,
                "fund_pay_type_name": name,
                "fund_payamt": _amount(settlement.components[component]),
                "inscp_scp_amt": _amount(
                    settlement.claim.in_scope if component == "basic_pool" else from_fen(bases.get(component, 0))
                ),
                "crt_payb_lmt_amt": _pool_limit(settlement) if component == "basic_pool" else None,
                "setl_proc_info": "；".join(steps) or None,
                "medinsure_fund": component,
            }
        )
    return rows


def national_record(settlement: Settlement) -> dict[str, Any]:
    """``{"setlinfo": {...}, "setldetail": [...]}``: the settlement in the platform's terms."""
    return {"setlinfo": setlinfo(settlement), "setldetail": setldetail(settlement)}


def national_fields(settlement: Settlement) -> dict[str, str | None]:
    """The ``setlinfo`` fields alone (identifiers and amounts), for flat output."""
    return setlinfo(settlement)
