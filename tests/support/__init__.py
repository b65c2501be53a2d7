"""Helpers shared by the core's tests: the test-only engine, claims and patients, the CLI in process.

The core's tests settle the invented jurisdictions of ``testplugin`` (``testland`` and its
child ``testcity``), never the installed plugins.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import textwrap
import types
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import testplugin
from medinsure import Claim, EligibilityRule, Engine, Patient, Provenance, RulePackPlugin, Schedule, Source, hookimpl
from medinsure.cli import main
from medinsure.plugins.kit import new_plugin

TESTS = Path(__file__).parent.parent
DATA = TESTS / "data"
CASES = TESTS / "cases"
#: The command-line options that load the test-only plugin and nothing else.
ARGS = ["--no-entry-points", "-p", "testplugin"]


@functools.cache
def testland_engine() -> Engine:
    """An engine over the test-only plugin alone."""
    return Engine.from_plugins(testplugin)


def D(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def as_json(value: Any) -> Any:
    """A file's data as JSON would carry it: dates as text, exact decimals as text or integers."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


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


def child_pack(**sections: Any) -> dict[str, Any]:
    """A rule pack of a child of testland, with the given sections."""
    pack: dict[str, Any] = {
        "jurisdiction": {"code": "child", "name": "子", "parent": "testland"},
        "sources": {"s": {"publication": "test"}},
    }
    pack.update(sections)
    return pack


def decimal_annual(schedule: Schedule, base: Decimal) -> Decimal:
    """``F(base)`` computed in Decimal yuan, apart from the engine's integer formulas."""
    measured = base - schedule.threshold if schedule.basis == "above_threshold" else base
    total = Decimal(0)
    for tier in schedule.tiers:
        top = measured if tier.end is None else min(measured, tier.end)
        if top > tier.start:
            total += (top - tier.start) * tier.rate
    value = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value if schedule.cap is None else min(value, schedule.cap)


def run(*argv: str) -> tuple[int, str, str]:
    """The command line, in this process: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    """``text`` (dedented) as a file of ``tmp_path``."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pack_plugin(pack: dict[str, Any], name: str = "packplugin") -> types.ModuleType:
    """A code plugin (a module with the two hooks) registering the rule pack ``pack``."""
    module = types.ModuleType(name)

    @hookimpl
    def medinsure_register_jurisdictions(registry: Any) -> None:
        registry.declare_from_rule_pack(pack)

    @hookimpl
    def medinsure_register_rules(registry: Any) -> None:
        registry.load_rule_pack_rules(pack)

    module.medinsure_register_jurisdictions = medinsure_register_jurisdictions  # type: ignore[attr-defined]
    module.medinsure_register_rules = medinsure_register_rules  # type: ignore[attr-defined]
    return module


class CheckPlugin:
    """``checkland``, a child of testland whose eligibility check is Python code: ``check``, which
    returns or raises what a test gives it (a claim it answers False for is refused)."""

    __name__ = "checkplugin"

    def __init__(self, check: Any) -> None:
        self.check = check

    @hookimpl
    def medinsure_register_jurisdictions(self, registry: Any) -> None:
        registry.add_jurisdiction("checkland", "核查", parent="testland")

    @hookimpl
    def medinsure_register_rules(self, registry: Any) -> None:
        registry.add_eligibility(
            "checkland",
            EligibilityRule(
                id="custom",
                check=self.check,
                reason="refused by the custom check",
                provenance=Provenance(Source("s", "medinsure tests"), True),
            ),
        )


def generated(tmp_path: Path, code: str, **kw: Any) -> tuple[RulePackPlugin, list[Path]]:
    """A package made by ``medinsure new-plugin`` (values of 2021), as a plugin, and its files."""
    root = tmp_path / code
    files = new_plugin(code, f"{code} 市", directory=root, year=2021, **kw)
    return RulePackPlugin(root / "src" / f"medinsure_{code}" / "rules.yaml", code), files


def run_all(cls: type) -> None:
    """Run every test of a class made by ``conformance_tests``."""
    instance = cls()
    for name in sorted(n for n in dir(cls) if n.startswith("test_")):
        getattr(instance, name)()
