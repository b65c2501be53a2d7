"""What the ledger stores: canonical claim content, its fingerprint, and settlement records.

Content is stored in canonical form — the values *after* validation (amounts with two
decimals, dates ``YYYY-MM-DD``, term lists sorted) — so that ``total: 1000`` and
``total: "1000.00"`` are the same claim and have the same fingerprint.

A settlement is stored whole (:func:`encode_settlement`): every line, rule version and its
source, refusal, benefit result and both accumulators, so that :func:`decode_settlement`
gives back a :class:`~medinsure.settlement.result.Settlement` equal to the one that was settled.
Amounts are decimal strings; nothing passes through a float.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import orjson

from medinsure.model import Claim, Patient
from medinsure.rules.tables import Provenance, Source
from medinsure.settlement.accumulator import Accumulator, Amounts, Delta
from medinsure.settlement.result import COMPONENTS, AccountResult, BenefitResult, Line, Refusal, RuleRef, Settlement

__all__ = [
    "accumulator_from_dict",
    "amounts_of",
    "canonical_json",
    "claim_mapping",
    "content",
    "decode_settlement",
    "encode_settlement",
    "fingerprint",
    "patient_mapping",
    "same_record",
]


def canonical_json(data: Any) -> str:
    """Compact JSON with sorted keys, characters as they are: the same data always gives the same text.

    The text is the standard library's ``json.dumps(data, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` for everything a ledger stores: strings, integers, booleans, ``None``,
    lists and mappings (amounts are decimal strings; there are no floats). orjson writes that
    same text about four times faster; what it refuses (a lone surrogate, an integer beyond 64
    bits, a key that is not a string) goes to the standard library, which decides as before.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def patient_mapping(patient: Patient) -> dict[str, Any]:
    """The patient as a mapping that :meth:`Patient.from_mapping` reads back unchanged."""
    data: dict[str, Any] = {"id": patient.id, "scheme": patient.scheme}
    if patient.status is not None:
        data["status"] = patient.status
    if patient.birth_date is not None:
        data["birth_date"] = _date(patient.birth_date)
    if patient.categories:
        data["categories"] = sorted(patient.categories)
    if patient.conditions:
        data["conditions"] = sorted(patient.conditions)
    if patient.psn_type is not None:
        data["psn_type"] = patient.psn_type
    for key in ("name", "sex"):
        if getattr(patient, key) is not None:
            data[key] = getattr(patient, key)
    if patient.contributions:
        data["contributions"] = [
            {"paid_on": _date(c.paid_on), "from": _date(c.start), "to": _date(c.end)} for c in patient.contributions
        ]
    if patient.service_years is not None:
        data["service_years"] = patient.service_years
    return data


def claim_mapping(claim: Claim) -> dict[str, Any]:
    """The claim as a mapping that :meth:`Claim.from_mapping` reads back unchanged."""
    data: dict[str, Any] = {
        "id": claim.id,
        "kind": claim.kind,
        "discharged": _date(claim.discharged),
        "referral": claim.referral,
        "location": claim.location,
        "filed": claim.filed,
        "designated": claim.designated,
    }
    if claim.items:  # the totals are the lines' sums
        data["items"] = [item.to_mapping() for item in claim.items]
    else:
        data.update(total=str(claim.total), in_scope=str(claim.in_scope))
        data["class_b_self_pay"] = str(claim.class_b_self_pay)
        if claim.over_limit:
            data["over_limit"] = str(claim.over_limit)
    for key in (
        "mdtrt_id", "setl_id", "account_balance", "mutual_aid_balance", "hospital_name", "hospital_code",
        "admission_no", "department", "diagnosis",
    ):  # fmt: skip
        if getattr(claim, key) is not None:
            data[key] = str(getattr(claim, key))
    if claim.mid_setl_flag:
        data["mid_setl_flag"] = True
    if claim.use_account is not None:
        data["use_account"] = claim.use_account
    if claim.admitted is not None:
        data["admitted"] = _date(claim.admitted)
    if claim.hospital_level is not None:
        data["hospital_level"] = claim.hospital_level
    if claim.basic is not None:
        data["basic"] = {"pool": str(claim.basic.pool), "in_scope_self_pay": str(claim.basic.in_scope_self_pay)}
        if claim.basic.deductible is not None:
            data["basic"]["deductible"] = str(claim.basic.deductible)
    if claim.tags:
        data["tags"] = sorted(claim.tags)
    return data


def content(patient: Patient, claim: Claim, jurisdiction: str) -> dict[str, Any]:
    """Everything that decides a claim's settlement, apart from the rest of its year."""
    return {"jurisdiction": jurisdiction, "patient": patient_mapping(patient), "claim": claim_mapping(claim)}


def fingerprint(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of :func:`content`."""
    return fingerprint_of(canonical_json(data))


def fingerprint_of(text: str) -> str:
    """SHA-256 of a canonical JSON text already made (:func:`canonical_json`)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """``{"claim": {"basic": {"pool": "1.00"}}}`` → ``{"claim.basic.pool": "'1.00'"}``."""
    if isinstance(data, Mapping):
        out: dict[str, str] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: repr(data)}


# --- settlements ------------------------------------------------------------------------------


def amounts_of(settlement: Settlement) -> dict[str, str]:
    """The settlement's non-zero components as decimal strings."""
    return {name: str(value) for name, value in settlement.amounts().items() if value != 0}


def _amounts(data: Mapping[str, str]) -> Amounts:
    return Amounts({k: Decimal(v) for k, v in data.items()})


def _str_amounts(amounts: Amounts) -> dict[str, str]:
    return {k: str(v) for k, v in amounts.items()}


def accumulator_from_dict(data: Mapping[str, Any]) -> Accumulator:
    """The inverse of :meth:`Accumulator.to_dict`."""
    return Accumulator(
        person_id=data["person_id"],
        year=int(data["year"]),
        in_scope=Decimal(data["in_scope"]),
        basic_pool=Decimal(data["basic_pool"]),
        admissions=int(data["admissions"]),
        claims=int(data["claims"]),
        bases=_amounts(data["bases"]),
        paid=_amounts(data["paid"]),
        components=_amounts(data["components"]),
        open_stays=tuple(sorted((k, Decimal(v)) for k, v in data.get("open_stays", {}).items())),
    )


def _source(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "publication": source.publication,
        "date": _date(source.date),
        "document": source.document,
        "url": source.url,
    }


def _provenance(p: Provenance) -> dict[str, Any]:
    return {"source": _source(p.source), "verified": p.verified, "note": p.note, "quote": p.quote}


def _provenance_from(data: Mapping[str, Any]) -> Provenance:
    s = data["source"]
    source = Source(
        id=s["id"],
        publication=s["publication"],
        date=None if s["date"] is None else dt.date.fromisoformat(s["date"]),
        document=s["document"],
        url=s["url"],
    )
    return Provenance(source=source, verified=data["verified"], note=data["note"], quote=data.get("quote", ""))


def _ref(ref: RuleRef) -> dict[str, Any]:
    return {
        "rule_id": ref.rule_id,
        "version": ref.version,
        "value": ref.value,
        "provenance": _provenance(ref.provenance),
        "carried_forward": ref.carried_forward,
        "until": ref.until,
    }


def _ref_from(data: Mapping[str, Any]) -> RuleRef:
    return RuleRef(
        rule_id=data["rule_id"],
        version=data["version"],
        value=data["value"],
        provenance=_provenance_from(data["provenance"]),
        carried_forward=data["carried_forward"],
        until=data.get("until"),
    )


_BENEFIT_AMOUNTS = ("base_added", "base_before", "target", "paid_before", "paid")


def encode_settlement(s: Settlement) -> dict[str, Any]:
    """The whole settlement as JSON-ready data (rule references stored once, lines point at them)."""
    refs = [_ref(r) for r in s.rules]
    delta = s.delta
    return {
        "claim": claim_mapping(s.claim),
        "patient_id": s.patient_id,
        "jurisdiction": s.jurisdiction,
        "plugin": s.plugin,
        "plugin_version": s.plugin_version,
        "components": _str_amounts(s.components),
        "rules": refs,
        "lines": [
            {
                "component": line.component,
                "amount": str(line.amount),
                "text": line.text,
                "text_zh": line.text_zh,
                "rules": [s.rules.index(r) for r in line.rules],
            }
            for line in s.lines
        ],
        "refusals": [
            {
                "rule_id": r.rule_id,
                "applies_to": r.applies_to if isinstance(r.applies_to, str) else list(r.applies_to),
                "reason": r.reason,
                "provenance": _provenance(r.provenance),
                **({"reason_zh": r.reason_zh} if r.reason_zh else {}),
            }
            for r in s.refusals
        ],
        "benefits": [
            {"key": b.key, "component": b.component, **{f: str(getattr(b, f)) for f in _BENEFIT_AMOUNTS}}
            for b in s.benefits
        ],
        "accumulator_before": s.accumulator_before.to_dict(),
        "accumulator_after": s.accumulator_after.to_dict(),
        "delta": {
            "in_scope": str(delta.in_scope),
            "basic_pool": str(delta.basic_pool),
            "admissions": delta.admissions,
            "claims": delta.claims,
            "bases": _str_amounts(delta.bases),
            "paid": _str_amounts(delta.paid),
            "components": _str_amounts(delta.components),
            **({"stays": [[k, None if v is None else str(v)] for k, v in delta.stays]} if delta.stays else {}),
        },
        "overrides": list(s.overrides),
        **({"account": _account(s.account)} if s.account is not None else {}),
        **({"patient": patient_mapping(s.patient)} if s.patient is not None else {}),
        **({"warnings": list(s.warnings)} if s.warnings else {}),
    }


def same_record(stored: str | None, settlement: Settlement) -> bool:
    """Whether ``stored`` (a canonical record) is ``settlement``'s record.

    A record written by a ledger of schema version 1 has no ``patient`` and no refusal's
    ``reason_zh``: it is compared without them.
    """
    data = encode_settlement(settlement)
    if stored is not None and '"patient":' not in stored:
        data.pop("patient", None)
    if stored is not None and '"reason_zh":' not in stored:
        for refusal in data["refusals"]:
            refusal.pop("reason_zh", None)
    return canonical_json(data) == stored


def _account(account: AccountResult) -> dict[str, str | None]:
    return {
        f.name: None if getattr(account, f.name) is None else str(getattr(account, f.name))
        for f in attrs.fields(AccountResult)
    }


def _account_from(data: Mapping[str, str | None]) -> AccountResult:
    def dec(key: str) -> Decimal:
        value = data[key]
        assert value is not None
        return Decimal(value)

    balance = data["balance"]
    return AccountResult(
        dec("payable"), dec("account"), dec("mutual_aid"), dec("cash"), None if balance is None else Decimal(balance)
    )


def decode_settlement(data: Mapping[str, Any]) -> Settlement:
    """The :class:`Settlement` that :func:`encode_settlement` stored."""
    rules = tuple(_ref_from(r) for r in data["rules"])
    d = data["delta"]
    return Settlement(
        claim=Claim.from_mapping(data["claim"]),
        patient_id=data["patient_id"],
        jurisdiction=data["jurisdiction"],
        plugin=data["plugin"],
        plugin_version=data["plugin_version"],
        components=_amounts(data["components"]),
        lines=tuple(
            Line(
                line["component"],
                Decimal(line["amount"]),
                line["text"],
                tuple(rules[i] for i in line["rules"]),
                line.get("text_zh", ""),
            )
            for line in data["lines"]
        ),
        refusals=tuple(
            Refusal(
                r["rule_id"],
                r["applies_to"] if isinstance(r["applies_to"], str) else tuple(r["applies_to"]),
                r["reason"],
                _provenance_from(r["provenance"]),
                r.get("reason_zh", ""),
            )
            for r in data["refusals"]
        ),
        benefits=tuple(
            BenefitResult(b["key"], b["component"], *(Decimal(b[f]) for f in _BENEFIT_AMOUNTS))
            for b in data["benefits"]
        ),
        rules=rules,
        accumulator_before=accumulator_from_dict(data["accumulator_before"]),
        accumulator_after=accumulator_from_dict(data["accumulator_after"]),
        delta=Delta(
            in_scope=Decimal(d["in_scope"]),
            basic_pool=Decimal(d["basic_pool"]),
            admissions=int(d["admissions"]),
            claims=int(d["claims"]),
            bases=_amounts(d["bases"]),
            paid=_amounts(d["paid"]),
            components=_amounts(d["components"]),
            stays=tuple((k, None if v is None else Decimal(v)) for k, v in d.get("stays", ())),
        ),
        overrides=tuple(data["overrides"]),
        account=None if data.get("account") is None else _account_from(data["account"]),
        patient=None if data.get("patient") is None else Patient.from_mapping(data["patient"]),
        warnings=tuple(data.get("warnings", ())),
    )


def component_differences(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, Decimal]:
    """Per component, ``new − old`` where it is not zero (components in contract order)."""
    out = {}
    for name in COMPONENTS:
        diff = Decimal(new.get(name, "0.00")) - Decimal(old.get(name, "0.00"))
        if diff != 0:
            out[name] = diff
    return out
