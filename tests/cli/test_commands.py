"""The command line's smaller commands: settle, plugins, rules, and a plugin module that cannot be imported."""

from __future__ import annotations

import json

from support import ARGS, TESTS, run, write

HERE = TESTS


GOOD = HERE / "cases" / "testland.yaml"


def test_settle_refuses_a_file_whose_claim_is_invalid(tmp_path):
    path = write(
        tmp_path,
        """\
        - name: before the rules
          jurisdiction: testland
          patient: {id: P1, scheme: resident}
          claims: [{id: C1, kind: inpatient, discharged: 2019-12-31, basic: {pool: 0, in_scope_self_pay: 100}}]
        """,
    )
    code, out, err = run("settle", *ARGS, str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"medinsure settle: {path}: case 'before the rules', claims[0]: jurisdiction 'testland', rule"
        " 'critical_illness.schedule[general]': no version in force on 2019-12-31: the first known value starts"
        " 2020-01-01\n"
    )


def test_settle_refuses_a_claim_id_given_twice_in_one_file():
    # the cases of a scenario file for `check` may reuse claim ids; a file settled whole may not
    code, _, err = run("settle", *ARGS, str(GOOD))
    assert code == 2
    assert "claims[0]: claim.id='C1': claim id given twice in one file (first at case 'resident, two" in err


def test_settle_prints_a_table_and_json():
    code, out, err = run("settle", *ARGS, str(HERE / "data" / "settle-example.yaml"))
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split()[:3] == ["claim", "patient", "year"]
    code, out, _ = run("settle", *ARGS, "--format", "json", str(HERE / "data" / "settle-example.yaml"))
    data = json.loads(out)
    assert [d["critical_illness"] for d in data] == ["0.00", "4812.00"]
    assert data[1]["fund_total"] == "25392.00"
    assert data[1]["plugin"] == "testplugin"


def test_plugins_and_rules_commands():
    code, out, _ = run("plugins", *ARGS)
    assert code == 0
    assert out.splitlines()[1].split() == ["testcity", "测试市", "testland", "testplugin", "9.9.9", "2020–2021", "2020"]
    code, out, _ = run("rules", *ARGS, "testcity")
    assert "basic.ratio (rate, defined by testland)" in out
    assert "UNVERIFIED" in out
    code, out, _ = run("rules", *ARGS, "testcity", "--format", "json")
    assert json.loads(out)["parent"] == "testland"
    code, _, err = run("rules", *ARGS, "atlantis")
    assert code == 2
    assert "unknown jurisdiction" in err


def test_unknown_plugin_module_is_exit_2():
    code, _, err = run("plugins", "--no-entry-points", "-p", "no_such_module")
    assert code == 2
    assert "--plugin 'no_such_module': cannot import" in err
