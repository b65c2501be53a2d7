"""`medinsure settle` through the batch path: amounts-only outputs and Parquet, equal to the scalar path."""

from __future__ import annotations

import csv
import io
import json

import pytest

from support import ARGS, DATA, run

pd = pytest.importorskip("pandas")
pq = pytest.importorskip("pyarrow.parquet")

from medinsure.research import batch  # noqa: E402
from medinsure.research.frames import read_frame, write_frame  # noqa: E402

CSV = DATA / "settle-example.csv"
YAML = DATA / "settle-example-2.yaml"  # the same claims as a scenario file: always the scalar path


@pytest.fixture
def batch_calls(monkeypatch):
    calls = []
    real = batch.settle_frame

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "settle_frame", counting)
    return calls


def test_table_from_the_batch_path_equals_the_scalar_table(batch_calls):
    code, from_csv, err = run("settle", *ARGS, str(CSV))
    assert (code, err) == (0, "")
    assert batch_calls == [1]
    code, from_yaml, _ = run("settle", *ARGS, str(YAML))
    assert from_csv == from_yaml
    assert "4,812.00" in from_csv.splitlines()[2]  # C2's critical illness


def test_amounts_only_csv_and_json_equal_the_full_outputs(batch_calls):
    code, out, err = run("settle", *ARGS, "--format", "csv", "--amounts-only", str(CSV))
    assert (code, err) == (0, "")
    assert batch_calls == [1]
    fast = list(csv.DictReader(io.StringIO(out)))
    _, full_out, _ = run("settle", *ARGS, "--format", "csv", str(YAML))
    full = list(csv.DictReader(io.StringIO(full_out)))
    assert list(fast[0]) == ["claim_id", "patient_id", "jurisdiction", "year", "total", *list(full[0])[5:14], "plugin"]
    for a, b in zip(fast, full, strict=True):
        assert {k: a[k] for k in a} == {k: b[k] for k in a}
    assert fast[1]["critical_illness"] == "4812.00"
    code, out, err = run("settle", *ARGS, "--format", "json", "--amounts-only", str(CSV))
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert [r["claim_id"] for r in records] == ["C1", "C2", "D1", "D2"]
    assert records[2]["year"] == 2021
    assert records[3]["basic_pool"] == "6000.00"


def test_parquet_in_and_out(tmp_path, batch_calls):
    source = tmp_path / "claims.parquet"
    write_frame(read_frame(CSV), source)
    # scalar outputs read Parquet as well (JSON with lines), equal to the CSV's
    code, out, err = run("settle", *ARGS, "--format", "json", str(source))
    assert (code, err) == (0, "")
    _, expected, _ = run("settle", *ARGS, "--format", "json", str(CSV))
    assert json.loads(out) == json.loads(expected)
    assert batch_calls == []
    # Parquet out: int64 fen columns named _fen, the provenance in the file's metadata
    target = tmp_path / "out.parquet"
    code, out, err = run("settle", *ARGS, "-o", str(target), str(source))
    assert (code, out, err) == (0, "", "")
    table = pq.read_table(target)
    frame = table.to_pandas()
    assert frame["critical_illness_fen"].dtype == "int64"
    assert frame["critical_illness_fen"].tolist()[1] == 481_200
    assert (frame["fund_total_fen"] + frame["patient_total_fen"] == frame["total_fen"]).all()
    meta = json.loads(table.schema.metadata[b"medinsure"])
    assert meta["jurisdictions"]["testland"]["plugin"] == "testplugin"


def test_parquet_errors_name_the_file_row_field_and_value(tmp_path):
    source = tmp_path / "bad.parquet"
    frame = read_frame(CSV)
    frame.loc[2, "total"] = "12.345"
    write_frame(frame, source)
    for extra in ((), ("--format", "json")):
        code, _out, err = run("settle", *ARGS, *extra, str(source))
        assert code == 2
        assert (
            err.strip()
            == f"medinsure settle: {source}: row 4: claim.total='12.345': more than two decimals (amounts are exact to the fen)"
        )
    target = tmp_path / "never.parquet"
    code, _, err = run("settle", *ARGS, "-o", str(target), str(source))
    assert code == 2
    assert not target.exists()


def test_amounts_only_csv_quotes_a_cell_that_needs_it(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n"
        'testland,"P,1",resident,"C ""1""",inpatient,2020-01-05,tertiary,100,50\n',
        encoding="utf-8",
    )
    code, out, err = run("settle", *ARGS, "--format", "csv", "--amounts-only", str(path))
    assert (code, err) == (0, "")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["claim_id"], row["patient_id"], row["total"]) == ('C "1"', "P,1", "100.00")


def test_a_parquet_column_of_floats_is_refused(tmp_path):
    source = tmp_path / "floats.parquet"
    frame = read_frame(CSV)
    frame["total"] = [50000.0, 30000.0, 12000.5, 6000.0]
    frame.to_parquet(source, index=False)
    for extra in ((), ("--format", "json")):
        code, _out, err = run("settle", *ARGS, *extra, str(source))
        assert code == 2
        assert err.count("\n") == 1
        assert "floats are not accepted" in err or "double values are not accepted" in err
