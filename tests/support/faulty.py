"""A test-only plugin whose rules fail with an unexpected error: ``faultland``, a child of testland.

Its eligibility check raises a ``RuntimeError`` naming the patient, as a plugin's own code
might: the service must answer 500 without the error's text and log it with the id masked.
"""

from __future__ import annotations

from typing import Any

from medinsure import hookimpl
from medinsure.rules.tables import EligibilityRule, Provenance, Source


def _check(ctx: Any) -> bool:
    raise RuntimeError(f"the check broke on patient {ctx.patient.id}")


@hookimpl
def medinsure_register_jurisdictions(registry: Any) -> None:
    registry.add_jurisdiction("faultland", "故障", parent="testland")


@hookimpl
def medinsure_register_rules(registry: Any) -> None:
    registry.add_eligibility(
        "faultland",
        EligibilityRule(
            id="broken",
            check=_check,
            reason="never given",
            provenance=Provenance(Source("invented", "medinsure tests"), True),
        ),
    )
