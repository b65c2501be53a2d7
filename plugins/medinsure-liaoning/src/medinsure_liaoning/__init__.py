"""Liaoning province (辽宁省): the provincial defaults of medinsure.

Basic inpatient insurance, the province-wide secondary reimbursement (critical-illness
insurance with its higher rates for the poor), the employees' large-amount subsidy and the
combined 95% maximum, with the eligibility rules every Liaoning city shares. Cities such as
Dalian and Yingkou build on this jurisdiction (``parent: liaoning``).

The rules are data: ``rules.yaml`` beside this module, every value with its dates, source and
verified flag. The hooks below only load it.
"""

from __future__ import annotations

from pathlib import Path

from medinsure import hookimpl
from medinsure.registry import RegistryScope

__all__ = [
    "MEDINSURE_HOOK_API",
    "RULE_PACK",
    "__version__",
    "medinsure_register_jurisdictions",
    "medinsure_register_rules",
]

__version__ = "0.1.0"

#: The versions of the medinsure hook API this plugin is written for.
MEDINSURE_HOOK_API = ">=1.0,<2"

#: The rule pack this plugin ships.
RULE_PACK = Path(__file__).with_name("rules.yaml")


@hookimpl
def medinsure_register_jurisdictions(registry: RegistryScope) -> None:
    """Declare the jurisdiction ``liaoning``."""
    registry.declare_from_rule_pack(RULE_PACK)


@hookimpl
def medinsure_register_rules(registry: RegistryScope) -> None:
    """Register the rules of ``liaoning`` from the rule pack."""
    registry.load_rule_pack_rules(RULE_PACK)
