"""medinsure: settle Chinese public medical-insurance claims exactly, with provenance.

The public face of the library::

    from medinsure import Engine, Patient, Claim
    engine = Engine.from_installed()
    settlements = engine.settle(patient, claims, jurisdiction="dalian")
    print(settlements[-1].explain())
"""

from __future__ import annotations

from medinsure.accumulator import Accumulator, Amounts
from medinsure.datapacks import RulePackPlugin
from medinsure.engine import Engine
from medinsure.errors import (
    InvalidInput,
    MedinsureError,
    PluginError,
    RuleError,
    RuleNotInForce,
    ScenarioError,
    UnknownJurisdiction,
)
from medinsure.hookapi import HOOK_API
from medinsure.hookspecs import hookimpl
from medinsure.model import BasicResult, Claim, Contribution, Patient
from medinsure.plugins import list_plugins, make_plugin_manager
from medinsure.rules import (
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
from medinsure.settlement import COMPONENTS, Settlement

__version__ = "0.1.0"

__all__ = [
    "COMPONENTS",
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
    "InvalidInput",
    "Match",
    "MedinsureError",
    "ParameterTable",
    "Patient",
    "PluginError",
    "Provenance",
    "Row",
    "RuleError",
    "RuleNotInForce",
    "RulePackPlugin",
    "ScenarioError",
    "Schedule",
    "Settlement",
    "Source",
    "Tier",
    "UnknownJurisdiction",
    "Version",
    "hookimpl",
    "list_plugins",
    "make_plugin_manager",
    "settle",
]


def __getattr__(name: str) -> object:
    """``medinsure.compare``: :func:`medinsure.research.compare`, imported on first use (research extra)."""
    if name == "compare":
        from medinsure.research import compare

        return compare
    raise AttributeError(f"module 'medinsure' has no attribute {name!r}")


def settle(
    patient: Patient, claims: list[Claim], *, jurisdiction: str, engine: Engine | None = None, **kw: object
) -> list[Settlement]:
    """Settle ``claims`` with ``engine`` (by default one over the installed plugins)."""
    engine = engine or Engine.from_installed()
    return engine.settle(patient, claims, jurisdiction=jurisdiction, **kw)  # type: ignore[arg-type]
