from __future__ import annotations

from decimal import Decimal
from typing import Any

from medinsure import Claim, Patient


def D(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def patient(**kw: Any) -> Patient:
    data: dict[str, Any] = {"id": "P1", "scheme": "resident"}
    data.update(kw)
    return Patient.from_mapping(data)


_counter = iter(range(10**9))


def claim(**kw: Any) -> Claim:
    data: dict[str, Any] = {
        "id": f"C{next(_counter)}",
        "kind": "inpatient",
        "discharged": "2020-06-15",
        "hospital_level": "tertiary",
    }
    data.update(kw)
    if "total" not in data and "basic" not in data:
        data["total"] = data["in_scope"]
    return Claim.from_mapping(data)


def presettled(self_pay: str | int, pool: str | int = 0, **kw: Any) -> Claim:
    return claim(basic={"pool": str(pool), "in_scope_self_pay": str(self_pay)}, **kw)
