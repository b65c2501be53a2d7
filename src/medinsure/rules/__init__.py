"""Rules as data: dated tables with provenance, rule packs, the registry plugins fill, reforms.

- :mod:`.tables`: :class:`Source`, :class:`Provenance`, :class:`Version`, :class:`Match`,
  :class:`Row`, :class:`ParameterTable`, :class:`Schedule`, :class:`Benefit`,
  :class:`CombinedCap`, :class:`EligibilityRule` — what a jurisdiction is made of;
- :mod:`.names`: the table, fund and component names the engine and outputs share;
- :mod:`.eligibility`: the built-in eligibility checks a rule pack may name;
- :mod:`.rulepack`: a jurisdiction's rules as one YAML or JSON file;
- :mod:`.registry`: what plugins register, and the merged rules of a jurisdiction;
- :mod:`.reforms`: what-if changes to any value;
- :mod:`.describe` and :mod:`.pages`: the rules as data, text and Markdown.
"""

from __future__ import annotations

from medinsure.rules.reforms import Reform
from medinsure.rules.registry import JurisdictionRules, Registry, RegistryScope
from medinsure.rules.rulepack import RulePack, read_rule_pack
from medinsure.rules.tables import (
    Benefit,
    CombinedCap,
    EligibilityRule,
    Jurisdiction,
    Match,
    ParameterTable,
    Provenance,
    Resolved,
    Row,
    RuleContext,
    Schedule,
    Source,
    Tier,
    Version,
)

__all__ = [
    "Benefit",
    "CombinedCap",
    "EligibilityRule",
    "Jurisdiction",
    "JurisdictionRules",
    "Match",
    "ParameterTable",
    "Provenance",
    "Reform",
    "Registry",
    "RegistryScope",
    "Resolved",
    "Row",
    "RuleContext",
    "RulePack",
    "Schedule",
    "Source",
    "Tier",
    "Version",
    "read_rule_pack",
]
