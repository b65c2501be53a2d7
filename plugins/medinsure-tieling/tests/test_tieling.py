"""Tests of medinsure-tieling: the medinsure conformance suite, the entry point, the continuity rule.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

from decimal import Decimal
from importlib import metadata
from pathlib import Path

from medinsure import Engine, list_plugins, make_plugin_manager
from medinsure.testing import conformance_tests

CODE = "tieling"
LEVELS = ("tertiary", "secondary", "primary", "community")

# rule data valid, provenance on every value, scenario files passing, and the core properties
# (conservation, monotonicity, split-invariance, caps) under hypothesis for tieling's rules
TestConformance = conformance_tests(CODE)


def test_found_through_its_entry_point_on_top_of_liaoning() -> None:
    pm = make_plugin_manager(allow=["liaoning", CODE])
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == ("liaoning",)
    assert info.version == metadata.version("medinsure-tieling")
    rules = Engine.from_installed(allow=["liaoning", CODE]).rules(CODE)
    assert [j.code for j in rules.chain] == [CODE, "liaoning"]
    assert rules.table("basic.ratio")[0] == CODE
    assert rules.table("basic.deductible")[0] == "liaoning"


def test_the_continuity_rows_are_five_points_above_the_resident_rows_and_come_first() -> None:
    table = Engine.from_installed(allow=["liaoning", CODE]).rules(CODE).find_table("basic.ratio")
    labels = [row.label for row in table.rows]
    for level in LEVELS:
        bonus = labels.index(f"residents, first tier, 6+ continuous years, {level}")
        general = labels.index(f"residents {level}")
        assert bonus < general, level
        bonus_row, general_row = table.rows[bonus], table.rows[general]
        assert bonus_row.when.service_years_min == 6
        assert bonus_row.when.categories == frozenset({"resident_first_tier"})
        assert bonus_row.versions[-1].value - general_row.versions[-1].value == Decimal("0.05"), level
        assert Decimal("0.60") <= general_row.versions[-1].value <= Decimal("0.70"), level


def test_the_rule_pack_states_its_format_and_is_the_whole_package() -> None:
    package = Path(__file__).parent.parent / "src" / "medinsure_tieling"
    assert [p.name for p in package.iterdir() if p.name != "__pycache__"] == ["rules.yaml"]
    assert "format: medinsure-rule-pack/1" in (package / "rules.yaml").read_text(encoding="utf-8")


def test_years_of_service_from_a_csv_column_reach_the_continuity_rows(tmp_path) -> None:
    import pandas as pd

    from medinsure.io.records import read_records, settle_records
    from medinsure.research import settle_frame

    path = tmp_path / "claims.csv"
    path.write_text(
        "jurisdiction,patient_id,scheme,categories,service_years,claim_id,kind,discharged,hospital_level,total,in_scope\n"
        "tieling,P1,resident,,,C1,inpatient,2025-03-10,tertiary,20000,20000\n"
        "tieling,P2,resident,resident_first_tier,6,C2,inpatient,2025-03-10,tertiary,20000,20000\n"
        "tieling,P3,resident,resident_first_tier,5,C3,inpatient,2025-03-10,tertiary,20000,20000\n",
        encoding="utf-8",
    )
    engine = Engine.from_installed(allow=["liaoning", CODE])
    # (20,000 − 1,000) × 60%; with six continuous years in the first tier × 65%; five are not enough
    expected = [Decimal("11400.00"), Decimal("12350.00"), Decimal("11400.00")]
    assert [s.components["basic_pool"] for s in settle_records(engine, read_records(path))] == expected
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(settle_frame(frame, engine=engine)["basic_pool_fen"]) == [1_140_000, 1_235_000, 1_140_000]
