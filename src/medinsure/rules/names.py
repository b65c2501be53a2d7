"""The names rules, the engine and every output share: tables, funds, components, bases.

A jurisdiction may register tables of any name; the engine reads the ones below by name, so
each has a fixed kind that the registry checks when a plugin registers it (a ``basic.ratio``
of kind ``amount`` is refused, not discovered at the first claim).
"""

from __future__ import annotations

__all__ = [
    "BASES",
    "BASIC_DEDUCTIBLE",
    "BASIC_POOL_CAP",
    "BASIC_RATIO",
    "COMPONENTS",
    "COVERAGE_LAPSE_WAITING",
    "COVERAGE_START_DELAY",
    "FEES_CLASS_B_RATIO",
    "FUNDS",
    "FUND_NAMES_ZH",
    "PERSONAL_ACCOUNT_SCOPE",
    "TABLE_KINDS",
]

#: Deductible per claim (起付标准), an amount.
BASIC_DEDUCTIBLE = "basic.deductible"
#: Share of the in-scope cost above the deductible that the basic pool pays, a rate.
BASIC_RATIO = "basic.ratio"
#: The basic pool's annual maximum per person (统筹基金年度最高支付限额), an amount.
BASIC_POOL_CAP = "basic.pool_cap"
#: Months from a first payment to the start of coverage (built-in check ``insured``).
COVERAGE_START_DELAY = "coverage.start_delay_months"
#: Months of observation after paying again following an interruption, from the payment (``insured``).
COVERAGE_LAPSE_WAITING = "coverage.lapse_waiting_months"

#: Default class-B first self-pay ratio (乙类先行自付比例) of a fee line that gives none, a rate.
FEES_CLASS_B_RATIO = "fees.class_b_self_pay_ratio"
#: Share of the costs outside the policy scope (全自费, 超限价) that the personal account may pay,
#: a rate: 0 when the account pays the in-scope self-pay only, 1 when it pays the whole share.
PERSONAL_ACCOUNT_SCOPE = "personal_account.outside_scope_share"

#: The kind of each table the core reads by name.
TABLE_KINDS: dict[str, str] = {
    BASIC_DEDUCTIBLE: "amount",
    BASIC_RATIO: "rate",
    BASIC_POOL_CAP: "amount",
    COVERAGE_START_DELAY: "months",
    COVERAGE_LAPSE_WAITING: "months",
    FEES_CLASS_B_RATIO: "rate",
    PERSONAL_ACCOUNT_SCOPE: "rate",
}

#: The funds that pay a claim; a benefit pays into one of them (``basic_pool`` excepted).
FUNDS = ("basic_pool", "critical_illness", "burden_subsidy", "large_amount", "medical_assistance")

#: Each fund's Chinese name, for explanation lines and settlement sheets.
FUND_NAMES_ZH = {
    "basic_pool": "基本医疗保险统筹基金",
    "critical_illness": "大病保险",
    "burden_subsidy": "个人负担过重补助",
    "large_amount": "大额医疗费用补助",
    "medical_assistance": "医疗救助",
}

#: The components of a settlement, named as in the scenario-file contract: the funds, and the
#: deductible, the in-scope self-pay and the two totals.
COMPONENTS = (
    "deductible",
    "basic_pool",
    "in_scope_self_pay",
    "critical_illness",
    "burden_subsidy",
    "large_amount",
    "medical_assistance",
    "fund_total",
    "patient_total",
)

#: What a benefit's annual function is applied to, in the order the stages are settled: the
#: cost above the basic pool's cap, the in-scope self-pay, what the patient still owes.
BASES = ("over_cap", "self_pay", "residual")
