"""The service over real HTTP: every endpoint, every kind of error, idempotency and reversal.

The server (``api`` in conftest) runs in a process of its own on a loopback port and is called
with httpx. Amounts are testland's (tests/data/testland.yaml), for a resident adult in 2020
at a tertiary hospital: deductible 1,000, pool ratio 60%, critical illness 60% of the year's
self-pay above 20,000 (up to 50,000 above it).

- R1: total 40,000, in scope 36,000: pool (36,000 − 1,000) × 60% = 21,000; self-pay 15,000;
  base 15,000 < 20,000 → critical illness 0; patient 40,000 − 21,000 = 19,000.
- R2: total = in scope = 60,000: pool (60,000 − 1,000) × 60% = 35,400; self-pay 24,600; base
  15,000 → 39,600, F = 19,600 × 60% = 11,760; funds 47,160; patient 12,840.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from medinsure.io.masking import mask_id
from support import ARGS, run
from support.service import ROOT, dalian_request

P = "210203198001011234"
#: The command line with the plugins the server has.
PLUGINS = ["-p", "testplugin", "-p", "support.faulty"]


def r1(claim_id: str = "R1", **kw: Any) -> dict[str, Any]:
    claim = {"id": claim_id, "kind": "inpatient", "admitted": "2020-03-01", "discharged": "2020-03-15"}
    return {**claim, "hospital_level": "tertiary", "total": 40000, "in_scope": 36000, **kw}


def r2(claim_id: str = "R2", **kw: Any) -> dict[str, Any]:
    claim = {"id": claim_id, "kind": "inpatient", "discharged": "2020-06-20", "hospital_level": "tertiary"}
    return {**claim, "total": 60000, "in_scope": 60000, **kw}


def case(*claims: dict[str, Any], person: str = P, jurisdiction: str = "testland", **kw: Any) -> dict[str, Any]:
    return {"jurisdiction": jurisdiction, "patient": {"id": person, "scheme": "resident"}, "claims": list(claims), **kw}


def fresh(prefix: str = "C") -> str:
    """A claim id no other test uses (the ledger lives as long as the test session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def amounts(record: dict[str, Any], *names: str) -> tuple[str, ...]:
    return tuple(record[n] for n in names)


def problem(response: Any, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:medinsure:problem:{name}"
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    assert "\n" not in body["detail"]
    return body


# --- the server itself --------------------------------------------------------------------------


def test_health_answers_without_a_token(api):
    response = api.client(token=False).get("/v1/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["ledger"] is True
    assert {"testland", "dalian", "faultland"} <= set(health["jurisdictions"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/jurisdictions"),
        ("GET", "/v1/jurisdictions/testland/rules"),
        ("POST", "/v1/settle"),
        ("POST", "/v1/presettle"),
        ("POST", "/v1/settlements"),
        ("GET", "/v1/settlements/R1"),
        ("POST", "/v1/settlements/R1/reverse"),
        ("GET", f"/v1/persons/{P}/years/2020"),
    ],
)
def test_every_data_endpoint_needs_the_bearer_token(api, method, path):
    with api.client(token=False) as client:
        for headers in ({}, {"Authorization": "Bearer not-the-token-at-all"}, {"Authorization": api.token}):
            response = client.request(method, path, headers=headers, json=case(r1()))
            body = problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == 'Bearer realm="medinsure"'
            assert body["detail"] == "a bearer token is needed: Authorization: Bearer TOKEN"


def test_the_openapi_document_and_the_docs_page_answer_without_a_token(api):
    with api.client(token=False) as client:
        document = client.get("/openapi.json").json()
        assert document["openapi"] == "3.1.0"
        assert document["security"] == [{"bearer": []}]  # this server has a token
        page = client.get("/docs")
        assert page.headers["content-type"].startswith("text/html")
        assert 'id="settle"' in page.text


# --- settle: the same as the command line ----------------------------------------------------------


def test_settle_gives_what_the_command_line_gives_for_the_dalian_example(api):
    example = ROOT / "examples" / "dalian-2021.yaml"
    code, out, err = run("settle", "--format", "json", str(example))
    assert (code, err) == (0, "")
    with api.client() as client:
        response = client.post("/v1/settle", json=dalian_request())
        assert response.status_code == 200
        assert response.json() == json.loads(out)  # every field, every line, every rule version
        assert [s["critical_illness"] for s in response.json()] == ["0.00", "33250.00", "53750.00"]
        code, out, err = run("settle", "--format", "json", "--national-fields", str(example))
        national = client.post("/v1/settle", params={"national": "true"}, json=dalian_request())
        assert national.json() == json.loads(out)
        assert national.json()[1]["national"]["setlinfo"]["hifmi_pay"] == "33250.00"


def test_settle_computes_testland_by_hand(api):
    with api.client() as client:
        first, second = client.post("/v1/settle", json=case(r1(), r2())).json()
    assert amounts(first, "basic_pool", "in_scope_self_pay", "critical_illness", "patient_total") == (
        "21000.00",
        "15000.00",
        "0.00",
        "19000.00",
    )
    assert amounts(second, "basic_pool", "critical_illness", "fund_total", "patient_total") == (
        "35400.00",
        "11760.00",
        "47160.00",
        "12840.00",
    )


def test_an_accumulator_continues_the_year_without_its_earlier_claims(api):
    with api.client() as client:
        (first,) = client.post("/v1/settle", json=case(r1())).json()
        (second,) = client.post("/v1/settle", json=case(r2(), accumulators=[first["accumulator_after"]])).json()
        together = client.post("/v1/settle", json=case(r1(), r2())).json()
    assert second == together[1]
    assert second["critical_illness"] == "11760.00"
    # the platform's year-to-date totals, in-scope self-pay so far 15,000, give the same
    given = {"person_id": P, "year": 2020, "bases": {"critical_illness": "15000"}}
    with api.client() as client:
        (from_totals,) = client.post("/v1/settle", json=case(r2(), accumulators=[given])).json()
    assert from_totals["critical_illness"] == "11760.00"


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (lambda c: c["claims"][1].update(total="abc"), "claim.total", "abc"),
        (lambda c: c["claims"][1].update(in_scope=90000), "claim.in_scope", "90000.00"),
        (lambda c: c["claims"][0].update(colour="red"), "claim.colour", "red"),
        (lambda c: c["claims"][0]["basic"].update(tip=1), "claim.basic.tip", 1),
        (lambda c: c["patient"].update(colour="red"), "patient.colour", "red"),
        (lambda c: c["claims"][1].update(discharged="2020-13-01"), "claim.discharged", "2020-13-01"),
        (lambda c: c["claims"][1].update(total="1.005"), "claim.total", "1.005"),
        (lambda c: c["claims"][0]["basic"].update(pool=-1), "claim.basic.pool", -1),
        (lambda c: c["patient"].update(scheme="martian"), "patient.scheme", "martian"),
        (lambda c: c["patient"].update(categories=["royal"]), "patient.categories", "royal"),
    ],
)
def test_bad_input_is_named_as_the_command_line_names_it(api, tmp_path, change, field, value):
    body = case({**r1(), "basic": {"pool": 21000, "in_scope_self_pay": 15000}}, r2(), name="bad")
    change(body)
    path = tmp_path / "case.json"
    path.write_text(json.dumps([body]), encoding="utf-8")
    code, _, err = run("settle", *PLUGINS, str(path))
    assert code == 2
    with api.client() as client:
        found = problem(client.post("/v1/settle", json=body), 422, "invalid-input")
    assert (found["field"], found["value"]) == (field, value)
    assert err.strip().endswith(found["detail"]), (err, found["detail"])  # the CLI's line, file and case before
    if "reason" in found and found["reason"] != "unknown key":
        assert found["detail"].endswith(f"{field}={value!r}: {found['reason']}")


def test_a_claim_error_names_the_claim(api):
    with api.client() as client:
        found = problem(client.post("/v1/settle", json=case(r1(), r2(total="abc"))), 422, "invalid-input")
    assert found["where"] == "claims[1]"
    assert found["detail"] == "claims[1]: claim.total='abc': not a number"


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ([1, 2], "request", "request=[1, 2]: expected a JSON object: jurisdiction, patient, claims"),
        ({**case(r1()), "colour": "red"}, "colour", "request: unknown key 'colour' (allowed: name, reference, "),
        ({**case(r1()), "claims": []}, "claims", "claims=[]: expected a non-empty list of claims"),
        (case(r1(), r1()), "claims[1].id", "claims[1].id='R1': claim id given twice"),
        (case(r1(), jurisdiction="atlantis"), "jurisdiction", "jurisdiction='atlantis': unknown jurisdiction"),
        (
            case(r1(), accumulators=[{"person_id": "someone else", "year": 2020}]),
            "accumulators[0].person_id",
            "accumulators[0].person_id='someone else': not the patient's id",
        ),
        (
            case(r1(), accumulators=[{"person_id": P, "year": 2020, "bases": {"jackpot": 5}}]),
            "accumulators[0].bases.jackpot",
            "accumulators[0].bases.jackpot='5.00': not a benefit of testland",
        ),
    ],
)
def test_a_bad_request_names_its_field(api, body, field, detail):
    with api.client() as client:
        found = problem(client.post("/v1/settle", json=body), 422, _name(field))
    assert found["field"] == field
    assert found["detail"].startswith(detail)


def _name(field: str) -> str:
    return "unknown-jurisdiction" if field == "jurisdiction" else "invalid-input"


def test_a_rule_not_in_force_is_named(api):
    with api.client() as client:
        found = problem(
            client.post("/v1/settle", json=case(r1(discharged="2019-06-01", admitted=None))), 422, "rule-not-in-force"
        )
    assert found["detail"].startswith("claims[0]: jurisdiction 'testland', rule ")


# --- the settlement sheet -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "copy"), [("zh", "audit"), ("en", "audit"), ("zh", "patient")])
def test_the_html_sheet_is_the_sheet_of_explain(api, tmp_path, lang, copy):
    body = case(r1(), r2(), name="sheet")
    path = tmp_path / "case.json"
    path.write_text(json.dumps([body]), encoding="utf-8")
    page = tmp_path / "sheet.html"
    assert run("explain", *ARGS, str(path), "--html", str(page), "--lang", lang, "--copy", copy)[0] == 0
    with api.client() as client:
        params = {"lang": lang, "copy": copy}
        response = client.post("/v1/settle", params=params, headers={"Accept": "text/html"}, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == page.read_text(encoding="utf-8")
    assert mask_id(P) in response.text
    assert P not in response.text


def test_a_browser_gets_the_sheet_and_a_program_gets_json(api):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    with api.client() as client:
        assert client.post("/v1/settle", headers={"Accept": browser}, json=case(r1())).text.startswith("<!DOCTYPE")
        for accept in ("application/json", "*/*", "text/html;q=0.5, application/json", ""):
            response = client.post("/v1/settle", headers={"Accept": accept}, json=case(r1()))
            assert response.headers["content-type"] == "application/json", accept


def test_unmasked_ids_need_the_servers_permission(api):
    with api.client() as client:
        response = client.post(
            "/v1/settle", params={"show_ids": "true"}, headers={"Accept": "text/html"}, json=case(r1())
        )
        found = problem(response, 403, "forbidden")
    assert "--allow-show-ids" in found["detail"]


# --- the ledger ---------------------------------------------------------------------------------------------


def test_presettle_record_replay_conflict_reverse(api):
    person = f"2102{uuid.uuid4().int % 10**14:014d}"
    one, two = fresh("R1"), fresh("R2")
    body = case(r1(one), r2(two), person=person)
    with api.client() as client:
        pre = client.post("/v1/presettle", json=body)
        assert pre.status_code == 200
        problem(client.get(f"/v1/settlements/{one}"), 404, "not-found")  # a pre-settlement records nothing

        created = client.post("/v1/settlements", json=body)
        assert created.status_code == 201
        assert created.json() == pre.json()
        assert amounts(created.json()[1], "critical_illness", "fund_total") == ("11760.00", "47160.00")

        again = client.post("/v1/settlements", json=body)  # the same claims again: stored, 200
        assert (again.status_code, again.json()) == (200, created.json())
        assert client.post("/v1/presettle", json=body).json() == created.json()

        changed = case(r1(one), r2(two, total=61000), person=person)
        found = problem(client.post("/v1/settlements", json=changed), 409, "claim-conflict")
        assert (found["claim_id"], found["field"]) == (two, "claim.total")
        assert found["differences"] == [{"field": "claim.total", "stored": "'60000.00'", "given": "'61000.00'"}]
        assert found["detail"].startswith(f"claim.id={two!r}: already in the ledger with different content")

        stored = client.get(f"/v1/settlements/{two}")
        assert stored.json() == created.json()[1]
        sheet = client.get(f"/v1/settlements/{two}", headers={"Accept": "text/html"})
        assert sheet.text.startswith("<!DOCTYPE html>")
        assert mask_id(person) in sheet.text

        # reversing R1: R2 settles again from an empty year, base 24,600 → F = 4,600 × 60% = 2,760,
        # 9,000 less than the 11,760 it had
        event = client.post(f"/v1/settlements/{one}/reverse", json={"reason": "refund"})
        assert event.status_code == 200
        adjustments = {(a["claim_id"], a["component"]): a["amount"] for a in event.json()["adjustments"]}
        assert adjustments[(two, "critical_illness")] == "-9000.00"
        assert adjustments[(one, "basic_pool")] == "-21000.00"
        assert event.json()["kind"] == "reverse"
        assert event.json()["reason"] == "refund"
        assert client.get(f"/v1/settlements/{two}").json()["critical_illness"] == "2760.00"

        problem(client.get(f"/v1/settlements/{one}"), 410, "settlement-reversed")
        found = problem(client.post(f"/v1/settlements/{one}/reverse"), 409, "claim-reversed")
        assert found["claim_id"] == one
        problem(client.post("/v1/settlements", json=body), 409, "claim-reversed")
        problem(client.post(f"/v1/settlements/{fresh()}/reverse"), 404, "not-found")

        year = client.get(f"/v1/persons/{person}/years/2020").json()
    assert year["person_id"] == mask_id(person)
    assert [(c["claim_id"], c["status"], c["version"]) for c in year["claims"]] == [
        (one, "reversed", 2),
        (two, "settled", 2),
    ]
    assert year["claims"][1]["settlement"]["patient_id"] == mask_id(person)
    assert person not in json.dumps(year)
    assert [e["kind"] for e in year["events"]] == ["settle", "settle", "reverse"]
    assert year["accumulator"]["paid"] == {"critical_illness": "2760.00"}


def test_a_settlement_is_known_by_its_setl_id_too(api):
    claim_id, setl_id, person = fresh("Z"), fresh("SETL"), f"2102{uuid.uuid4().int % 10**14:014d}"
    claim = r1(claim_id, setl_id=setl_id, mdtrt_id=f"MD-{claim_id}")
    with api.client() as client:
        created = client.post("/v1/settlements", json=case(claim, person=person))
        assert created.status_code == 201
        assert created.headers["location"] == f"/v1/settlements/{setl_id}"
        assert client.get(f"/v1/settlements/{setl_id}").json() == created.json()[0]
        assert client.get(f"/v1/settlements/{claim_id}").json() == created.json()[0]
        year = client.get(f"/v1/persons/{person}/years/2020").json()
        assert [(c["claim_id"], c["setl_id"]) for c in year["claims"]] == [(claim_id, setl_id)]
        # the same setl_id under another claim id: the same settlement given again, with other content
        other = r1(fresh("Z"), setl_id=setl_id, mdtrt_id=f"MD-{claim_id}")
        found = problem(client.post("/v1/settlements", json=case(other, person=person)), 409, "claim-conflict")
        assert (found["claim_id"], found["field"]) == (claim_id, "claim.id")
        assert problem(client.post("/v1/presettle", json=case(other, person=person)), 409, "claim-conflict")
        # a reversal naming the platform's ids must name those recorded
        wrong = client.post(f"/v1/settlements/{setl_id}/reverse", json={"mdtrt_id": "MD-other"})
        assert problem(wrong, 422, "invalid-input")["field"] == "mdtrt_id"
        right = {"reason": "2305", "mdtrt_id": f"MD-{claim_id}", "psn_no": person}
        event = client.post(f"/v1/settlements/{setl_id}/reverse", json=right).json()
        assert (event["claim_id"], event["setl_id"], event["kind"]) == (claim_id, setl_id, "reverse")
        # a claim that gave no setl_id is found by the one derived for it
        plain = client.post("/v1/settlements", json=case(r2(fresh()), person=person), params={"national": "true"})
        derived = plain.json()[0]["national"]["setlinfo"]["setl_id"]
        assert client.get(f"/v1/settlements/{derived}").json()["claim_id"] == plain.json()[0]["claim_id"]


def test_one_claim_recorded_gives_its_location(api):
    claim_id = fresh()
    with api.client() as client:
        response = client.post("/v1/settlements", json=case(r1(claim_id)))
        assert response.status_code == 201
        assert response.headers["location"] == f"/v1/settlements/{claim_id}"
        assert client.get(response.headers["location"]).json() == response.json()[0]


def test_ids_with_a_slash_are_found_when_sent_encoded(api):
    claim_id, person = f"ZY/2020/{uuid.uuid4().hex[:6]}", f"HIS/{uuid.uuid4().hex[:8]}"
    with api.client() as client:
        response = client.post("/v1/settlements", json=case(r1(claim_id), person=person))
        assert response.status_code == 201
        assert response.headers["location"] == f"/v1/settlements/{quote(claim_id, safe='')}"
        assert client.get(response.headers["location"]).json()["claim_id"] == claim_id
        year = client.get(f"/v1/persons/{quote(person, safe='')}/years/2020").json()
        assert [c["claim_id"] for c in year["claims"]] == [claim_id]
        reversal = client.post(f"/v1/settlements/{quote(claim_id, safe='')}/reverse")
        assert reversal.json()["claim_id"] == claim_id
    assert f"GET /v1/persons/{mask_id(person)}/years/2020 200" in api.server.log()
    assert person not in api.server.log()


def test_a_bad_claim_anywhere_records_nothing(api):
    good, bad = fresh(), fresh()
    with api.client() as client:
        found = problem(
            client.post("/v1/settlements", json=case(r1(good), r2(bad, in_scope="x"))), 422, "invalid-input"
        )
        assert found["where"] == "claims[1]"
        rule = problem(
            client.post("/v1/settlements", json=case(r1(good), r2(bad, discharged="2019-01-01"))),
            422,
            "rule-not-in-force",
        )
        assert rule["where"] == "claims[1]"
        problem(client.get(f"/v1/settlements/{good}"), 404, "not-found")


def test_the_ledger_endpoints_refuse_accumulators(api):
    body = case(r1(fresh()), accumulators=[{"person_id": P, "year": 2020}])
    with api.client() as client:
        found = problem(client.post("/v1/settlements", json=body), 422, "invalid-input")
    assert found["field"] == "accumulators"


def test_a_person_year_not_in_the_ledger_and_a_bad_year(api):
    with api.client() as client:
        found = problem(client.get("/v1/persons/nobody-at-all/years/2020"), 404, "not-found")
        assert "nobody-at-all" not in found["detail"]
        found = problem(client.get(f"/v1/persons/{P}/years/20x0"), 422, "invalid-input")
        assert (found["field"], found["value"]) == ("year", "20x0")
        problem(client.get(f"/v1/persons/{P}/years/2020", params={"show_ids": "true"}), 403, "forbidden")


# --- jurisdictions and rules --------------------------------------------------------------------------------


def test_jurisdictions_and_their_rules(api):
    with api.client() as client:
        listed = {j["code"]: j for j in client.get("/v1/jurisdictions").json()}
        assert listed["testland"] == {
            "code": "testland",
            "name": "测试省",
            "name_en": "Testland",
            "parent": None,
            "plugin": "testplugin",
            "plugin_version": "9.9.9",
            "rule_years": [2020, 2021],  # the years it settles raw costs
            "verified_years": [[2020, 2020]],
        }
        assert listed["dalian"]["parent"] == "liaoning"
        rules = client.get("/v1/jurisdictions/testland/rules", params={"year": "2020"}).json()
        _code, out, _ = run("rules", *ARGS, "testland", "--year", "2020", "--format", "json")
        assert rules == json.loads(out)
        found = problem(client.get("/v1/jurisdictions/atlantis/rules"), 404, "not-found")
        assert found["detail"].startswith("jurisdiction='atlantis': unknown jurisdiction")
        found = problem(client.get("/v1/jurisdictions/testland/rules", params={"year": "soon"}), 422, "invalid-input")
        assert (found["field"], found["value"]) == ("query.year", "soon")


# --- requests the service refuses before reading them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status", "name", "detail"),
    [
        (b'{"jurisdiction": ', "application/json", 400, "malformed-request", "invalid JSON: Expecting value"),
        (b'{"a": 1, "a": 2}', "application/json", 400, "malformed-request", "key 'a' given twice in one object"),
        (b"\xff\xfe{}", "application/json", 400, "malformed-request", "body: not UTF-8 text (byte 0)"),
        (b"", "application/json", 400, "malformed-request", "body: empty (expected a JSON object)"),
        (b"{}", "text/plain", 415, "unsupported-media-type", "Content-Type 'text/plain': expected application/json"),
        (b"{}", "application/json; charset=latin-1", 415, "unsupported-media-type", "charset 'latin-1'"),
    ],
)
def test_a_body_that_is_not_json_is_refused(api, content, content_type, status, name, detail):
    with api.client() as client:
        found = problem(
            client.post("/v1/settle", content=content, headers={"Content-Type": content_type}), status, name
        )
    assert found["detail"].startswith(detail)


def test_unknown_paths_methods_and_parameters(api):
    with api.client() as client:
        found = problem(client.get("/v1/nothing-here"), 404, "not-found")
        assert found["detail"] == "no such path: /v1/nothing-here (see /docs)"
        response = client.get("/v1/settle")
        problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "POST"
        found = problem(client.post("/v1/settle", params={"nationale": "true"}, json=case(r1())), 422, "invalid-input")
        assert (found["field"], found["value"]) == ("query.nationale", "true")
        found = problem(client.post("/v1/settle", params={"national": "yes"}, json=case(r1())), 422, "invalid-input")
        assert found["detail"] == "query.national='yes': expected true or false"


def test_an_unexpected_error_is_a_500_that_tells_nothing_but_is_logged_with_ids_masked(api):
    body = case(r1(), person=P, jurisdiction="faultland")
    with api.client() as client:
        response = client.post("/v1/settle", json=body, headers={"X-Request-Id": "boom-1234"})
    found = problem(response, 500, "internal")
    assert found["detail"] == "an unexpected error; the server logged it under request id boom-1234"
    assert "broke" not in response.text
    assert P not in response.text
    log = api.server.log()
    lines = [line for line in log.splitlines() if "[boom-1234]" in line]
    assert any("ERROR medinsure.service" in line for line in lines)
    assert f"RuntimeError: the check broke on patient {mask_id(P)}" in log  # the traceback, masked
    assert P not in log


def test_request_ids_are_logged_and_person_ids_are_not(api):
    person = "210203199912311234"
    with api.client() as client:
        response = client.post("/v1/settlements", json=case(r1(fresh()), person=person))
        assert response.status_code == 201
        given = client.get(f"/v1/persons/{person}/years/2020", headers={"X-Request-Id": "trace-42"})
        assert given.headers["x-request-id"] == "trace-42"
        odd = client.get("/v1/health", headers={"X-Request-Id": "not a token"})
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])
    log = api.server.log()
    assert re.search(rf"\[trace-42\] GET /v1/persons/{re.escape(mask_id(person))}/years/2020 200 ", log)
    assert f"[{response.headers['x-request-id']}] POST /v1/settlements 201 " in log
    assert f"person {mask_id(person)}, 2020" in log  # the ledger's own line, masked
    assert person not in log


def test_every_response_has_a_request_id_and_is_not_cached(api):
    with api.client() as client:
        for response in (client.get("/v1/health"), client.get("/v1/nope"), client.post("/v1/settle", json={})):
            assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
            assert response.headers["cache-control"] == "no-store"


def test_a_strict_server_refuses_a_carried_forward_value_with_a_problem_naming_it():
    from support.service import server

    # testland's resident tertiary ratio of 2021 (65%) is known to 2021-12-31: carried forward in 2022
    with server("--strict=carried-forward", plugins=["-p", "testplugin"]) as running, running.client() as client:
        refused = client.post("/v1/settle", json=case(r1(fresh(), admitted=None, discharged="2022-03-15")))
        body = problem(refused, 422, "strict-refusal")
        rule = "testland/basic.ratio[scheme=resident, hospital_level=tertiary]@2021-01-01"
        assert (body["rule"], body["value"], body["where"]) == (rule, "65%", "claims[0]")
        assert "is carried forward past 2021-12-31" in body["detail"]
        settled = client.post("/v1/settle", json=case(r1(fresh())))
        assert settled.status_code == 200, settled.text
        assert settled.json()[0]["basic_pool"] == "21000.00"  # (36,000 − 1,000) × 60%
