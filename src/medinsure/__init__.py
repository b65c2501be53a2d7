"""medinsure: settle Chinese public medical-insurance claims exactly, with provenance.

The public face of the library::

    from medinsure import Engine, Patient, Claim
    engine = Engine.from_installed()
    settlements = engine.settle(patient, claims, jurisdiction="dalian")
    print(settlements[-1].explain())

The package is laid out in the order data flows: :mod:`medinsure.model` (the input model),
:mod:`medinsure.rules` (tables, rule packs, registry, reforms), :mod:`medinsure.settlement`
(plan, formulas, engine, accumulator, result), :mod:`medinsure.io` (files in and out) and
:mod:`medinsure.cli`; beside them :mod:`medinsure.plugins` (the host and the kit),
:mod:`medinsure.ledger`, :mod:`medinsure.research` (the research extra) and
:mod:`medinsure.testing` (the conformance suite for plugins).
"""

from __future__ import annotations

from medinsure.errors import (
    InputError,
    InvalidInput,
    MedinsureError,
    PluginError,
    RuleError,
    RuleNotInForce,
    ScenarioError,
    StrictRefusal,
    UnknownJurisdiction,
)
from medinsure.model import BasicResult, Claim, Contribution, FeeLine, Patient
from medinsure.plugins.discovery import RulePackPlugin
from medinsure.plugins.hooks import HOOK_API, hookimpl
from medinsure.plugins.host import list_plugins, make_plugin_manager
from medinsure.rules.names import COMPONENTS, FUNDS
from medinsure.rules.reforms import Reform
from medinsure.rules.registry import JurisdictionRules, RegistryScope
from medinsure.rules.tables import (
    Benefit,
    CombinedCap,
    EligibilityRule,
    Match,
    ParameterTable,
    Provenance,
    Row,
    Schedule,
    Source,
    Tier,
    Version,
)
from medinsure.settlement.accumulator import Accumulator, Amounts
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement

__version__ = "0.1.0"

__all__ = [
    "COMPONENTS",
    "FUNDS",
    "HOOK_API",
    "Accumulator",
    "Amounts",
    "BasicResult",
    "Benefit",
    "Claim",
    "CombinedCap",
    "Contribution",
    "EligibilityRule",
    "Engine",
    "FeeLine",
    "InputError",
    "InvalidInput",
    "JurisdictionRules",
    "Match",
    "MedinsureError",
    "ParameterTable",
    "Patient",
    "PluginError",
    "Provenance",
    "Reform",
    "RegistryScope",
    "Row",
    "RuleError",
    "RuleNotInForce",
    "RulePackPlugin",
    "ScenarioError",
    "Schedule",
    "Settlement",
    "Source",
    "StrictRefusal",
    "Tier",
    "UnknownJurisdiction",
    "Version",
    "hookimpl",
    "list_plugins",
    "make_plugin_manager",
    "settle",
]


def __getattr__(name: str) -> object:
    """``medinsure.compare``: :func:`medinsure.research.comparison`, imported on first use (research extra)."""
    if name == "compare":
        from medinsure.research.comparison import compare

        return compare
    raise AttributeError(f"module 'medinsure' has no attribute {name!r}")


def settle(
    patient: Patient, claims: list[Claim], *, jurisdiction: str, engine: Engine | None = None, **kw: object
) -> list[Settlement]:
    """Settle ``claims`` with ``engine`` (by default one over the installed plugins)."""
    engine = engine or Engine.from_installed()
    return engine.settle(patient, claims, jurisdiction=jurisdiction, **kw)  # type: ignore[arg-type]
