"""A test-only plugin: the invented jurisdictions ``testland`` and its child ``testcity``."""

from __future__ import annotations

from pathlib import Path

from medinsure import hookimpl
from medinsure.rules.registry import RegistryScope

__version__ = "9.9.9"

DATA = Path(__file__).parent / "data"
PACKS = (DATA / "testland.yaml", DATA / "testcity.yaml")


@hookimpl
def medinsure_register_jurisdictions(registry: RegistryScope) -> None:
    for pack in PACKS:
        registry.declare_from_rule_pack(pack)


@hookimpl
def medinsure_register_rules(registry: RegistryScope) -> None:
    for pack in PACKS:
        registry.load_rule_pack_rules(pack)
