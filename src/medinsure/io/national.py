"""The national medical-insurance settlement platform's field names.

Hospital software already speaks the platform's settlement output (结算信息). With
``--national-fields`` each settlement also carries these fields, so a hospital system can put
its own result beside the platform's:

| platform field | meaning | medinsure |
| --- | --- | --- |
| ``medfee_sumamt`` | 医疗费总额, total cost | ``total`` |
| ``fulamt_ownpay_amt`` | 全自费金额, out-of-scope cost | ``total − in_scope − class_b_self_pay`` |
| ``preselfpay_amt`` | 先行自付金额, class-B first self-pay | ``class_b_self_pay`` |
| ``inscp_scp_amt`` | 符合政策范围金额, in-scope cost | ``in_scope`` |
| ``act_pay_dedc`` | 实际支付起付线, deductible paid | ``deductible`` |
| ``hifp_pay`` | 基本医疗保险统筹基金支出 | ``basic_pool`` |
| ``hifmi_pay`` | 居民大病保险资金支出 | ``critical_illness`` |
| ``hifob_pay`` | 职工大额医疗费用补助基金支出 | ``large_amount`` |
| ``maf_pay`` | 医疗救助基金支出 | ``medical_assistance`` |
| ``oth_pay`` | 其他支出 | ``burden_subsidy`` (the platform has no field of its own for it) |
| ``fund_pay_sumamt`` | 基金支付总额 | ``fund_total`` |
| ``psn_part_amt`` | 个人负担总金额 | ``patient_total`` |
| ``acct_pay`` | 个人账户支出 | ``0.00`` (medinsure does not model the personal account) |
| ``psn_cash_pay`` | 个人现金支出 | ``patient_total`` (all of it, since the account is not modelled) |
"""

from __future__ import annotations

from decimal import Decimal

from medinsure.money import ZERO
from medinsure.settlement.result import Settlement

__all__ = ["NATIONAL_FIELDS", "national_fields"]

NATIONAL_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
)


def national_fields(settlement: Settlement) -> dict[str, Decimal]:
    """The platform's fields for ``settlement`` (see the table in this module's docs)."""
    claim = settlement.claim
    return {
        "medfee_sumamt": claim.total,
        "fulamt_ownpay_amt": claim.out_of_scope,
        "preselfpay_amt": claim.class_b_self_pay,
        "inscp_scp_amt": claim.in_scope,
        "act_pay_dedc": settlement.deductible,
        "hifp_pay": settlement.basic_pool,
        "hifmi_pay": settlement.critical_illness,
        "hifob_pay": settlement.large_amount,
        "maf_pay": settlement.medical_assistance,
        "oth_pay": settlement.burden_subsidy,
        "fund_pay_sumamt": settlement.fund_total,
        "psn_part_amt": settlement.patient_total,
        "acct_pay": ZERO,
        "psn_cash_pay": settlement.patient_total,
    }
