"""Helpers for a jurisdiction plugin's own tests: an engine over named plugins, claims as mappings.

::

    from medinsure.testing import Harness, presettled, yuan

    dalian = Harness("dalian", plugins=("liaoning", "dalian"))

    def test_second_admission_crosses_the_threshold():
        s = dalian.settle({"id": "P1", "scheme": "resident"},
                          presettled("C1", "2021-03-15", pool=0, self_pay=15000),
                          presettled("C2", "2021-06-20", pool=0, self_pay=60000))
        assert s[-1].critical_illness == yuan(33250)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from medinsure.model import Claim, Patient
from medinsure.rules.registry import JurisdictionRules
from medinsure.rules.tables import Benefit, ParameterTable, Row
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement

__all__ = ["Harness", "presettled", "raw_costs", "yuan"]


def yuan(value: str | int | Decimal) -> Decimal:
    """An exact amount of yuan, as settlements hold them: ``yuan(33250) == Decimal("33250.00")``."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def presettled(claim_id: str, discharged: str, pool: str | int, self_pay: str | int, **extra: Any) -> dict[str, Any]:
    """An inpatient claim whose basic settlement was made elsewhere (pool and in-scope self-pay)."""
    return {
        "id": claim_id,
        "kind": "inpatient",
        "discharged": discharged,
        "basic": {"pool": pool, "in_scope_self_pay": self_pay},
        **extra,
    }


def raw_costs(claim_id: str, discharged: str, level: str, in_scope: str | int, **extra: Any) -> dict[str, Any]:
    """An inpatient claim with raw costs (total = in-scope cost unless ``total`` is given)."""
    return {
        "id": claim_id,
        "kind": "inpatient",
        "discharged": discharged,
        "hospital_level": level,
        "total": in_scope,
        "in_scope": in_scope,
        **extra,
    }


class Harness:
    """Jurisdiction ``code`` as the installed plugins ``plugins`` (default: every installed one) give it."""

    def __init__(self, code: str, *, plugins: Sequence[str] | None = None) -> None:
        self.code = code
        self.plugins = None if plugins is None else tuple(plugins)

    @functools.cached_property
    def engine(self) -> Engine:
        return Engine.from_installed() if self.plugins is None else Engine.from_installed(allow=self.plugins)

    @property
    def rules(self) -> JurisdictionRules:
        return self.engine.rules(self.code)

    def benefit(self, key: str) -> Benefit:
        """The benefit ``key`` in force for the jurisdiction."""
        return next(b for _, b in self.rules.benefits if b.key == key)

    def table(self, name: str) -> ParameterTable[Any]:
        """The table ``name``, wherever it is held (parameters, schedules, combined-cap rates)."""
        return self.rules.find_table(name)

    @staticmethod
    def row(table: ParameterTable[Any], label: str) -> Row[Any]:
        """The row of ``table`` with this label."""
        return next(r for r in table.rows if r.label == label)

    def settle(
        self, patient: Mapping[str, Any], *claims: Mapping[str, Any], engine: Engine | None = None
    ) -> list[Settlement]:
        """Settle claims given as scenario-file mappings, in order (with ``engine``, e.g. one with overrides)."""
        return (engine or self.engine).settle(
            Patient.from_mapping(patient), [Claim.from_mapping(c) for c in claims], jurisdiction=self.code
        )
